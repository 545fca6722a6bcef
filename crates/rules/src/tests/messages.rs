//! Every problem renders as a full sentence in both languages, naming its field.

mod samples;

use super::{codes, ctx, writing};
use crate::problem::{clip, quote};
use crate::{
    check_body, join_messages, Field, JsonErrorKind, JsonExpected, Lang, Problem, Violation,
    Warning,
};
use samples::samples;

#[test]
fn every_message_is_a_full_sentence_naming_its_field() {
    for (path, problem) in samples() {
        let violation = Violation {
            field: path.into(),
            problem: problem.clone(),
        };
        let en = violation.message(Lang::En);
        let zh = violation.message(Lang::ZhCn);
        assert!(en.ends_with('.'), "{en}");
        assert!(zh.ends_with('。'), "{zh}");
        assert!(
            zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{zh}"
        );
        assert!(
            !en.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{en}"
        );
        let subject = match violation.code().split('.').next().unwrap() {
            "body" if path == "body" => "",
            "body" => path,
            name => name,
        };
        assert!(
            en.contains(subject) && zh.contains(subject),
            "{subject}: {en} / {zh}"
        );
        // Byte-identical wherever rendered: the same value gives the same text.
        assert_eq!(en, violation.clone().message(Lang::En));
        let warning = Warning {
            field: path.into(),
            problem,
        };
        assert_eq!(warning.message(Lang::ZhCn), zh);
        assert_eq!(warning.code(), violation.code());
    }
}

#[test]
fn codes_are_distinct_and_well_formed() {
    let mut seen = std::collections::BTreeSet::new();
    for (_, problem) in samples() {
        let code = problem.code();
        let (subject, rule) = code.split_once('.').unwrap();
        assert!(
            !subject.is_empty() && !rule.is_empty() && code.is_ascii(),
            "{code}"
        );
        seen.insert(code);
    }
    // Two samples each of InvalidJson, IdsInvalid, UpdateFieldsMissing, UpdateFieldsType, AllowIpsInvalid,
    // scope.invalid; group.not_allowed for the caller and for other owners.
    assert_eq!(seen.len(), samples().len() - 7);
}

#[test]
fn selected_messages_read_as_specified() {
    let message = |path: &str, problem: Problem, lang| {
        Violation {
            field: path.into(),
            problem,
        }
        .message(lang)
    };
    assert_eq!(
        message("ids", Problem::IdsEmpty, Lang::ZhCn),
        "ids 不能为空：请至少填写一个令牌 id。"
    );
    assert_eq!(
        message("ids", Problem::IdsEmpty, Lang::En),
        "ids must not be empty: give at least one token id."
    );
    let present = [Field::Group, Field::ExpiredTime].into_iter().collect();
    assert_eq!(
        message("update_fields", Problem::UpdateFieldsMissing { present }, Lang::En),
        "update_fields is required: list the fields to write, e.g. \"update_fields\": [\"group\",\"expired_time\"] (the body carries: group, expired_time)."
    );
    assert_eq!(
        message("update_fields", Problem::UpdateFieldsMissing { present }, Lang::ZhCn),
        "缺少 update_fields：请列出要写入的字段，例如 \"update_fields\": [\"group\",\"expired_time\"]（请求体中带有：group, expired_time）。"
    );
    assert_eq!(
        message(
            "ids[3]",
            Problem::IdsInvalid { entry: "-5".into() },
            Lang::ZhCn
        ),
        "ids[3] 的值 -5 不是有效的令牌 id：id 必须是正整数。"
    );
    let millis = Problem::ExpiredTimeMilliseconds {
        value: 1776410923000,
        seconds: 1776410923,
    };
    assert_eq!(
        message("expired_time", millis.clone(), Lang::En),
        "expired_time 1776410923000 looks like unix milliseconds, but seconds are expected: send 1776410923 (2026-04-17 07:28:43 UTC) instead."
    );
    assert_eq!(
        message("expired_time", millis, Lang::ZhCn),
        "expired_time 的值 1776410923000 看起来是毫秒时间戳，这里需要秒：请改为 1776410923（2026-04-17 07:28:43 UTC）。"
    );
    assert_eq!(
        message("body", Problem::BodyTooLarge, Lang::En),
        "The request body exceeds the 1 MiB limit: send fewer ids per request (at most 10000)."
    );
    let json = Problem::InvalidJson {
        line: 3,
        column: 7,
        reason: JsonErrorKind::UnexpectedChar {
            found: '\'',
            expected: JsonExpected::Key,
        },
    };
    assert_eq!(
        message("body", json.clone(), Lang::En),
        "The request body is not valid JSON: line 3, column 7: unexpected character ''', expected a field name in double quotes."
    );
    assert_eq!(
        message("body", json, Lang::ZhCn),
        "请求体不是合法的 JSON：第 3 行第 7 列，意外的字符 '''，此处应为用双引号括起的字段名。"
    );
    let unknown = message(
        "foo",
        Problem::UnknownField {
            key: "\"foo\"".into(),
        },
        Lang::En,
    );
    assert_eq!(
        unknown,
        "Unknown field \"foo\": valid fields are ids, filter, expected_count, scope, update_fields, group, expired_time, remain_quota, unlimited_quota, model_limits, model_limits_enabled, allow_ips, mj_image_mode, mj_custom_proxy, dry_run, lang, plan_id."
    );
    let wrong = message(
        "unlimited_quota",
        Problem::WrongType {
            field: Field::UnlimitedQuota,
            value: "\"true\"".into(),
        },
        Lang::En,
    );
    assert_eq!(
        wrong,
        "unlimited_quota must be a JSON boolean true or false (no quotes), got \"true\"."
    );
}

#[test]
fn messages_from_real_bodies_quote_what_was_sent() {
    let text = writing(
        r#""mj_image_mode": "Proxy", "group": null"#,
        r#"["mj_image_mode", "group"]"#,
    );
    let violations = check_body(&text, &super::ctx()).unwrap_err();
    assert_eq!(codes(&violations), ["group.type", "mj_image_mode.invalid"]);
    assert_eq!(
        violations[0].message(Lang::ZhCn),
        "group 必须是字符串，而收到的是 null。"
    );
    assert!(violations[1]
        .message(Lang::En)
        .starts_with("mj_image_mode \"Proxy\" is invalid"));
    assert_eq!(
        join_messages(&violations, Lang::En),
        format!(
            "{} {}",
            violations[0].message(Lang::En),
            violations[1].message(Lang::En)
        )
    );
    assert_eq!(join_messages(&[], Lang::En), "");
}

#[test]
fn long_values_are_clipped_on_char_boundaries() {
    let long = "模".repeat(1000);
    let text = writing(
        &format!(r#""mj_image_mode": "{long}""#),
        r#"["mj_image_mode"]"#,
    );
    let violations = check_body(&text, &ctx()).unwrap_err();
    let message = violations[0].message(Lang::ZhCn);
    assert!(message.chars().count() < 200, "{message}");
    assert!(message.contains(&format!("\"{}…\"", "模".repeat(64))));
    assert_eq!(clip("short"), "short");
    assert_eq!(clip(&"é".repeat(64)), "é".repeat(64));
    assert_eq!(clip(&"é".repeat(65)), format!("{}…", "é".repeat(64)));
    assert_eq!(quote("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    // A long non-string value is shown on one line.
    let spaced = format!("[{}]", vec!["\r\n  {}"; 100].join(","));
    let violations = check_body(&format!(r#"{{"ids": {spaced}}}"#), &ctx()).unwrap_err();
    let message = violations[0].message(Lang::En);
    assert!(
        !message.contains('\n') && message.contains("ids[0] ({})"),
        "{message}"
    );
    let violations = check_body(&format!(r#"{{"ids": {{"a": {spaced}}}}}"#), &ctx()).unwrap_err();
    let message = violations[0].message(Lang::En);
    assert!(
        !message.contains('\n') && message.contains("…"),
        "{message}"
    );
}
