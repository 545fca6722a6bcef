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

mod plans;
mod tables;

use std::path::Path;
use std::time::{Duration, Instant};

use crate::client::{batch_body, filter_batch_body, HttpConnection};
use crate::figures::{median, Rounds};
use crate::fixture::BoxError;
use plans::explained;
use tables::{seeded, serve, stop, Scans};

pub const FILTER: &str = r#"{"status":["enabled"]}"#;

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
