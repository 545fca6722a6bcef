//! tokenbatch-bench: docs/SPEC.md §8's and §14's figures, each with its baseline measured in the same run
//! (docs/BENCHMARKS.md).
//!
//!     cargo run --release -p tokenbatch-bench                      every figure on SQLite
//!     cargo run --release -p tokenbatch-bench -- --postgres        … and on PostgreSQL (local trust URL),
//!                                                                  with the large-table figure
//!     cargo run --release -p tokenbatch-bench -- --only floor,throughput
//!     cargo run --release -p tokenbatch-bench -- --only quota-add,plan   SPEC §14's quota and plan bars
//!     cargo run --release -p tokenbatch-bench -- --quick           a few seconds; exits 1 when a ratio is
//!                                                                  past twice its target (CI)
//!
//! The server is the real one (`tokenbatch::serve::start_with`) on 127.0.0.1:0, in a runtime of its own with
//! two workers as the binary has on this machine, logging at `info` as the binary does (to a file); the load
//! comes from a single-threaded runtime in the same process. The footprint figure runs the `tokenbatch`
//! binary itself (next to this one, or `--tokenbatch PATH`).

mod client;
mod figures;
mod filter_batch;
mod fixture;
mod large_table;
mod plain;
mod plan;
mod quota_add;
mod ratios;
mod report;
mod revert;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Parser, ValueEnum};

use figures::{Load, LoadSpec, Protocol, Rounds};
use fixture::{BoxError, Engine, Fixture};
use ratios::{verdict, Ratio};
use report::{print_alternative, print_floor, print_footprint, print_load, print_validation};

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

#[derive(Debug, Parser)]
#[command(
    name = "tokenbatch-bench",
    about = "tokenbatch against its floor (plain sqlx) and its alternative (one request per token)"
)]
struct Cli {
    /// A few seconds: smaller runs, footprint skipped, and exit status 1 when a ratio is past twice its
    /// target (the CI guard; ratios only, never absolute timings).
    #[arg(long)]
    quick: bool,
    /// Also measure on PostgreSQL, in a schema of its own (created and dropped) at this admin URL.
    #[arg(long, num_args = 0..=1, default_missing_value = DEFAULT_POSTGRES, value_name = "URL")]
    postgres: Option<String>,
    /// Only these figures.
    #[arg(long, value_delimiter = ',', value_enum)]
    only: Vec<Figure>,
    /// Clients of the throughput figure.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Measured seconds per protocol in the throughput figure (default 10, quick 2).
    #[arg(long)]
    seconds: Option<f64>,
    /// The `tokenbatch` binary for the footprint figure (default: next to this executable).
    #[arg(long, env = "TOKENBATCH_BIN")]
    tokenbatch: Option<PathBuf>,
    /// The large-table figure with every user's tokens interleaved (the worst layout: each of the user's rows
    /// on a page of its own) instead of one block per user.
    #[arg(long)]
    interleaved: bool,
    /// Where the in-process server logs (default: a file in a temporary directory).
    #[arg(long)]
    server_log: Option<PathBuf>,
    /// Only write the validation body, its context and the native timings as JSON to this file, for
    /// scripts/bench-wasm.sh.
    #[arg(long, value_name = "FILE")]
    native_validation_json: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Figure {
    Floor,
    Alternative,
    Throughput,
    Validation,
    Footprint,
    /// §14: a batch by filter on SQLite against the plain UPDATE with the same WHERE.
    FilterBatch,
    /// §14: on PostgreSQL (needs --postgres), a batch on a table of 1 000 000 tokens against one of 10 000.
    LargeTable,
    /// §14: `"remain_quota": {"add": n}` on 10 000 tokens against the plain `remain_quota + ?` UPDATE.
    QuotaAdd,
    /// §14: a 10 000-token batch previewed, then applied by its plan, against the floor's plain UPDATE.
    Plan,
    /// §14: the revert of a 10 000-token change set against the floor's plain UPDATE.
    Revert,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(path) = &cli.native_validation_json {
        return match native_validation_json(path) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("tokenbatch-bench: {error}");
                ExitCode::FAILURE
            }
        };
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(run(&cli)) {
        Ok(ratios) => verdict(cli.quick, &ratios),
        Err(error) => {
            eprintln!("tokenbatch-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

fn wanted(cli: &Cli, figure: Figure) -> bool {
    let default = !(cli.quick && figure == Figure::Footprint);
    match cli.only.is_empty() {
        true => default,
        false => cli.only.contains(&figure),
    }
}

async fn run(cli: &Cli) -> Result<Vec<Ratio>, BoxError> {
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

async fn measure_engine(
    cli: &Cli,
    fx: &Fixture,
    next: &Rounds,
    ratios: &mut Vec<Ratio>,
) -> Result<(), BoxError> {
    let engine = fx.engine.name();
    if wanted(cli, Figure::Floor) {
        let floor = figures::floor(fx, 10_000, if cli.quick { 9 } else { 15 }, next).await?;
        print_floor(&floor);
        ratios.push(Ratio {
            name: format!("floor, {engine}: HTTP batch / plain sqlx UPDATE"),
            value: floor.ratio(),
            target: 1.5,
            at_most: true,
            guarded: true,
        });
        ratios.push(Ratio {
            name: format!("floor, {engine}: gRPC, counts view / plain"),
            value: floor.grpc_counts_ratio(),
            target: 1.5,
            at_most: true,
            guarded: true,
        });
    }
    if wanted(cli, Figure::Alternative) && fx.engine == Engine::Sqlite {
        let sizes: &[i64] = if cli.quick {
            &[1_000]
        } else {
            &[1_000, 10_000]
        };
        for &tokens in sizes {
            let alternative = figures::alternative(fx, tokens, 5, next).await?;
            print_alternative(&alternative);
            ratios.push(Ratio {
                name: format!("alternative, {engine}: {tokens} one-id requests / one batch"),
                value: alternative.ratio(),
                target: 100.0,
                at_most: false,
                guarded: true,
            });
        }
    }
    // §14's bars on this fixture; --quick takes 2 000 tokens (the CI guard), the bars are set for 10 000.
    let (tokens, rounds) = if cli.quick { (2_000, 9) } else { (10_000, 15) };
    if wanted(cli, Figure::QuotaAdd) {
        let figure = quota_add::quota_add(fx, tokens, rounds).await?;
        quota_add::print(&figure);
        ratios.push(Ratio {
            name: format!("quota add, {engine}: {{\"add\"}} / UPDATE … remain_quota + ?"),
            value: figure.ratio(),
            target: 1.5,
            at_most: true,
            guarded: true,
        });
    }
    if wanted(cli, Figure::Plan) {
        // The plan figure takes the bar's 10 000 tokens even in --quick (9 rounds, about 1.5 s): at 2 000, the
        // two requests' fixed costs (HTTP, sign-in, the plan's row, two commits) against a 4 ms UPDATE read
        // 3.4-5.2x, so the guard would fail on noise alone.
        let figure = plan::plan(fx, 10_000, rounds, next).await?;
        plan::print(&figure);
        ratios.push(Ratio {
            name: format!("plan, {engine}: preview + apply / the floor's UPDATE"),
            value: figure.ratio(),
            target: 2.5,
            at_most: true,
            // 6-10× when the figure was added, about 2.5× since the plan's per-token data is written directly
            // and compactly and the preview answers a first page; 5.5-6.5× since every apply is recorded in
            // the history (SPEC §12), whose rows about double what SQLite writes and commits. Not guarded
            // while it misses its target by more than the guard's margin: docs/BENCHMARKS.md, figure 9.
            guarded: false,
        });
    }
    if wanted(cli, Figure::Revert) {
        // The bar's 10 000 tokens in --quick too, as the plan figure: fixed costs weigh too much at 2 000.
        let figure = revert::revert(fx, 10_000, rounds, next).await?;
        revert::print(&figure);
        ratios.push(figure.target());
    }
    if wanted(cli, Figure::Throughput) {
        let seconds = cli.seconds.unwrap_or(if cli.quick { 2.0 } else { 10.0 });
        // Each protocol in two halves, alternating, so drift weighs on both alike.
        let half = Duration::from_secs_f64(seconds / 2.0);
        let warmup = Duration::from_millis(if cli.quick { 300 } else { 1000 });
        let mut runs: Vec<Load> = Vec::new();
        for _ in 0..2 {
            for protocol in [Protocol::Http, Protocol::Grpc] {
                let spec = LoadSpec {
                    protocol,
                    concurrency: cli.concurrency,
                    batch: 10,
                    pool_tokens: 10_240,
                    warmup,
                    measure: half,
                };
                runs.push(figures::load(fx, spec, next).await?);
            }
        }
        let http = merge(runs.iter().filter(|run| run.protocol == Protocol::Http))?;
        let grpc = merge(runs.iter().filter(|run| run.protocol == Protocol::Grpc))?;
        print_load(&http);
        print_load(&grpc);
        if fx.engine == Engine::Sqlite {
            println!(
                "  target ≥ 5 000 requests/s over HTTP: {}",
                if http.per_second() >= 5_000.0 {
                    "meets"
                } else {
                    "MISSES"
                }
            );
        }
        ratios.push(Ratio {
            name: format!("shim, {engine}: HTTP / gRPC time per request"),
            value: grpc.per_second() / http.per_second(),
            target: 1.15,
            at_most: true,
            guarded: true,
        });
    }
    Ok(())
}

fn merge<'a>(mut runs: impl Iterator<Item = &'a Load>) -> Result<Load, BoxError> {
    let first = runs.next().ok_or("no run")?;
    let mut merged = Load {
        engine: first.engine,
        protocol: first.protocol,
        concurrency: first.concurrency,
        batch: first.batch,
        requests: first.requests,
        elapsed: first.elapsed,
        latency: first.latency.clone(),
    };
    for run in runs {
        merged.requests += run.requests;
        merged.elapsed += run.elapsed;
        merged.latency.add(&run.latency)?;
    }
    Ok(merged)
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

/// For scripts/bench-wasm.sh: the body, the context the page would pass, and the native medians.
fn native_validation_json(path: &std::path::Path) -> Result<(), BoxError> {
    let validation = figures::validation(10_000, 500)?;
    let document = serde_json::json!({
        "body": figures::validation_body(10_000),
        "now": figures::validation_now(),
        "allowed_groups": figures::validation_groups(),
        "native_check_body_ms": validation.check_body.as_secs_f64() * 1000.0,
        "native_validate_body_ms": validation.body_verdict.as_secs_f64() * 1000.0,
        "release": !cfg!(debug_assertions),
    });
    std::fs::write(path, serde_json::to_string(&document)?)?;
    Ok(())
}
