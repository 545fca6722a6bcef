//! new-api's search patterns, and the control characters refused on top of them.

use crate::{like_pattern, Lang, SearchPatternError};

#[test]
fn escapes_the_escape_character_and_underscore() {
    assert_eq!(like_pattern("a_b!c").unwrap(), "a!_b!!c");
}

#[test]
fn plain_input_is_an_exact_pattern() {
    assert_eq!(like_pattern("prod").unwrap(), "prod");
    assert_eq!(like_pattern("令牌-1").unwrap(), "令牌-1");
}

#[test]
fn wildcards_are_limited() {
    assert_eq!(like_pattern("%ab%").unwrap(), "%ab%");
    assert_eq!(
        like_pattern("%%ab"),
        Err(SearchPatternError::ConsecutiveWildcards)
    );
    assert_eq!(
        like_pattern("%a%b%"),
        Err(SearchPatternError::TooManyWildcards)
    );
    assert_eq!(like_pattern("%a"), Err(SearchPatternError::TooShort));
}

#[test]
fn control_characters_are_refused_wherever_they_are() {
    for (input, character) in [
        ("\0", '\0'),
        ("ab\0", '\0'),
        ("a\0b", '\0'),
        ("a\nb", '\n'),
        ("\tab", '\t'),
        ("ab\u{7f}", '\u{7f}'),
        ("a\u{85}b", '\u{85}'),
        ("%ab\0%", '\0'),
        ("%\0%%", '\0'),
    ] {
        assert_eq!(
            like_pattern(input),
            Err(SearchPatternError::ControlChar { character }),
            "{input:?}"
        );
    }
}

#[test]
fn the_control_character_message_names_it_in_both_languages() {
    let error = like_pattern("a\0b").unwrap_err();
    assert_eq!(error.code(), "search.control_char");
    assert_eq!(
        error.message(Lang::En),
        "the search contains the control character U+0000 (such as NUL or a line break): no token name or key holds one, remove it"
    );
    assert_eq!(
        error.message(Lang::ZhCn),
        "搜索内容含有控制字符 U+0000（如 NUL、换行）：令牌名称和密钥中没有这类字符，请删除它"
    );
    let newline = like_pattern("a\nb").unwrap_err();
    assert!(newline.message(Lang::En).contains("U+000A"));
}

#[test]
fn every_search_error_has_a_distinct_code_and_two_messages() {
    let errors = [
        SearchPatternError::ConsecutiveWildcards,
        SearchPatternError::TooManyWildcards,
        SearchPatternError::TooShort,
        SearchPatternError::ControlChar { character: '\0' },
    ];
    let codes: std::collections::BTreeSet<&str> = errors.iter().map(|e| e.code()).collect();
    assert_eq!(codes.len(), errors.len());
    for error in errors {
        assert!(error.code().starts_with("search."));
        let (zh, en) = (error.message(Lang::ZhCn), error.message(Lang::En));
        assert!(
            zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{zh}"
        );
        assert!(en.is_ascii(), "{en}");
    }
}
