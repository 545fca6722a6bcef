//! UPDATEs that give each token values of its own, carried in the statement beside its id, set-based: one
//! statement per chunk of ids however many different values the tokens get (a revert's restored values,
//! the results of a batch's list operations). Written per distinct set of values instead, a gateway's tokens
//! (each with its own quota left, often its own expiry or model list) cost one UPDATE each: a 10 000-token
//! revert took 360 ms on SQLite, 27× the floor's plain UPDATE (docs/BENCHMARKS.md, figure 10), and a list
//! operation on 10 000 tokens with lists of their own 1.4-2.5 s.
//!
//! - SQLite: `UPDATE tokens SET c = r.value ->> 1, … FROM json_each(?) AS r WHERE tokens.id = r.value ->> 0`,
//!   one JSON array of `[id, value, …]` rows, walked in order with each token found by its rowid (the test
//!   `batch::query_plans` holds the plan);
//! - PostgreSQL: `UPDATE tokens SET c = v.c1, … FROM UNNEST($1::bigint[], $2::…[], …) AS v(…) WHERE
//!   tokens.id = v.id`, one array per column;
//! - MySQL / MariaDB: `UPDATE (SELECT ? AS id, ? AS c1 … UNION ALL SELECT ?, ? …) AS v STRAIGHT_JOIN tokens
//!   AS t FORCE INDEX (PRIMARY) ON t.id = v.id SET t.c = v.c1, …`, the rows bound one by one (a derived
//!   table every version new-api supports reads: no `JSON_TABLE`, no `VALUES ROW`).

use crate::dialect::Dialect;
use crate::history::values::{Kind, Recorded, Stored};

/// The UPDATE of `count` tokens writing `shared` (assignments every token gets, with `?` placeholders) and
/// `columns`, each token its own values (placeholders as `bind_per_token!` binds them: on SQLite and
/// PostgreSQL after the shared ones, on MySQL before them).
pub(crate) fn update_statement(
    d: Dialect,
    shared: &[String],
    columns: &[Recorded],
    count: usize,
) -> String {
    let quoted = |recorded: &Recorded| d.quote(recorded.name());
    match d {
        Dialect::Sqlite => {
            let mut assignments = shared.to_vec();
            assignments.extend(columns.iter().enumerate().map(|(index, recorded)| {
                format!("{} = r.value ->> {}", quoted(recorded), index + 1)
            }));
            format!(
                "UPDATE tokens SET {} FROM json_each(?) AS r WHERE tokens.id = r.value ->> 0",
                assignments.join(", ")
            )
        }
        Dialect::Postgres => {
            let mut arrays = vec!["?::bigint[]".to_owned()];
            let mut names = vec!["id".to_owned()];
            let mut assignments = shared.to_vec();
            for (index, recorded) in columns.iter().enumerate() {
                let kind = match recorded.kind() {
                    Kind::Integer => "bigint",
                    Kind::Boolean => "boolean",
                    Kind::Text => "text",
                };
                arrays.push(format!("?::{kind}[]"));
                names.push(format!("c{}", index + 1));
                assignments.push(format!("{} = v.c{}", quoted(recorded), index + 1));
            }
            d.sql(&format!(
                "UPDATE tokens SET {} FROM UNNEST({}) AS v({}) WHERE tokens.id = v.id",
                assignments.join(", "),
                arrays.join(", "),
                names.join(", ")
            ))
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
            let mut assignments = shared.to_vec();
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

/// SQLite's one bound value: the rows as a JSON array of `[id, value, …]`, written straight into one text
/// (`crate::json_text`: no `serde_json::Value` per value, 10 000 rows at a time).
pub(crate) fn sqlite_rows_json(rows: &[(i64, Vec<&Stored>)]) -> String {
    use crate::json_text::{push_integer, push_string};
    let mut out = String::with_capacity(rows.len() * 48 + 2);
    out.push('[');
    for (index, (id, values)) in rows.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push('[');
        push_integer(&mut out, *id);
        for value in values {
            out.push(',');
            match value {
                Stored::Integer(integer) => push_integer(&mut out, *integer),
                Stored::Text(text) => push_string(&mut out, text),
                Stored::Null => out.push_str("null"),
            }
        }
        out.push(']');
    }
    out.push(']');
    out
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

    #[test]
    fn sqlite_rows_are_what_serde_json_prints_for_them() {
        let (quota, group, odd, null) = (
            Stored::Integer(-7),
            Stored::Text("vip".into()),
            Stored::Text("a \"b\"\n\\c".into()),
            Stored::Null,
        );
        let rows = [(1, vec![&quota, &group]), (2, vec![&odd, &null])];
        let expected = serde_json::json!([[1, -7, "vip"], [2, "a \"b\"\n\\c", null]]);
        assert_eq!(sqlite_rows_json(&rows), expected.to_string());
        assert_eq!(sqlite_rows_json(&[]), "[]");
    }

    #[test]
    fn mysql_rows_are_a_derived_table_of_as_many_selects() {
        let columns = [Recorded::Status, Recorded::Field(Field::Group)];
        let sql = update_statement(Dialect::MySql, &["status = ?".to_owned()], &columns, 3);
        assert_eq!(sql.matches("SELECT").count(), 3);
        assert_eq!(sql.matches('?').count(), 10);
        assert!(
            sql.ends_with("SET status = ?, t.`status` = v.c1, t.`group` = v.c2"),
            "the shared assignments first, bound after the rows: {sql}"
        );
    }
}
