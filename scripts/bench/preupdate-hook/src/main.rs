//! Four ways to run the floor's UPDATE of 10 000 tokens (3 fields) on SQLite, taking turns, 55 measured
//! rounds each, each in its own transaction with the service's pragmas (WAL, `synchronous` FULL):
//!
//! 1. the plain UPDATE (joined to the id list, as the store writes it);
//! 2. the same with a preupdate hook copying each row's id and its status, expiry, quota and group before
//!    and after into a buffer, then inserted as one BLOB row: the history of the batch without a row per token;
//! 3. a history row per token (`INSERT … SELECT`, 12 typed columns, rowid = change · 2^20 + place) then the
//!    UPDATE: what the store does;
//! 4. the plain UPDATE with the hook registered but doing nothing: what SQLite itself pays for a hook.
//!
//! Prints each median and its ratio to the first.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use sqlx::sqlite::{
    PreupdateHookResult, SqliteConnectOptions, SqliteJournalMode, SqliteOperation,
    SqliteSynchronous, SqliteValueRef,
};
use sqlx::{Connection, Decode, Sqlite, SqliteConnection, ValueRef};

const TOKENS: i64 = 20_480;
const BATCH: usize = 10_000;
const ROUNDS: usize = 60;
const WARM_UP: usize = 5;

const UPDATE: &str = r#"UPDATE tokens SET expired_time = ?, remain_quota = ?, "group" = ?
    FROM json_each(?) AS j WHERE tokens.id = j.value"#;
const HISTORY_ROWS: &str = r#"INSERT INTO history_rows SELECT ? * 1048576 + j.key, ?, t.id, t.user_id,
    t.status, t."group", t.expired_time, t.remain_quota, t.status, ?, ?, ?
    FROM json_each(?) AS j JOIN tokens AS t ON t.id = j.value"#;

/// The buffer the hook fills while `recording`.
#[derive(Default)]
struct Recorder {
    recording: bool,
    bytes: Vec<u8>,
    rows: usize,
}

impl Recorder {
    fn integer(&mut self, value: Option<SqliteValueRef<'_>>) {
        match value
            .filter(|v| !v.is_null())
            .and_then(|v| <i64 as Decode<Sqlite>>::decode(v).ok())
        {
            Some(v) => {
                self.bytes.push(1);
                self.bytes.extend_from_slice(&v.to_le_bytes());
            }
            None => self.bytes.push(0),
        }
    }

    fn text(&mut self, value: Option<SqliteValueRef<'_>>) {
        match value
            .filter(|v| !v.is_null())
            .and_then(|v| <&str as Decode<Sqlite>>::decode(v).ok())
        {
            Some(v) => {
                self.bytes.push(1);
                self.bytes
                    .extend_from_slice(&(v.len() as u32).to_le_bytes());
                self.bytes.extend_from_slice(v.as_bytes());
            }
            None => self.bytes.push(0),
        }
    }
}

// Column positions in new-api's tokens table.
const STATUS: i32 = 3;
const EXPIRED_TIME: i32 = 7;
const REMAIN_QUOTA: i32 = 8;
const GROUP: i32 = 14;

fn record(recorder: &Mutex<Recorder>, change: PreupdateHookResult<'_>) {
    if change.operation != SqliteOperation::Update || change.table != "tokens" {
        return;
    }
    let mut r = recorder.lock().unwrap();
    if !r.recording {
        return;
    }
    let id = change.get_old_row_id().unwrap();
    r.bytes.extend_from_slice(&id.to_le_bytes());
    for column in [STATUS, EXPIRED_TIME, REMAIN_QUOTA] {
        r.integer(change.get_old_column_value(column).ok());
    }
    r.text(change.get_old_column_value(GROUP).ok());
    for column in [STATUS, EXPIRED_TIME, REMAIN_QUOTA] {
        r.integer(change.get_new_column_value(column).ok());
    }
    r.text(change.get_new_column_value(GROUP).ok());
    r.rows += 1;
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), sqlx::Error> {
    let path = std::env::temp_dir().join("preupdate-hook-probe.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full);
    let mut conn = SqliteConnection::connect_with(&options).await?;
    sqlx::raw_sql(include_str!("schema.sql"))
        .execute(&mut conn)
        .await?;
    sqlx::query(include_str!("tokens.sql"))
        .bind(TOKENS)
        .execute(&mut conn)
        .await?;
    let ids = format!(
        "[{}]",
        (1..=BATCH)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    let recorder = Arc::new(Mutex::new(Recorder::default()));

    let names = [
        "plain UPDATE",
        "UPDATE + preupdate hook + one BLOB row",
        "history row per token + UPDATE",
        "UPDATE, hook registered doing nothing",
    ];
    let mut times: [Vec<f64>; 4] = Default::default();
    let mut change = 0_i64;
    for round in 0..ROUNDS {
        for turn in 0..4 {
            let variant = (turn + round) % 4;
            change += 1;
            let (group, expiry, quota) =
                (format!("g{change}"), 1_800_000_000 + change, 1_000 + change);
            let update = || {
                sqlx::query(UPDATE)
                    .bind(expiry)
                    .bind(quota)
                    .bind(&group)
                    .bind(&ids)
            };
            let started = Instant::now();
            let mut tx = conn.begin().await?;
            if variant == 1 || variant == 3 {
                let recorder = recorder.clone();
                let mut handle = tx.lock_handle().await?;
                handle.set_preupdate_hook(move |change| record(&recorder, change));
            }
            if variant == 1 {
                let mut r = recorder.lock().unwrap();
                (r.recording, r.rows) = (true, 0);
                r.bytes.clear();
            }
            if variant == 2 {
                sqlx::query(HISTORY_ROWS)
                    .bind(change)
                    .bind(change)
                    .bind(&group)
                    .bind(expiry)
                    .bind(quota)
                    .bind(&ids)
                    .execute(&mut *tx)
                    .await?;
            }
            update().execute(&mut *tx).await?;
            if variant == 1 {
                let bytes = {
                    let mut r = recorder.lock().unwrap();
                    r.recording = false;
                    assert_eq!(r.rows, BATCH, "the hook saw every updated row");
                    std::mem::take(&mut r.bytes)
                };
                sqlx::query("INSERT INTO history_blobs (change_id, data) VALUES (?, ?)")
                    .bind(change)
                    .bind(bytes)
                    .execute(&mut *tx)
                    .await?;
            }
            if variant == 1 || variant == 3 {
                tx.lock_handle().await?.remove_preupdate_hook();
            }
            tx.commit().await?;
            if round >= WARM_UP {
                times[variant].push(started.elapsed().as_secs_f64() * 1e3);
            }
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let plain = median(&mut times[0].clone());
    for (name, mut runs) in names.iter().zip(times) {
        let m = median(&mut runs);
        println!("{name:42} {m:7.2} ms  {:.2}×", m / plain);
    }
    Ok(())
}
