//! What a filter selects, in plain Rust ([`TokenFilter::matches`]): the model the store's SQL is tested
//! against, with the `LIKE` and list-entry comparisons it is made of.

use super::{TextPattern, TokenFilter, UserScope};

impl TokenFilter {
    /// Whether the token matches, for a caller whose own tokens are the default scope. `like_ignores_case`
    /// says how the engine's `LIKE` compares (SQLite and MySQL's usual collations ignore ASCII case,
    /// PostgreSQL does not); name and key patterns follow it, as new-api's search does. Soft-deleted tokens
    /// are the caller's to leave out.
    pub fn matches(&self, token: &FilterRow<'_>, caller: i64, like_ignores_case: bool) -> bool {
        let owner = match self.user_id {
            None => token.user_id == caller,
            Some(UserScope::User(user)) => token.user_id == user,
            Some(UserScope::AllUsers) => true,
        };
        let text = |pattern: &Option<TextPattern>, value: &str| {
            pattern
                .as_ref()
                .is_none_or(|pattern| like_matches(&pattern.like, value, like_ignores_case))
        };
        let at_most = |limit: Option<i64>, value: i64| limit.is_none_or(|limit| value < limit);
        let at_least = |limit: Option<i64>, value: i64| limit.is_none_or(|limit| value >= limit);
        let never = token.expired_time == -1;
        owner
            && text(&self.name, token.name)
            && text(&self.key, token.key)
            && self.status.is_none_or(|set| set.contains(token.status))
            && self
                .group
                .as_deref()
                .is_none_or(|group| list_has(token.group, group))
            && self
                .model
                .as_deref()
                .is_none_or(|model| list_has(token.model_limits, model))
            && self
                .expires_before
                .is_none_or(|t| !never && token.expired_time < t)
            && self
                .expires_after
                .is_none_or(|t| never || token.expired_time >= t)
            && self.never_expires.is_none_or(|flag| flag == never)
            && at_most(self.accessed_before, token.accessed_time)
            && at_most(self.created_before, token.created_time)
            && at_least(self.created_after, token.created_time)
            && at_most(self.remain_quota_below, token.remain_quota)
            && at_least(self.remain_quota_at_least, token.remain_quota)
            && self
                .unlimited_quota
                .is_none_or(|flag| flag == token.unlimited_quota)
    }
}

/// The columns a filter reads, borrowed from wherever the token is.
#[derive(Clone, Copy, Debug)]
pub struct FilterRow<'a> {
    pub user_id: i64,
    pub name: &'a str,
    pub key: &'a str,
    pub status: i64,
    pub group: &'a str,
    pub model_limits: &'a str,
    pub expired_time: i64,
    pub accessed_time: i64,
    pub created_time: i64,
    pub remain_quota: i64,
    pub unlimited_quota: bool,
}

/// Whether a comma-separated list holds `entry` as a whole entry; `""` matches only the empty list, as
/// the store's `"group" = ''` does (a list `"a,,b"` is not "empty").
pub fn list_has(list: &str, entry: &str) -> bool {
    if entry.is_empty() {
        return list.is_empty();
    }
    list.split(',').any(|item| item == entry)
}

/// SQL `LIKE` with `!` as the escape character, `%` any run and `_` any one character, comparing characters
/// (ASCII case folded when `ignore_case`). A checked pattern has at most 2 `%`, so backtracking is bounded.
pub fn like_matches(pattern: &str, text: &str, ignore_case: bool) -> bool {
    enum Token {
        Any,
        One,
        Char(char),
    }
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '%' => Token::Any,
            '_' => Token::One,
            '!' => Token::Char(chars.next().unwrap_or('!')),
            c => Token::Char(c),
        });
    }
    let text: Vec<char> = text.chars().collect();
    let same = |a: char, b: char| a == b || (ignore_case && a.eq_ignore_ascii_case(&b));
    // Classic wildcard matching with one backtrack point (the last `%`), linear in practice.
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match tokens.get(p) {
            Some(Token::Any) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Token::One) => {
                p += 1;
                t += 1;
            }
            Some(Token::Char(c)) if same(*c, text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    tokens[p..].iter().all(|token| matches!(token, Token::Any))
}
