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
import sqlite3, time, os, json, statistics, random
import tempfile
path=os.path.join(tempfile.mkdtemp(), 'history.db')
for s in ('','-wal','-shm'):
    try: os.remove(path+s)
    except FileNotFoundError: pass
c=sqlite3.connect(path, isolation_level=None)
c.execute("pragma journal_mode=wal"); c.execute("pragma synchronous=full")
c.execute('''CREATE TABLE tokens (id integer primary key autoincrement, user_id integer, key char(48), status integer default 1,
 name text, created_time bigint, accessed_time bigint, expired_time bigint default -1, remain_quota bigint default 0,
 unlimited_quota numeric default 0, model_limits_enabled numeric default 0, model_limits varchar(1024) default '',
 allow_ips text default '', used_quota bigint default 0, "group" text default '', deleted_at datetime,
 cross_group_retry numeric default 0, auto_groups text default '', mj_image_mode text default '', mj_custom_proxy text default '')''')
c.execute("create index idx_tokens_user_id on tokens(user_id)")
c.execute("create unique index idx_tokens_key on tokens(key)")
c.execute("BEGIN")
for i in range(1,20481):
    c.execute("insert into tokens(id,user_id,key,name,created_time,accessed_time,expired_time,remain_quota,\"group\") values(?,?,?,?,?,?,?,?,?)",
      (i, 1 if i<=10240 else 2, '%048x'%random.getrandbits(192), 'tok-%d'%i, 1700000000, 1700000000, 1800000000+i, 1000+i, 'default'))
c.execute("COMMIT")
c.execute("CREATE TABLE hist (id integer primary key, token_id integer, b_status integer, b_group text, b_exp bigint, b_quota bigint, b_unl integer, b_auto integer)")
c.execute("CREATE TABLE hist_blob (change_id integer primary key, data text)")
ids=json.dumps(list(range(1,10001)))
OWN=" FROM json_each(?) AS j CROSS JOIN tokens AS t ON t.id = j.value WHERE t.user_id = 1 AND t.deleted_at IS NULL"
UPD="UPDATE tokens SET \"group\"=?, expired_time=?, remain_quota=?, status = CASE WHEN COALESCE(status,1)=1 AND (? <> -1 AND ? <= 1700000000) THEN 3 ELSE COALESCE(status,1) END, cross_group_retry=0, auto_groups='' WHERE id IN (SELECT value FROM json_each(?)) AND user_id=1 AND deleted_at IS NULL AND (COALESCE(\"group\",'') IS NOT ? OR COALESCE(expired_time,-1) IS NOT ? OR COALESCE(remain_quota,0) IS NOT ?)"
PLAIN="UPDATE tokens SET \"group\"=?, expired_time=?, remain_quota=? WHERE id IN (SELECT value FROM json_each(?)) AND user_id=1 AND deleted_at IS NULL"
cid=[0]
def plain(v):
    c.execute("BEGIN IMMEDIATE"); c.execute(PLAIN,('g%d'%v, 1900000000+v, 5000+v, ids)); c.execute("COMMIT")
def upd(v):
    g,e,q='g%d'%v, 1900000000+v, 5000+v
    c.execute(UPD,(g,e,q,e,e,ids,g,e,q))
def floor(v):
    c.execute("BEGIN IMMEDIATE"); c.execute("SELECT count(*)"+OWN,(ids,)).fetchone(); upd(v); c.execute("COMMIT")
def rows(v):
    c.execute("BEGIN IMMEDIATE"); c.execute("SELECT count(*)"+OWN,(ids,)).fetchone(); cid[0]+=1
    c.execute("INSERT INTO hist SELECT ?*1048576+j.key, t.id, t.status, t.\"group\", t.expired_time, t.remain_quota, t.unlimited_quota, t.cross_group_retry"+OWN,(cid[0],ids))
    upd(v); c.execute("COMMIT")
def agg(v):
    c.execute("BEGIN IMMEDIATE"); cid[0]+=1
    n,packed=c.execute("SELECT count(*), json_group_array(json_array(t.id, t.status, t.\"group\", t.expired_time, t.remain_quota, t.unlimited_quota, t.cross_group_retry))"+OWN,(ids,)).fetchone()
    c.execute("INSERT INTO hist_blob VALUES(?,?)",(cid[0],packed))
    upd(v); c.execute("COMMIT")
fs=[plain,floor,rows,agg]
res={f.__name__:[] for f in fs}
v=0
for r in range(60):
    order=fs[r%4:]+fs[:r%4]
    for f in order:
        v+=1; t=time.perf_counter(); f(v); res[f.__name__].append(time.perf_counter()-t)
b=statistics.median(res['plain'])
for k,x in res.items(): print(k, '%.2f ms'%(statistics.median(x)*1000), '%.2fx'%(statistics.median(x)/b), 'min %.2f'%(min(x)*1000))
