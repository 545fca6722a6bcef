//! Selection by filter: reading from JSON and from query parameters, the refusals, and the matching model.

use crate::filter::{
    like_matches, list_has, read_filter_json, read_filter_query, FilterKey, FilterProblem,
    FilterRow, StatusSet, TokenFilter, UserScope,
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

fn row<'a>(group: &'a str, models: &'a str, expired_time: i64) -> FilterRow<'a> {
    FilterRow {
        user_id: 1,
        name: "Web-1",
        key: "abcd1234",
        status: 1,
        group,
        model_limits: models,
        expired_time,
        accessed_time: 100,
        created_time: 50,
        remain_quota: 10,
        unlimited_quota: false,
    }
}

#[test]
fn groups_match_whole_entries_only() {
    assert!(list_has("vip,default", "vip"));
    assert!(!list_has("svip,default", "vip"));
    assert!(list_has("", ""));
    assert!(!list_has("vip", ""));
    let filter = TokenFilter {
        group: Some("vip".into()),
        ..TokenFilter::default()
    };
    assert!(filter.matches(&row("default,vip", "", -1), 1, true));
    assert!(!filter.matches(&row("svip", "", -1), 1, true));
}

#[test]
fn never_expiring_tokens_never_expire_before_and_always_after() {
    let before = TokenFilter {
        expires_before: Some(1_000),
        ..TokenFilter::default()
    };
    let after = TokenFilter {
        expires_after: Some(1_000),
        ..TokenFilter::default()
    };
    let never = row("", "", -1);
    assert!(!before.matches(&never, 1, true));
    assert!(after.matches(&never, 1, true));
    assert!(before.matches(&row("", "", 999), 1, true));
    assert!(!before.matches(&row("", "", 1_000), 1, true), "strict <");
    assert!(after.matches(&row("", "", 1_000), 1, true), ">=");
}

#[test]
fn scope_defaults_to_the_callers_own_tokens() {
    let all = TokenFilter::default();
    assert!(all.matches(&row("", "", -1), 1, true));
    assert!(!all.matches(&row("", "", -1), 2, true));
    let everyone = TokenFilter {
        user_id: Some(UserScope::AllUsers),
        ..TokenFilter::default()
    };
    assert!(everyone.matches(&row("", "", -1), 2, true));
}

#[test]
fn like_follows_sql_with_the_bang_escape() {
    assert!(like_matches("web%", "Web-1", true));
    assert!(!like_matches("web%", "Web-1", false));
    assert!(like_matches("%b-%", "Web-1", false));
    assert!(like_matches("a!_b", "a_b", false));
    assert!(!like_matches("a!_b", "axb", false));
    assert!(like_matches("a_b", "axb", false));
    assert!(like_matches("%", "", false));
    assert!(!like_matches("abc", "abcd", false));
    assert!(like_matches("%a%c", "xxabxc", false));
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

mod body {
    use crate::tests::{codes, ctx};
    use crate::{check_body, Lang};

    const VALUES: &str = r#""update_fields": ["model_limits"], "model_limits": "gpt-4o""#;

    #[test]
    fn a_body_selects_by_filter_instead_of_ids() {
        let body = format!(r#"{{"filter": {{"group": "vip"}}, "expected_count": 12, {VALUES}}}"#);
        let batch = check_body(&body, &ctx()).unwrap();
        assert_eq!(batch.filter().unwrap().group.as_deref(), Some("vip"));
        assert_eq!(batch.expected_count(), Some(12));
        assert!(batch.ids().is_empty(), "ids come from the store");
        assert_eq!(batch.with_selected_ids(vec![9, 3, 9]).ids(), [3, 9]);
    }

    #[test]
    fn ids_and_filter_together_are_ambiguous() {
        let body = format!(r#"{{"ids": [1], "filter": {{}}, "expected_count": 1, {VALUES}}}"#);
        let violations = check_body(&body, &ctx()).unwrap_err();
        assert_eq!(codes(&violations), ["selection.ambiguous"]);
        assert_eq!(violations[0].field, "filter");
    }

    #[test]
    fn neither_is_the_ids_error_and_the_count_needs_a_filter() {
        let violations = check_body(&format!("{{{VALUES}}}"), &ctx()).unwrap_err();
        assert_eq!(codes(&violations), ["ids.missing"]);
        let body = format!(r#"{{"ids": [1], "expected_count": 1, {VALUES}}}"#);
        let violations = check_body(&body, &ctx()).unwrap_err();
        assert_eq!(codes(&violations), ["expected_count.without_filter"]);
    }

    #[test]
    fn the_count_is_a_non_negative_integer_and_filter_errors_come_with_the_rest() {
        let body =
            r#"{"filter": {"status": [7]}, "expected_count": "3", "update_fields": ["group"]}"#;
        let violations = check_body(body, &ctx()).unwrap_err();
        assert_eq!(
            codes(&violations),
            [
                "filter.status_invalid",
                "expected_count.type",
                "group.missing"
            ]
        );
        assert!(violations[1].message(Lang::En).contains("\"3\""));
        let body = format!(r#"{{"filter": {{}}, "expected_count": -1, {VALUES}}}"#);
        let violations = check_body(&body, &ctx()).unwrap_err();
        assert_eq!(codes(&violations), ["expected_count.type"]);
    }
}

mod search {
    use crate::filter::{read_filter_query, with_search, SearchRefusal, TokenFilter};
    use crate::SearchPatternError;

    #[test]
    fn keyword_and_token_become_the_name_and_key_patterns() {
        let filter = with_search(TokenFilter::default(), "web%", "sk-Ab%").unwrap();
        assert_eq!(filter.name.unwrap().like, "web%");
        assert_eq!(filter.key.unwrap().input, "Ab%", "sk- is dropped");
        assert_eq!(
            with_search(TokenFilter::default(), "", "").unwrap(),
            TokenFilter::default()
        );
    }

    #[test]
    fn a_pair_given_twice_or_a_bad_pattern_is_refused_naming_the_parameter() {
        let named = read_filter_query([("name", "api")]).unwrap();
        let Err(SearchRefusal::Repeated(violation)) = with_search(named, "web", "") else {
            panic!("keyword beside name is refused")
        };
        assert_eq!(
            (violation.field.as_str(), violation.code()),
            ("keyword", "body.duplicate_key")
        );
        assert_eq!(
            with_search(TokenFilter::default(), "", "%%ab"),
            Err(SearchRefusal::Pattern {
                field: "token",
                error: SearchPatternError::ConsecutiveWildcards
            })
        );
    }
}
