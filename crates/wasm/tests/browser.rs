//! The module inside headless Chromium (wasm-bindgen-test-runner + chromedriver, see scripts/test-web.sh):
//! the exports answer there exactly as the rules crate does natively.
#![cfg(target_arch = "wasm32")]

use serde_json::{json, Value};
use tokenbatch_rules::{check_body, Context, Lang, RULES_VERSION};
use tokenbatch_wasm::{
    describe_fields, format_utc, rules_version, validate_body, validate_field, validate_filter,
};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const NOW: f64 = 1_800_000_000.0;
const EXAMPLE: &str = include_str!("../../../tests/fixtures/example-request.jsonc");

fn parse(json: String) -> Value {
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("not JSON ({e}): {json}"))
}

#[wasm_bindgen_test]
fn runs_in_a_browser_window() {
    // The runner falls back to Node when no browser is configured; these tests are about Chromium.
    let window = js_sys::Reflect::get(&js_sys::global(), &"window".into()).unwrap();
    assert!(window.is_object(), "not running in a browser");
    let agent = js_sys::eval("navigator.userAgent")
        .unwrap()
        .as_string()
        .unwrap();
    assert!(agent.contains("Chrome"), "user agent {agent}");
}

#[wasm_bindgen_test]
fn reports_the_rules_version_the_server_reports() {
    assert_eq!(rules_version(), RULES_VERSION);
    assert_eq!(parse(describe_fields("en"))["rules_version"], RULES_VERSION);
}

#[wasm_bindgen_test]
fn the_documented_example_is_accepted_with_warnings() {
    let verdict = parse(validate_body(
        EXAMPLE,
        "zh-CN",
        NOW,
        Some(vec!["default".into()]),
        None,
    ));
    assert_eq!(verdict["ok"], true, "{verdict}");
    assert_eq!(verdict["id_count"], 2);
    assert_eq!(verdict["ignored"], json!(["model_limits_enabled"]));
    assert_eq!(verdict["warnings"][0]["code"], "expired_time.past");
}

#[wasm_bindgen_test]
fn messages_are_the_rules_messages_byte_for_byte() {
    let body =
        "{\"ids\":\"873,,869\",\"update_fields\":[\"group\",\"allow_ips\",\"expired_time\"],\
                \"group\":\"vip,svip,vip\",\"allow_ips\":\"10.0.0.1\\n\\n300.1.1.1,2.2.2.2\",\
                \"expired_time\":1776410923000}";
    let groups = vec!["default".to_string(), "vip".to_string()];
    let ctx = Context {
        now: NOW as i64,
        allowed_groups: Some(groups.clone()),
        ..Context::default()
    };
    let expected = check_body(body, &ctx).unwrap_err();
    for (tag, lang) in [("zh-CN", Lang::ZhCn), ("en", Lang::En)] {
        let verdict = parse(validate_body(body, tag, NOW, Some(groups.clone()), None));
        let errors = verdict["errors"].as_array().unwrap();
        let got: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e["code"].as_str().unwrap(), e["message"].as_str().unwrap()))
            .collect();
        let want: Vec<(&str, String)> = expected
            .iter()
            .map(|v| (v.code(), v.message(lang)))
            .collect();
        assert_eq!(got.len(), want.len());
        for ((got_code, got_message), (want_code, want_message)) in got.iter().zip(&want) {
            assert_eq!(got_code, want_code);
            assert_eq!(got_message, want_message);
        }
    }
    let codes: Vec<&str> = expected.iter().map(|v| v.code()).collect();
    assert!(codes.contains(&"ids.empty_entry"), "{codes:?}");
    assert!(codes.contains(&"group.not_allowed"), "{codes:?}");
    assert!(codes.contains(&"allow_ips.invalid"), "{codes:?}");
    assert!(codes.contains(&"expired_time.milliseconds"), "{codes:?}");
}

#[wasm_bindgen_test]
fn one_field_at_a_time() {
    let verdict = parse(validate_field(
        "allow_ips",
        "\"1.1.1.1\\n\\nbad\"",
        "en",
        NOW,
        None,
        None,
    ));
    assert_eq!(verdict["errors"][0]["line"], 3);
    let verdict = parse(validate_field("remain_quota", "1.5", "en", NOW, None, None));
    assert_eq!(verdict["errors"][0]["code"], "remain_quota.type");
    let verdict = parse(validate_field("expired_time", "-1", "en", NOW, None, None));
    assert_eq!(verdict["ok"], true);
    assert_eq!(verdict["warnings"], json!([]));
}

#[wasm_bindgen_test]
fn a_ten_thousand_id_body_is_judged_in_the_browser() {
    let ids: Vec<String> = (1..=10_000).map(|n| n.to_string()).collect();
    let body = format!(
        "{{\"ids\":[{}],\"update_fields\":[\"unlimited_quota\"],\"unlimited_quota\":true}}",
        ids.join(",")
    );
    let started = js_sys::Date::now();
    let verdict = parse(validate_body(&body, "en", NOW, None, None));
    let elapsed = js_sys::Date::now() - started;
    assert_eq!(verdict["id_count"], 10_000);
    wasm_bindgen_test::console_log!("10 000-id body judged in {elapsed} ms in Chromium");
}

#[wasm_bindgen_test]
fn column_limits_from_the_server_apply() {
    let long_ips: Vec<String> = (1..=40).map(|n| format!("10.0.0.{n}")).collect();
    let value = serde_json::to_string(&long_ips.join("\n")).unwrap();
    let limits = Some(vec!["allow_ips=191".to_string()]);
    let verdict = parse(validate_field("allow_ips", &value, "en", NOW, None, limits));
    assert_eq!(
        verdict["errors"][0]["code"],
        "allow_ips.too_long_for_column"
    );
    let unlimited = parse(validate_field("allow_ips", &value, "en", NOW, None, None));
    assert_eq!(unlimited["ok"], true);
}

#[wasm_bindgen_test]
fn quota_and_ip_list_limits_apply_in_the_browser() {
    let verdict = parse(validate_field(
        "remain_quota",
        "500000000000001",
        "en",
        NOW,
        None,
        None,
    ));
    assert_eq!(verdict["errors"][0]["code"], "remain_quota.too_large");
    let ips: Vec<String> = (0..1_001)
        .map(|n| format!("10.0.{}.{}", n / 256, n % 256))
        .collect();
    let value = serde_json::to_string(&ips.join("\n")).unwrap();
    let verdict = parse(validate_field(
        "allow_ips",
        &value,
        "zh-CN",
        NOW,
        None,
        None,
    ));
    assert_eq!(verdict["errors"][0]["code"], "allow_ips.too_many");
    assert_eq!(
        verdict["errors"][0]["message"],
        "allow_ips 有 1001 个地址，超过了 1000 个的上限：请用 CIDR 网段合并相邻的地址。"
    );
}

#[wasm_bindgen_test]
fn dates_render_as_in_messages() {
    assert_eq!(format_utc(253_402_300_799.0), "9999-12-31 23:59:59 UTC");
}

#[wasm_bindgen_test]
fn filters_are_judged_in_the_browser_as_natively() {
    // tests/verdict.rs checks the verdict's shape natively; here, that Chromium gives the same words.
    let text = r#"{"status": [0], "groups": "vip"}"#;
    let refused = tokenbatch_rules::filter::read_filter_json(text).unwrap_err();
    for (tag, lang) in [("en", Lang::En), ("zh-CN", Lang::ZhCn)] {
        let verdict = parse(validate_filter(text, tag));
        let words = tokenbatch_rules::join_messages(&refused, lang);
        assert_eq!(
            (verdict["ok"].clone(), verdict["message"].clone()),
            (json!(false), json!(words))
        );
    }
    assert_eq!(parse(validate_filter("{}", "en"))["ok"], true);
}

#[wasm_bindgen_test]
fn operations_and_status_are_judged_in_the_browser_as_natively() {
    // One field at a time: an operation object gets the rules' operation codes and words.
    let cases = [
        (
            "remain_quota",
            r#"{"add": 5, "subtract": 1}"#,
            "remain_quota.operation_exclusive",
        ),
        (
            "model_limits",
            r#"{"add": "a", "remove": "a"}"#,
            "model_limits.operation_conflict",
        ),
        ("group", r#"{"plus": "vip"}"#, "group.operation_unknown"),
        ("status", "3", "status.invalid"),
    ];
    for (field, value, code) in cases {
        let native = tokenbatch_rules::check_field(field, value, &Context::default());
        let verdict = parse(validate_field(field, value, "en", NOW, None, None));
        assert_eq!(verdict["ok"], false, "{field} {value}: {verdict}");
        assert_eq!(native[0].code(), code);
        let first = &verdict["errors"][0];
        assert_eq!(first["code"], json!(code), "{verdict}");
        assert_eq!(
            first["message"],
            json!(native[0].message(Lang::En)),
            "{field} {value}"
        );
    }
    // A whole body with operations and status: the same verdict as natively.
    let body = r#"{"ids": [1, 2], "update_fields": ["remain_quota", "status"],
                   "remain_quota": {"add": 500000}, "status": "enabled"}"#;
    let verdict = parse(validate_body(body, "en", NOW, None, None));
    assert_eq!(verdict["ok"], true, "{verdict}");
    assert!(check_body(body, &Context::default()).is_ok());
}
