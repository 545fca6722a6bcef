//! The module's JSON answers, checked natively against the rules crate they wrap: same verdict, same
//! words, same codes as the server builds from the same functions.
#![cfg(not(target_arch = "wasm32"))]

use serde_json::{json, Value};
use tokenbatch_rules::{check_body, Context, Lang, RULES_VERSION};
use tokenbatch_wasm::{
    describe_fields, format_utc, rules_version, validate_body, validate_field, validate_filter,
};

/// 2027-01-15T08:00:00Z: after the documented example's expiry (2026-04-17), so that one is "past".
const NOW: f64 = 1_800_000_000.0;
const EXAMPLE: &str = include_str!("../../../tests/fixtures/example-request.jsonc");

fn parse(json: String) -> Value {
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("not JSON ({e}): {json}"))
}

fn groups() -> Option<Vec<String>> {
    Some(vec!["default".into(), "vip".into()])
}

#[test]
fn the_version_is_the_rules_crates() {
    assert_eq!(rules_version(), RULES_VERSION);
    assert!(RULES_VERSION.starts_with("rules-"));
}

#[test]
fn the_documented_example_passes_with_its_warnings() {
    let verdict = parse(validate_body(EXAMPLE, "en", NOW, groups(), None));
    assert_eq!(verdict["ok"], true, "{verdict}");
    assert_eq!(verdict["id_count"], 2);
    assert_eq!(verdict["ignored"], json!(["model_limits_enabled"]));
    assert_eq!(verdict["rules_version"], RULES_VERSION);
    let codes: Vec<&str> = verdict["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["expired_time.past", "update_fields.ignored"]);
    assert!(verdict["message"]
        .as_str()
        .unwrap()
        .contains("is in the past"));
    assert_eq!(verdict["values"]["expired_time"], 1_776_410_923);
    assert_eq!(verdict["values"]["group"], "default");
}

#[test]
fn errors_carry_the_rules_codes_and_messages_in_both_languages() {
    let body = r#"{"ids":[873,"x"],"update_fields":"group,allow_ips","group":"svip","allow_ips":"10.0.0.1\n10.0.0.300"}"#;
    let ctx = Context {
        now: NOW as i64,
        allowed_groups: groups(),
        ..Context::default()
    };
    let expected = check_body(body, &ctx).unwrap_err();
    for (tag, lang) in [("zh-CN", Lang::ZhCn), ("en", Lang::En), ("fr", Lang::ZhCn)] {
        let verdict = parse(validate_body(body, tag, NOW, groups(), None));
        assert_eq!(verdict["ok"], false);
        assert_eq!(verdict["code"], expected[0].code());
        let errors = verdict["errors"].as_array().unwrap();
        assert_eq!(errors.len(), expected.len());
        for (error, violation) in errors.iter().zip(&expected) {
            assert_eq!(error["field"], violation.field.as_str());
            assert_eq!(error["code"], violation.code());
            assert_eq!(error["message"], violation.message(lang).as_str());
        }
        assert_eq!(
            verdict["message"],
            tokenbatch_rules::join_messages(&expected, lang).as_str()
        );
    }
    let verdict = parse(validate_body(body, "en", NOW, groups(), None));
    let allow_ips = verdict["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["code"] == "allow_ips.invalid")
        .unwrap();
    assert_eq!(allow_ips["line"], 2);
}

#[test]
fn groups_are_checked_only_when_the_page_passes_them() {
    let body = r#"{"ids":[1],"update_fields":["group"],"group":"svip"}"#;
    assert_eq!(
        parse(validate_body(body, "en", NOW, groups(), None))["ok"],
        false
    );
    assert_eq!(
        parse(validate_body(body, "en", NOW, None, None))["ok"],
        true
    );
    let auto = r#"{"ids":[1],"update_fields":["group"],"group":"auto"}"#;
    assert_eq!(
        parse(validate_body(auto, "en", NOW, Some(vec![]), None))["ok"],
        true
    );
}

#[test]
fn column_limits_are_the_servers_and_malformed_ones_are_ignored() {
    let body = format!(
        r#"{{"ids":[1],"update_fields":["group"],"group":"{}"}}"#,
        "g".repeat(200)
    );
    let limits = |entries: &[&str]| Some(entries.iter().map(|e| e.to_string()).collect());
    let limited = parse(validate_body(
        &body,
        "en",
        NOW,
        None,
        limits(&["group=191"]),
    ));
    assert_eq!(limited["errors"][0]["code"], "group.too_long_for_column");
    let ctx = Context {
        now: NOW as i64,
        column_limits: vec![(tokenbatch_rules::Field::Group, 191)],
        ..Context::default()
    };
    assert_eq!(
        limited["message"],
        tokenbatch_rules::join_messages(&check_body(&body, &ctx).unwrap_err(), Lang::En).as_str()
    );
    for ignored in [
        &["group"][..],
        &["group=x"],
        &["colour=3"],
        &["allow_ips=191"],
        &[],
    ] {
        let verdict = parse(validate_body(&body, "en", NOW, None, limits(ignored)));
        assert_eq!(verdict["ok"], true, "{ignored:?}");
    }
}

#[test]
fn one_field_alone_gives_errors_and_warnings() {
    let verdict = parse(validate_field(
        "allow_ips",
        r#""1.2.3.4\nnope""#,
        "en",
        NOW,
        None,
        None,
    ));
    assert_eq!(verdict["ok"], false);
    assert_eq!(verdict["field"], "allow_ips");
    assert_eq!(verdict["errors"][0]["line"], 2);
    assert_eq!(
        verdict["errors"][0]["message"],
        "allow_ips line 2 (\"nope\") is not a valid IP address or CIDR range."
    );

    let past = parse(validate_field(
        "expired_time",
        "1776410923",
        "zh-CN",
        NOW,
        None,
        None,
    ));
    assert_eq!(past["ok"], true);
    assert_eq!(past["warnings"][0]["code"], "expired_time.past");

    let millis = parse(validate_field(
        "expired_time",
        "1776410923000",
        "en",
        NOW,
        None,
        None,
    ));
    assert_eq!(millis["errors"][0]["code"], "expired_time.milliseconds");

    let unknown = parse(validate_field("colour", "\"red\"", "en", NOW, None, None));
    assert_eq!(unknown["errors"][0]["code"], "body.unknown_field");
}

#[test]
fn the_clock_comes_from_the_caller() {
    let body = r#"{"ids":[1],"update_fields":["expired_time"],"expired_time":1800000000}"#;
    let before = parse(validate_body(body, "en", 1_799_999_999.9, None, None));
    assert_eq!(before["warnings"], json!([]));
    let at = parse(validate_body(body, "en", 1_800_000_000.0, None, None));
    assert_eq!(at["warnings"][0]["code"], "expired_time.past");
    // A clock JavaScript cannot express sensibly must not panic or wrap.
    for odd in [f64::NAN, f64::INFINITY, -f64::INFINITY, 1e300] {
        assert_eq!(
            parse(validate_body(body, "en", odd, None, None))["ok"],
            true
        );
    }
}

#[test]
fn anything_the_page_may_send_gets_an_answer() {
    for body in ["", "   ", "[]", "{", "\u{feff}{}", "{\"ids\":\"1,,2\"}"] {
        let verdict = parse(validate_body(body, "zh-CN", NOW, None, None));
        assert_eq!(verdict["ok"], false, "{body:?}");
        assert!(!verdict["errors"].as_array().unwrap().is_empty());
    }
    let odd_but_valid = "{\"ids\":[1],\"update_fields\":[\"group\"],\"group\":\"a\u{2028}\\\"b\"}";
    let verdict = parse(validate_body(odd_but_valid, "en", NOW, None, None));
    assert_eq!(verdict["values"]["group"], "a\u{2028}\"b");
}

#[test]
fn ten_thousand_ids_are_counted_after_deduplication() {
    let ids: Vec<String> = (1..=10_000).chain(1..=50).map(|n| n.to_string()).collect();
    let body = format!(
        r#"{{"ids":[{}],"update_fields":["remain_quota"],"remain_quota":0}}"#,
        ids.join(",")
    );
    let verdict = parse(validate_body(&body, "en", NOW, None, None));
    assert_eq!(verdict["ok"], true);
    assert_eq!(verdict["id_count"], 10_000);
}

#[test]
fn fields_are_described_from_the_rules() {
    let zh = parse(describe_fields("zh-CN"));
    let en = parse(describe_fields("en"));
    assert_eq!(zh["rules_version"], RULES_VERSION);
    assert_eq!(zh["max_ids"], 10_000);
    assert_eq!(zh["quota_per_usd"], 500_000);
    let names: Vec<&str> = en["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "group",
            "expired_time",
            "remain_quota",
            "unlimited_quota",
            "model_limits",
            "model_limits_enabled",
            "allow_ips",
            "mj_image_mode",
            "mj_custom_proxy"
        ]
    );
    let expiry = &en["fields"][1];
    assert_eq!(expiry["entry"], "unix_seconds");
    assert_eq!(expiry["never"], -1);
    assert_eq!(expiry["max"], 253_402_300_799_i64);
    assert_eq!(en["fields"][2]["max"], 500_000_000_000_000_i64);
    assert_eq!(en["fields"][6]["entry"], "line_list");
    assert_eq!(en["fields"][6]["max_entries"], 1_000);
    assert_eq!(en["fields"][6]["max_total_chars"], 32_768);
    assert_eq!(en["fields"][4]["max_entries"], Value::Null);
    assert_eq!(en["fields"][7]["choices"], json!(["origin", "proxy"]));
    assert_eq!(en["fields"][0]["label"], "Group");
    assert_eq!(zh["fields"][0]["label"], "分组");
}

#[test]
fn quota_and_ip_list_limits_read_as_the_servers() {
    let ips: Vec<String> = (0..1_001)
        .map(|n| format!("10.0.{}.{}", n / 256, n % 256))
        .collect();
    let too_many = serde_json::to_string(&ips.join("\n")).unwrap();
    let within = serde_json::to_string(&ips[..1_000].join("\n")).unwrap();
    let cases = [
        (
            "remain_quota",
            "500000000000001".to_string(),
            "remain_quota.too_large",
        ),
        ("allow_ips", too_many, "allow_ips.too_many"),
    ];
    for (field, value, code) in cases {
        let expected = tokenbatch_rules::check_field(field, &value, &Context::default());
        for (tag, lang) in [("zh-CN", Lang::ZhCn), ("en", Lang::En)] {
            let verdict = parse(validate_field(field, &value, tag, NOW, None, None));
            assert_eq!(verdict["ok"], false, "{verdict}");
            assert_eq!(verdict["errors"][0]["code"], code);
            assert_eq!(verdict["errors"][0]["message"], expected[0].message(lang));
        }
    }
    let en = parse(validate_field(
        "remain_quota",
        "500000000000001",
        "en",
        NOW,
        None,
        None,
    ));
    let message = en["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("maximum of 500000000000000"), "{message}");
    let ok = parse(validate_field(
        "remain_quota",
        "500000000000000",
        "en",
        NOW,
        None,
        None,
    ));
    assert_eq!(ok["ok"], true, "{ok}");
    let ok = parse(validate_field("allow_ips", &within, "en", NOW, None, None));
    assert_eq!(ok["ok"], true, "{ok}");
}

#[test]
fn utc_rendering_matches_the_messages() {
    assert_eq!(format_utc(1_776_410_923.0), "2026-04-17 07:28:43 UTC");
    assert_eq!(format_utc(f64::NAN), "1970-01-01 00:00:00 UTC");
}

#[test]
fn filters_are_judged_with_the_servers_codes_and_words() {
    let ok = parse(validate_filter(
        r#"{"status": ["enabled"], "group": "vip"}"#,
        "en",
    ));
    assert_eq!(ok["ok"], true, "{ok}");
    assert_eq!(ok["keys"], json!(["status", "group"]));
    let text = r#"{"groups": "vip", "expires_before": 1790000000000}"#;
    let expected = tokenbatch_rules::filter::read_filter_json(text).unwrap_err();
    let verdict = parse(validate_filter(text, "en"));
    assert_eq!(verdict["ok"], false);
    assert_eq!(verdict["code"], "filter.unknown_key");
    assert_eq!(verdict["errors"][0]["field"], "filter.groups");
    assert_eq!(verdict["errors"][1]["code"], "filter.time_range");
    assert_eq!(
        verdict["message"],
        tokenbatch_rules::join_messages(&expected, Lang::En)
    );
    let zh = parse(validate_filter(text, "zh-CN"));
    assert_eq!(
        zh["message"],
        tokenbatch_rules::join_messages(&expected, Lang::ZhCn)
    );
}
