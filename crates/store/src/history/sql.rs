//! The history's statements ([`crate::history`]), with `?` placeholders rewritten per engine.

use sqlx::Row;

use crate::dialect::Dialect;
use crate::history::values::{self, Kind, Recorded, Stored, TokenRow};
use crate::history::{ChangeSet, ChangedToken};
use crate::StoreError;

pub(crate) const CHANGES: &str = "tokenbatch_changes";
pub(crate) const TOKENS: &str = "tokenbatch_change_tokens";
/// Per change set, each owner of its tokens other than its acting user (root's batches across users,
/// docs/SPEC.md §13): how an owner's list finds the change sets others made to their tokens through its
/// primary key (owner, change set), without reading the token rows. A batch of the acting user's own tokens
/// writes none.
pub(crate) const OWNERS: &str = "tokenbatch_change_owners";

const CHANGE_COLUMNS: &str =
    "id, user_id, created_time, source, request, changed, unchanged, reverts, reverted_by";

/// The change sets a user sees: those they made, and those that touched their tokens ([`OWNERS`]); bound as
/// the user twice.
fn visible() -> String {
    format!("(user_id = ? OR id IN (SELECT change_id FROM {OWNERS} WHERE owner_id = ?))")
}

/// Rows of one INSERT into [`OWNERS`]: two placeholders each.
pub(crate) const OWNER_ROWS_PER_INSERT: usize = 1_000;

/// `rows` owners of one change set, bound as (change id, owner) per row.
pub(crate) fn insert_owners_statement(d: Dialect, rows: usize) -> String {
    d.sql(&format!(
        "INSERT INTO {OWNERS} (change_id, owner_id) VALUES {}",
        vec!["(?, ?)"; rows].join(", ")
    ))
}

/// On SQLite a token row's id is its change set's id times this plus its place in the batch (a batch names
/// at most 100 000 tokens): a change set's rows are one range of the table's own B-tree, in token order.
pub(crate) const SQLITE_ROWS_PER_CHANGE: i64 = 1 << 20;

/// SQLite: the change set a text of statements inserted first, named by the statements after it (the
/// counted batch's rows, `batch/counted_history.rs`, and a reading batch's, `batch/one_call_writes.rs`).
/// Only inside the writer's `BEGIN IMMEDIATE` transaction: no other change set can come after it there.
pub(crate) const SQLITE_CHANGE_JUST_INSERTED: &str = "(SELECT MAX(id) FROM tokenbatch_changes)";

/// A new change set, bound as user, time, source, request, changed, unchanged; SQLite and PostgreSQL answer
/// its id, MySQL gives it as the last insert id.
pub(crate) fn insert_change_statement(d: Dialect) -> String {
    let returning = match d {
        Dialect::Sqlite | Dialect::Postgres => " RETURNING id",
        Dialect::MySql => "",
    };
    d.sql(&format!(
        "INSERT INTO {CHANGES} (user_id, created_time, source, request, changed, unchanged) \
         VALUES (?, ?, ?, ?, ?, ?){returning}"
    ))
}

/// The key columns and the value columns ([`values::value_columns`]) of a token row, the latter only where
/// `used` (on PostgreSQL every one: one array a column, NULLs cost nothing to bind).
pub(crate) fn token_columns(d: Dialect, used: &[bool]) -> String {
    let mut columns = vec!["change_id".to_owned(), "token_id".into(), "owner_id".into()];
    columns.extend(
        values::value_columns(d)
            .into_iter()
            .zip(used)
            .filter(|(_, used)| **used)
            .map(|(column, _)| column),
    );
    columns.join(", ")
}

/// The changed tokens' rows ([`values::TokenRow`]), set-based: on PostgreSQL one array per column; on MySQL
/// and SQLite `rows` rows of placeholders (SQLite's each starting with the row's id), for the key columns
/// and the value columns that are `used` ([`values::columns_in_use`]), bound in that order.
pub(crate) fn insert_tokens_statement(d: Dialect, rows: usize, used: &[bool]) -> String {
    let values = used.iter().filter(|used| **used).count();
    match d {
        // Rows of bound values, each with its rowid (see SQLITE_ROWS_PER_CHANGE) first: unpacking one JSON
        // array per row with `json_extract` parsed each row's text once per column (95 ms for 10 000 rows
        // of 28 values, against 8 ms for the counted path's INSERT … SELECT).
        Dialect::Sqlite => {
            let row = format!("({})", vec!["?"; values + 4].join(", "));
            format!(
                "INSERT INTO {TOKENS} (id, {}) VALUES {}",
                token_columns(d, used),
                vec![row; rows].join(", ")
            )
        }
        Dialect::Postgres => {
            let mut arrays = vec!["$2::bigint[]".to_owned(), "$3::bigint[]".to_owned()];
            let kinds = values::row_kinds();
            for (index, kind) in kinds.iter().enumerate() {
                let array = match kind {
                    Kind::Text => "text[]",
                    Kind::Integer | Kind::Boolean => "bigint[]",
                };
                arrays.push(format!("${}::{array}", index + 4));
            }
            format!(
                "INSERT INTO {TOKENS} ({}) SELECT $1, t.* FROM UNNEST({}) AS t",
                token_columns(d, &vec![true; kinds.len()]),
                arrays.join(", ")
            )
        }
        Dialect::MySql => {
            let row = format!("({})", vec!["?"; values + 3].join(", "));
            format!(
                "INSERT INTO {TOKENS} ({}) VALUES {}",
                token_columns(d, used),
                vec![row; rows].join(", ")
            )
        }
    }
}

/// Rows of a multi-row INSERT on MySQL and SQLite: 1 000 rows of at most 30 placeholders, within MySQL's
/// 65 535 and SQLite's 32 766.
pub(crate) const ROWS_PER_INSERT: usize = 1_000;

/// The auto-only settings of the tokens a batch clears them on, read before it writes: id, 0/1, text.
pub(crate) fn auto_settings_statement(d: Dialect, count: usize) -> String {
    d.sql(&format!(
        "SELECT {id}, {retry}, {groups} FROM tokens WHERE {filter}",
        id = d.integer("id", 0),
        retry = d.boolean("cross_group_retry"),
        groups = d.text("auto_groups"),
        filter = d.id_filter(count),
    ))
}

pub(crate) fn count_statement(d: Dialect) -> String {
    d.sql(&format!(
        "SELECT COUNT(*) FROM {CHANGES} WHERE {}",
        visible()
    ))
}

pub(crate) fn list_statement(d: Dialect) -> String {
    d.sql(&format!(
        "SELECT {CHANGE_COLUMNS} FROM {CHANGES} WHERE {} ORDER BY id DESC LIMIT ? OFFSET ?",
        visible()
    ))
}

pub(crate) fn find_statement(d: Dialect) -> String {
    d.sql(&format!(
        "SELECT {CHANGE_COLUMNS} FROM {CHANGES} WHERE id = ?"
    ))
}

/// How many times [`token_count_statement`] and [`token_page_statement`] bind the change set's id first.
pub(crate) fn change_binds(d: Dialect) -> usize {
    match d {
        Dialect::Sqlite => 2,
        Dialect::Postgres | Dialect::MySql => 1,
    }
}

/// The tokens of a change set, bound as its id ([`change_binds`] times), then (unless `everyone`) the
/// owner. SQLite reads the change set's rowid range ([`SQLITE_ROWS_PER_CHANGE`]).
fn token_condition(d: Dialect, everyone: bool) -> String {
    let change = match d {
        Dialect::Sqlite => format!(
            "id >= ? * {SQLITE_ROWS_PER_CHANGE} AND id < (? + 1) * {SQLITE_ROWS_PER_CHANGE}"
        ),
        Dialect::Postgres | Dialect::MySql => "change_id = ?".to_owned(),
    };
    match everyone {
        true => change,
        false => format!("{change} AND owner_id = ?"),
    }
}

pub(crate) fn token_count_statement(d: Dialect, everyone: bool) -> String {
    d.sql(&format!(
        "SELECT COUNT(*) FROM {TOKENS} WHERE {}",
        token_condition(d, everyone)
    ))
}

pub(crate) fn token_page_statement(d: Dialect, everyone: bool) -> String {
    d.sql(&format!(
        "SELECT token_id, owner_id, {} FROM {TOKENS} WHERE {} ORDER BY {order} LIMIT ? OFFSET ?",
        values::value_columns(d).join(", "),
        token_condition(d, everyone),
        order = match d {
            Dialect::Sqlite => "id",
            Dialect::Postgres | Dialect::MySql => "token_id",
        }
    ))
}

/// The change set a revert is about, locked: its maker and the revert that already undid it, if any.
pub(crate) fn lock_change_statement(d: Dialect) -> String {
    d.sql(&format!(
        "SELECT user_id, reverted_by FROM {CHANGES} WHERE id = ?{}",
        d.lock_rows()
    ))
}

/// Every recorded token of a change set, typed ([`token_row_from_row`]), in token order; bound as the change
/// set's id ([`change_binds`] times).
pub(crate) fn recorded_rows_statement(d: Dialect) -> String {
    d.sql(&format!(
        "SELECT token_id, owner_id, {} FROM {TOKENS} WHERE {} ORDER BY token_id",
        values::value_columns(d).join(", "),
        token_condition(d, true),
    ))
}

/// SQLite: every recorded token of a change set as one JSON array of `[token_id, owner_id, values…]` (the
/// layout [`values::rows_json`] writes), in token order; bound as the change set's id twice. sqlx hands
/// SQLite's rows over one at a time, which for 10 000 rows costs more than the revert's own writes.
pub(crate) fn sqlite_packed_rows_statement() -> String {
    let d = Dialect::Sqlite;
    format!(
        "SELECT json_group_array(json_array(token_id, owner_id, {})) FROM \
         (SELECT * FROM {TOKENS} WHERE {} ORDER BY id)",
        values::value_columns(d).join(", "),
        token_condition(d, true),
    )
}

/// The rows of [`sqlite_packed_rows_statement`], typed.
pub(crate) fn unpack_token_rows(packed: &str) -> Result<Vec<TokenRow>, StoreError> {
    let mut reader = crate::packed::PackedReader::new(packed);
    let kinds: Vec<Kind> = values::row_kinds();
    let mut rows = Vec::with_capacity(packed.len() / 64);
    reader.expect(b'[')?;
    let mut more = !reader.eat(b']');
    while more {
        reader.expect(b'[')?;
        let token_id = reader.integer()?;
        reader.expect(b',')?;
        let owner_id = reader.integer()?;
        let mut values = Vec::with_capacity(kinds.len());
        for kind in &kinds {
            reader.expect(b',')?;
            values.push(match (reader.null(), kind) {
                (true, _) => Stored::Null,
                (false, Kind::Text) => Stored::Text(reader.string()?),
                (false, Kind::Integer | Kind::Boolean) => Stored::Integer(reader.integer()?),
            });
        }
        reader.expect(b']')?;
        rows.push(TokenRow {
            token_id,
            owner_id,
            values,
        });
        more = reader.eat(b',');
        if !more {
            reader.expect(b']')?;
        }
    }
    reader.finish()?;
    Ok(rows)
}

/// The tokens whose `remain_quota` a change set after the bound one recorded: a revert then restores their
/// quota only where it still equals the recorded after value, instead of undoing the delta.
pub(crate) fn quota_recorded_later_statement(d: Dialect) -> String {
    let later = match d {
        Dialect::Sqlite => format!("id >= (? + 1) * {SQLITE_ROWS_PER_CHANGE}"),
        Dialect::Postgres | Dialect::MySql => "change_id > ?".to_owned(),
    };
    d.sql(&format!(
        "SELECT DISTINCT token_id FROM {TOKENS} WHERE {later} AND {} IS NOT NULL",
        d.quote("after_remain_quota")
    ))
}

/// Links a revert's change set (first bound) to the one it reverts (second bound), both ways.
pub(crate) fn mark_reverted_statements(d: Dialect) -> [String; 2] {
    [
        d.sql(&format!("UPDATE {CHANGES} SET reverts = ? WHERE id = ?")),
        d.sql(&format!(
            "UPDATE {CHANGES} SET reverted_by = ? WHERE id = ?"
        )),
    ]
}

fn count(value: i64) -> usize {
    usize::try_from(value).unwrap_or(0)
}

pub(crate) fn change_from_row<R: Row>(row: &R) -> Result<ChangeSet, StoreError>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(ChangeSet {
        id: row.try_get(0)?,
        user_id: row.try_get(1)?,
        created_time: row.try_get(2)?,
        source: row.try_get(3)?,
        request: row.try_get(4)?,
        changed: count(row.try_get(5)?),
        unchanged: count(row.try_get(6)?),
        reverts: row.try_get(7)?,
        reverted_by: row.try_get(8)?,
    })
}

/// A row of [`token_page_statement`] or [`recorded_rows_statement`], typed.
pub(crate) fn token_row_from_row<R: Row>(row: &R) -> Result<TokenRow, StoreError>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let mut values = Vec::with_capacity(2 * Recorded::count());
    let kinds = values::row_kinds();
    for (index, kind) in kinds.into_iter().enumerate() {
        let column = index + 2;
        values.push(match kind {
            Kind::Text => match row.try_get::<Option<String>, _>(column)? {
                Some(text) => Stored::Text(text),
                None => Stored::Null,
            },
            Kind::Integer | Kind::Boolean => match row.try_get::<Option<i64>, _>(column)? {
                Some(integer) => Stored::Integer(integer),
                None => Stored::Null,
            },
        });
    }
    Ok(TokenRow {
        token_id: row.try_get(0)?,
        owner_id: row.try_get(1)?,
        values,
    })
}

pub(crate) fn token_from_row<R: Row>(row: &R) -> Result<ChangedToken, StoreError>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let row = token_row_from_row(row)?;
    let (before, after) = row.values.split_at(Recorded::count());
    Ok(ChangedToken {
        token_id: row.token_id,
        owner_id: row.owner_id,
        before: values::values_json(before),
        after: values::values_json(after),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite packs the rows as `values::rows_json` writes them: reading them back gives the same rows,
    /// NULLs, escapes and negative numbers included.
    #[test]
    fn packed_rows_read_back_as_written() {
        let mut values = vec![Stored::Null; 2 * Recorded::count()];
        values[0] = Stored::Integer(1);
        values[1] = Stored::Text("vi\"p,\\n".into());
        values[2] = Stored::Integer(-1);
        values[Recorded::count()] = Stored::Integer(3);
        let rows = vec![
            TokenRow {
                token_id: 7,
                owner_id: 2,
                values: values.clone(),
            },
            TokenRow {
                token_id: 9,
                owner_id: 2,
                values,
            },
        ];
        assert_eq!(unpack_token_rows(&values::rows_json(&rows)).unwrap(), rows);
        assert_eq!(unpack_token_rows("[]").unwrap(), Vec::new());
        assert!(unpack_token_rows("[[1,2]]").is_err(), "too few values");
    }
}
