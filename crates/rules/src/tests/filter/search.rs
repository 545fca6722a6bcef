//! The search route's `keyword` and `token` added to a filter as its name and key patterns.

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
