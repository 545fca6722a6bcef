//! Plans (docs/SPEC.md §10) in the rules: the body keys `dry_run`, `lang`, `plan_id`, the refusals of a
//! body applying a plan, and the normalized request a plan stores, read back into an equal batch.

use super::{codes, ctx, paths, XorShift};
use crate::filter::{filter_json, read_filter_json};
use crate::plan::exclusive_with;
use crate::{
    check_body, check_parsed, parse_body, read_body, Field, Lang, PlanProblem, Problem,
    MAX_EXPIRED_TIME, MAX_REMAIN_QUOTA,
};

#[test]
fn a_plan_body_names_its_plan_and_may_carry_lang() {
    let parsed = read_body(r#"{"plan_id": "plan_abc"}"#).unwrap();
    assert_eq!(parsed.plan_id(), Some(Ok("plan_abc")));
    assert_eq!(parsed.lang(), None);
    let parsed = read_body(r#"{"lang": "en-US", /* JSONC too */ "plan_id": "p",}"#).unwrap();
    assert_eq!(parsed.plan_id(), Some(Ok("p")));
    assert_eq!(parsed.lang(), Some(Lang::En));
    // A batch body is none.
    let parsed = read_body(r#"{"ids": [1], "update_fields": []}"#).unwrap();
    assert_eq!(parsed.plan_id(), None);
}

#[test]
fn anything_else_beside_plan_id_is_one_exclusive_violation_naming_the_keys() {
    let text = r#"{"ids": [1], "plan_id": "p", "colour": 1, "dry_run": true, "lang": "en",
                   "update_fields": ["group"], "group": "vip"}"#;
    let parsed = read_body(text).unwrap();
    let violations = parsed.plan_id().unwrap().unwrap_err();
    assert_eq!(codes(violations), ["plan.exclusive"]);
    assert_eq!(paths(violations), ["plan_id"]);
    let quoted = |keys: &[&str]| {
        let quoted: Vec<String> = keys.iter().map(|key| format!("\"{key}\"")).collect();
        Problem::Plan(PlanProblem::Exclusive(quoted.join(", ")))
    };
    assert_eq!(
        violations[0].problem,
        quoted(&["ids", "colour", "dry_run", "update_fields", "group"])
    );
    let message = violations[0].message(Lang::En);
    assert!(
        message.contains("\"colour\"") && message.contains("\"update_fields\""),
        "{message}"
    );
    // No ids.missing, update_fields.missing or body.unknown_field: the body is a plan's, not a batch's.
    assert_eq!(
        codes(&check_body(text, &ctx()).unwrap_err()),
        ["plan.exclusive"]
    );
    assert_eq!(exclusive_with(&["dry_run"]).problem, quoted(&["dry_run"]));
}

#[test]
fn a_long_list_of_extra_keys_is_cut_short() {
    let keys: Vec<String> = (0..30).map(|index| format!("k{index}")).collect();
    let names: Vec<&str> = keys.iter().map(String::as_str).collect();
    let message = exclusive_with(&names).message(Lang::En);
    assert!(
        message.contains("\"k19\", …;") && !message.contains("k20"),
        "{message}"
    );
}

#[test]
fn a_plan_body_is_no_batch_to_check() {
    for check in [
        |text: &str| check_body(text, &ctx()).unwrap_err(),
        |text: &str| parse_body(text).unwrap_err(),
    ] {
        assert_eq!(codes(&check(r#"{"plan_id": "p"}"#)), ["plan.not_a_batch"]);
        assert_eq!(codes(&check(r#"{"plan_id": 7}"#)), ["plan_id.type"]);
        assert_eq!(
            codes(&check(r#"{"plan_id": "p", "plan_id": "q"}"#)),
            ["body.duplicate_key"]
        );
        assert_eq!(
            codes(&check(r#"{"plan_id": "p", "lang": "fr"}"#)),
            ["lang.invalid"]
        );
    }
    let parsed = read_body(r#"{"plan_id": null, "lang": "zh"}"#).unwrap();
    assert_eq!(
        codes(parsed.plan_id().unwrap().unwrap_err()),
        ["plan_id.type"]
    );
    assert_eq!(
        codes(&check_parsed(parsed, &ctx()).unwrap_err()),
        ["plan_id.type"]
    );
}

#[test]
fn dry_run_and_lang_ride_along_a_batch_body() {
    let text = r#"{"ids": [1], "dry_run": true, "lang": "zh-CN", "update_fields": ["group"], "group": "a"}"#;
    let parsed = read_body(text).unwrap();
    assert!(parsed.dry_run());
    assert_eq!(parsed.lang(), Some(Lang::ZhCn));
    let batch = check_parsed(parsed, &ctx()).unwrap();
    assert_eq!(batch.ids(), [1]);
    let off = read_body(r#"{"ids": [1], "dry_run": false, "update_fields": []}"#).unwrap();
    assert!(!off.dry_run());

    let text =
        r#"{"ids": [1], "dry_run": "yes", "lang": 1, "update_fields": ["group"], "group": "a"}"#;
    let violations = check_body(text, &ctx()).unwrap_err();
    assert_eq!(codes(&violations), ["dry_run.type", "lang.invalid"]);
    assert_eq!(paths(&violations), ["dry_run", "lang"]);
    assert!(violations[1]
        .message(Lang::En)
        .contains("\"zh-CN\" or \"en\""));
}

#[test]
fn the_normalized_request_is_canonical_json() {
    let text = r#"{"update_fields": "remain_quota, group", "group": " vip , default ", "ids": "9,3,9",
                   "remain_quota": 5, "model_limits_enabled": true}"#;
    let batch = check_body(text, &ctx()).unwrap();
    assert_eq!(
        batch.request_json(),
        r#"{"ids":[3,9],"update_fields":["group","remain_quota"],"group":"vip,default","remain_quota":5,"model_limits_enabled":false}"#
    );
    let by_filter = r#"{"filter": {"status": ["expired", 1], "key": "sk-sk-x%", "group": " vip "},
                        "expected_count": 3, "update_fields": ["expired_time"], "expired_time": -1}"#;
    let batch = check_body(by_filter, &ctx()).unwrap();
    assert_eq!(
        batch.request_json(),
        r#"{"filter":{"key":"sk-sk-x%","status":[1,3],"group":"vip"},"expected_count":3,"update_fields":["expired_time"],"expired_time":-1}"#
    );
    // The filter's ids, once pinned, are not what the request said.
    let pinned = batch.clone().with_selected_ids(vec![4, 2]);
    assert_eq!(pinned.request_json(), batch.request_json());
}

/// Picks one of `options`.
fn pick<'a>(random: &mut XorShift, options: &[&'a str]) -> &'a str {
    options[random.below(options.len())]
}

/// A body that the rules mostly accept, with every field, ignored fields, odd characters and both ways of
/// selecting tokens.
fn random_body(random: &mut XorShift) -> String {
    let mut members = Vec::new();
    if random.below(2) == 0 {
        let ids: Vec<String> = (0..1 + random.below(5))
            .map(|_| (1 + random.below(40)).to_string())
            .collect();
        members.push(format!("\"ids\": [{}]", ids.join(", ")));
    } else {
        members.push(format!("\"filter\": {}", random_filter(random)));
        if random.below(2) == 0 {
            members.push(format!("\"expected_count\": {}", random.below(50)));
        }
    }
    let values: [(Field, &[&str]); 9] = [
        (
            Field::Group,
            &[
                r#"" vip , default ""#,
                r#""a\"b,默认""#,
                r#""x\\y""#,
                r#""auto""#,
                r#"{"prepend": "vip", "remove": "old,older"}"#,
                r#"{"add": " a , b "}"#,
            ],
        ),
        (
            Field::ExpiredTime,
            &[
                "-1",
                "1",
                "1776410923",
                "253402300799",
                r#"{"extend": 86400}"#,
            ],
        ),
        (
            Field::RemainQuota,
            &[
                "0",
                "500000",
                "500000000000000",
                r#"{"add": 5}"#,
                r#"{"subtract": 0}"#,
            ],
        ),
        (Field::UnlimitedQuota, &["true", "false"]),
        (
            Field::ModelLimits,
            &[
                r#""""#,
                r#"" gpt-4o , gpt-4o,x""#,
                r#""模型\"q\"""#,
                r#"{"add": "gpt-4.1", "remove": "gpt-4o"}"#,
            ],
        ),
        (Field::ModelLimitsEnabled, &["true", "false"]),
        (
            Field::AllowIps,
            &[
                r#""10.0.0.1\n\n 10.0.0.0/8 ""#,
                r#""::1""#,
                r#""""#,
                r#"{"remove": "10.0.0.7/8\n::1"}"#,
            ],
        ),
        (Field::MjImageMode, &[r#""origin""#, r#""proxy""#]),
        (
            Field::MjCustomProxy,
            &[
                r#""""#,
                r#""https://p.example/a?b=\"c\"""#,
                r#""http://例え.jp:8080""#,
            ],
        ),
    ];
    let mut named = Vec::new();
    for (field, options) in values {
        match random.below(3) {
            0 => {}
            carried => {
                members.push(format!("\"{}\": {}", field.name(), pick(random, options)));
                if carried == 1 {
                    named.push(format!("\"{}\"", field.name()));
                }
            }
        }
    }
    match random.below(3) {
        0 => {}
        carried => {
            members.push(format!(
                "\"status\": {}",
                pick(random, &["1", "\"disabled\""])
            ));
            if carried == 1 {
                named.push("\"status\"".to_owned());
            }
        }
    }
    members.push(format!("\"update_fields\": [{}]", named.join(", ")));
    // Members in any order.
    for index in (1..members.len()).rev() {
        members.swap(index, random.below(index + 1));
    }
    format!("{{{}}}", members.join(", "))
}

fn random_filter(random: &mut XorShift) -> String {
    let keys: [(&str, &[&str]); 15] = [
        ("name", &[r#""web%""#, r#""a!%b""#, r#""名前""#]),
        ("key", &[r#""sk-abc%""#, r#""sk-sk-x""#, r#""%y""#]),
        ("status", &[r#"[1, "expired"]"#, r#""2,4""#, "[4, 4]"]),
        ("group", &[r#"" vip ""#, r#""""#, r#""默认""#]),
        ("model", &[r#""gpt-4o""#, r#"" q\"uote ""#]),
        ("expires_before", &["0", "1790000000"]),
        ("expires_after", &["5"]),
        ("never_expires", &["true", "false"]),
        ("accessed_before", &["1780000000"]),
        ("created_before", &["253402300799"]),
        ("created_after", &["1"]),
        ("remain_quota_below", &["9007199254740991"]),
        ("remain_quota_at_least", &["0"]),
        ("unlimited_quota", &["false"]),
        ("user_id", &["7", r#""*""#, r#"" 12 ""#]),
    ];
    let mut chosen = Vec::new();
    for (key, options) in keys {
        if random.below(3) == 0 {
            chosen.push(format!("\"{key}\": {}", pick(random, options)));
        }
    }
    format!("{{{}}}", chosen.join(", "))
}

/// The property plans rely on: a stored request reads back as the very batch that was previewed.
#[test]
fn the_normalized_request_reads_back_as_an_equal_batch() {
    let mut random = XorShift(0x5eed_1234_abcd_0001);
    let mut accepted = 0;
    for _ in 0..4_000 {
        let text = random_body(&mut random);
        let Ok(batch) = check_body(&text, &ctx()) else {
            continue;
        };
        accepted += 1;
        let json = batch.request_json();
        let again = check_body(&json, &ctx()).unwrap_or_else(|v| panic!("{text}\n{json}\n{v:?}"));
        assert_eq!(again, batch, "{text}\n{json}");
        assert_eq!(again.request_json(), json, "canonical: {text}");
    }
    assert!(accepted > 1_000, "only {accepted} bodies were valid");
}

#[test]
fn a_filter_reads_back_from_its_json() {
    let mut random = XorShift(0x0f11_7e55_0000_0002);
    for _ in 0..2_000 {
        let text = random_filter(&mut random);
        let Ok(filter) = read_filter_json(&text) else {
            continue;
        };
        let json = filter_json(&filter);
        assert_eq!(read_filter_json(&json), Ok(filter), "{text}\n{json}");
    }
}

#[test]
fn extreme_values_survive_the_round_trip() {
    let body = format!(
        r#"{{"ids": [9223372036854775807], "update_fields": ["expired_time", "remain_quota", "group"],
            "expired_time": {MAX_EXPIRED_TIME}, "remain_quota": {MAX_REMAIN_QUOTA},
            "group": "\u00ff\ud83d\ude00 \\ \" /"}}"#
    );
    let batch = check_body(&body, &ctx()).unwrap();
    assert_eq!(check_body(&batch.request_json(), &ctx()), Ok(batch));
}
