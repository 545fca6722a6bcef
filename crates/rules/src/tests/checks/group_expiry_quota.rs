//! The rules of `group`, `expired_time` (its warning included), `remain_quota` and the two booleans.

use super::{text_err, text_ok};
use crate::tests::{codes, ctx, field_codes, writing, NOW};
use crate::{
    check_body, check_field, check_field_with_warnings, Context, Problem, MAX_EXPIRED_TIME,
    MAX_REMAIN_QUOTA,
};

#[test]
fn group_rules() {
    assert_eq!(text_ok("group", r#"" vip , default ""#), "vip,default");
    assert_eq!(text_ok("group", r#""default""#), "default");
    assert_eq!(text_err("group", r#""""#), ["group.empty"]);
    assert_eq!(text_err("group", r#""  ""#), ["group.empty"]);
    assert_eq!(text_err("group", r#""a,,b""#), ["group.empty"]);
    assert_eq!(text_err("group", r#""a,b,""#), ["group.empty"]);
    assert_eq!(text_err("group", r#""a,b,a,a""#), ["group.duplicate"]);
    assert_eq!(
        text_err("group", r#""a,,a""#),
        ["group.empty", "group.duplicate"]
    );

    let restricted = Context {
        now: NOW,
        allowed_groups: Some(vec!["default".into(), "vip".into()]),
        column_limits: Vec::new(),
    };
    let check = |group: &str| check_field("group", group, &restricted);
    assert!(check(r#""vip,default,auto""#).is_empty());
    assert!(check(r#""auto""#).is_empty());
    let violations = check(r#""svip,default,Vip""#);
    assert_eq!(
        codes(&violations),
        ["group.not_allowed", "group.not_allowed"]
    );
    assert_eq!(
        violations[0].problem,
        Problem::GroupNotAllowed {
            name: "\"svip\"".into(),
            allowed: vec!["auto".into(), "default".into(), "vip".into()]
        }
    );
    assert!(violations[0]
        .message(crate::Lang::En)
        .contains("auto, default, vip"));
    // With no configuration every name passes.
    assert!(field_codes("group", r#""anything""#).is_empty());
}

/// Found by tests/tests/rules_store_properties.rs: "\u0000" passed the rules and PostgreSQL refused to store
/// it. No group name holds a control character, even one an operator configured.
#[test]
fn group_names_hold_no_control_characters() {
    assert_eq!(text_err("group", r#""a\u0000b""#), ["group.control_char"]);
    assert_eq!(
        text_err("group", r#""vip,de\tfault""#),
        ["group.control_char"]
    );
    assert_eq!(
        text_err("group", r#""x\u007f,y\u0001z""#),
        ["group.control_char", "group.control_char"]
    );
    assert!(
        field_codes("group", r#"" vip\t,\ndefault ""#).is_empty(),
        "whitespace around a name is trimmed"
    );
    let configured = Context {
        now: NOW,
        allowed_groups: Some(vec!["a\u{0}b".into()]),
        column_limits: Vec::new(),
    };
    let violations = check_field("group", r#""a\u0000b""#, &configured);
    assert_eq!(codes(&violations), ["group.control_char"]);
    assert!(violations[0]
        .message(crate::Lang::En)
        .contains(r#""a\u0000b""#));
}

#[test]
fn expired_time_rules() {
    let expiry = |value: &str| {
        let text = writing(
            &format!(r#""expired_time": {value}"#),
            r#"["expired_time"]"#,
        );
        check_body(&text, &ctx())
    };
    assert_eq!(expiry("-1").unwrap().values.expired_time, Some(-1));
    assert_eq!(expiry("1").unwrap().values.expired_time, Some(1));
    assert_eq!(
        expiry(&MAX_EXPIRED_TIME.to_string())
            .unwrap()
            .values
            .expired_time,
        Some(MAX_EXPIRED_TIME)
    );
    for bad in [
        "0",
        "-2",
        "-9223372036854775808",
        "253402300800000",
        "9223372036854775807",
    ] {
        assert_eq!(
            codes(&expiry(bad).unwrap_err()),
            ["expired_time.range"],
            "{bad}"
        );
    }
    for bad in [
        "\"1776410923\"",
        "1776410923.0",
        "1.776410923e9",
        "true",
        "null",
    ] {
        assert_eq!(
            codes(&expiry(bad).unwrap_err()),
            ["expired_time.type"],
            "{bad}"
        );
    }
    let violations = expiry("1776410923000").unwrap_err();
    assert_eq!(codes(&violations), ["expired_time.milliseconds"]);
    assert_eq!(
        violations[0].problem,
        Problem::ExpiredTimeMilliseconds {
            value: 1776410923000,
            seconds: 1776410923
        }
    );
    assert_eq!(
        codes(&expiry(&(MAX_EXPIRED_TIME + 1).to_string()).unwrap_err()),
        ["expired_time.milliseconds"]
    );
    assert_eq!(
        codes(&expiry(&(MAX_EXPIRED_TIME * 1000 + 999).to_string()).unwrap_err()),
        ["expired_time.milliseconds"]
    );
}

#[test]
fn past_expiry_is_a_warning_not_an_error() {
    let text = writing(
        &format!(r#""expired_time": {}"#, NOW - 1),
        r#"["expired_time"]"#,
    );
    let batch = check_body(&text, &ctx()).unwrap();
    assert_eq!(batch.warnings.len(), 1);
    assert_eq!(batch.warnings[0].code(), "expired_time.past");
    assert_eq!(batch.warnings[0].field, "expired_time");
    assert_eq!(
        batch.warnings[0].problem,
        Problem::ExpiredTimePast { value: NOW - 1 }
    );
    let at_now = writing(&format!(r#""expired_time": {NOW}"#), r#"["expired_time"]"#);
    assert_eq!(check_body(&at_now, &ctx()).unwrap().warnings.len(), 1);
    for fine in [NOW + 1, -1] {
        let text = writing(&format!(r#""expired_time": {fine}"#), r#"["expired_time"]"#);
        assert!(
            check_body(&text, &ctx()).unwrap().warnings.is_empty(),
            "{fine}"
        );
    }
    // Not written, so no expiry warning: only the note that it was ignored.
    let ignored = writing(r#""expired_time": 5, "group": "a""#, r#"["group"]"#);
    let codes: Vec<&str> = check_body(&ignored, &ctx())
        .unwrap()
        .warnings
        .iter()
        .map(|w| w.code())
        .collect();
    assert_eq!(codes, ["update_fields.ignored"]);
    let (violations, warnings) = check_field_with_warnings("expired_time", "5", &ctx());
    assert!(violations.is_empty());
    assert_eq!(warnings[0].code(), "expired_time.past");
}

#[test]
fn remain_quota_rules() {
    let quota = |value: &str| {
        check_body(
            &writing(
                &format!(r#""remain_quota": {value}"#),
                r#"["remain_quota"]"#,
            ),
            &ctx(),
        )
    };
    assert_eq!(quota("0").unwrap().values.remain_quota, Some(0));
    assert_eq!(
        quota(&MAX_REMAIN_QUOTA.to_string())
            .unwrap()
            .values
            .remain_quota,
        Some(MAX_REMAIN_QUOTA)
    );
    for (bad, expected) in [
        ("-1", "remain_quota.range"),
        ("-99999999999999999999999", "remain_quota.range"),
        ("500000000000001", "remain_quota.too_large"),
        ("9007199254740992", "remain_quota.too_large"),
        ("99999999999999999999999", "remain_quota.too_large"),
        ("-0.5e1", "remain_quota.type"),
    ] {
        assert_eq!(codes(&quota(bad).unwrap_err()), [expected], "{bad}");
    }
    let violations = quota("-1").unwrap_err();
    let message = violations[0].message(crate::Lang::En);
    assert!(message.contains("0 to 500000000000000"), "{message}");
    assert_eq!(
        codes(&quota("\"500000\"").unwrap_err()),
        ["remain_quota.type"]
    );
}

#[test]
fn booleans_are_only_true_and_false() {
    for field in ["unlimited_quota", "model_limits_enabled"] {
        for good in ["true", "false"] {
            assert!(field_codes(field, good).is_empty());
        }
        for bad in ["\"true\"", "1", "0", "null", "\"\""] {
            assert_eq!(
                field_codes(field, bad),
                [format!("{field}.type")],
                "{field}={bad}"
            );
        }
    }
    let text = writing(
        r#""unlimited_quota": false, "model_limits_enabled": true"#,
        r#""unlimited_quota,model_limits_enabled""#,
    );
    let values = check_body(&text, &ctx()).unwrap().values;
    assert_eq!(
        (values.unlimited_quota, values.model_limits_enabled),
        (Some(false), Some(true))
    );
}
