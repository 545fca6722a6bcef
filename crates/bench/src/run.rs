//! One run of the benchmark: the server's log, the header, each engine's fixture with its figures, then the
//! figures that start what they need themselves (filter batch, large table, validation, footprint).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::engine_figures::measure_engine;
use crate::figures::{self, filter_batch, large_table, Rounds};
use crate::fixture::{BoxError, Engine, Fixture};
use crate::ratios::Ratio;
use crate::report::{print_footprint, print_validation};
use crate::{wanted, Cli, Figure};

pub async fn run(cli: &Cli) -> Result<Vec<Ratio>, BoxError> {
    let log_dir = tempfile::tempdir()?;
    let log_path = cli
        .server_log
        .clone()
        .unwrap_or_else(|| log_dir.path().join("server.log"));
    let log = std::fs::File::create(&log_path)?;
    tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(log))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    header(cli, &log_path);

    let mut ratios = Vec::new();
    let mut engines = vec![(Engine::Sqlite, None)];
    if let Some(url) = &cli.postgres {
        engines.push((Engine::Postgres, Some(url.as_str())));
    }
    let next = Rounds::default();
    // The figures on the fixture of 2 × 10 240 tokens, started once per engine.
    let load_figures = [
        Figure::Floor,
        Figure::Alternative,
        Figure::Throughput,
        Figure::QuotaAdd,
        Figure::Plan,
        Figure::Revert,
    ];
    for (engine, url) in engines {
        if !load_figures.iter().any(|figure| wanted(cli, *figure)) {
            break;
        }
        // Tokens 1..=10 240 of one user (1 024 disjoint 10-id sets, a multiple of 32 clients) and as many
        // of another user.
        let started = std::time::Instant::now();
        let fx = Fixture::start(engine, 10_240, url).await?;
        println!(
            "\n{}: seeded 2 × 10 240 tokens and started the server on {} in {:.1} s",
            engine.name(),
            fx.addr,
            started.elapsed().as_secs_f64()
        );
        let result = measure_engine(cli, &fx, &next, &mut ratios).await;
        fx.stop().await;
        result?;
    }
    if wanted(cli, Figure::FilterBatch) {
        let (total, rounds) = if cli.quick {
            (20_000, 15)
        } else {
            (100_000, 15)
        };
        let figure = filter_batch::filter_batch(total, rounds, &next).await?;
        filter_batch::print(&figure);
        ratios.push(Ratio {
            name: "filter batch, SQLite: by filter / UPDATE … WHERE filter".into(),
            value: figure.ratio(),
            target: 1.3,
            at_most: true,
            guarded: true,
        });
    }
    if wanted(cli, Figure::LargeTable) {
        match &cli.postgres {
            Some(url) => {
                let (batch, large, rounds) = match cli.quick {
                    true => (1_000, 100_000, 5),
                    false => (10_000, 1_000_000, 9),
                };
                let layout = match cli.interleaved {
                    true => large_table::Layout::Interleaved,
                    false => large_table::Layout::Blocks,
                };
                let figure =
                    large_table::large_table(url, batch, large, layout, rounds, &next, &log_path)
                        .await?;
                large_table::print(&figure);
                for (kind, value) in [
                    ("by filter", figure.filter_ratio()),
                    ("by ids", figure.ids_ratio()),
                ] {
                    ratios.push(Ratio {
                        name: format!(
                            "large table, PostgreSQL: {kind}, {} / {} rows ({})",
                            figure.large_rows,
                            figure.small_rows,
                            figure.layout.name()
                        ),
                        value,
                        target: 1.3,
                        at_most: true,
                        guarded: true,
                    });
                }
            }
            None if cli.only.contains(&Figure::LargeTable) => {
                return Err("the large-table figure runs on PostgreSQL: add --postgres".into());
            }
            None => {}
        }
    }
    if wanted(cli, Figure::Validation) {
        let runs = if cli.quick { 50 } else { 500 };
        print_validation(&figures::validation(10_000, runs)?);
    }
    if wanted(cli, Figure::Footprint) {
        let binary = match &cli.tokenbatch {
            Some(path) => path.clone(),
            None => std::env::current_exe()?.with_file_name("tokenbatch"),
        };
        if !binary.exists() {
            return Err(format!(
                "{} not found: build it first (cargo build --release -p tokenbatch) or pass --tokenbatch",
                binary.display()
            )
            .into());
        }
        print_footprint(&figures::footprint(&binary, 100_000, 5).await?);
    }
    Ok(ratios)
}

fn header(cli: &Cli, log: &std::path::Path) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split(':').nth(1))
                .map(|name| name.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "tokenbatch-bench {} — {} — {cores} cores ({cpu}) — {} build{}",
        env!("CARGO_PKG_VERSION"),
        tokenbatch_rules::time::format_utc(now),
        if cfg!(debug_assertions) {
            "DEBUG (numbers meaningless)"
        } else {
            "release"
        },
        if cli.quick { " — quick" } else { "" },
    );
    println!("server log: {}", log.display());
}
