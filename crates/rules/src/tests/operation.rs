//! Relative operations and the writable status (docs/SPEC.md §11): reading, checking, applying, messages.

use super::{body_codes, ctx, field_codes, paths, writing, NOW};
use crate::apply::TokenState;
use crate::operation::{Operation, OperationProblem, TokenOutcome};
use crate::{check_body, Context, Field, Lang, Problem, ValidBatch, Violation};

fn valid(text: &str) -> ValidBatch {
    check_body(text, &ctx()).unwrap_or_else(|violations| panic!("{text}: {violations:?}"))
}

fn violations(text: &str, ctx: &Context) -> Vec<Violation> {
    check_body(text, ctx).expect_err(text)
}

#[test]
fn each_field_reads_its_operations() {
    let batch = valid(&writing(
        r#""remain_quota": {"subtract": 500}, "expired_time": {"extend": 86400},
           "model_limits": {"add": " gpt-4.1 ,gpt-4.1,o3", "remove": "gpt-4o"},
           "allow_ips": {"add": "10.0.0.1\n\n192.168.0.0/16"},
           "group": {"prepend": "vip", "remove": "old"}"#,
        r#"["remain_quota", "expired_time", "model_limits", "allow_ips", "group"]"#,
    ));
    let ops = batch.ops();
    assert_eq!(
        ops.get(Field::RemainQuota).unwrap().quota_delta(),
        Some(-500)
    );
    assert_eq!(
        ops.get(Field::ExpiredTime),
        Some(&Operation::Extend { seconds: 86400 })
    );
    let list = |add: &[&str], remove: &[&str], prepend: &[&str]| Operation::List {
        add: add.iter().map(|s| s.to_string()).collect(),
        remove: remove.iter().map(|s| s.to_string()).collect(),
        prepend: prepend.iter().map(|s| s.to_string()).collect(),
    };
    assert_eq!(
        ops.get(Field::ModelLimits),
        Some(&list(&["gpt-4.1", "o3"], &["gpt-4o"], &[]))
    );
    assert_eq!(
        ops.get(Field::AllowIps),
        Some(&list(&["10.0.0.1", "192.168.0.0/16"], &[], &[]))
    );
    assert_eq!(ops.get(Field::Group), Some(&list(&[], &["old"], &["vip"])));
    // Written by operation, so no absolute value.
    assert_eq!(batch.values().remain_quota, None);
    assert_eq!(batch.fields().len(), 5);
}

#[test]
fn operation_shape_errors_name_the_field_and_the_key() {
    let cases = [
        (
            r#""remain_quota": {"plus": 5}"#,
            "remain_quota",
            "remain_quota.operation_unknown",
        ),
        (
            r#""remain_quota": {"add": "5"}"#,
            "remain_quota",
            "remain_quota.operation_type",
        ),
        (
            r#""remain_quota": {"add": 1.5}"#,
            "remain_quota",
            "remain_quota.operation_type",
        ),
        (
            r#""remain_quota": {"add": 1, "subtract": 2}"#,
            "remain_quota",
            "remain_quota.operation_exclusive",
        ),
        (
            r#""remain_quota": {}"#,
            "remain_quota",
            "remain_quota.operation_empty",
        ),
        (
            r#""remain_quota": {"add": -1}"#,
            "remain_quota",
            "remain_quota.operation_range",
        ),
        (
            r#""remain_quota": {"add": 99999999999999999999}"#,
            "remain_quota",
            "remain_quota.operation_range",
        ),
        (
            r#""expired_time": {"extend": 0}"#,
            "expired_time",
            "expired_time.operation_range",
        ),
        (
            r#""expired_time": {"add": 60}"#,
            "expired_time",
            "expired_time.operation_unknown",
        ),
        (
            r#""model_limits": {"add": ""}"#,
            "model_limits",
            "model_limits.operation_empty",
        ),
        (
            r#""model_limits": {"add": 5}"#,
            "model_limits",
            "model_limits.operation_type",
        ),
        (
            r#""model_limits": {"prepend": "a"}"#,
            "model_limits",
            "model_limits.operation_unknown",
        ),
        (
            r#""model_limits": {"add": "a,b", "remove": "b"}"#,
            "model_limits",
            "model_limits.operation_conflict",
        ),
        (
            r#""allow_ips": {"add": "10.0.0.300"}"#,
            "allow_ips",
            "allow_ips.invalid",
        ),
        (
            r#""allow_ips": {"add": "10.0.0.1", "remove": "10.0.0.1/32"}"#,
            "allow_ips",
            "allow_ips.operation_conflict",
        ),
        (
            r#""group": {"add": "a\u0001"}"#,
            "group",
            "group.control_char",
        ),
    ];
    for (member, field, code) in cases {
        let update_fields = format!(r#"["{field}"]"#);
        let text = writing(member, &update_fields);
        let found = violations(&text, &ctx());
        assert_eq!(super::codes(&found), [code], "{text}");
        assert_eq!(paths(&found), [field], "{text}");
        // The page checks one field alone with the same verdict.
        let value = member.split_once(": ").unwrap().1;
        assert_eq!(field_codes(field, value), [code], "{member}");
    }
    // Fields without operations still call an object a type error.
    assert_eq!(
        body_codes(&writing(
            r#""mj_image_mode": {"add": "x"}"#,
            r#"["mj_image_mode"]"#
        )),
        ["mj_image_mode.type"]
    );
}

#[test]
fn added_groups_must_be_usable_but_any_group_can_be_removed() {
    let mut context = ctx();
    context.allowed_groups = Some(vec!["default".into(), "vip".into()]);
    let refused = violations(
        &writing(r#""group": {"add": "svip"}"#, r#"["group"]"#),
        &context,
    );
    assert_eq!(super::codes(&refused), ["group.not_allowed"]);
    let removed = writing(
        r#""group": {"remove": "svip", "prepend": "vip"}"#,
        r#"["group"]"#,
    );
    assert!(check_body(&removed, &context).is_ok());
}

#[test]
fn status_takes_enable_or_disable_by_number_or_name() {
    for (value, status) in [("1", 1), ("\"enabled\"", 1), ("2", 2), ("\"disabled\"", 2)] {
        let batch = valid(&writing(&format!(r#""status": {value}"#), r#""status""#));
        assert_eq!(batch.status(), Some(status), "{value}");
        assert!(batch.fields().is_empty());
    }
    for value in ["3", "4", "0", "\"expired\"", "true", "null", "1.0"] {
        let text = writing(&format!(r#""status": {value}"#), r#"["status"]"#);
        assert_eq!(body_codes(&text), ["status.invalid"], "{value}");
        assert_eq!(field_codes("status", value), ["status.invalid"], "{value}");
    }
    let missing = r#"{"ids": [1], "update_fields": ["status"]}"#;
    assert_eq!(body_codes(missing), ["status.missing"]);
    // Not named in update_fields: not written.
    let ignored = valid(&writing(r#""status": 2, "group": "a""#, r#"["group"]"#));
    assert_eq!(ignored.status(), None);
}

fn token(status: i64, expired_time: i64, remain_quota: i64) -> TokenState {
    TokenState {
        status,
        expired_time,
        remain_quota,
        group: "default".into(),
        ..TokenState::default()
    }
}

#[test]
fn edit_applies_operations_and_the_status_rules() {
    let batch = valid(&writing(
        r#""remain_quota": {"add": 10}, "expired_time": {"extend": 100}"#,
        r#"["remain_quota", "expired_time"]"#,
    ));
    // Exhausted and expired: the extension counts from now, the quota comes back, so enabled.
    let after = token(4, NOW - 50, 0).edit(&batch, NOW).unwrap();
    assert_eq!(
        (after.status, after.expired_time, after.remain_quota),
        (1, NOW + 100, 10)
    );
    // Never-expiring stays so.
    assert_eq!(token(1, -1, 0).edit(&batch, NOW).unwrap().expired_time, -1);

    let subtract = valid(&writing(
        r#""remain_quota": {"subtract": 5}"#,
        r#"["remain_quota"]"#,
    ));
    assert_eq!(
        token(1, -1, 4).edit(&subtract, NOW),
        Err(TokenOutcome::QuotaBelowZero)
    );
    // An enabled token is never marked exhausted by a batch (new-api does it on use).
    assert_eq!(token(1, -1, 5).edit(&subtract, NOW).unwrap().status, 1);
}

#[test]
fn enabling_refuses_tokens_still_expired_then_exhausted() {
    let enable = valid(&writing(r#""status": "enabled""#, r#"["status"]"#));
    assert_eq!(token(2, -1, 5).edit(&enable, NOW).unwrap().status, 1);
    assert_eq!(
        token(3, NOW - 1, 0).edit(&enable, NOW),
        Err(TokenOutcome::CannotEnableExpired)
    );
    assert_eq!(
        token(4, -1, 0).edit(&enable, NOW),
        Err(TokenOutcome::CannotEnableExhausted)
    );
    // The batch's own changes count: extending the expiry makes enabling possible.
    let extend_and_enable = valid(&writing(
        r#""status": 1, "expired_time": {"extend": 3600}"#,
        r#"["status", "expired_time"]"#,
    ));
    assert_eq!(
        token(3, NOW - 1, 5)
            .edit(&extend_and_enable, NOW)
            .unwrap()
            .status,
        1
    );
    let disable = valid(&writing(r#""status": 2"#, r#"["status"]"#));
    assert_eq!(token(3, NOW - 1, 0).edit(&disable, NOW).unwrap().status, 2);
}

#[test]
fn every_operation_problem_has_two_messages_naming_its_subject() {
    let refused = |outcome| OperationProblem::Refused { outcome, count: 3 };
    let samples = [
        OperationProblem::UnknownKey {
            field: Field::Group,
            key: "\"x\"".into(),
        },
        OperationProblem::WrongType {
            field: Field::AllowIps,
            key: "add",
            value: "1".into(),
        },
        OperationProblem::Empty {
            field: Field::ModelLimits,
        },
        OperationProblem::Exclusive {
            field: Field::RemainQuota,
        },
        OperationProblem::OutOfRange {
            field: Field::ExpiredTime,
            value: "0".into(),
        },
        OperationProblem::OutOfRange {
            field: Field::RemainQuota,
            value: "-1".into(),
        },
        OperationProblem::Conflict {
            field: Field::Group,
            entry: "\"a\"".into(),
        },
        OperationProblem::StatusInvalid { value: "3".into() },
        OperationProblem::StatusMissing,
        refused(TokenOutcome::QuotaBelowZero),
        refused(TokenOutcome::QuotaAboveMaximum),
        refused(TokenOutcome::ExpiryAboveMaximum),
        refused(TokenOutcome::ListTooLong(Field::ModelLimits)),
        refused(TokenOutcome::ListTooLong(Field::AllowIps)),
        refused(TokenOutcome::ListTooLong(Field::Group)),
        refused(TokenOutcome::TooManyIps),
        refused(TokenOutcome::CannotEnableExpired),
        refused(TokenOutcome::CannotEnableExhausted),
    ];
    let mut codes = std::collections::BTreeSet::new();
    for problem in samples {
        let code = problem.code();
        codes.insert(code);
        let subject = code.split('.').next().unwrap();
        let violation = Violation::new(subject, Problem::Operation(problem.clone()));
        let (en, zh) = (violation.message(Lang::En), violation.message(Lang::ZhCn));
        assert!(en.ends_with('.') && zh.ends_with('。'), "{en} / {zh}");
        assert!(en.contains(subject) || en.contains("token"), "{en}");
        if let OperationProblem::Refused { .. } = problem {
            assert!(
                en.contains("3 tokens") && zh.contains("3 个令牌"),
                "{en} / {zh}"
            );
        }
    }
    assert_eq!(codes.len(), 18);
}

#[test]
fn written_groups_are_those_put_on_tokens() {
    let groups = |field: &str| {
        valid(&writing(field, r#"["group"]"#))
            .written_groups()
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(groups(r#""group": "vip,default""#), ["default", "vip"]);
    assert_eq!(
        groups(r#""group": {"add": "svip", "prepend": "vip", "remove": "old"}"#),
        ["svip", "vip"]
    );
    assert!(groups(r#""group": {"remove": "old"}"#).is_empty());
}

#[test]
fn auto_is_always_usable() {
    let usable = ["default".to_owned()];
    assert!(crate::group_usable("auto", &usable));
    assert!(crate::group_usable("default", &usable));
    assert!(!crate::group_usable("vip", &usable));
}
