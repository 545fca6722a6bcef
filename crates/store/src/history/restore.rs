//! The writes of a revert (docs/SPEC.md §12): every restored token gets its own values, so they are written
//! set-based, each token's values carried in the statement beside its id, not one UPDATE per distinct set
//! of values. A gateway's tokens rarely share their values (each has its own quota left, often its own
//! expiry): written per distinct value set, a 10 000-token revert ran 10 000 UPDATEs (360 ms on SQLite,
//! 27× the floor's plain UPDATE; docs/BENCHMARKS.md, figure 10).
//!
//! Tokens are grouped by which columns they restore (a revert restores the columns its change set recorded,
//! so nearly always one group), then each group is one statement per chunk of ids:
//! - SQLite: `UPDATE tokens SET c = r.value ->> 1, … FROM json_each(?) AS r WHERE tokens.id = r.value ->> 0`,
//!   one JSON array of `[id, value, …]` rows, walked in order with each token found by its rowid (the test
//!   `batch::query_plans` holds the plan);
//! - PostgreSQL: `UPDATE tokens SET c = v.c1, … FROM UNNEST($1::bigint[], $2::…[], …) AS v(…) WHERE
//!   tokens.id = v.id`, one array per column;
//! - MySQL / MariaDB: `UPDATE (SELECT ? AS id, ? AS c1 … UNION ALL SELECT ?, ? …) AS v STRAIGHT_JOIN tokens
//!   AS t FORCE INDEX (PRIMARY) ON t.id = v.id SET t.c = v.c1, …`, the rows bound one by one (a derived
//!   table every version new-api supports reads: no `JSON_TABLE`, no `VALUES ROW`).

use std::collections::BTreeMap;

use crate::dialect::Dialect;

use super::values::{Kind, Recorded, Stored, TokenRow};

/// Restored tokens that write the same columns.
pub(crate) struct RestoreGroup<'a> {
    /// The restored columns, in [`Recorded::all`] order.
    pub(crate) columns: Vec<Recorded>,
    /// Each token's id and its values for `columns`, in order.
    pub(crate) rows: Vec<(i64, Vec<&'a Stored>)>,
}

/// The revert's history rows (before half then restored half, see `revert::split`) grouped by the columns
/// their restored half writes (a NULL is a column the token does not restore).
pub(crate) fn restore_groups(rows: &[TokenRow]) -> Vec<RestoreGroup<'_>> {
    let mut groups: BTreeMap<Vec<bool>, RestoreGroup<'_>> = BTreeMap::new();
    for row in rows {
        let restored = &row.values[Recorded::count()..];
        let written: Vec<bool> = restored
            .iter()
            .map(|value| *value != Stored::Null)
            .collect();
        let group = groups
            .entry(written.clone())
            .or_insert_with(|| RestoreGroup {
                columns: Recorded::all()
                    .zip(&written)
                    .filter(|(_, written)| **written)
                    .map(|(recorded, _)| recorded)
                    .collect(),
                rows: Vec::new(),
            });
        let values = restored
            .iter()
            .filter(|value| **value != Stored::Null)
            .collect();
        group.rows.push((row.token_id, values));
    }
    groups.into_values().collect()
}

/// The UPDATE writing `columns` to `count` tokens, each its own values (placeholders as `bind_restores!`
/// binds them, in `batch::revert_steps`).
pub(crate) fn restore_statement(d: Dialect, columns: &[Recorded], count: usize) -> String {
    let quoted = |recorded: &Recorded| d.quote(recorded.name());
    match d {
        Dialect::Sqlite => {
            let assignments: Vec<String> = columns
                .iter()
                .enumerate()
                .map(|(index, recorded)| {
                    format!("{} = r.value ->> {}", quoted(recorded), index + 1)
                })
                .collect();
            format!(
                "UPDATE tokens SET {} FROM json_each(?) AS r WHERE tokens.id = r.value ->> 0",
                assignments.join(", ")
            )
        }
        Dialect::Postgres => {
            let mut arrays = vec!["$1::bigint[]".to_owned()];
            let mut names = vec!["id".to_owned()];
            let mut assignments = Vec::new();
            for (index, recorded) in columns.iter().enumerate() {
                let kind = match recorded.kind() {
                    Kind::Integer => "bigint",
                    Kind::Boolean => "boolean",
                    Kind::Text => "text",
                };
                arrays.push(format!("${}::{kind}[]", index + 2));
                names.push(format!("c{}", index + 1));
                assignments.push(format!("{} = v.c{}", quoted(recorded), index + 1));
            }
            format!(
                "UPDATE tokens SET {} FROM UNNEST({}) AS v({}) WHERE tokens.id = v.id",
                assignments.join(", "),
                arrays.join(", "),
                names.join(", ")
            )
        }
        Dialect::MySql => {
            // Integers (and booleans, 0/1) cast so that the derived table's columns are numbers whatever the
            // server guesses a placeholder's type to be.
            let value = |kind: Kind| match kind {
                Kind::Integer | Kind::Boolean => "CAST(? AS SIGNED)",
                Kind::Text => "?",
            };
            let mut first = vec!["CAST(? AS SIGNED) AS id".to_owned()];
            let mut next = vec!["?".to_owned()];
            let mut assignments = Vec::new();
            for (index, recorded) in columns.iter().enumerate() {
                first.push(format!("{} AS c{}", value(recorded.kind()), index + 1));
                next.push(value(recorded.kind()).to_owned());
                assignments.push(format!("t.{} = v.c{}", quoted(recorded), index + 1));
            }
            let mut rows = vec![format!("SELECT {}", first.join(", "))];
            let next = format!("SELECT {}", next.join(", "));
            rows.extend(std::iter::repeat_n(next, count.saturating_sub(1)));
            // The rows first, each token found through the primary key (as every other UPDATE here, so
            // that nothing walks another index and locks what it passes: `connect.rs`).
            format!(
                "UPDATE ({}) AS v STRAIGHT_JOIN tokens AS t FORCE INDEX (PRIMARY) ON t.id = v.id SET {}",
                rows.join(" UNION ALL "),
                assignments.join(", ")
            )
        }
    }
}

/// SQLite's one bound value: the rows as a JSON array of `[id, value, …]`.
pub(crate) fn sqlite_rows_json(rows: &[(i64, Vec<&Stored>)]) -> String {
    let rows: Vec<serde_json::Value> = rows
        .iter()
        .map(|(id, values)| {
            let mut row = Vec::with_capacity(values.len() + 1);
            row.push(serde_json::Value::from(*id));
            row.extend(values.iter().map(|value| match value {
                Stored::Integer(integer) => serde_json::Value::from(*integer),
                Stored::Text(text) => serde_json::Value::from(text.as_str()),
                Stored::Null => serde_json::Value::Null,
            }));
            serde_json::Value::Array(row)
        })
        .collect();
    serde_json::Value::Array(rows).to_string()
}

/// PostgreSQL's arrays: one per column.
pub(crate) enum Column {
    Integers(Vec<i64>),
    Booleans(Vec<bool>),
    Texts(Vec<String>),
}

pub(crate) fn postgres_columns(columns: &[Recorded], rows: &[(i64, Vec<&Stored>)]) -> Vec<Column> {
    columns
        .iter()
        .enumerate()
        .map(|(index, recorded)| {
            let values = rows.iter().map(|(_, values)| values[index]);
            match recorded.kind() {
                Kind::Integer => Column::Integers(values.map(integer).collect()),
                Kind::Boolean => {
                    Column::Booleans(values.map(|value| integer(value) != 0).collect())
                }
                Kind::Text => Column::Texts(
                    values
                        .map(|value| match value {
                            Stored::Text(text) => text.clone(),
                            _ => String::new(),
                        })
                        .collect(),
                ),
            }
        })
        .collect()
}

fn integer(value: &Stored) -> i64 {
    match value {
        Stored::Integer(integer) => *integer,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use tokenbatch_rules::Field;

    use super::*;

    fn row(token_id: i64, restored: &[(usize, Stored)]) -> TokenRow {
        let mut values = vec![Stored::Null; 2 * Recorded::count()];
        for (index, value) in restored {
            values[Recorded::count() + index] = value.clone();
        }
        TokenRow {
            token_id,
            owner_id: 1,
            values,
        }
    }

    #[test]
    fn tokens_are_grouped_by_the_columns_they_restore_not_by_their_values() {
        let quota = 1 + Field::ALL
            .iter()
            .position(|field| *field == Field::RemainQuota)
            .unwrap();
        let rows = [
            row(1, &[(0, Stored::Integer(1)), (quota, Stored::Integer(10))]),
            row(2, &[(0, Stored::Integer(2)), (quota, Stored::Integer(20))]),
            row(3, &[(quota, Stored::Integer(30))]),
        ];
        let groups = restore_groups(&rows);
        assert_eq!(groups.len(), 2);
        let both = groups.iter().find(|group| group.rows.len() == 2).unwrap();
        assert_eq!(
            both.columns,
            [Recorded::Status, Recorded::Field(Field::RemainQuota)]
        );
        assert_eq!(
            sqlite_rows_json(&both.rows),
            "[[1,1,10],[2,2,20]]",
            "each token's own values, in column order"
        );
        let quota_only = groups.iter().find(|group| group.rows.len() == 1).unwrap();
        assert_eq!(quota_only.columns, [Recorded::Field(Field::RemainQuota)]);
    }

    #[test]
    fn mysql_rows_are_a_derived_table_of_as_many_selects() {
        let columns = [Recorded::Status, Recorded::Field(Field::Group)];
        let sql = restore_statement(Dialect::MySql, &columns, 3);
        assert_eq!(sql.matches("SELECT").count(), 3);
        assert_eq!(sql.matches('?').count(), 9);
        assert!(
            sql.ends_with("SET t.`status` = v.c1, t.`group` = v.c2"),
            "{sql}"
        );
    }
}
