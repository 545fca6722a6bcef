//! Selection by filter: reading from JSON and from query parameters, the refusals, and the matching model
//! (in `matching`); a body selecting by filter (`body`) and the search route's parameters (`search`).

mod body;
mod matching;
mod search;

use crate::filter::{
    read_filter_json, read_filter_query, FilterKey, FilterProblem, StatusSet, TokenFilter,
    UserScope,
};
use crate::json;
use crate::{Lang, Problem, SearchPatternError, Violation};

fn from_json(text: &str) -> (TokenFilter, Vec<Violation>) {
    let node = json::parse(text).expect("test JSON parses");
    let mut out = Vec::new();
    let filter = crate::filter::read_filter_node(&node, text, &mut out);
    (filter, out)
}

fn codes_paths(violations: &[Violation]) -> Vec<(&'static str, &str)> {
    violations
        .iter()
        .map(|violation| (violation.code(), violation.field.as_str()))
        .collect()
}

#[test]
fn reads_every_key_from_json() {
    let (filter, out) = from_json(
        r#"{"name": "web%", "key": "sk-abcd", "status": [1, "expired"], "group": " vip ",
            "model": "gpt-4o", "expires_before": 1790000000, "expires_after": 0,
            "never_expires": false, "accessed_before": 1780000000, "created_before": 1790000000,
            "created_after": 1700000000, "remain_quota_below": 500000, "remain_quota_at_least": 1,
            "unlimited_quota": false, "user_id": "*"}"#,
    );
    assert_eq!(out, vec![]);
    assert_eq!(filter.keys().count(), FilterKey::ALL.len());
    assert_eq!(filter.name.as_ref().unwrap().like, "web%");
    assert_eq!(filter.key.as_ref().unwrap().input, "abcd", "sk- is dropped");
    assert_eq!(filter.status.unwrap().iter().collect::<Vec<_>>(), [1, 3]);
    assert_eq!(filter.group.as_deref(), Some("vip"));
    assert_eq!(filter.expires_after, Some(0));
    assert_eq!(filter.user_id, Some(UserScope::AllUsers));
}

#[test]
fn query_parameters_read_the_same_keys_and_leave_others_alone() {
    let filter = read_filter_query([
        ("p", "2"),
        ("status", "1,3"),
        ("group", "vip"),
        ("expires_before", "1790000000"),
        ("never_expires", "false"),
        ("user_id", "7"),
    ])
    .unwrap();
    assert_eq!(filter.status.unwrap().iter().collect::<Vec<_>>(), [1, 3]);
    assert_eq!(filter.group.as_deref(), Some("vip"));
    assert_eq!(filter.expires_before, Some(1_790_000_000));
    assert_eq!(filter.never_expires, Some(false));
    assert_eq!(filter.user_id, Some(UserScope::User(7)));
}

#[test]
fn unknown_and_mistyped_keys_are_named() {
    let (_, out) = from_json(
        r#"{"groups": "vip", "status": 1, "never_expires": "true", "expires_before": "1"}"#,
    );
    assert_eq!(
        codes_paths(&out),
        [
            ("filter.unknown_key", "filter.groups"),
            ("filter.type", "filter.status"),
            ("filter.type", "filter.never_expires"),
            ("filter.type", "filter.expires_before"),
        ]
    );
    let message = out[0].message(Lang::En);
    assert!(
        message.contains("\"groups\"") && message.contains("remain_quota_at_least"),
        "{message}"
    );
}

#[test]
fn filter_text_is_read_alone_with_json_errors_named() {
    assert_eq!(
        read_filter_json(r#"{"group": "vip", /* c */}"#)
            .unwrap()
            .group
            .as_deref(),
        Some("vip")
    );
    let errors = read_filter_json(r#"{"group": }"#).unwrap_err();
    assert_eq!(codes_paths(&errors), [("body.invalid_json", "filter")]);
    assert!(
        errors[0]
            .message(Lang::En)
            .starts_with("The value of filter"),
        "{}",
        errors[0].message(Lang::En)
    );
    let errors = read_filter_json(r#"{"status": [0]}"#).unwrap_err();
    assert_eq!(
        codes_paths(&errors),
        [("filter.status_invalid", "filter.status[0]")]
    );
}

#[test]
fn a_filter_that_is_not_an_object_is_refused() {
    let (_, out) = from_json(r#"[1, 2]"#);
    assert_eq!(codes_paths(&out), [("filter.type", "filter")]);
}

#[test]
fn statuses_are_numbers_one_to_four_or_names() {
    let (_, out) = from_json(r#"{"status": [1, 5]}"#);
    assert_eq!(
        codes_paths(&out),
        [("filter.status_invalid", "filter.status[1]")]
    );
    let (_, out) = from_json(r#"{"status": ["Enabled"]}"#);
    assert_eq!(
        codes_paths(&out),
        [("filter.status_invalid", "filter.status[0]")]
    );
    let (_, out) = from_json(r#"{"status": []}"#);
    assert_eq!(
        codes_paths(&out),
        [("filter.status_empty", "filter.status")]
    );
    let errors = read_filter_query([("status", "enabled,zero")]).unwrap_err();
    assert_eq!(codes_paths(&errors), [("filter.status_invalid", "status")]);
}

#[test]
fn times_and_quotas_are_in_range() {
    let (_, out) = from_json(
        r#"{"expires_before": -1, "created_after": 1790000000000, "remain_quota_below": -5,
            "remain_quota_at_least": 9007199254740992, "accessed_before": 1.5}"#,
    );
    assert_eq!(
        codes_paths(&out),
        [
            ("filter.time_range", "filter.expires_before"),
            ("filter.time_range", "filter.created_after"),
            ("filter.quota_range", "filter.remain_quota_below"),
            ("filter.quota_range", "filter.remain_quota_at_least"),
            ("filter.type", "filter.accessed_before"),
        ]
    );
    assert!(out[1]
        .message(Lang::En)
        .contains("in seconds it is 1790000000"));
    assert!(out[1].message(Lang::ZhCn).contains("毫秒"));
    let errors = read_filter_query([("remain_quota_below", "99999999999999999999")]).unwrap_err();
    assert_eq!(
        codes_paths(&errors),
        [("filter.quota_range", "remain_quota_below")]
    );
}

#[test]
fn groups_and_models_are_one_entry() {
    let (filter, out) = from_json(r#"{"group": ""}"#);
    assert_eq!(out, vec![]);
    assert_eq!(
        filter.group.as_deref(),
        Some(""),
        "\"\" selects empty groups"
    );
    let (_, out) = from_json(r#"{"group": "vip,default", "model": ""}"#);
    assert_eq!(
        codes_paths(&out),
        [
            ("filter.entry_invalid", "filter.group"),
            ("filter.entry_invalid", "filter.model")
        ]
    );
}

#[test]
fn patterns_follow_new_api_search_rules() {
    let (_, out) = from_json(r#"{"name": "%a%b%", "key": "a\u0000"}"#);
    assert_eq!(
        codes_paths(&out),
        [
            ("search.too_many_wildcards", "filter.name"),
            ("search.control_char", "filter.key")
        ]
    );
    assert_eq!(
        out[0].problem,
        Problem::Filter(FilterProblem::Pattern {
            key: FilterKey::Name,
            error: SearchPatternError::TooManyWildcards
        })
    );
    assert!(out[0].message(Lang::En).starts_with("filter.name: "));
}

#[test]
fn user_id_is_an_id_or_a_star() {
    let (filter, out) = from_json(r#"{"user_id": 12}"#);
    assert_eq!((filter.user_id, out.len()), (Some(UserScope::User(12)), 0));
    let (_, out) = from_json(r#"{"user_id": 0}"#);
    assert_eq!(
        codes_paths(&out),
        [("filter.user_id_invalid", "filter.user_id")]
    );
    let (_, out) = from_json(r#"{"user_id": "all"}"#);
    assert_eq!(
        codes_paths(&out),
        [("filter.user_id_invalid", "filter.user_id")]
    );
}

#[test]
fn repeated_keys_are_refused() {
    let (_, out) = from_json(r#"{"group": "a", "group": "b"}"#);
    assert_eq!(codes_paths(&out), [("body.duplicate_key", "filter.group")]);
    let errors = read_filter_query([("group", "a"), ("group", "b")]).unwrap_err();
    assert_eq!(codes_paths(&errors), [("body.duplicate_key", "group")]);
}

#[test]
fn every_filter_problem_has_both_languages() {
    let problems = [
        FilterProblem::TooMany { count: 100_001 },
        FilterProblem::CountRequired { count: 42 },
        FilterProblem::CountMismatch {
            expected: 41,
            count: 42,
        },
        FilterProblem::Ambiguous,
        FilterProblem::ExpectedCountType {
            value: "\"3\"".into(),
        },
        FilterProblem::ExpectedCountWithoutFilter,
        FilterProblem::RequestIdWithFilter,
    ];
    for problem in problems {
        let (zh, en) = (problem.message(Lang::ZhCn), problem.message(Lang::En));
        assert!(
            !zh.is_empty() && !en.is_empty() && zh != en,
            "{}",
            problem.code()
        );
    }
    assert!(FilterProblem::CountRequired { count: 42 }
        .message(Lang::En)
        .contains("\"expected_count\": 42"));
    let mismatch = FilterProblem::CountMismatch {
        expected: 41,
        count: 42,
    }
    .message(Lang::En);
    assert!(mismatch.contains("41") && mismatch.contains("42"));
}

#[test]
fn status_sets_hold_only_the_four_statuses() {
    let mut set = StatusSet::default();
    set.insert(0);
    set.insert(5);
    assert!(set.is_empty());
    set.insert(4);
    set.insert(2);
    assert_eq!(set.iter().collect::<Vec<_>>(), [2, 4]);
}
