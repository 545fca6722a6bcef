//! Printing the part-one figures (docs/SPEC.md §8), and the one way every figure prints a duration.

use std::time::Duration;

use crate::figures::{fastest, median, Alternative, Floor, Footprint, Load, Validation};

/// A duration in milliseconds with two decimals, as every figure prints it.
pub(crate) fn ms(duration: Duration) -> String {
    format!("{:.2} ms", duration.as_secs_f64() * 1000.0)
}

/// One line per `(name, samples)`: the samples' median and fastest, names padded to `width`.
pub(crate) fn print_timings(width: usize, rows: &[(&str, &[Duration])]) {
    for (name, samples) in rows {
        println!(
            "  {name:<width$} median {}  min {}",
            ms(median(samples)),
            ms(fastest(samples))
        );
    }
}

pub(crate) fn print_floor(floor: &Floor) {
    println!(
        "(1) floor, {}: one {}-token batch of 3 fields, {} runs each, taking turns",
        floor.engine.name(),
        floor.tokens,
        floor.http.len()
    );
    println!(
        "  PUT /api/token/batch (HTTP, end to end)  median {}  min {}",
        ms(median(&floor.http)),
        ms(fastest(&floor.http))
    );
    println!(
        "  gRPC, full view (per-token results)      median {}  min {}",
        ms(median(&floor.grpc)),
        ms(fastest(&floor.grpc))
    );
    println!(
        "  gRPC, BATCH_RESULT_VIEW_COUNTS          median {}  min {}",
        ms(median(&floor.grpc_counts)),
        ms(fastest(&floor.grpc_counts))
    );
    println!(
        "  the same UPDATE with sqlx, same file/rows median {}  min {}",
        ms(median(&floor.sql)),
        ms(fastest(&floor.sql))
    );
    println!(
        "  ratio {:.2}× of the medians (target ≤ 1.5×); {:.2}× of the fastest runs; gRPC {:.2}× full view, \
         {:.2}× counts view",
        floor.ratio(),
        floor.ratio_of_minimums(),
        floor.grpc_ratio(),
        floor.grpc_counts_ratio()
    );
}

pub(crate) fn print_alternative(alternative: &Alternative) {
    println!(
        "(2) alternative: {} tokens, one request per token (sequential, one keep-alive connection) vs one batch",
        alternative.tokens
    );
    println!(
        "  one at a time  {} in all ({} per request)",
        ms(alternative.one_by_one),
        ms(alternative.one_by_one / alternative.tokens as u32)
    );
    println!(
        "  one batch      median {} of {}",
        ms(median(&alternative.batch)),
        alternative.batch.len()
    );
    println!("  ratio {:.0}× faster (target ≥ 100×)", alternative.ratio());
}

pub(crate) fn print_load(load: &Load) {
    println!(
        "(3) throughput, {}, {}: {}-id batches, {} clients (disjoint ids), {:.1} s measured",
        load.engine.name(),
        load.protocol.name(),
        load.batch,
        load.concurrency,
        load.elapsed.as_secs_f64()
    );
    println!(
        "  {:.0} requests/s ({} requests, every answer checked)  p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
        load.per_second(),
        load.requests,
        load.percentile_ms(0.5),
        load.percentile_ms(0.99),
        load.latency.max() as f64 / 1000.0
    );
}

pub(crate) fn print_validation(validation: &Validation) {
    println!(
        "\n(4) validation, native: 10 000 ids and every field ({} bytes), median",
        validation.body_bytes
    );
    println!(
        "  check_body                {:.3} ms (target ≤ 1 ms; criterion: cargo bench -p tokenbatch-rules)",
        validation.check_body.as_secs_f64() * 1000.0
    );
    println!(
        "  validateBody's code       {:.3} ms (the WebAssembly comparison's baseline: scripts/bench-wasm.sh)",
        validation.body_verdict.as_secs_f64() * 1000.0
    );
}

pub(crate) fn print_footprint(footprint: &Footprint) {
    let max_rss = footprint.idle_rss_kib.iter().max().copied().unwrap_or(0);
    println!(
        "\n(5) footprint: `tokenbatch serve` on an existing SQLite file with {} tokens, {} starts",
        footprint.tokens,
        footprint.ready.len()
    );
    println!(
        "  process start to ready line  median {}  max {} (target ≤ 300 ms)",
        ms(median(&footprint.ready)),
        ms(footprint.ready.iter().max().copied().unwrap_or_default())
    );
    println!(
        "  idle RSS (VmRSS, 1 s after ready)  max {:.1} MiB (target ≤ 30 MiB)",
        max_rss as f64 / 1024.0
    );
    println!(
        "  web/pkg/tokenbatch_wasm_bg.wasm  {:.1} KiB raw (≤ 150), {:.1} KiB gzip -9 (≤ 60)",
        footprint.wasm_raw as f64 / 1024.0,
        footprint.wasm_gzip as f64 / 1024.0
    );
}
