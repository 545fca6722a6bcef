// The crate's documentation is its README (what it is, why it has no dependencies, its API with examples
// that run as doc-tests).
#![doc = include_str!("../README.md")]

pub mod apply;
mod batch;
mod body;
mod checks;
pub mod describe;
mod field;
mod field_set;
pub mod filter;
mod json;
mod lang;
mod mask;
mod normalized;
pub mod operation;
mod parsed;
pub mod plan;
mod plan_messages;
mod problem;
pub mod revert;
pub mod scope;
mod search;
pub mod time;
mod violation;

#[cfg(test)]
mod tests;

pub use batch::{BatchInput, Context, ValidBatch};
pub use checks::group_usable;
pub use field::{Field, Patch, Value};
pub use field_set::FieldSet;
pub use json::{write_string as write_json_string, JsonErrorKind, JsonExpected, MAX_DEPTH};
pub use lang::Lang;
pub use mask::mask_key;
pub use parsed::ParsedBody;
pub use plan_messages::{OptionKey, PlanProblem};
pub use problem::Problem;
pub use search::{like_pattern, SearchPatternError};
pub use violation::{Violation, Warning};

pub const MAX_IDS: usize = 10_000;
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// 9999-12-31T23:59:59Z
pub const MAX_EXPIRED_TIME: i64 = 253_402_300_799;
pub const QUOTA_PER_USD: i64 = 500_000;
/// new-api's own ceiling on a token's quota (controller/token.go: `1000000000 * common.QuotaPerUnit`, that is
/// 10^9 USD): its form refuses more for a token without unlimited quota, so no batch writes more. Exact in
/// JavaScript (far below 2^53).
pub const MAX_REMAIN_QUOTA: i64 = 1_000_000_000 * QUOTA_PER_USD;
pub const MAX_MODEL_NAME_CHARS: usize = 128;
/// new-api's `model_limits` column size.
pub const MAX_MODEL_LIMITS_CHARS: usize = 1024;
/// A URL longer than this is not a proxy address; it also keeps the value inside MySQL's TEXT column.
pub const MAX_MJ_CUSTOM_PROXY_CHARS: usize = 2048;
/// Entries of an `allow_ips` list. new-api's column is unbounded text, and a request names up to MAX_IDS
/// tokens, so an unbounded list multiplies one request into gigabytes; whitelists in use hold a handful to a
/// few hundred networks (a CIDR covers a whole range).
pub const MAX_ALLOW_IPS_ENTRIES: usize = 1_000;
/// Characters of a normalized `allow_ips` list (entries joined by "\n"): 1 000 IPv4 CIDRs fit (at most 19
/// characters each with the newline), as do 1 000 IPv6 networks in the usual compressed form; a request can
/// then write at most 32 KiB × MAX_IDS = 320 MiB, not the 19 GB an unbounded list allowed.
pub const MAX_ALLOW_IPS_CHARS: usize = 32_768;

/// "rules-" + package version + "-" + a hash of this crate's sources (every file under `src/` but the tests,
/// computed by `build.rs`), so the server and the WASM module can show whether they run the very same rules.
pub const RULES_VERSION: &str = env!("TOKENBATCH_RULES_VERSION");

/// JSONC text (comments, trailing commas, CRLF, BOM) -> typed input. Shape errors only (types, ids forms,
/// update_fields names, unknown/duplicate keys). All violations found are returned, not just the first. A
/// body applying a plan is no batch input (as in [`check_parsed`]).
pub fn parse_body(text: &str) -> Result<BatchInput, Vec<Violation>> {
    let read = body::read_body(text)?;
    let mut violations = read.reported.violations;
    if read.options.plan_body && violations.is_empty() {
        violations.push(Violation::new(
            "plan_id",
            Problem::Plan(PlanProblem::NotABatch),
        ));
    }
    if violations.is_empty() {
        Ok(read.input)
    } else {
        Err(violations)
    }
}

/// Same, from bytes (invalid UTF-8 is a violation `body.invalid_utf8`).
pub fn parse_body_bytes(bytes: &[u8]) -> Result<BatchInput, Vec<Violation>> {
    parse_body(body::utf8_body(bytes)?)
}

/// Reads a JSONC body. Err only when nothing can be read (empty, too large, not JSON, not an object).
pub fn read_body(text: &str) -> Result<ParsedBody, Vec<Violation>> {
    let read = body::read_body(text)?;
    Ok(ParsedBody {
        input: read.input,
        reported: read.reported,
        options: read.options,
    })
}

/// [`read_body`] from bytes (invalid UTF-8 is a violation `body.invalid_utf8`).
pub fn read_body_bytes(bytes: &[u8]) -> Result<ParsedBody, Vec<Violation>> {
    read_body(body::utf8_body(bytes)?)
}

/// Every rule on a read request: its shape problems and every value rule, in one list.
/// A body applying a plan is no batch: it gets its shape problems, or `plan.not_a_batch` when it has none
/// (see [`ParsedBody::plan_id`]).
pub fn check_parsed(parsed: ParsedBody, ctx: &Context) -> Result<ValidBatch, Vec<Violation>> {
    if parsed.options.plan_body {
        let mut violations = parsed.reported.violations;
        if violations.is_empty() {
            let problem = Problem::Plan(PlanProblem::NotABatch);
            violations.push(Violation::new("plan_id", problem));
        }
        return Err(violations);
    }
    checks::check(parsed.input, ctx, parsed.reported)
}

/// Every value rule of docs/SPEC.md §2-3 on an input (from the JSON body or from gRPC).
pub fn check_input(input: BatchInput, ctx: &Context) -> Result<ValidBatch, Vec<Violation>> {
    checks::check(input, ctx, body::Reported::default())
}

/// parse_body then check_input: what the browser calls; the server runs the same two steps. Unlike
/// calling them in turn, a body with shape errors still gets its other values checked, so the caller sees
/// every problem at once.
pub fn check_body(text: &str, ctx: &Context) -> Result<ValidBatch, Vec<Violation>> {
    check_parsed(read_body(text)?, ctx)
}

/// check_body from bytes (invalid UTF-8 is a violation `body.invalid_utf8`).
pub fn check_body_bytes(bytes: &[u8], ctx: &Context) -> Result<ValidBatch, Vec<Violation>> {
    check_body(body::utf8_body(bytes)?, ctx)
}

/// One field alone, for as-you-type feedback: value is the JSON text of that field's value.
pub fn check_field(field: &str, json_value: &str, ctx: &Context) -> Vec<Violation> {
    checks::check_field(field, json_value, ctx).0
}

/// check_field plus the warnings a valid value raises (e.g. an expiry in the past).
pub fn check_field_with_warnings(
    field: &str,
    json_value: &str,
    ctx: &Context,
) -> (Vec<Violation>, Vec<Warning>) {
    checks::check_field(field, json_value, ctx)
}

/// Renders several violations as one line (full sentences joined by a space), for the envelope's `message`.
pub fn join_messages(violations: &[Violation], lang: Lang) -> String {
    let messages: Vec<String> = violations.iter().map(|v| v.message(lang)).collect();
    messages.join(" ")
}

/// Renders warnings as one line, the way [`join_messages`] renders violations.
pub fn join_warnings(warnings: &[Warning], lang: Lang) -> String {
    let messages: Vec<String> = warnings.iter().map(|w| w.message(lang)).collect();
    messages.join(" ")
}
