//! The order of a token list (`sort` and `order` of new-api's list and search routes): one `ORDER BY` per
//! engine that all three engines evaluate alike, so a page is the same slice of the same order whichever
//! database holds the tokens.
//!
//! Conventions, shared with the end-to-end tests' model of the order:
//! - every key is followed by `id` in the same direction: rows with equal keys keep one order, so pages are
//!   stable and disjoint;
//! - NULLs read as new-api's column defaults (as `records.rs` reads them);
//! - `expired_time` -1 (never expires) is later than every date: last ascending, first descending;
//! - `name` compares the UTF-8 bytes of the text, case and accents included (`B` < `a` < `é`): the one rule
//!   every engine can follow whatever collation its column has. SQLite's `BINARY` collation compares those
//!   bytes, PostgreSQL's `"C"` collation compares bytes too, and MySQL/MariaDB compare the text converted to
//!   utf8mb4 as `BINARY` (a `_bin` collation would ignore trailing spaces).

use crate::dialect::Dialect;

/// A column a token list can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SortKey {
    Id,
    Name,
    Status,
    RemainQuota,
    UsedQuota,
    ExpiredTime,
    CreatedTime,
    AccessedTime,
}

impl SortKey {
    pub const ALL: [SortKey; 8] = [
        SortKey::Id,
        SortKey::Name,
        SortKey::Status,
        SortKey::RemainQuota,
        SortKey::UsedQuota,
        SortKey::ExpiredTime,
        SortKey::CreatedTime,
        SortKey::AccessedTime,
    ];

    /// The key's name in requests: the column's name.
    pub fn name(self) -> &'static str {
        match self {
            SortKey::Id => "id",
            SortKey::Name => "name",
            SortKey::Status => "status",
            SortKey::RemainQuota => "remain_quota",
            SortKey::UsedQuota => "used_quota",
            SortKey::ExpiredTime => "expired_time",
            SortKey::CreatedTime => "created_time",
            SortKey::AccessedTime => "accessed_time",
        }
    }

    /// The key named exactly `name`.
    pub fn from_name(name: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|key| key.name() == name)
    }
}

/// The order of a token list: a key and a direction, ties broken by `id` in the same direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TokenOrder {
    pub key: SortKey,
    pub ascending: bool,
}

impl Default for TokenOrder {
    /// new-api's order: newest first (`id` descending).
    fn default() -> TokenOrder {
        TokenOrder {
            key: SortKey::Id,
            ascending: false,
        }
    }
}

/// The `ORDER BY` list (without the keywords) of `order` on the `tokens` table.
pub(crate) fn order_by(d: Dialect, order: TokenOrder) -> String {
    let direction = match order.ascending {
        true => "ASC",
        false => "DESC",
    };
    let integer = |column: &str, null: i64| format!("COALESCE({column}, {null})");
    let keys: Vec<String> = match order.key {
        SortKey::Id => Vec::new(),
        SortKey::Name => vec![binary_text(d, "name")],
        SortKey::Status => vec![integer("status", 1)],
        SortKey::RemainQuota => vec![integer("remain_quota", 0)],
        SortKey::UsedQuota => vec![integer("used_quota", 0)],
        // Never (-1) first as a flag, so it sorts after every date ascending and before them descending.
        SortKey::ExpiredTime => vec![
            "CASE WHEN COALESCE(expired_time, -1) = -1 THEN 1 ELSE 0 END".to_owned(),
            integer("expired_time", -1),
        ],
        SortKey::CreatedTime => vec![integer("created_time", 0)],
        SortKey::AccessedTime => vec![integer("accessed_time", 0)],
    };
    keys.iter()
        .map(String::as_str)
        .chain(["id"])
        .map(|key| format!("{key} {direction}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A text column compared by its UTF-8 bytes on every engine (the module's conventions), NULL as ''.
fn binary_text(d: Dialect, column: &str) -> String {
    let text = d.text(column);
    match d {
        Dialect::Sqlite => format!("{text} COLLATE BINARY"),
        Dialect::Postgres => format!("{text} COLLATE \"C\""),
        Dialect::MySql => format!("CAST(CONVERT({text} USING utf8mb4) AS BINARY)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_new_apis_newest_first() {
        assert_eq!(order_by(Dialect::MySql, TokenOrder::default()), "id DESC");
    }

    #[test]
    fn every_key_ends_with_the_id_in_its_direction() {
        for d in [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql] {
            for key in SortKey::ALL {
                for ascending in [true, false] {
                    let sql = order_by(d, TokenOrder { key, ascending });
                    let last = if ascending { "id ASC" } else { "id DESC" };
                    assert!(sql.ends_with(last), "{d:?} {key:?}: {sql}");
                    assert!(
                        !sql.contains(if ascending { "DESC" } else { "ASC" }),
                        "{sql}"
                    );
                }
            }
        }
    }

    #[test]
    fn never_expiring_is_a_flag_before_the_time() {
        let order = TokenOrder {
            key: SortKey::ExpiredTime,
            ascending: true,
        };
        assert_eq!(
            order_by(Dialect::Sqlite, order),
            "CASE WHEN COALESCE(expired_time, -1) = -1 THEN 1 ELSE 0 END ASC, \
             COALESCE(expired_time, -1) ASC, id ASC"
        );
    }

    #[test]
    fn names_compare_as_bytes_on_each_engine() {
        let order = TokenOrder {
            key: SortKey::Name,
            ascending: false,
        };
        assert_eq!(
            order_by(Dialect::Postgres, order),
            "COALESCE(name, '') COLLATE \"C\" DESC, id DESC"
        );
        assert_eq!(
            order_by(Dialect::MySql, order),
            "CAST(CONVERT(COALESCE(name, '') USING utf8mb4) AS BINARY) DESC, id DESC"
        );
    }

    #[test]
    fn names_round_trip() {
        for key in SortKey::ALL {
            assert_eq!(SortKey::from_name(key.name()), Some(key));
        }
        assert_eq!(SortKey::from_name("ID"), None);
    }
}
