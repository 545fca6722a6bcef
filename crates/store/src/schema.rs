//! Creates new-api's tables when missing and adds the columns tokenbatch needs, never anything else: the
//! service must be able to run beside a live new-api on the same database without migrating it. It never
//! drops, renames or retypes a column, and creates indexes only on tables it created itself.
//!
//! The DDL of each engine lives in `crates/store/schema/{sqlite,postgres,mysql}/`: `tables.sql` (each
//! CREATE TABLE followed by its indexes) and `columns.sql` (one ALTER TABLE … ADD COLUMN per column a
//! database written by an older or upstream new-api may lack). The step reads table and column names from
//! the statements themselves.

use sqlx::Row;

use tokenbatch_rules::Field;

use crate::dialect::Dialect;
use crate::{on_pool, Pool, Store, StoreError};

mod ensure;
pub(crate) use ensure::ensure;

/// `tables.sql` and `columns.sql` of the engine.
fn ddl(d: Dialect) -> (&'static str, &'static str) {
    match d {
        Dialect::Sqlite => (
            include_str!("../schema/sqlite/tables.sql"),
            include_str!("../schema/sqlite/columns.sql"),
        ),
        Dialect::Postgres => (
            include_str!("../schema/postgres/tables.sql"),
            include_str!("../schema/postgres/columns.sql"),
        ),
        Dialect::MySql => (
            include_str!("../schema/mysql/tables.sql"),
            include_str!("../schema/mysql/columns.sql"),
        ),
    }
}

/// A table as new-api's GORM models create it: its CREATE TABLE, then its indexes.
struct Table {
    name: String,
    statements: Vec<String>,
}

/// A column tokenbatch reads or writes that a database written by an older or upstream new-api may lack.
struct AddableColumn {
    table: String,
    name: String,
    statement: String,
}

/// The statements of a `.sql` file: `--` comment lines dropped (they may hold a `;`), split at `;`.
fn statements(sql: &str) -> Vec<String> {
    let code: Vec<&str> = sql
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect();
    code.join("\n")
        .split(';')
        .map(str::trim)
        .filter(|statement| !statement.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The quoted identifier right after `keyword` ("…" or `…`).
fn identifier_after(statement: &str, keyword: &str) -> Option<String> {
    let rest = statement[statement.find(keyword)? + keyword.len()..].trim_start();
    let quote = rest.chars().next().filter(|c| matches!(c, '"' | '`'))?;
    let name = &rest[1..];
    Some(name[..name.find(quote)?].to_owned())
}

fn tables(d: Dialect) -> Vec<Table> {
    let mut tables: Vec<Table> = Vec::new();
    for statement in statements(ddl(d).0) {
        match identifier_after(&statement, "CREATE TABLE IF NOT EXISTS") {
            Some(name) => tables.push(Table {
                name,
                statements: vec![statement],
            }),
            None => match tables.last_mut() {
                Some(table) => table.statements.push(statement),
                None => unreachable!("tables.sql starts with a CREATE TABLE"),
            },
        }
    }
    tables
}

fn addable_columns(d: Dialect) -> Vec<AddableColumn> {
    statements(ddl(d).1)
        .into_iter()
        .map(|statement| AddableColumn {
            table: identifier_after(&statement, "ALTER TABLE").expect("columns.sql names tables"),
            name: identifier_after(&statement, "ADD COLUMN").expect("columns.sql names columns"),
            statement,
        })
        .collect()
}

/// Character limits of the writable text columns, where the database sets one (MySQL varchar / text). A
/// MySQL TEXT holds 65 535 bytes, so its limit in characters is that divided by the widest character of the
/// column's character set (4 bytes in utf8mb4, 3 in utf8mb3, 1 in latin1). PostgreSQL counts in characters;
/// its octet length is the character limit times 4.
pub(crate) async fn column_limits(store: &Store) -> Result<Vec<(Field, usize)>, StoreError> {
    let sql = match store.dialect() {
        Dialect::Sqlite => return Ok(Vec::new()),
        Dialect::Postgres => {
            "SELECT CAST(column_name AS TEXT), CAST(character_maximum_length AS BIGINT), \
             CAST(character_octet_length AS BIGINT), CAST(4 AS BIGINT) FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = 'tokens'"
        }
        Dialect::MySql => {
            "SELECT CAST(c.column_name AS CHAR), CAST(c.character_maximum_length AS SIGNED), \
             CAST(c.character_octet_length AS SIGNED), CAST(COALESCE(s.maxlen, 4) AS SIGNED) \
             FROM information_schema.columns c LEFT JOIN information_schema.character_sets s \
             ON s.character_set_name = c.character_set_name \
             WHERE c.table_schema = DATABASE() AND c.table_name = 'tokens'"
        }
    };
    let columns: Vec<(String, Option<i64>, Option<i64>, i64)> = on_pool!(store, |pool| {
        let rows = sqlx::query(sql).fetch_all(pool).await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get(0)?,
                    row.try_get(1)?,
                    row.try_get(2)?,
                    row.try_get(3)?,
                ))
            })
            .collect::<Result<_, sqlx::Error>>()?
    });
    let mut limits = Vec::new();
    for (name, chars, octets, widest_character) in columns {
        let Some(field) = Field::from_name(&name) else {
            continue;
        };
        let by_octets = octets.map(|octets| octets / widest_character.max(1));
        let limit = match (chars, by_octets) {
            (Some(chars), Some(octets)) => chars.min(octets),
            (Some(limit), None) | (None, Some(limit)) => limit,
            (None, None) => continue,
        };
        if let Ok(limit) = usize::try_from(limit) {
            limits.push((field, limit));
        }
    }
    Ok(limits)
}

/// The writable text columns whose character set is narrower than Unicode (MySQL only; see charset.rs).
pub(crate) async fn column_charsets(store: &Store) -> Result<Vec<(Field, String)>, StoreError> {
    let Pool::MySql(pool) = &store.pool else {
        return Ok(Vec::new());
    };
    let rows = sqlx::query(
        "SELECT CAST(column_name AS CHAR), CAST(character_set_name AS CHAR) FROM information_schema.columns \
         WHERE table_schema = DATABASE() AND table_name = 'tokens' AND character_set_name IS NOT NULL",
    )
    .fetch_all(pool)
    .await?;
    let mut charsets = Vec::new();
    for row in rows {
        let (name, charset): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        if let Some(field) = Field::from_name(&name).filter(|_| crate::charset::is_narrow(&charset))
        {
            charsets.push((field, charset));
        }
    }
    Ok(charsets)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENGINES: [Dialect; 3] = [Dialect::Sqlite, Dialect::Postgres, Dialect::MySql];

    /// The three engines' files describe the same schema: same tables in the same order, same columns to
    /// add, every statement read, and every writable field a column of every engine's tokens table.
    #[test]
    fn every_engine_has_the_same_tables_and_columns() {
        for d in ENGINES {
            let tables = tables(d);
            let names: Vec<&str> = tables.iter().map(|table| table.name.as_str()).collect();
            assert_eq!(
                names,
                [
                    "users",
                    "tokens",
                    "options",
                    "tokenbatch_requests",
                    "tokenbatch_plan_items",
                    "tokenbatch_changes",
                    "tokenbatch_change_tokens",
                    "tokenbatch_change_owners"
                ],
                "{d:?}"
            );
            let indexes: Vec<usize> = tables.iter().map(|table| table.statements.len()).collect();
            let expected = match d {
                // MySQL declares its indexes inside CREATE TABLE.
                Dialect::MySql => [1, 1, 1, 1, 1, 1, 1, 1],
                _ => [4, 5, 1, 2, 2, 3, 1, 1],
            };
            assert_eq!(indexes, expected, "{d:?}");
            let columns: Vec<(String, String)> = addable_columns(d)
                .into_iter()
                .map(|column| (column.table, column.name))
                .collect();
            let sqlite: Vec<(String, String)> = addable_columns(Dialect::Sqlite)
                .into_iter()
                .map(|column| (column.table, column.name))
                .collect();
            assert_eq!(columns, sqlite, "{d:?}");
            let tokens = &tables[1].statements[0];
            for field in Field::ALL {
                assert!(tokens.contains(&d.quote(field.name())), "{d:?} {field:?}");
            }
            let history = &tables[6].statements[0];
            for column in crate::history::values::value_columns(d) {
                assert!(history.contains(&column), "{d:?} {column}");
            }
        }
        let statement = addable_columns(Dialect::MySql).remove(0).statement;
        assert_eq!(
            statement,
            "ALTER TABLE `tokens` ADD COLUMN `model_limits_enabled` boolean DEFAULT false"
        );
    }
}
