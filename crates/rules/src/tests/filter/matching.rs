//! The matching model (`TokenFilter::matches`) and the comparisons it is made of.

use crate::filter::{like_matches, list_has, FilterRow, TokenFilter, UserScope};

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
