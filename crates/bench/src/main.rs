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
mod engine_figures;
mod figures;
mod fixture;
mod plain;
mod ratios;
mod report;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};

use ratios::verdict;

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
        return match figures::native_validation_json(path) {
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
    match runtime.block_on(run::run(&cli)) {
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
