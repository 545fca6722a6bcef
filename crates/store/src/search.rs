//! new-api's token search patterns (model/token.go `sanitizeLikePattern`): `!` is the LIKE escape character,
//! `_` is literal, `%` is a wildcard allowed at most twice and never doubled, and a wildcard search needs at
//! least two other characters. Without `%` the pattern is an exact match.

use tokenbatch_rules::Lang;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchPatternError {
    ConsecutiveWildcards,
    TooManyWildcards,
    TooShort,
}

impl SearchPatternError {
    pub fn code(self) -> &'static str {
        match self {
            SearchPatternError::ConsecutiveWildcards => "search.consecutive_wildcards",
            SearchPatternError::TooManyWildcards => "search.too_many_wildcards",
            SearchPatternError::TooShort => "search.too_short",
        }
    }

    /// new-api's own wording in Chinese.
    pub fn message(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (SearchPatternError::ConsecutiveWildcards, Lang::ZhCn) => {
                "搜索模式中不允许包含连续的 % 通配符"
            }
            (SearchPatternError::ConsecutiveWildcards, Lang::En) => {
                "the search pattern must not contain consecutive % wildcards"
            }
            (SearchPatternError::TooManyWildcards, Lang::ZhCn) => {
                "搜索模式中最多允许包含 2 个 % 通配符"
            }
            (SearchPatternError::TooManyWildcards, Lang::En) => {
                "the search pattern may contain at most 2 % wildcards"
            }
            (SearchPatternError::TooShort, Lang::ZhCn) => {
                "使用模糊搜索时，关键词长度至少为 2 个字符"
            }
            (SearchPatternError::TooShort, Lang::En) => {
                "a wildcard search needs a keyword of at least 2 characters"
            }
        }
    }
}

/// Turns a user's search input into a LIKE pattern to use with `ESCAPE '!'`.
pub fn like_pattern(input: &str) -> Result<String, SearchPatternError> {
    let escaped = input.replace('!', "!!").replace('_', "!_");
    if escaped.contains("%%") {
        return Err(SearchPatternError::ConsecutiveWildcards);
    }
    let wildcards = escaped.matches('%').count();
    if wildcards > 2 {
        return Err(SearchPatternError::TooManyWildcards);
    }
    if wildcards > 0 && escaped.replace('%', "").len() < 2 {
        return Err(SearchPatternError::TooShort);
    }
    Ok(escaped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_escape_character_and_underscore() {
        assert_eq!(like_pattern("a_b!c").unwrap(), "a!_b!!c");
    }

    #[test]
    fn plain_input_is_an_exact_pattern() {
        assert_eq!(like_pattern("prod").unwrap(), "prod");
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
}
