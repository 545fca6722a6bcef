//! Root's `scope` (docs/SPEC.md §13) in the rules: the only valid value, its place beside ids only, the
//! parameter the server refuses non-root callers for, and the plan's stored request keeping it.

use super::{codes, ctx, paths};
use crate::{check_parsed, read_body, BatchInput, ParsedBody};

#[test]
fn all_users_widens_an_ids_batch_and_is_kept_in_the_stored_request() {
    let text =
        r#"{"ids": [3, 1], "scope": "all_users", "update_fields": ["group"], "group": "vip"}"#;
    let parsed = read_body(text).unwrap();
    assert_eq!(parsed.other_users_parameter(), Some("scope"));
    let batch = check_parsed(parsed, &ctx()).unwrap();
    assert!(batch.all_users() && batch.crosses_users());
    let stored = batch.request_json();
    assert!(stored.contains(r#""scope":"all_users""#), "{stored}");
    let again = check_parsed(read_body(&stored).unwrap(), &ctx()).unwrap();
    assert_eq!(again, batch);
    // Without scope: the caller's own tokens, nothing named.
    let parsed = read_body(r#"{"ids": [1], "update_fields": ["group"], "group": "vip"}"#).unwrap();
    assert_eq!(parsed.other_users_parameter(), None);
    let batch = check_parsed(parsed, &ctx()).unwrap();
    assert!(!batch.all_users() && !batch.crosses_users());
    assert!(!batch.request_json().contains("scope"));
}

#[test]
fn any_other_scope_is_invalid_and_still_named() {
    for scope in [
        r#""mine""#,
        r#""ALL_USERS""#,
        "5",
        "null",
        r#"["all_users"]"#,
    ] {
        let text = format!(
            r#"{{"ids": [1], "scope": {scope}, "update_fields": ["group"], "group": "vip"}}"#
        );
        let parsed = read_body(&text).unwrap();
        // A non-root caller is refused for sending scope at all, whatever its value.
        assert_eq!(parsed.other_users_parameter(), Some("scope"), "{scope}");
        let violations = check_parsed(parsed, &ctx()).unwrap_err();
        assert_eq!(codes(&violations), ["scope.invalid"], "{scope}");
        assert_eq!(paths(&violations), ["scope"]);
    }
}

#[test]
fn scope_beside_a_filter_is_invalid_and_user_id_names_other_users() {
    let text = r#"{"filter": {"user_id": "*"}, "scope": "all_users", "expected_count": 1,
                   "update_fields": ["group"], "group": "vip"}"#;
    let violations = check_parsed(read_body(text).unwrap(), &ctx()).unwrap_err();
    assert_eq!(codes(&violations), ["scope.invalid"]);
    let text = r#"{"filter": {"user_id": 7}, "update_fields": ["group"], "group": "vip"}"#;
    let parsed = read_body(text).unwrap();
    assert_eq!(parsed.other_users_parameter(), Some("user_id"));
    let batch = check_parsed(parsed, &ctx()).unwrap();
    assert!(batch.crosses_users() && !batch.all_users());
}

#[test]
fn a_typed_request_carries_scope_too() {
    let input = BatchInput {
        ids: vec![1],
        scope: Some("all_users".into()),
        ..BatchInput::default()
    };
    let parsed = ParsedBody::typed(input, Some(&["status"]));
    assert_eq!(parsed.other_users_parameter(), Some("scope"));
}
