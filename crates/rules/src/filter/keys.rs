//! The filter's keys ([`FilterKey`]): their names, as the filter object and the query parameters spell them,
//! and the kind of value each takes ([`FilterKind`]).

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
