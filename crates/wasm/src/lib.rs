//! tokenbatch's validation rules for the browser: the very code the server runs on `PUT /api/token/batch`,
//! exported through wasm-bindgen so the batch-edit page shows the server's verdict, in the server's words,
//! before anything is sent.
//!
//! Every export returns JSON text (the page calls `JSON.parse`): a hand-written writer keeps the module far
//! smaller than serde-based conversion would. `lang` is a language tag ("zh-CN", the default, or "en");
//! `now` is unix seconds (`Date.now() / 1000`); `allowed_groups` is the list GET /api/user/self/groups
//! returned, or undefined to skip the group check; `column_limits` lists the database's narrower columns as
//! GET /api/status reports them, as `"field=max"` strings (`["group=191", "allow_ips=191"]`), or undefined.

mod json_out;
pub mod verdict;

/// Talc instead of Rust's default dlmalloc: the same service for a module that allocates little, in a
/// fraction of its bytes (the size budget of docs/SPEC.md §8; scripts/build-wasm.sh measures it).
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

use wasm_bindgen::prelude::wasm_bindgen;

/// The rules' version; the server reports the same string at GET /api/status when it runs the same rules.
#[wasm_bindgen(js_name = rulesVersion)]
pub fn rules_version() -> String {
    tokenbatch_rules::RULES_VERSION.to_owned()
}

/// Judges a whole request body (JSON or JSONC text, as the server takes it).
#[wasm_bindgen(js_name = validateBody)]
pub fn validate_body(
    body: &str,
    lang: &str,
    now: f64,
    allowed_groups: Option<Vec<String>>,
    column_limits: Option<Vec<String>>,
) -> String {
    let ctx = verdict::context(now, allowed_groups, column_limits);
    verdict::body_verdict(body, &ctx, verdict::lang(lang))
}

/// Judges one field's value, given as the JSON text it would have inside the body.
#[wasm_bindgen(js_name = validateField)]
pub fn validate_field(
    field: &str,
    json_value: &str,
    lang: &str,
    now: f64,
    allowed_groups: Option<Vec<String>>,
    column_limits: Option<Vec<String>>,
) -> String {
    let ctx = verdict::context(now, allowed_groups, column_limits);
    verdict::field_verdict(field, json_value, &ctx, verdict::lang(lang))
}

/// Judges a filter object (JSON text, docs/SPEC.md §9) with the server's codes and words.
#[wasm_bindgen(js_name = validateFilter)]
pub fn validate_filter(filter_json: &str, lang: &str) -> String {
    verdict::filter_verdict(filter_json, verdict::lang(lang))
}

/// Every writable field: JSON type, how it is entered, limits, label and help.
#[wasm_bindgen(js_name = describeFields)]
pub fn describe_fields(lang: &str) -> String {
    verdict::fields_description(verdict::lang(lang))
}

/// Unix seconds as the rules' messages print them ("2026-04-17 07:28:43 UTC").
#[wasm_bindgen(js_name = formatUtc)]
pub fn format_utc(unix_seconds: f64) -> String {
    let seconds = if unix_seconds.is_finite() {
        unix_seconds.floor() as i64
    } else {
        0
    };
    tokenbatch_rules::time::format_utc(seconds)
}
