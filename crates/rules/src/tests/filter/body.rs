//! A batch body selecting by `filter` (and `expected_count`) instead of ids.

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
    let body = r#"{"filter": {"status": [7]}, "expected_count": "3", "update_fields": ["group"]}"#;
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
