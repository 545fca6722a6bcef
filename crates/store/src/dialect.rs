//! The SQL that differs between engines. Statements are written once with `?` placeholders and passed
//! through [`Dialect::sql`]; everything else engine-specific is a method here.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
    Postgres,
    MySql,
}

/// The ids one statement carries on PostgreSQL and MySQL.
/// - MySQL allows 65 535 placeholders a statement; chunks stay far below it and keep statements cacheable.
/// - PostgreSQL takes any array, but weighs `id = ANY($1)` against a sequential scan by the list's length:
///   on a freshly analyzed table of 1 000 000 tokens whose id order no longer follows the heap, a 10 000-id
///   list cost just above the scan, and the lock-read and the UPDATE read the whole table (docs/BENCHMARKS.md,
///   figure 7). A 1 000-id list stays far below the break-even, so every chunk uses the primary key.
pub(crate) const ID_CHUNK: usize = 1_000;

impl Dialect {
    /// Quotes an identifier; `group` and `key` are reserved words on every engine new-api runs on.
    pub(crate) fn quote(self, identifier: &str) -> String {
        match self {
            Dialect::Sqlite | Dialect::Postgres => format!("\"{identifier}\""),
            Dialect::MySql => format!("`{identifier}`"),
        }
    }

    /// Rewrites `?` placeholders into the engine's own (`$1`, `$2`, … on PostgreSQL).
    pub(crate) fn sql(self, statement: &str) -> String {
        match self {
            Dialect::Sqlite | Dialect::MySql => statement.to_owned(),
            Dialect::Postgres => {
                let mut out = String::with_capacity(statement.len() + 16);
                let mut index = 0;
                for ch in statement.chars() {
                    if ch == '?' {
                        index += 1;
                        out.push('$');
                        out.push_str(&index.to_string());
                    } else {
                        out.push(ch);
                    }
                }
                out
            }
        }
    }

    /// An integer column read as a 64-bit integer whatever width the database gave it.
    pub(crate) fn integer(self, column: &str, default: i64) -> String {
        match self {
            Dialect::Sqlite => format!("COALESCE({column}, {default})"),
            Dialect::Postgres => format!("CAST(COALESCE({column}, {default}) AS BIGINT)"),
            Dialect::MySql => format!("CAST(COALESCE({column}, {default}) AS SIGNED)"),
        }
    }

    /// A boolean column (SQLite numeric, PostgreSQL boolean, MySQL tinyint) read as 0 / 1.
    pub(crate) fn boolean(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => format!("COALESCE({column}, 0)"),
            Dialect::Postgres => format!("CAST(CASE WHEN {column} THEN 1 ELSE 0 END AS BIGINT)"),
            Dialect::MySql => format!("CAST(CASE WHEN {column} THEN 1 ELSE 0 END AS SIGNED)"),
        }
    }

    /// The larger of two integer expressions.
    pub(crate) fn greatest(self, left: &str, right: &str) -> String {
        match self {
            Dialect::Sqlite => format!("MAX({left}, {right})"),
            Dialect::Postgres | Dialect::MySql => format!("GREATEST({left}, {right})"),
        }
    }

    /// A text column read as text, NULL as ''.
    pub(crate) fn text(self, column: &str) -> String {
        format!("COALESCE({column}, '')")
    }

    /// The condition selecting `count` ids: one bound JSON array on SQLite, one bound array on PostgreSQL, a
    /// list of placeholders on MySQL (callers chunk by [`ID_CHUNK`]).
    pub(crate) fn id_filter(self, count: usize) -> String {
        match self {
            Dialect::Sqlite => "id IN (SELECT value FROM json_each(?))".to_owned(),
            Dialect::Postgres => "id = ANY(?)".to_owned(),
            Dialect::MySql => {
                let mut list = String::with_capacity(count * 2 + 10);
                list.push_str("id IN (");
                for index in 0..count {
                    if index > 0 {
                        list.push(',');
                    }
                    list.push('?');
                }
                list.push(')');
                list
            }
        }
    }

    /// How many ids one statement may carry.
    pub(crate) fn id_chunk(self) -> usize {
        match self {
            Dialect::Sqlite => usize::MAX,
            Dialect::Postgres | Dialect::MySql => ID_CHUNK,
        }
    }

    /// `UPDATE tokens SET {assignments}` on the `count` ids ([`Dialect::id_filter`]'s placeholders last, after
    /// the assignments'). On SQLite the ids are joined (`UPDATE … FROM json_each(?)`), walked in their order,
    /// each row found by its rowid: `id IN (SELECT value FROM json_each(?))` first builds an index of the list,
    /// which took a third of a 10 000-id UPDATE (docs/BENCHMARKS.md, "UPDATE … FROM"). The json_each columns
    /// `id` and `key` would clash with the tokens', so the assignments name none of them, and the test
    /// `sqlite_updates_walk_the_ids_by_rowid` holds the plan.
    pub(crate) fn update_by_ids(self, assignments: &str, count: usize) -> String {
        match self {
            Dialect::Sqlite => format!(
                "UPDATE tokens SET {assignments} FROM json_each(?) AS j WHERE tokens.id = j.value"
            ),
            Dialect::Postgres | Dialect::MySql => self.sql(&format!(
                "UPDATE {} SET {assignments} WHERE {}",
                self.tokens_by_primary_key(),
                self.id_filter(count)
            )),
        }
    }

    /// The tokens table, read through its primary key. MySQL may otherwise scan a small table whole, and a
    /// locking scan waits on rows other batches hold even when it does not want them.
    pub(crate) fn tokens_by_primary_key(self) -> &'static str {
        match self {
            Dialect::Sqlite | Dialect::Postgres => "tokens",
            Dialect::MySql => "tokens FORCE INDEX (PRIMARY)",
        }
    }

    /// Row locks for a read that is followed by writes in the same transaction. SQLite has none: its
    /// `BEGIN IMMEDIATE` already holds the database's write lock.
    pub(crate) fn lock_rows(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres | Dialect::MySql => " FOR UPDATE",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_placeholders_are_numbered() {
        assert_eq!(
            Dialect::Postgres.sql("a = ? AND b LIKE ? ESCAPE '!'"),
            "a = $1 AND b LIKE $2 ESCAPE '!'"
        );
        assert_eq!(Dialect::MySql.sql("a = ?"), "a = ?");
    }

    #[test]
    fn identifiers_are_quoted_per_engine() {
        assert_eq!(Dialect::MySql.quote("group"), "`group`");
        assert_eq!(Dialect::Postgres.quote("group"), "\"group\"");
    }

    #[test]
    fn mysql_id_lists_have_one_placeholder_per_id() {
        assert_eq!(Dialect::MySql.id_filter(3), "id IN (?,?,?)");
    }
}
