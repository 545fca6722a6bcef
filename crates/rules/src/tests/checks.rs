//! check_input / check_body / check_field: the value rules, one code at a time.

use super::{body_codes, codes, ctx, field_codes, paths, writing, NOW};
use crate::{
    check_body, check_field, check_field_with_warnings, check_input, BatchInput, Context, Field,
    FieldSet, Patch, Problem, MAX_EXPIRED_TIME, MAX_IDS, MAX_REMAIN_QUOTA,
};

fn set(fields: &[Field]) -> FieldSet {
    fields.iter().copied().collect()
}

/// Normalized value of one string field written alone, or the codes it fails with.
fn normalized(field: &str, json: &str) -> Result<Option<String>, Vec<&'static str>> {
    let text = writing(&format!(r#""{field}": {json}"#), &format!(r#"["{field}"]"#));
    match check_body(&text, &ctx()) {
        Ok(batch) => Ok(batch
            .values
            .text(Field::from_name(field).unwrap())
            .map(String::from)),
        Err(violations) => Err(codes(&violations)),
    }
}

fn text_ok(field: &str, json: &str) -> String {
    normalized(field, json)
        .unwrap_or_else(|codes| panic!("{field}={json}: {codes:?}"))
        .unwrap()
}

fn text_err(field: &str, json: &str) -> Vec<&'static str> {
    normalized(field, json).expect_err(json)
}

#[test]
fn ids_are_deduplicated_sorted_and_limited() {
    let batch = check_body(
        &writing(r#""group": "a""#, r#"["group"]"#).replace("[1]", "[5, 3, 5, \"3\", 9]"),
        &ctx(),
    )
    .unwrap();
    assert_eq!(batch.ids, [3, 5, 9]);

    for empty in ["[]", "\"\"", "\"  \""] {
        let text = writing(r#""group": "a""#, r#"["group"]"#).replace("[1]", empty);
        assert_eq!(body_codes(&text), ["ids.empty"], "{empty}");
    }
    // Bad entries are not also "empty".
    assert_eq!(
        body_codes(&writing(r#""group": "a""#, r#"["group"]"#).replace("[1]", "[0]")),
        ["ids.invalid"]
    );

    let many: Vec<String> = (1..=MAX_IDS as i64 + 1).map(|id| id.to_string()).collect();
    let text = format!(
        r#"{{"ids": [{}], "group": "a", "update_fields": "group"}}"#,
        many.join(",")
    );
    let violations = check_body(&text, &ctx()).unwrap_err();
    assert_eq!(codes(&violations), ["ids.too_many"]);
    assert_eq!(
        violations[0].problem,
        Problem::IdsTooMany { count: MAX_IDS + 1 }
    );
    assert!(violations[0].message(crate::Lang::En).contains("10000"));

    // Duplicates collapse before the limit applies.
    let text = format!(
        r#"{{"ids": "{},1", "group": "a", "update_fields": "group"}}"#,
        many[..MAX_IDS].join(",")
    );
    assert_eq!(check_body(&text, &ctx()).unwrap().ids.len(), MAX_IDS);
}

#[test]
fn grpc_input_ids_are_checked_too() {
    let input = |ids: Vec<i64>| BatchInput {
        ids,
        patch: Patch {
            remain_quota: Some(1),
            ..Patch::default()
        },
        update_fields: Some(set(&[Field::RemainQuota])),
        ..BatchInput::default()
    };
    let violations = check_input(input(vec![4, 0, -7]), &ctx()).unwrap_err();
    assert_eq!(codes(&violations), ["ids.invalid", "ids.invalid"]);
    assert_eq!(paths(&violations), ["ids[1]", "ids[2]"]);
    assert_eq!(
        violations[1].problem,
        Problem::IdsInvalid { entry: "-7".into() }
    );
    assert_eq!(
        codes(&check_input(input(vec![]), &ctx()).unwrap_err()),
        ["ids.empty"]
    );
    assert_eq!(
        check_input(input(vec![2, 1, 2]), &ctx()).unwrap().ids,
        [1, 2]
    );
}

#[test]
fn update_fields_value_rules() {
    let violations = check_body(
        r#"{"ids": [1], "group": "a", "expired_time": -1, "remain_quota": 5}"#,
        &ctx(),
    )
    .unwrap_err();
    assert_eq!(codes(&violations), ["update_fields.missing"]);
    assert_eq!(
        violations[0].problem,
        Problem::UpdateFieldsMissing {
            present: set(&[Field::Group, Field::ExpiredTime, Field::RemainQuota])
        }
    );
    // Fields with a type error are still fields the body carries.
    let violations = check_body(r#"{"ids": [1], "group": 5}"#, &ctx()).unwrap_err();
    assert_eq!(codes(&violations), ["update_fields.missing", "group.type"]);
    assert_eq!(
        violations[0].problem,
        Problem::UpdateFieldsMissing {
            present: set(&[Field::Group])
        }
    );

    for empty in ["[]", "\"\"", "\" , \""] {
        assert_eq!(
            body_codes(&writing(r#""group": "a""#, empty)),
            ["update_fields.empty"],
            "{empty}"
        );
    }
    // Only unknown names: reported as unknown, not also as empty.
    assert_eq!(
        body_codes(&writing(r#""group": "a""#, r#"["nope"]"#)),
        ["update_fields.unknown"]
    );
    assert!(check_body(&writing(r#""group": "a""#, r#""group""#), &ctx()).is_ok());
}

#[test]
fn every_listed_field_must_be_in_the_body() {
    for field in Field::ALL {
        let text = format!(r#"{{"ids": [1], "update_fields": ["{}"]}}"#, field.name());
        let violations = check_body(&text, &ctx()).unwrap_err();
        assert_eq!(codes(&violations), [format!("{}.missing", field.name())]);
        assert_eq!(paths(&violations), [field.name()]);
        assert_eq!(violations[0].problem, Problem::FieldMissing { field });
    }
}

#[test]
fn fields_not_listed_are_ignored_not_written() {
    let text = writing(
        r#""group": "a", "remain_quota": 5, "model_limits_enabled": true, "mj_image_mode": "bogus""#,
        r#"["remain_quota"]"#,
    );
    let batch = check_body(&text, &ctx()).unwrap();
    assert_eq!(batch.fields, set(&[Field::RemainQuota]));
    assert_eq!(
        batch.ignored,
        set(&[Field::Group, Field::ModelLimitsEnabled, Field::MjImageMode])
    );
    assert_eq!(
        batch.values,
        Patch {
            remain_quota: Some(5),
            ..Patch::default()
        }
    );
}

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

#[test]
fn model_limits_rules() {
    assert_eq!(
        text_ok("model_limits", r#"" gpt-4o , gpt-4o-2024-11-20,gpt-4o ""#),
        "gpt-4o,gpt-4o-2024-11-20"
    );
    assert_eq!(text_ok("model_limits", r#""""#), "");
    assert_eq!(text_ok("model_limits", r#""  ""#), "");
    assert_eq!(
        text_err("model_limits", r#""a,,b""#),
        ["model_limits.empty_entry"]
    );
    assert_eq!(
        text_err("model_limits", r#""a,""#),
        ["model_limits.empty_entry"]
    );
    let at_limit = "m".repeat(128);
    assert_eq!(
        text_ok("model_limits", &format!("\"{at_limit}\"")),
        at_limit
    );
    let wide = "模".repeat(128);
    assert_eq!(text_ok("model_limits", &format!("\"{wide}\"")), wide);
    let violations = check_field(
        "model_limits",
        &format!("\"a,{}\"", "m".repeat(129)),
        &ctx(),
    );
    assert_eq!(codes(&violations), ["model_limits.too_long"]);
    let Problem::ModelLimitsTooLong { entry, chars } = &violations[0].problem else {
        panic!()
    };
    assert_eq!(*chars, 129);
    assert!(
        entry.starts_with("\"mmm") && entry.ends_with("…\""),
        "{entry}"
    );
    assert_eq!(
        text_err("model_limits", r#""gpt\u0007x""#),
        ["model_limits.control_char"]
    );
    assert_eq!(
        text_err("model_limits", r#""gpt\tx""#),
        ["model_limits.control_char"]
    );
    let names: Vec<String> = (0..120).map(|i| format!("model-{i:03}")).collect();
    let violations = check_field("model_limits", &format!("\"{}\"", names.join(",")), &ctx());
    assert_eq!(codes(&violations), ["model_limits.total_too_long"]);
    assert_eq!(
        violations[0].problem,
        Problem::ModelLimitsTotalTooLong {
            chars: 120 * 9 + 119
        }
    );
    // Duplicates do not count towards the total.
    let repeated = vec!["model-000"; 300].join(",");
    assert_eq!(
        text_ok("model_limits", &format!("\"{repeated}\"")),
        "model-000"
    );
}

#[test]
fn allow_ips_rules() {
    assert_eq!(
        text_ok(
            "allow_ips",
            r#""10.0.0.0/8\r\n\r\n ::1 \n2001:db8::/32\n192.168.1.1/24\n\n""#
        ),
        "10.0.0.0/8\n::1\n2001:db8::/32\n192.168.1.1/24"
    );
    assert_eq!(text_ok("allow_ips", r#""""#), "");
    assert_eq!(text_ok("allow_ips", r#""192.168.1.1""#), "192.168.1.1");
    assert_eq!(
        text_ok("allow_ips", r#""::ffff:1.2.3.4/128""#),
        "::ffff:1.2.3.4/128"
    );
    let violations = check_field(
        "allow_ips",
        r#""1.2.3.4\n\nexample.com\n10.0.0.0/33\n::1/129\n1.2.3.4/\n1.2.3.4/x\n300.1.1.1""#,
        &ctx(),
    );
    assert_eq!(codes(&violations), ["allow_ips.invalid"; 6]);
    assert_eq!(paths(&violations), ["allow_ips"; 6]);
    assert_eq!(
        violations[0].problem,
        Problem::AllowIpsInvalid {
            line: 3,
            text: "\"example.com\"".into(),
            has_comma: false
        }
    );
    let violations = check_field("allow_ips", r#""1.1.1.1, 2.2.2.2""#, &ctx());
    let Problem::AllowIpsInvalid {
        line: 1,
        has_comma: true,
        ..
    } = violations[0].problem
    else {
        panic!()
    };
    assert!(violations[0]
        .message(crate::Lang::En)
        .contains("one entry per line"));
    assert!(violations[0]
        .message(crate::Lang::ZhCn)
        .contains("每行只写一个地址"));
}

#[test]
fn mj_image_mode_rules() {
    assert_eq!(text_ok("mj_image_mode", r#""origin""#), "origin");
    assert_eq!(text_ok("mj_image_mode", r#""proxy""#), "proxy");
    for bad in [r#""Origin""#, r#""""#, r#""proxy ""#, r#""relay""#] {
        assert_eq!(
            text_err("mj_image_mode", bad),
            ["mj_image_mode.invalid"],
            "{bad}"
        );
    }
}

#[test]
fn mj_custom_proxy_rules() {
    for good in [
        "",
        "https://img.example.com/p?x=1",
        "http://[::1]:8080/",
        "HTTPS://A.B",
        "http://user:pw@host:8080",
        "http://localhost",
        "https://例子.测试/",
    ] {
        assert_eq!(text_ok("mj_custom_proxy", &format!("\"{good}\"")), good);
    }
    for bad in [
        "ftp://x",
        "http://",
        "http:///path",
        "https://a b",
        " https://a",
        "example.com",
        "http://host:99999",
        "http://host:",
        "http://[::1",
        "http://[zz]/",
        "http://a\\u0000",
        "https://%%:x",
        "//host",
    ] {
        assert_eq!(
            text_err("mj_custom_proxy", &format!("\"{bad}\"")),
            ["mj_custom_proxy.invalid_url"],
            "{bad}"
        );
    }
    let longest = format!("https://p.example/{}", "a".repeat(2048 - 18));
    assert_eq!(
        text_ok("mj_custom_proxy", &format!("\"{longest}\"")),
        longest
    );
    let too_long = format!("{longest}a");
    assert_eq!(
        text_err("mj_custom_proxy", &format!("\"{too_long}\"")),
        ["mj_custom_proxy.too_long"]
    );
}

#[test]
fn proxy_with_origin_mode_conflicts() {
    let both = |mode: &str, proxy: &str| {
        let text = writing(
            &format!(r#""mj_image_mode": "{mode}", "mj_custom_proxy": "{proxy}""#),
            r#""mj_image_mode,mj_custom_proxy""#,
        );
        check_body(&text, &ctx())
    };
    let violations = both("origin", "https://p.example").unwrap_err();
    assert_eq!(codes(&violations), ["mj_custom_proxy.mode_conflict"]);
    assert_eq!(paths(&violations), ["mj_custom_proxy"]);
    assert!(both("origin", "").is_ok());
    assert!(both("proxy", "https://p.example").is_ok());
    // Only when both are written in the same request.
    let text = writing(
        r#""mj_image_mode": "origin", "mj_custom_proxy": "https://p.example""#,
        r#"["mj_custom_proxy"]"#,
    );
    assert!(check_body(&text, &ctx()).is_ok());
}

#[test]
fn all_violations_come_in_a_stable_order() {
    let text = r#"{
        "mj_custom_proxy": "ftp://x", "allow_ips": "nope", "group": "a,a", "expired_time": 0,
        "what": 1, "ids": [], "remain_quota": -5, "mj_image_mode": "x", "model_limits": "a,,b",
        "update_fields": "mj_custom_proxy,allow_ips,group,expired_time,remain_quota,mj_image_mode,model_limits,unlimited_quota",
    }"#;
    assert_eq!(
        body_codes(text),
        [
            "body.unknown_field",
            "ids.empty",
            "group.duplicate",
            "expired_time.range",
            "remain_quota.range",
            "unlimited_quota.missing",
            "model_limits.empty_entry",
            "allow_ips.invalid",
            "mj_image_mode.invalid",
            "mj_custom_proxy.invalid_url",
        ]
    );
}

#[test]
fn check_input_normalizes_only_listed_fields() {
    let input = BatchInput {
        ids: vec![3, 1],
        patch: Patch {
            group: Some(" a , b ".into()),
            allow_ips: Some("\n1.1.1.1\n".into()),
            remain_quota: Some(7),
            ..Patch::default()
        },
        update_fields: Some(set(&[Field::Group, Field::AllowIps])),
        ..BatchInput::default()
    };
    let batch = check_input(input, &ctx()).unwrap();
    assert_eq!(batch.ids, [1, 3]);
    assert_eq!(batch.fields, set(&[Field::Group, Field::AllowIps]));
    assert_eq!(batch.ignored, set(&[Field::RemainQuota]));
    assert_eq!(
        batch.values,
        Patch {
            group: Some("a,b".into()),
            allow_ips: Some("1.1.1.1".into()),
            ..Patch::default()
        }
    );
    let missing = BatchInput {
        ids: vec![1],
        ..BatchInput::default()
    };
    let violations = check_input(missing, &ctx()).unwrap_err();
    assert_eq!(codes(&violations), ["update_fields.missing"]);
}

#[test]
fn check_field_covers_every_name() {
    assert!(field_codes("ids", "[1, \"2\"]").is_empty());
    assert!(field_codes("ids", "\"1,2\"").is_empty());
    assert_eq!(field_codes("ids", "[]"), ["ids.empty"]);
    assert_eq!(field_codes("ids", "[0]"), ["ids.invalid"]);
    assert_eq!(field_codes("ids", "{}"), ["ids.type"]);
    assert!(field_codes("update_fields", "\"group\"").is_empty());
    assert_eq!(field_codes("update_fields", "[]"), ["update_fields.empty"]);
    assert_eq!(
        field_codes("update_fields", "[\"x\"]"),
        ["update_fields.unknown"]
    );
    assert_eq!(field_codes("update_fields", "1"), ["update_fields.type"]);
    assert!(field_codes("group", "\"a\"").is_empty());
    assert!(field_codes("expired_time", "-1").is_empty());
    assert_eq!(field_codes("expired_time", "0"), ["expired_time.range"]);
    assert!(field_codes("mj_custom_proxy", "\"\"").is_empty());
    let violations = check_field("Group", "\"a\"", &ctx());
    assert_eq!(codes(&violations), ["body.unknown_field"]);
    assert_eq!(paths(&violations), ["Group"]);
    let violations = check_field("group", "\"a", &ctx());
    assert_eq!(codes(&violations), ["body.invalid_json"]);
    assert_eq!(paths(&violations), ["group"]);
    assert!(violations[0]
        .message(crate::Lang::En)
        .starts_with("The value of group is not valid JSON"));
    assert_eq!(field_codes("group", ""), ["body.invalid_json"]);
    // Comments and a BOM are fine in a field's text too.
    assert!(field_codes("remain_quota", "\u{feff} 5 // five").is_empty());
}

#[test]
fn values_longer_than_the_database_column_are_refused() {
    let ips: Vec<String> = (1..=30).map(|n| format!("10.0.0.{n}")).collect();
    let text = writing(
        &format!(r#""allow_ips": "{}""#, ips.join("\\n")),
        r#"["allow_ips"]"#,
    );
    let mut narrow = ctx();
    narrow.column_limits = vec![(Field::AllowIps, 191)];
    let violations = check_body(&text, &narrow).unwrap_err();
    assert_eq!(violations[0].code(), "allow_ips.too_long_for_column");
    assert!(violations[0].message(crate::Lang::En).contains("191"));
    assert!(
        check_body(&text, &ctx()).is_ok(),
        "no limit without a narrow column"
    );
}
