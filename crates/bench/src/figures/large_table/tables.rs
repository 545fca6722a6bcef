//! The two tables of the figure: seeded in a fresh schema, served (with auto_explain or not), and what each
//! server's batches did to `tokens`, read from PostgreSQL's counters once the server has stopped.

use std::time::Duration;

use sqlx::Row;
use tokenbatch_store::{Location, Store};
use tokenbatch_testkit::{seed, RawDb, TestDatabase};

use super::{Layout, Phase};
use crate::fixture::{BoxError, Engine, Fixture, User};

/// `tokens`' counters in `pg_stat_user_tables`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Scans {
    pub seq_scan: i64,
    pub seq_tup_read: i64,
    pub idx_scan: i64,
    pub idx_tup_fetch: i64,
}

impl Scans {
    async fn read(db: &TestDatabase) -> Result<Scans, BoxError> {
        let RawDb::Postgres(pool) = &db.raw else {
            return Err("the large-table figure runs on PostgreSQL".into());
        };
        let row = sqlx::query(
            "SELECT seq_scan, seq_tup_read, COALESCE(idx_scan, 0), COALESCE(idx_tup_fetch, 0) \
             FROM pg_stat_user_tables WHERE schemaname = current_schema() AND relname = 'tokens'",
        )
        .fetch_one(pool)
        .await?;
        Ok(Scans {
            seq_scan: row.try_get(0)?,
            seq_tup_read: row.try_get(1)?,
            idx_scan: row.try_get(2)?,
            idx_tup_fetch: row.try_get(3)?,
        })
    }

    fn since(self, before: Scans) -> Scans {
        Scans {
            seq_scan: self.seq_scan - before.seq_scan,
            seq_tup_read: self.seq_tup_read - before.seq_tup_read,
            idx_scan: self.idx_scan - before.idx_scan,
            idx_tup_fetch: self.idx_tup_fetch - before.idx_tup_fetch,
        }
    }
}

/// A seeded table, served or not.
pub(super) struct Seeded {
    pub(super) db: TestDatabase,
    pub(super) user: User,
    pub(super) rows: i64,
    pub(super) ids: Vec<i64>,
}

/// A fresh schema with `users` users of `batch` tokens each, laid out as `layout`; the benchmark user is the
/// middle one.
pub(super) async fn seeded(
    url: &str,
    batch: i64,
    users: i64,
    layout: Layout,
) -> Result<Seeded, BoxError> {
    let db = Fixture::database(Engine::Postgres, Some(url)).await?;
    let store = Store::open(&db.location).await?;
    let middle = users / 2;
    let mut owners = Vec::new();
    let mut bench: Option<User> = None;
    for index in 0..users {
        let user = seed::add_user(&store, &format!("bench{index}"), "default").await?;
        owners.push(user.id);
        if index == middle {
            bench = Some(user);
        }
    }
    store.close().await;
    let rows = batch * users;
    let ids = match layout {
        Layout::Blocks => {
            for (index, owner) in (0..).zip(&owners) {
                let first = index * batch + 1;
                seed::bulk_tokens(&db, &[*owner], first..=first + batch - 1, "bench").await;
            }
            (middle * batch + 1..=(middle + 1) * batch).collect()
        }
        Layout::Interleaved => {
            // Token `id` belongs to owners[id % users].
            seed::bulk_tokens(&db, &owners, 1..=rows, "bench").await;
            (1..=rows).filter(|id| id % users == middle).collect()
        }
    };
    db.execute("ANALYZE tokens").await;
    Ok(Seeded {
        db,
        user: bench.ok_or("no user")?,
        rows,
        ids,
    })
}

/// A table's server, and `tokens`' counters when it started.
pub(super) struct Served {
    pub(super) fx: Fixture,
    pub(super) rows: i64,
    pub(super) ids: Vec<i64>,
    pub(super) before: Scans,
}

/// Serves `table`, with every statement explained (auto_explain, `EXPLAIN ANALYZE` sent back as a notice)
/// when `explain`.
pub(super) async fn serve(table: Seeded, explain: bool) -> Result<Served, BoxError> {
    let before = Scans::read(&table.db).await?;
    let Location::Postgres(url) = &table.db.location else {
        return Err("the large-table figure runs on PostgreSQL".into());
    };
    let location = match explain {
        true => Location::Postgres(format!(
            "{url}&options=-c%20session_preload_libraries%3Dauto_explain\
             %20-c%20auto_explain.log_min_duration%3D0%20-c%20auto_explain.log_level%3Dnotice\
             %20-c%20auto_explain.log_analyze%3Don"
        )),
        false => Location::Postgres(url.clone()),
    };
    Ok(Served {
        fx: Fixture::serve_through(table.db, location, table.user).await?,
        rows: table.rows,
        ids: table.ids,
        before,
    })
}

/// Stops the server, then reads what its connections did to `tokens`: a backend flushes its counters when it
/// exits (half a second is plenty on this machine).
pub(super) async fn stop(served: Served, batches: usize) -> Result<(Seeded, Phase), BoxError> {
    let user = served.fx.user.clone();
    let db = served
        .fx
        .stop_server()
        .await
        .ok_or("the database went away")?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let scans = Scans::read(&db).await?.since(served.before);
    let table = Seeded {
        db,
        user,
        rows: served.rows,
        ids: served.ids,
    };
    Ok((table, Phase { batches, scans }))
}
