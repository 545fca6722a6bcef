//! What the history records of each changed token, as typed columns of `tokenbatch_change_tokens`: for each
//! [`Recorded`] value a `before_<name>` and an `after_<name>` column, NULL where the batch did not write it.
//!
//! Typed columns and no secondary index on SQLite, not a JSON text per token under a composite key: SQLite's
//! counted batch copies its rows with one `INSERT … SELECT` beside its UPDATE, and building two JSON objects
//! per token into a table with two B-trees cost more than the UPDATE itself (the §8 floor went from 1.12× to
//! 2.6×; docs/BENCHMARKS.md, "History"). Readers get the same JSON objects as before, built on read
//! ([`values_json`]).

use std::collections::HashMap;

use tokenbatch_rules::apply::TokenState;
use tokenbatch_rules::{Field, FieldSet, Value};

use crate::change::BatchChange;
use crate::dialect::Dialect;

/// One value the history records per token: the status, each writable field, and new-api's auto-only
/// settings (`cross_group_retry`, `auto_groups`), which writing a group other than `auto` clears.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Recorded {
    Status,
    Field(Field),
    CrossGroupRetry,
    AutoGroups,
}

/// How a recorded value is stored: booleans as 0 / 1 in an integer column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Integer,
    Boolean,
    Text,
}

impl Recorded {
    /// Every recorded value, in column order.
    pub(crate) fn all() -> impl Iterator<Item = Recorded> {
        std::iter::once(Recorded::Status)
            .chain(Field::ALL.into_iter().map(Recorded::Field))
            .chain([Recorded::CrossGroupRetry, Recorded::AutoGroups])
    }

    pub(crate) const fn count() -> usize {
        Field::ALL.len() + 3
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Recorded::Status => "status",
            Recorded::Field(field) => field.name(),
            Recorded::CrossGroupRetry => "cross_group_retry",
            Recorded::AutoGroups => "auto_groups",
        }
    }

    pub(crate) fn kind(self) -> Kind {
        match self {
            Recorded::Status => Kind::Integer,
            Recorded::CrossGroupRetry => Kind::Boolean,
            Recorded::AutoGroups => Kind::Text,
            Recorded::Field(field) => match field.null_value() {
                Value::Text(_) => Kind::Text,
                Value::Integer(_) => Kind::Integer,
                Value::Boolean(_) => Kind::Boolean,
            },
        }
    }
}

/// The kind of each value column of a token row, before then after (the order of [`value_columns`]).
pub(crate) fn row_kinds() -> Vec<Kind> {
    Recorded::all()
        .chain(Recorded::all())
        .map(Recorded::kind)
        .collect()
}

/// The value columns, quoted: every `before_*` in [`Recorded::all`] order, then every `after_*`.
pub(crate) fn value_columns(d: Dialect) -> Vec<String> {
    ["before", "after"]
        .into_iter()
        .flat_map(|side| {
            Recorded::all().map(move |value| d.quote(&format!("{side}_{}", value.name())))
        })
        .collect()
}

/// One recorded value as stored.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Stored {
    /// Not recorded: the batch did not write it.
    Null,
    Integer(i64),
    Text(String),
}

/// One changed token's row: its values before, then after, each in [`Recorded::all`] order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TokenRow {
    pub(crate) token_id: i64,
    pub(crate) owner_id: i64,
    pub(crate) values: Vec<Stored>,
}

/// Which value columns (in [`value_columns`] order) some row of `rows` holds a value in: the others are
/// left out of the rows' INSERT and stay NULL. A batch writes a few of the columns; binding the NULLs of
/// the rest was most of the binding (30 values a row where 8 carry something).
pub(crate) fn columns_in_use(rows: &[TokenRow]) -> Vec<bool> {
    let mut used = vec![false; 2 * Recorded::count()];
    for row in rows {
        for (used, value) in used.iter_mut().zip(&row.values) {
            *used |= *value != Stored::Null;
        }
    }
    used
}

/// The owners of `rows`' tokens other than the acting user, each once, in order: root's batches across users
/// record a row per such owner, by which they find the change set in their list.
pub(crate) fn other_owners(rows: &[TokenRow], acting: i64) -> Vec<i64> {
    let mut others: Vec<i64> = rows
        .iter()
        .map(|row| row.owner_id)
        .filter(|owner| *owner != acting)
        .collect();
    others.sort_unstable();
    others.dedup();
    others
}

/// The auto-only settings a change cleared, as they were: `(cross_group_retry, auto_groups)`.
pub(crate) type AutoSettings = (bool, String);

/// The status and the `fields` of `state`, and the auto-only settings when given, in column order.
fn stored_values(
    state: &TokenState,
    fields: FieldSet,
    auto: Option<(bool, &str)>,
    out: &mut Vec<Stored>,
) {
    for value in Recorded::all() {
        out.push(match value {
            Recorded::Status => Stored::Integer(state.status),
            Recorded::Field(field) if fields.contains(field) => match state.get(field) {
                Value::Text(text) => Stored::Text(text.to_owned()),
                Value::Integer(integer) => Stored::Integer(integer),
                Value::Boolean(boolean) => Stored::Integer(i64::from(boolean)),
            },
            Recorded::Field(_) => Stored::Null,
            Recorded::CrossGroupRetry => match auto {
                Some((retry, _)) => Stored::Integer(i64::from(retry)),
                None => Stored::Null,
            },
            Recorded::AutoGroups => match auto {
                Some((_, groups)) => Stored::Text(groups.to_owned()),
                None => Stored::Null,
            },
        });
    }
}

/// The rows of the changed tokens, each owned by `owner_of(token id)`; `cleared` holds the auto-only settings before
/// the batch of every change that cleared them, by token id (after: false and '').
pub(crate) fn token_rows(
    owner_of: impl Fn(i64) -> i64,
    fields: FieldSet,
    changes: &[BatchChange],
    cleared: &HashMap<i64, AutoSettings>,
) -> Vec<TokenRow> {
    changes
        .iter()
        .filter(|change| change.changed())
        .map(|change| {
            let (before_auto, after_auto) = match cleared.get(&change.id) {
                Some((retry, groups)) => (Some((*retry, groups.as_str())), Some((false, ""))),
                None => (None, None),
            };
            let mut values = Vec::with_capacity(2 * Recorded::count());
            stored_values(&change.before, fields, before_auto, &mut values);
            stored_values(&change.after, fields, after_auto, &mut values);
            TokenRow {
                token_id: change.id,
                owner_id: owner_of(change.id),
                values,
            }
        })
        .collect()
}

/// `rows` as one JSON array of arrays `[token_id, owner_id, values…]`: the layout SQLite packs a change set's
/// rows in for a revert (`sql::sqlite_packed_rows_statement`), written here to test reading it back.
#[cfg(test)]
pub(crate) fn rows_json(rows: &[TokenRow]) -> String {
    use std::fmt::Write as _;
    use tokenbatch_rules::write_json_string;
    let mut out = String::with_capacity(rows.len() * 64 + 2);
    out.push('[');
    for (index, row) in rows.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        let _ = write!(out, "[{},{}", row.token_id, row.owner_id);
        for value in &row.values {
            match value {
                Stored::Null => out.push_str(",null"),
                Stored::Integer(integer) => {
                    let _ = write!(out, ",{integer}");
                }
                Stored::Text(text) => {
                    out.push(',');
                    write_json_string(&mut out, text);
                }
            }
        }
        out.push(']');
    }
    out.push(']');
    out
}

/// One side's values (in [`Recorded::all`] order) as the JSON object readers get: the values recorded,
/// booleans as `true` / `false`, in column order.
pub(crate) fn values_json(values: &[Stored]) -> String {
    let mut object = serde_json::Map::new();
    for (recorded, value) in Recorded::all().zip(values) {
        let json = match (value, recorded.kind()) {
            (Stored::Null, _) => continue,
            (Stored::Integer(integer), Kind::Boolean) => serde_json::Value::from(*integer != 0),
            (Stored::Integer(integer), _) => serde_json::Value::from(*integer),
            (Stored::Text(text), _) => serde_json::Value::from(text.as_str()),
        };
        object.insert(recorded.name().to_owned(), json);
    }
    serde_json::Value::Object(object).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_back_as_the_objects_readers_get() {
        let state = TokenState {
            status: 1,
            group: "vip".into(),
            unlimited_quota: true,
            remain_quota: 7,
            ..TokenState::default()
        };
        let fields: FieldSet = [Field::Group, Field::UnlimitedQuota].into_iter().collect();
        let mut values = Vec::new();
        stored_values(&state, fields, Some((true, "a,b")), &mut values);
        assert_eq!(values.len(), Recorded::count());
        assert_eq!(
            values_json(&values),
            r#"{"status":1,"group":"vip","unlimited_quota":true,"cross_group_retry":true,"auto_groups":"a,b"}"#
        );
        let row = TokenRow {
            token_id: 3,
            owner_id: 9,
            values: vec![
                Stored::Null,
                Stored::Integer(-1),
                Stored::Text("a\"b".into()),
            ],
        };
        assert_eq!(rows_json(&[row]), r#"[[3,9,null,-1,"a\"b"]]"#);
        assert_eq!(value_columns(Dialect::Sqlite).len(), 2 * Recorded::count());
    }
}
