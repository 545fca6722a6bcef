//! Selection by filter (docs/SPEC.md §9): which tokens a batch, a list or a search selects when the caller
//! describes them instead of listing ids.
//!
//! The filter is parsed and checked here, so the browser (through WASM) refuses the same filters with the
//! same words as the server. The store turns a [`TokenFilter`] into one set-based `WHERE` per engine; the
//! plain-Rust [`TokenFilter::matches`] is the model the store's SQL is tested against (a property test
//! compares both on random tokens), and what the page can use to explain a selection.

mod keys;
mod matching;
mod messages;
mod read;
mod search;
mod write;

pub use keys::{FilterKey, FilterKind};
pub use matching::{like_matches, list_has, FilterRow};
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
}
