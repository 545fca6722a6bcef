//! new-api's search parameters on top of a filter: `keyword` is its name for the `name` pattern and `token`
//! for the `key` pattern. A request carrying both of a pair is refused rather than guessed.

use super::{FilterKey, TextPattern, TokenFilter};
use crate::{Problem, SearchPatternError, Violation};

/// Why `keyword` / `token` cannot join the filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchRefusal {
    /// `body.duplicate_key` on the search parameter: the filter already has its key.
    Repeated(Violation),
    /// new-api's pattern rules, on `field` (`keyword` or `token`), worded as new-api's search words them.
    Pattern {
        field: &'static str,
        error: SearchPatternError,
    },
}

/// `filter` with `keyword` as its name pattern and `token` as its key pattern (an `sk-` prefix dropped);
/// an empty parameter is no condition.
pub fn with_search(
    mut filter: TokenFilter,
    keyword: &str,
    token: &str,
) -> Result<TokenFilter, SearchRefusal> {
    for (field, input, key) in [
        ("keyword", keyword, FilterKey::Name),
        ("token", token, FilterKey::Key),
    ] {
        if input.is_empty() {
            continue;
        }
        if filter.has(key) {
            let problem = Problem::DuplicateKey {
                key: format!("\"{field}\" / \"{}\"", key.name()),
            };
            return Err(SearchRefusal::Repeated(Violation::new(field, problem)));
        }
        let pattern = TextPattern::new(input, key)
            .map_err(|error| SearchRefusal::Pattern { field, error })?;
        match key {
            FilterKey::Name => filter.name = Some(pattern),
            _ => filter.key = Some(pattern),
        }
    }
    Ok(filter)
}
