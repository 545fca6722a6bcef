//! The request the validation benchmarks judge: `ids` distinct ids and every writable field, all valid.
//! Shared, through `#[path]`, by the criterion bench here and by `tokenbatch-bench`'s native timing that the
//! WebAssembly comparison (scripts/bench-wasm.sh) divides by, so both judge the very same bytes.

use tokenbatch_rules::Context;

/// The clock the benchmarks pass to the rules.
pub const NOW: i64 = 1_800_000_000;

/// A JSON body with ids `1..=ids` and every field, each named in `update_fields` (its expiry, 2100-01-01,
/// is in the future, so it raises no warning).
pub fn full_body(ids: usize) -> String {
    let mut body = String::with_capacity(ids * 7 + 512);
    body.push_str("{\"ids\":[");
    for id in 1..=ids {
        if id > 1 {
            body.push(',');
        }
        body.push_str(&id.to_string());
    }
    body.push_str("],");
    body.push_str(concat!(
        "\"group\":\"vip,default\",",
        "\"expired_time\":4102444800,",
        "\"remain_quota\":5000000,",
        "\"unlimited_quota\":false,",
        "\"model_limits\":\"gpt-4o,gpt-4o-mini,claude-3-5-sonnet\",",
        "\"model_limits_enabled\":true,",
        "\"allow_ips\":\"192.168.1.1\\n10.0.0.0/8\\n2001:db8::/32\",",
        "\"mj_image_mode\":\"proxy\",",
        "\"mj_custom_proxy\":\"https://img-proxy.example.com/mj\",",
        "\"update_fields\":[\"group\",\"expired_time\",\"remain_quota\",\"unlimited_quota\",",
        "\"model_limits\",\"model_limits_enabled\",\"allow_ips\",\"mj_image_mode\",\"mj_custom_proxy\"]}"
    ));
    body
}

/// The groups a new-api user of group `default` may use by default, as the server resolves them.
pub fn allowed_groups() -> Vec<String> {
    ["default", "vip", "auto"].map(String::from).to_vec()
}

/// What the server passes the rules for such a user on SQLite (no narrower columns).
pub fn context() -> Context {
    Context {
        now: NOW,
        allowed_groups: Some(allowed_groups()),
        column_limits: Vec::new(),
    }
}
