//! The request as a whole: ids, update_fields, fields named but absent or present but not named, the
//! order violations come in, check_input on gRPC's input, and check_field on every name.

use super::set;
use crate::tests::{body_codes, codes, ctx, field_codes, paths, writing};
use crate::{check_body, check_field, check_input, BatchInput, Field, Patch, Problem, MAX_IDS};

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
