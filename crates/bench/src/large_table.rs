//! Figure 7 (docs/SPEC.md §14, last bar): on PostgreSQL, the benchmark user's batch of `batch` (10 000) tokens
//! on a table of `large` (1 000 000) tokens against the same batch on a table holding only those tokens. In the
//! large table the user is one of `large / batch` users, laid out as [`Layout`] says. Both tables are served at
//! once and the batches take turns: by filter (`{"status":["enabled"]}` with `expected_count`: the select by
//! filter, then the batch of those ids) and by ids (the §8 body).
//!
//! "Indexes used, no scans" is shown twice: PostgreSQL's own counters for `tokens` (`pg_stat_user_tables`,
//! read after each server has stopped, when its connections have flushed them) over every batch the server
//! ran, and the plans of the statements themselves: one more filter batch through a server whose connections
//! load `auto_explain` (`EXPLAIN ANALYZE` of every statement it runs, sent back as notices, which sqlx logs
//! and this figure reads back from the server log).

use std::path::Path;
use std::time::{Duration, Instant};

use sqlx::Row;
use tokenbatch_store::{Location, Store};
use tokenbatch_testkit::{seed, RawDb, TestDatabase};

use crate::client::{batch_body, filter_batch_body, HttpConnection};
use crate::figures::{median, Rounds};
use crate::fixture::{BoxError, Engine, Fixture, User};

pub const FILTER: &str = r#"{"status":["enabled"]}"#;

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

/// Where the benchmark user's tokens lie in the large table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Every user's tokens in one block of consecutive ids, as an operator creates them in bulk; the
    /// benchmark user's block in the middle of the table. Only the table's size differs from the small one:
    /// what the bar is about.
    Blocks,
    /// Token `id` belongs to user `id % users`: each of the user's rows on a page of its own, as tokens
    /// created one by one over time by many users. The batch then reads and writes 10 000 pages where the
    /// small table has 264, whatever the statements (docs/BENCHMARKS.md, figure 7).
    Interleaved,
}

impl Layout {
    pub fn name(self) -> &'static str {
        match self {
            Layout::Blocks => "one block per user",
            Layout::Interleaved => "interleaved",
        }
    }
}

/// A seeded table, served or not.
struct Seeded {
    db: TestDatabase,
    user: User,
    rows: i64,
    ids: Vec<i64>,
}

/// What the batches of one phase did to `tokens`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Phase {
    pub batches: usize,
    pub scans: Scans,
}

pub struct LargeTable {
    pub layout: Layout,
    pub batch: usize,
    pub small_rows: i64,
    pub large_rows: i64,
    pub filter_small: Vec<Duration>,
    pub filter_large: Vec<Duration>,
    pub ids_small: Vec<Duration>,
    pub ids_large: Vec<Duration>,
    /// The first batches on the freshly analyzed tables (one of each kind), then the measured ones:
    /// `[small, large]`.
    pub warm_up: [Phase; 2],
    pub measured: [Phase; 2],
    /// auto_explain's plans of the statements on `tokens`: the warm-up's on the large table, and one more
    /// batch of each kind on it after the measured ones.
    pub plans_fresh: Vec<String>,
    pub plans_after: Vec<String>,
}

impl LargeTable {
    pub fn filter_ratio(&self) -> f64 {
        median(&self.filter_large).as_secs_f64() / median(&self.filter_small).as_secs_f64()
    }

    pub fn ids_ratio(&self) -> f64 {
        median(&self.ids_large).as_secs_f64() / median(&self.ids_small).as_secs_f64()
    }
}

/// A fresh schema with `users` users of `batch` tokens each, laid out as `layout`; the benchmark user is the
/// middle one.
async fn seeded(url: &str, batch: i64, users: i64, layout: Layout) -> Result<Seeded, BoxError> {
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
struct Served {
    fx: Fixture,
    rows: i64,
    ids: Vec<i64>,
    before: Scans,
}

/// Serves `table`, with every statement explained (auto_explain, `EXPLAIN ANALYZE` sent back as a notice)
/// when `explain`.
async fn serve(table: Seeded, explain: bool) -> Result<Served, BoxError> {
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
async fn stop(served: Served, batches: usize) -> Result<(Seeded, Phase), BoxError> {
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

/// One batch of each kind on each table, unrecorded, with the large table's statements explained; returns
/// the phases and the plans.
async fn explained(
    tables: [Seeded; 2],
    explain: [bool; 2],
    next: &Rounds,
    server_log: &Path,
) -> Result<([Seeded; 2], [Phase; 2], Vec<String>), BoxError> {
    let logged_before = std::fs::metadata(server_log)?.len();
    let [small, large] = tables;
    let served = [
        serve(small, explain[0]).await?,
        serve(large, explain[1]).await?,
    ];
    for table in &served {
        let count = table.ids.len();
        let mut http = HttpConnection::connect(table.fx.addr, &table.fx.user).await?;
        http.put_batch(filter_batch_body(FILTER, count, next.next()), count)
            .await?;
        http.put_batch(batch_body(&table.ids, next.next()), count)
            .await?;
    }
    let [small, large] = served;
    let (small, small_phase) = stop(small, 2).await?;
    let (large, large_phase) = stop(large, 2).await?;
    let log = std::fs::read(server_log)?;
    let added = String::from_utf8_lossy(&log[logged_before as usize..]).into_owned();
    Ok((
        [small, large],
        [small_phase, large_phase],
        plans_on_tokens(&added),
    ))
}

pub async fn large_table(
    url: &str,
    batch: i64,
    large: i64,
    layout: Layout,
    rounds: usize,
    next: &Rounds,
    server_log: &Path,
) -> Result<LargeTable, BoxError> {
    let started = Instant::now();
    let tables = [
        seeded(url, batch, 1, layout).await?,
        seeded(url, batch, large / batch, layout).await?,
    ];
    let (small_rows, large_rows) = (tables[0].rows, tables[1].rows);
    println!(
        "\nPostgreSQL: seeded tables of {small_rows} and {large_rows} tokens in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let (tables, warm_up, plans_fresh) = explained(tables, [false, true], next, server_log).await?;
    let [small, large_table] = tables;
    let served = [serve(small, false).await?, serve(large_table, false).await?];
    let count = served[0].ids.len();
    let mut connections = Vec::new();
    for table in &served {
        connections.push(HttpConnection::connect(table.fx.addr, &table.fx.user).await?);
    }
    let mut filter = [Vec::new(), Vec::new()];
    let mut by_ids = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        // The four take every place in the order in turn.
        for step in 0..4 {
            let which = (round + step) % 4;
            let table = which % 2;
            let http = &mut connections[table];
            let values = next.next();
            let started = Instant::now();
            if which < 2 {
                http.put_batch(filter_batch_body(FILTER, count, values), count)
                    .await?;
                filter[table].push(started.elapsed());
            } else {
                http.put_batch(batch_body(&served[table].ids, values), count)
                    .await?;
                by_ids[table].push(started.elapsed());
            }
        }
    }
    drop(connections);
    let [small, large_table] = served;
    let (small, small_phase) = stop(small, rounds * 2).await?;
    let (large_table, large_phase) = stop(large_table, rounds * 2).await?;
    let (_, _, plans_after) =
        explained([small, large_table], [false, true], next, server_log).await?;
    let [filter_small, filter_large] = filter;
    let [ids_small, ids_large] = by_ids;
    Ok(LargeTable {
        layout,
        batch: count,
        small_rows,
        large_rows,
        filter_small,
        filter_large,
        ids_small,
        ids_large,
        warm_up,
        measured: [small_phase, large_phase],
        plans_fresh,
        plans_after,
    })
}

/// The auto_explain notices in `log` whose statement reads or writes `tokens`: each from its `Query Text:` to
/// the next log line (a line starting with a timestamp).
fn plans_on_tokens(log: &str) -> Vec<String> {
    let is_log_line =
        |line: &str| line.len() > 20 && line.as_bytes()[4] == b'-' && line.as_bytes()[10] == b'T';
    let mut plans = Vec::new();
    let mut current: Option<String> = None;
    for line in log.lines() {
        if is_log_line(line) {
            plans.extend(current.take());
            if line.contains("sqlx::postgres::notice") && line.contains("plan:") {
                current = Some(String::new());
            }
            continue;
        }
        if let Some(plan) = current.as_mut() {
            plan.push_str(line);
            plan.push('\n');
        }
    }
    plans.extend(current);
    // The statements on `tokens` (not the readiness probe's `WHERE 1 = 0` on every table).
    plans.retain(|plan| {
        plan.starts_with("Query Text:") && plan.contains(" tokens") && !plan.contains("WHERE 1 = 0")
    });
    plans.iter().map(|plan| abbreviate_arrays(plan)).collect()
}

/// A custom plan shows the bound id list in full (`'{100,200,…}'::bigint[]`): the first few ids and the count.
fn abbreviate_arrays(plan: &str) -> String {
    let mut out = String::with_capacity(plan.len().min(8192));
    let mut rest = plan;
    while let Some(start) = rest.find("'{") {
        let Some(length) = rest[start..].find("}'") else {
            break;
        };
        let inner = &rest[start + 2..start + length];
        out.push_str(&rest[..start]);
        match inner.len() > 40 {
            true => {
                let shown: Vec<&str> = inner.split(',').take(3).collect();
                let count = inner.split(',').count();
                out.push_str(&format!("'{{{},… {count} ids}}'", shown.join(",")));
            }
            false => out.push_str(&rest[start..start + length + 2]),
        }
        rest = &rest[start + length + 2..];
    }
    out.push_str(rest);
    out
}

pub fn print(figure: &LargeTable) {
    let ms = |samples: &[Duration]| format!("{:.1} ms", median(samples).as_secs_f64() * 1000.0);
    println!(
        "(7) large table, PostgreSQL: the user's {}-token batch, on a table of {} tokens ({} users, \
         {}) and on one of {}; {} runs each, taking turns",
        figure.batch,
        figure.large_rows,
        figure.large_rows / figure.small_rows,
        figure.layout.name(),
        figure.small_rows,
        figure.filter_small.len()
    );
    println!(
        "  by filter {FILTER} + expected_count   {} rows: median {}   {} rows: median {}   ratio {:.2}× (target ≤ 1.3×)",
        figure.small_rows,
        ms(&figure.filter_small),
        figure.large_rows,
        ms(&figure.filter_large),
        figure.filter_ratio()
    );
    println!(
        "  by ids (the §8 body)                     {} rows: median {}   {} rows: median {}   ratio {:.2}× (target ≤ 1.3×)",
        figure.small_rows,
        ms(&figure.ids_small),
        figure.large_rows,
        ms(&figure.ids_large),
        figure.ids_ratio()
    );
    let phases = [
        ("first batches, freshly analyzed", figure.warm_up),
        ("measured batches", figure.measured),
    ];
    for (name, [small, large]) in phases {
        for (rows, phase) in [(figure.large_rows, large), (figure.small_rows, small)] {
            let per = |n: i64| n as f64 / phase.batches as f64;
            println!(
                "  tokens, table of {rows}, {name} ({}; pg_stat_user_tables, per batch): {:.1} sequential \
                 scans ({:.0} rows read), {:.1} index scans (one per id of an `= ANY` list; {:.0} rows fetched)",
                phase.batches,
                per(phase.scans.seq_scan),
                per(phase.scans.seq_tup_read),
                per(phase.scans.idx_scan),
                per(phase.scans.idx_tup_fetch)
            );
        }
    }
    println!(
        "  sequential scans of the {}-row table: {} in the first batches, {} in the measured ones",
        figure.large_rows, figure.warm_up[1].scans.seq_scan, figure.measured[1].scans.seq_scan
    );
    for (name, plans) in [
        ("first batches", &figure.plans_fresh),
        ("after the measured ones", &figure.plans_after),
    ] {
        println!(
            "  auto_explain on the {}-row table, {name} (one batch by filter, one by ids): {} statements on tokens",
            figure.large_rows,
            plans.len()
        );
        for plan in plans {
            for (index, line) in plan.lines().enumerate() {
                match index {
                    0 if line.len() > 150 => {
                        println!("    {}…", &line[..line.floor_char_boundary(150)])
                    }
                    _ => println!("    {line}"),
                }
            }
        }
    }
    if figure.plans_fresh.is_empty() && figure.plans_after.is_empty() {
        println!("  no plans captured (the server log needs sqlx::postgres::notice at info)");
    }
}
