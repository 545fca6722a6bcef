//! A [`TokenFilter`] as one SQL condition per engine (docs/SPEC.md §9), so a filter selects its tokens in
//! one set-based statement, never by reading rows into the process and testing them.
//!
//! The rules crate's [`TokenFilter::matches`] is the model of what this SQL selects; the end-to-end property
//! test runs both over the same random rows on every engine. Conventions shared with that model:
//! - NULLs read as new-api's column defaults (as `records.rs` reads them): `expired_time` -1, times and
//!   quotas 0, flags false, text '';
//! - group and model entries compare exactly (case and all): `vip` is a whole entry of `default,vip` and
//!   never of `svip`. MySQL and MariaDB compare text by collation, usually ignoring case, so there the list
//!   and the entry are compared as bytes;
//! - name and key patterns use the engine's own `LIKE … ESCAPE '!'`, whose case rules new-api's search has
//!   too (SQLite and MySQL ignore ASCII case, PostgreSQL does not).

use tokenbatch_rules::filter::{TokenFilter, UserScope};

use crate::dialect::Dialect;

/// A value bound to a `?` of [`FilterSql::condition`], in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SqlValue {
    Int(i64),
    Text(String),
}

/// The condition (without `WHERE`) and its bound values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FilterSql {
    pub condition: String,
    pub binds: Vec<SqlValue>,
}

/// Binds a [`FilterSql`]'s values to a query of any engine, in order.
macro_rules! bind_filter {
    ($query:expr, $binds:expr) => {{
        let mut query = $query;
        for value in $binds {
            query = match value {
                $crate::filter::SqlValue::Int(number) => query.bind(*number),
                $crate::filter::SqlValue::Text(text) => query.bind(text.as_str()),
            };
        }
        query
    }};
}
pub(crate) use bind_filter;

/// The live tokens `filter` selects for `caller`. `user_id` in the filter replaces the caller's own scope:
/// whether the caller may use it (root only, §13) is the application's decision, made before this.
pub(crate) fn filter_sql(d: Dialect, filter: &TokenFilter, caller: i64) -> FilterSql {
    let mut sql = Conditions {
        d,
        parts: vec!["deleted_at IS NULL".to_owned()],
        binds: Vec::new(),
    };
    match filter.user_id {
        None => sql.push_int("user_id = ?", caller),
        Some(UserScope::User(user)) => sql.push_int("user_id = ?", user),
        Some(UserScope::AllUsers) => {}
    }
    if let Some(name) = &filter.name {
        sql.push_pattern("name", &name.like);
    }
    if let Some(key) = &filter.key {
        sql.push_pattern(&d.quote("key"), &key.like);
    }
    if let Some(statuses) = filter.status {
        // Literal integers 1..=4 from a checked set: nothing of the caller's text reaches the SQL.
        let list: Vec<String> = statuses.iter().map(|status| status.to_string()).collect();
        sql.parts
            .push(format!("COALESCE(status, 1) IN ({})", list.join(", ")));
    }
    if let Some(group) = &filter.group {
        sql.push_entry(&d.quote("group"), group);
    }
    if let Some(model) = &filter.model {
        sql.push_entry("model_limits", model);
    }
    let expiry = "COALESCE(expired_time, -1)";
    if let Some(time) = filter.expires_before {
        sql.push_int(&format!("({expiry} <> -1 AND {expiry} < ?)"), time);
    }
    if let Some(time) = filter.expires_after {
        sql.push_int(&format!("({expiry} = -1 OR {expiry} >= ?)"), time);
    }
    match filter.never_expires {
        Some(true) => sql.parts.push(format!("{expiry} = -1")),
        Some(false) => sql.parts.push(format!("{expiry} <> -1")),
        None => {}
    }
    let bounds = [
        ("COALESCE(accessed_time, 0) < ?", filter.accessed_before),
        ("COALESCE(created_time, 0) < ?", filter.created_before),
        ("COALESCE(created_time, 0) >= ?", filter.created_after),
        ("COALESCE(remain_quota, 0) < ?", filter.remain_quota_below),
        (
            "COALESCE(remain_quota, 0) >= ?",
            filter.remain_quota_at_least,
        ),
    ];
    for (condition, value) in bounds {
        if let Some(value) = value {
            sql.push_int(condition, value);
        }
    }
    if let Some(unlimited) = filter.unlimited_quota {
        let flag = d.boolean("unlimited_quota");
        sql.parts.push(format!("{flag} = {}", i64::from(unlimited)));
    }
    FilterSql {
        condition: sql.parts.join(" AND "),
        binds: sql.binds,
    }
}

struct Conditions {
    d: Dialect,
    parts: Vec<String>,
    binds: Vec<SqlValue>,
}

impl Conditions {
    fn push_int(&mut self, condition: &str, value: i64) {
        self.parts.push(condition.to_owned());
        self.binds.push(SqlValue::Int(value));
    }

    fn push_text(&mut self, condition: &str, value: String) {
        self.parts.push(condition.to_owned());
        self.binds.push(SqlValue::Text(value));
    }

    /// `column LIKE pattern`. A NULL reads as '' (the convention above), which only the empty pattern
    /// matches (a pattern with `%` has two other characters): only then is the column wrapped in COALESCE,
    /// which would keep MySQL from using the `name` index for a prefix.
    fn push_pattern(&mut self, column: &str, like: &str) {
        let condition = match like.is_empty() {
            true => format!("COALESCE({column}, '') LIKE ? ESCAPE '!'"),
            false => format!("{column} LIKE ? ESCAPE '!'"),
        };
        self.push_text(&condition, like.to_owned());
    }

    /// `column`, a comma-separated list, holds `entry` whole; `""` = the column is empty.
    fn push_entry(&mut self, column: &str, entry: &str) {
        let list = format!("COALESCE({column}, '')");
        if entry.is_empty() {
            self.parts.push(format!("{list} = ''"));
            return;
        }
        let condition = match self.d {
            Dialect::Sqlite => format!("instr(',' || {list} || ',', ?) > 0"),
            Dialect::Postgres => format!("strpos(',' || {list} || ',', ?) > 0"),
            Dialect::MySql => {
                format!("LOCATE(CAST(? AS BINARY), CAST(CONCAT(',', {list}, ',') AS BINARY)) > 0")
            }
        };
        self.push_text(&condition, format!(",{entry},"));
    }
}

#[cfg(test)]
mod tests {
    use tokenbatch_rules::filter::read_filter_json;

    use super::*;

    fn sql(d: Dialect, json: &str) -> FilterSql {
        filter_sql(d, &read_filter_json(json).expect("valid test filter"), 7)
    }

    #[test]
    fn an_empty_filter_is_the_callers_live_tokens() {
        let empty = sql(Dialect::Sqlite, "{}");
        assert_eq!(empty.condition, "deleted_at IS NULL AND user_id = ?");
        assert_eq!(empty.binds, [SqlValue::Int(7)]);
    }

    #[test]
    fn every_user_drops_the_owner_condition_and_one_user_replaces_it() {
        assert_eq!(
            sql(Dialect::Postgres, r#"{"user_id": "*"}"#).condition,
            "deleted_at IS NULL"
        );
        assert_eq!(
            sql(Dialect::MySql, r#"{"user_id": 3}"#).binds,
            [SqlValue::Int(3)]
        );
    }

    #[test]
    fn values_are_bound_and_statuses_inlined() {
        let filter = sql(
            Dialect::MySql,
            r#"{"name": "o'brien%", "status": ["expired", 1], "group": "vip", "expires_before": 9}"#,
        );
        assert!(
            !filter.condition.contains("o'brien"),
            "{}",
            filter.condition
        );
        assert!(filter.condition.contains("COALESCE(status, 1) IN (1, 3)"));
        assert!(filter
            .condition
            .contains("CONCAT(',', COALESCE(`group`, ''), ',')"));
        assert_eq!(
            filter.binds,
            [
                SqlValue::Int(7),
                SqlValue::Text("o'brien%".into()),
                SqlValue::Text(",vip,".into()),
                SqlValue::Int(9),
            ]
        );
    }

    #[test]
    fn only_the_empty_pattern_reads_a_null_name_or_key_as_empty() {
        let empty = sql(Dialect::Sqlite, r#"{"name": "", "key": "sk-"}"#);
        assert!(empty.condition.ends_with(
            r#"COALESCE(name, '') LIKE ? ESCAPE '!' AND COALESCE("key", '') LIKE ? ESCAPE '!'"#
        ));
        let prefix = sql(Dialect::MySql, r#"{"name": "web%"}"#);
        assert!(prefix.condition.ends_with("AND name LIKE ? ESCAPE '!'"));
    }

    #[test]
    fn an_empty_group_means_the_empty_column() {
        let filter = sql(Dialect::Postgres, r#"{"group": ""}"#);
        assert!(filter.condition.ends_with(r#"COALESCE("group", '') = ''"#));
        assert_eq!(filter.binds.len(), 1);
    }
}
