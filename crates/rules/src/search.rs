//! new-api's token search patterns (model/token.go `sanitizeLikePattern`): `!` is the LIKE escape character,
//! `_` is literal, `%` is a wildcard allowed at most twice and never doubled, and a wildcard search needs at
//! least two other characters. Without `%` the pattern is an exact match.
//!
//! Unlike new-api, a pattern with a control character is refused: no token name or key holds one, and
//! PostgreSQL cannot even receive a NUL in a text parameter (it answers "invalid byte sequence").

use crate::Lang;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchPatternError {
    ConsecutiveWildcards,
    TooManyWildcards,
    TooShort,
    /// A control character (NUL, a line break, ...), the first one in the input.
    ControlChar {
        character: char,
    },
}

impl SearchPatternError {
    pub fn code(self) -> &'static str {
        match self {
            SearchPatternError::ConsecutiveWildcards => "search.consecutive_wildcards",
            SearchPatternError::TooManyWildcards => "search.too_many_wildcards",
            SearchPatternError::TooShort => "search.too_short",
            SearchPatternError::ControlChar { .. } => "search.control_char",
        }
    }

    /// new-api's own wording in Chinese for the rules it has.
    pub fn message(self, lang: Lang) -> String {
        let (zh, en) = match self {
            SearchPatternError::ConsecutiveWildcards => (
                "搜索模式中不允许包含连续的 % 通配符",
                "the search pattern must not contain consecutive % wildcards",
            ),
            SearchPatternError::TooManyWildcards => (
                "搜索模式中最多允许包含 2 个 % 通配符",
                "the search pattern may contain at most 2 % wildcards",
            ),
            SearchPatternError::TooShort => (
                "使用模糊搜索时，关键词长度至少为 2 个字符",
                "a wildcard search needs a keyword of at least 2 characters",
            ),
            SearchPatternError::ControlChar { character } => {
                let code = format!("U+{:04X}", u32::from(character));
                return match lang {
                    Lang::ZhCn => format!(
                        "搜索内容含有控制字符 {code}（如 NUL、换行）：令牌名称和密钥中没有这类字符，请删除它"
                    ),
                    Lang::En => format!(
                        "the search contains the control character {code} (such as NUL or a line break): no token name or key holds one, remove it"
                    ),
                };
            }
        };
        match lang {
            Lang::ZhCn => zh.to_owned(),
            Lang::En => en.to_owned(),
        }
    }
}

/// Turns a user's search input into a LIKE pattern to use with `ESCAPE '!'`.
pub fn like_pattern(input: &str) -> Result<String, SearchPatternError> {
    if let Some(character) = input.chars().find(|c| c.is_control()) {
        return Err(SearchPatternError::ControlChar { character });
    }
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
