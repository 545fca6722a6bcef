#!/usr/bin/env python3
"""What recording history (SPEC §12) would cost the §8 floor on SQLite, with SQLite alone.

docs/BENCHMARKS.md, "History (SPEC §12): its cost on SQLite". A table of 20 480 tokens shaped like new-api's,
the benchmark user's first 10 000 written per round, every round changing every row, in WAL mode with
synchronous=FULL as the service runs. Four variants take turns, each in every place of the rotation:

- plain:  the floor's baseline, one UPDATE of three columns;
- floor:  tokenbatch's counted batch: the ownership count, then the UPDATE computing the status, skipping
          unchanged rows and clearing the auto-group settings;
- rows:   the floor plus the leanest per-token history record, one INSERT ... SELECT of id, status and the
          columns the batch changes or decides the status by (rowid = change id * 2^20 + place, no index);
- agg:    the floor with those values as one json_group_array in the count's statement, stored as one text.

Prints each variant's median in ms and its ratio to `plain`. Run: python3 scripts/bench/history-sqlite.py
"""

import json
import os
import random
import sqlite3
import statistics
import tempfile
import time

USERS_TOKENS = 10_240  # per user, two users, as the bench's floor fixture
BATCH = 10_000  # the benchmark user's tokens 1..BATCH, written every round
ROUNDS = 60

TOKENS = """CREATE TABLE tokens (id integer PRIMARY KEY AUTOINCREMENT, user_id integer, key char(48),
  status integer DEFAULT 1, name text, created_time bigint, accessed_time bigint, expired_time bigint DEFAULT -1,
  remain_quota bigint DEFAULT 0, unlimited_quota numeric DEFAULT 0, model_limits_enabled numeric DEFAULT 0,
  model_limits varchar(1024) DEFAULT '', allow_ips text DEFAULT '', used_quota bigint DEFAULT 0,
  "group" text DEFAULT '', deleted_at datetime, cross_group_retry numeric DEFAULT 0, auto_groups text DEFAULT '',
  mj_image_mode text DEFAULT '', mj_custom_proxy text DEFAULT '')"""

# The rows of the ids (a JSON array) that are live tokens of user 1, walked id by id as tokenbatch does.
OWNED = " FROM json_each(?) AS j CROSS JOIN tokens AS t ON t.id = j.value WHERE t.user_id = 1 AND t.deleted_at IS NULL"

PLAIN_UPDATE = """UPDATE tokens SET "group" = ?, expired_time = ?, remain_quota = ?
  WHERE id IN (SELECT value FROM json_each(?)) AND user_id = 1 AND deleted_at IS NULL"""

# tokenbatch's counted UPDATE for these three fields: the status rule, the auto-group settings cleared, and only
# rows that change.
COUNTED_UPDATE = """UPDATE tokens SET "group" = ?1, expired_time = ?2, remain_quota = ?3,
  status = CASE WHEN COALESCE(status, 1) = 1 AND (?2 <> -1 AND ?2 <= 1700000000) THEN 3 ELSE COALESCE(status, 1) END,
  cross_group_retry = 0, auto_groups = ''
  WHERE id IN (SELECT value FROM json_each(?4)) AND user_id = 1 AND deleted_at IS NULL
  AND (COALESCE("group", '') IS NOT ?1 OR COALESCE(expired_time, -1) IS NOT ?2 OR COALESCE(remain_quota, 0) IS NOT ?3)"""

RECORDED = 't.status, t."group", t.expired_time, t.remain_quota, t.unlimited_quota, t.cross_group_retry'


def open_database():
    path = os.path.join(tempfile.mkdtemp(), "history.db")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.execute(TOKENS)
    db.execute("CREATE INDEX idx_tokens_user_id ON tokens(user_id)")
    db.execute("CREATE UNIQUE INDEX idx_tokens_key ON tokens(key)")
    db.execute("BEGIN")
    for i in range(1, 2 * USERS_TOKENS + 1):
        db.execute(
            'INSERT INTO tokens (id, user_id, key, name, created_time, accessed_time, expired_time, remain_quota, "group") '
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (i, 1 if i <= USERS_TOKENS else 2, "%048x" % random.getrandbits(192), "tok-%d" % i,
             1700000000, 1700000000, 1800000000 + i, 1000 + i, "default"),
        )
    db.execute("COMMIT")
    db.execute("CREATE TABLE history_rows (id integer PRIMARY KEY, token_id integer, status integer, "
               '"group" text, expired_time bigint, remain_quota bigint, unlimited_quota integer, auto integer)')
    db.execute("CREATE TABLE history_packed (change_id integer PRIMARY KEY, data text)")
    return db


def main():
    db = open_database()
    ids = json.dumps(list(range(1, BATCH + 1)))
    changes = [0]

    def values(round_):
        return ("g%d" % round_, 1900000000 + round_, 5000 + round_)

    def counted_update(round_):
        db.execute(COUNTED_UPDATE, (*values(round_), ids))

    def plain(round_):
        db.execute("BEGIN IMMEDIATE")
        db.execute(PLAIN_UPDATE, (*values(round_), ids))
        db.execute("COMMIT")

    def floor(round_):
        db.execute("BEGIN IMMEDIATE")
        db.execute("SELECT count(*)" + OWNED, (ids,)).fetchone()
        counted_update(round_)
        db.execute("COMMIT")

    def rows(round_):
        db.execute("BEGIN IMMEDIATE")
        db.execute("SELECT count(*)" + OWNED, (ids,)).fetchone()
        changes[0] += 1
        db.execute("INSERT INTO history_rows SELECT ? * 1048576 + j.key, t.id, " + RECORDED + OWNED, (changes[0], ids))
        counted_update(round_)
        db.execute("COMMIT")

    def agg(round_):
        db.execute("BEGIN IMMEDIATE")
        changes[0] += 1
        _, packed = db.execute("SELECT count(*), json_group_array(json_array(t.id, " + RECORDED + "))" + OWNED,
                               (ids,)).fetchone()
        db.execute("INSERT INTO history_packed VALUES (?, ?)", (changes[0], packed))
        counted_update(round_)
        db.execute("COMMIT")

    variants = [plain, floor, rows, agg]
    times = {variant.__name__: [] for variant in variants}
    round_ = 0
    for turn in range(ROUNDS):
        # Each variant takes every place in the rotation: whoever runs after a big commit pays its checkpoint.
        for variant in variants[turn % 4:] + variants[:turn % 4]:
            round_ += 1
            started = time.perf_counter()
            variant(round_)
            times[variant.__name__].append(time.perf_counter() - started)
    baseline = statistics.median(times["plain"])
    for name, samples in times.items():
        median = statistics.median(samples)
        print("%-6s median %6.2f ms  %.2fx of plain  fastest %.2f ms" % (name, median * 1000, median / baseline,
                                                                            min(samples) * 1000))


if __name__ == "__main__":
    main()
