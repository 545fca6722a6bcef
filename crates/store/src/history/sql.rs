//! The history's statements ([`crate::history`]), with `?` placeholders rewritten per engine.

use sqlx::Row;

use crate::dialect::Dialect;
use crate::history::{ChangeSet, ChangedToken};
use crate::StoreError;

pub(crate) const CHANGES: &str = "tokenbatch_changes";
pub(crate) const TOKENS: &str = "tokenbatch_change_tokens";

const CHANGE_COLUMNS: &str = "id, user_id, created_time, source, request, changed, unchanged";

/// The change sets a user made or whose tokens include theirs: bound as the user twice.
const VISIBLE: &str =
    "user_id = ? OR id IN (SELECT change_id FROM tokenbatch_change_tokens WHERE owner_id = ?)";

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

/// The changed tokens' rows, set-based: on SQLite one JSON array of `[token_id, owner_id, before, after]`
/// (bound after the change id); on PostgreSQL four arrays; on MySQL `rows` rows of five placeholders.
pub(crate) fn insert_tokens_statement(d: Dialect, rows: usize) -> String {
    let columns = "(change_id, token_id, owner_id, before_values, after_values)";
    match d {
        Dialect::Sqlite => format!(
            "INSERT INTO {TOKENS} {columns} SELECT ?, json_extract(value, '$[0]'), \
             json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]') \
             FROM json_each(?)"
        ),
        Dialect::Postgres => format!(
            "INSERT INTO {TOKENS} {columns} SELECT $1, t.* FROM \
             UNNEST($2::bigint[], $3::bigint[], $4::text[], $5::text[]) AS t"
        ),
        Dialect::MySql => {
            let values = vec!["(?, ?, ?, ?, ?)"; rows].join(", ");
            format!("INSERT INTO {TOKENS} {columns} VALUES {values}")
        }
    }
}

/// Rows of MySQL's multi-row INSERT: 5 000 placeholders, well within its 65 535.
pub(crate) const MYSQL_ROWS_PER_INSERT: usize = 1_000;

/// The counts of a change set SQLite's counted batch recorded before it knew them: changed, unchanged, id.
pub(crate) const SQLITE_SET_COUNTS: &str =
    "UPDATE tokenbatch_changes SET changed = ?, unchanged = ? WHERE id = ?";

/// A change set SQLite's counted batch recorded and that changed nothing after all.
pub(crate) const SQLITE_DELETE_CHANGE: &str = "DELETE FROM tokenbatch_changes WHERE id = ?";

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
    d.sql(&format!("SELECT COUNT(*) FROM {CHANGES} WHERE {VISIBLE}"))
}

pub(crate) fn list_statement(d: Dialect) -> String {
    d.sql(&format!(
        "SELECT {CHANGE_COLUMNS} FROM {CHANGES} WHERE {VISIBLE} ORDER BY id DESC LIMIT ? OFFSET ?"
    ))
}

pub(crate) fn find_statement(d: Dialect) -> String {
    d.sql(&format!(
        "SELECT {CHANGE_COLUMNS} FROM {CHANGES} WHERE id = ?"
    ))
}

/// The tokens of a change set, bound as its id, then (unless `everyone`) the owner.
fn token_condition(everyone: bool) -> &'static str {
    match everyone {
        true => "change_id = ?",
        false => "change_id = ? AND owner_id = ?",
    }
}

pub(crate) fn token_count_statement(d: Dialect, everyone: bool) -> String {
    d.sql(&format!(
        "SELECT COUNT(*) FROM {TOKENS} WHERE {}",
        token_condition(everyone)
    ))
}

pub(crate) fn token_page_statement(d: Dialect, everyone: bool) -> String {
    d.sql(&format!(
        "SELECT token_id, owner_id, before_values, after_values FROM {TOKENS} WHERE {} \
         ORDER BY token_id LIMIT ? OFFSET ?",
        token_condition(everyone)
    ))
}

fn count(value: i64) -> usize {
    usize::try_from(value).unwrap_or(0)
}

pub(crate) fn change_from_row<R: Row>(row: &R) -> Result<ChangeSet, StoreError>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
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
    })
}

pub(crate) fn token_from_row<R: Row>(row: &R) -> Result<ChangedToken, StoreError>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(ChangedToken {
        token_id: row.try_get(0)?,
        owner_id: row.try_get(1)?,
        before: row.try_get(2)?,
        after: row.try_get(3)?,
    })
}
