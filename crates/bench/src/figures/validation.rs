//! Figure 4, native side: the rules on the 10 000-id body, and what scripts/bench-wasm.sh needs to time the
//! WebAssembly module on the same body.

use std::time::{Duration, Instant};

use super::median;
use crate::fixture::BoxError;

#[path = "../../../rules/benches/support/body.rs"]
mod body;

/// Figure 4 (native side): the rules on the 10 000-id body with every field.
pub struct Validation {
    pub body_bytes: usize,
    /// `tokenbatch_rules::check_body`, what the server runs.
    pub check_body: Duration,
    /// `validateBody`'s own code (the context, `check_body` and the JSON verdict), run natively: the
    /// baseline of the WebAssembly comparison.
    pub body_verdict: Duration,
}

pub fn validation(ids: usize, runs: usize) -> Result<Validation, BoxError> {
    let text = body::full_body(ids);
    let ctx = body::context();
    let batch = tokenbatch_rules::check_body(&text, &ctx)
        .map_err(|violations| format!("the bench body is invalid: {violations:?}"))?;
    if batch.ids().len() != ids || batch.fields().len() != 9 {
        return Err("the bench body did not keep every id and field".into());
    }
    let time = |f: &dyn Fn()| {
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs {
            let started = Instant::now();
            f();
            samples.push(started.elapsed());
        }
        median(&samples)
    };
    let check_body = time(&|| {
        std::hint::black_box(tokenbatch_rules::check_body(
            std::hint::black_box(&text),
            &ctx,
        ))
        .ok();
    });
    let body_verdict = time(&|| {
        let ctx =
            tokenbatch_wasm::verdict::context(body::NOW as f64, Some(body::allowed_groups()), None);
        let verdict = tokenbatch_wasm::verdict::body_verdict(
            std::hint::black_box(&text),
            &ctx,
            tokenbatch_rules::Lang::ZhCn,
        );
        std::hint::black_box(verdict);
    });
    Ok(Validation {
        body_bytes: text.len(),
        check_body,
        body_verdict,
    })
}

/// The body the WebAssembly comparison times, byte for byte the native one.
pub fn validation_body(ids: usize) -> String {
    body::full_body(ids)
}

pub fn validation_now() -> i64 {
    body::NOW
}

pub fn validation_groups() -> Vec<String> {
    body::allowed_groups()
}

/// For scripts/bench-wasm.sh: the body, the context the page would pass, and the native medians.
pub fn native_validation_json(path: &std::path::Path) -> Result<(), BoxError> {
    let validation = validation(10_000, 500)?;
    let document = serde_json::json!({
        "body": validation_body(10_000),
        "now": validation_now(),
        "allowed_groups": validation_groups(),
        "native_check_body_ms": validation.check_body.as_secs_f64() * 1000.0,
        "native_validate_body_ms": validation.body_verdict.as_secs_f64() * 1000.0,
        "release": !cfg!(debug_assertions),
    });
    std::fs::write(path, serde_json::to_string(&document)?)?;
    Ok(())
}
