//! Selection by filter (docs/SPEC.md §9): which tokens a batch, a list or a search selects when the caller
//! describes them instead of listing ids.
//!
//! The filter is parsed and checked here, so the browser (through WASM) refuses the same filters with the
//! same words as the server. The store turns a [`TokenFilter`] into one set-based `WHERE` per engine; the
//! plain-Rust [`TokenFilter::matches`] is the model the store's SQL is tested against (a property test
//! compares both on random tokens), and what the page can use to explain a selection.

mod messages;
mod read;
mod search;
mod write;

pub use messages::FilterProblem;
pub(crate) use read::read_filter_node;
pub use read::read_filter_query;
pub use search::{with_search, SearchRefusal};
pub use write::filter_json;

use crate::apply::{STATUS_DISABLED, STATUS_ENABLED, STATUS_EXHAUSTED, STATUS_EXPIRED};
use crate::{like_pattern, SearchPatternError};

/// Most tokens one filter may select (`filter.too_many`): ten times the id limit, since a filter costs one
/// statement where ids cost a request body.
pub const MAX_FILTER_MATCHES: usize = 100_000;

/// A key of the filter object, in the order of the specification's table. Query parameters of list and
/// search carry the same names.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum FilterKey {
    Name,
    Key,
    Status,
    Group,
    Model,
    ExpiresBefore,
    ExpiresAfter,
    NeverExpires,
    AccessedBefore,
    CreatedBefore,
    CreatedAfter,
    RemainQuotaBelow,
    RemainQuotaAtLeast,
    UnlimitedQuota,
    UserId,
}

/// What a key's value is, which decides how it is read and what its type error says.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FilterKind {
    /// A new-api search pattern (string).
    Pattern,
    /// An array of statuses, by number or name.
    Statuses,
    /// One entry of a comma-separated list (string).
    Entry,
    /// Unix seconds (integer).
    Time,
    /// `true` / `false`.
    Flag,
    /// Quota units (integer).
    Quota,
    /// A user id, or `"*"`.
    User,
}

const FILTER_KEYS: [(FilterKey, &str, FilterKind); 15] = [
    (FilterKey::Name, "name", FilterKind::Pattern),
    (FilterKey::Key, "key", FilterKind::Pattern),
    (FilterKey::Status, "status", FilterKind::Statuses),
    (FilterKey::Group, "group", FilterKind::Entry),
    (FilterKey::Model, "model", FilterKind::Entry),
    (FilterKey::ExpiresBefore, "expires_before", FilterKind::Time),
    (FilterKey::ExpiresAfter, "expires_after", FilterKind::Time),
    (FilterKey::NeverExpires, "never_expires", FilterKind::Flag),
    (
        FilterKey::AccessedBefore,
        "accessed_before",
        FilterKind::Time,
    ),
    (FilterKey::CreatedBefore, "created_before", FilterKind::Time),
    (FilterKey::CreatedAfter, "created_after", FilterKind::Time),
    (
        FilterKey::RemainQuotaBelow,
        "remain_quota_below",
        FilterKind::Quota,
    ),
    (
        FilterKey::RemainQuotaAtLeast,
        "remain_quota_at_least",
        FilterKind::Quota,
    ),
    (
        FilterKey::UnlimitedQuota,
        "unlimited_quota",
        FilterKind::Flag,
    ),
    (FilterKey::UserId, "user_id", FilterKind::User),
];

impl FilterKey {
    pub const ALL: [FilterKey; 15] = {
        let mut all = [FilterKey::Name; 15];
        let mut i = 0;
        while i < FILTER_KEYS.len() {
            all[i] = FILTER_KEYS[i].0;
            i += 1;
        }
        all
    };

    /// The JSON key and query parameter name.
    pub fn name(self) -> &'static str {
        FILTER_KEYS[self as usize].1
    }

    pub fn kind(self) -> FilterKind {
        FILTER_KEYS[self as usize].2
    }

    /// Exact, case-sensitive.
    pub fn from_name(name: &str) -> Option<FilterKey> {
        FILTER_KEYS
            .iter()
            .find(|(_, known, _)| *known == name)
            .map(|(key, _, _)| *key)
    }

    /// Every key's name joined with ", ", as `filter.unknown_key` lists them.
    pub fn names() -> String {
        let names: Vec<&str> = FILTER_KEYS.iter().map(|(_, name, _)| *name).collect();
        names.join(", ")
    }
}

/// A token status as the filter names it.
pub const STATUS_NAMES: [(i64, &str); 4] = [
    (STATUS_ENABLED, "enabled"),
    (STATUS_DISABLED, "disabled"),
    (STATUS_EXPIRED, "expired"),
    (STATUS_EXHAUSTED, "exhausted"),
];

/// A set of the four statuses (bit `status - 1`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct StatusSet(u8);

impl StatusSet {
    /// Status codes outside 1..=4 are not representable: the reader refuses them.
    pub fn insert(&mut self, status: i64) {
        if (1..=4).contains(&status) {
            self.0 |= 1 << (status - 1);
        }
    }

    pub fn contains(self, status: i64) -> bool {
        (1..=4).contains(&status) && self.0 & (1 << (status - 1)) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Ascending.
    pub fn iter(self) -> impl Iterator<Item = i64> {
        (1..=4).filter(move |status| self.contains(*status))
    }
}

/// A search pattern as the caller typed it and as a `LIKE … ESCAPE '!'` pattern.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct TextPattern {
    pub input: String,
    pub like: String,
}

impl TextPattern {
    /// `input` checked by new-api's rules (§5a). For keys, new-api's `sk-` prefix is dropped first: keys are
    /// stored without it.
    pub fn new(input: &str, key: FilterKey) -> Result<TextPattern, SearchPatternError> {
        let input = match key {
            FilterKey::Key => input.strip_prefix("sk-").unwrap_or(input),
            _ => input,
        };
        Ok(TextPattern {
            input: input.to_owned(),
            like: like_pattern(input)?,
        })
    }
}

/// A filter object as JSON(C) text, checked alone: what the page calls as the user edits its filter
/// controls, and what the body's `filter` key goes through.
pub fn read_filter_json(text: &str) -> Result<TokenFilter, Vec<crate::Violation>> {
    let node = crate::json::parse(text).map_err(|error| {
        let problem = crate::Problem::InvalidJson {
            line: error.line,
            column: error.column,
            reason: error.kind,
        };
        vec![crate::Violation::new("filter", problem)]
    })?;
    let mut out = Vec::new();
    let filter = read_filter_node(&node, text, &mut out);
    if out.is_empty() {
        Ok(filter)
    } else {
        Err(out)
    }
}

/// Whose tokens a filter may select (root only, §13); absent = the caller's own.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum UserScope {
    User(i64),
    AllUsers,
}

/// A checked filter: every present condition must hold (AND); `Default` selects every token of the caller.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct TokenFilter {
    pub name: Option<TextPattern>,
    pub key: Option<TextPattern>,
    pub status: Option<StatusSet>,
    /// A whole entry of the comma-separated group list; `""` = tokens with an empty group.
    pub group: Option<String>,
    /// A whole entry of `model_limits`.
    pub model: Option<String>,
    pub expires_before: Option<i64>,
    pub expires_after: Option<i64>,
    pub never_expires: Option<bool>,
    pub accessed_before: Option<i64>,
    pub created_before: Option<i64>,
    pub created_after: Option<i64>,
    pub remain_quota_below: Option<i64>,
    pub remain_quota_at_least: Option<i64>,
    pub unlimited_quota: Option<bool>,
    pub user_id: Option<UserScope>,
}

impl TokenFilter {
    /// Whether `key` is set.
    pub fn has(&self, key: FilterKey) -> bool {
        match key {
            FilterKey::Name => self.name.is_some(),
            FilterKey::Key => self.key.is_some(),
            FilterKey::Status => self.status.is_some(),
            FilterKey::Group => self.group.is_some(),
            FilterKey::Model => self.model.is_some(),
            FilterKey::NeverExpires => self.never_expires.is_some(),
            FilterKey::UnlimitedQuota => self.unlimited_quota.is_some(),
            FilterKey::UserId => self.user_id.is_some(),
            number => self.number(number).is_some(),
        }
    }

    /// The value of a key taking a number (times and quotas).
    pub fn number(&self, key: FilterKey) -> Option<i64> {
        match key {
            FilterKey::ExpiresBefore => self.expires_before,
            FilterKey::ExpiresAfter => self.expires_after,
            FilterKey::AccessedBefore => self.accessed_before,
            FilterKey::CreatedBefore => self.created_before,
            FilterKey::CreatedAfter => self.created_after,
            FilterKey::RemainQuotaBelow => self.remain_quota_below,
            FilterKey::RemainQuotaAtLeast => self.remain_quota_at_least,
            _ => None,
        }
    }

    pub(crate) fn set_number(&mut self, key: FilterKey, value: i64) {
        let slot = match key {
            FilterKey::ExpiresBefore => &mut self.expires_before,
            FilterKey::ExpiresAfter => &mut self.expires_after,
            FilterKey::AccessedBefore => &mut self.accessed_before,
            FilterKey::CreatedBefore => &mut self.created_before,
            FilterKey::CreatedAfter => &mut self.created_after,
            FilterKey::RemainQuotaBelow => &mut self.remain_quota_below,
            FilterKey::RemainQuotaAtLeast => &mut self.remain_quota_at_least,
            _ => return,
        };
        *slot = Some(value);
    }

    pub(crate) fn set_flag(&mut self, key: FilterKey, value: bool) {
        match key {
            FilterKey::NeverExpires => self.never_expires = Some(value),
            FilterKey::UnlimitedQuota => self.unlimited_quota = Some(value),
            _ => {}
        }
    }

    /// The keys that are set, in table order.
    pub fn keys(&self) -> impl Iterator<Item = FilterKey> + '_ {
        FilterKey::ALL.into_iter().filter(|key| self.has(*key))
    }

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
