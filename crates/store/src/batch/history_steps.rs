//! The history steps of a batch (docs/SPEC.md §12, [`crate::history`]), as macros instantiated once per
//! engine inside [`batch_in_transaction!`]'s open transaction, before the batch writes: the change set and
//! its tokens commit with the tokens or not at all.

/// Inserts a change set and evaluates to its id.
macro_rules! insert_change {
    (MySql, $tx:expr, $d:expr, $plan:expr, $entry:expr, $changed:expr, $unchanged:expr) => {{
        let done = insert_change!(@query, $d, $plan, $entry, $changed, $unchanged)
            .execute(&mut *$tx)
            .await?;
        i64::try_from(done.last_insert_id()).unwrap_or(i64::MAX)
    }};
    ($engine:ident, $tx:expr, $d:expr, $plan:expr, $entry:expr, $changed:expr, $unchanged:expr) => {{
        let row = insert_change!(@query, $d, $plan, $entry, $changed, $unchanged)
            .fetch_one(&mut *$tx)
            .await?;
        row.try_get::<i64, _>(0)?
    }};
    (@query, $d:expr, $plan:expr, $entry:expr, $changed:expr, $unchanged:expr) => {
        insert_change!(
            @bind,
            sqlx::query(&$crate::history::sql::insert_change_statement($d)),
            $plan,
            $entry,
            $changed,
            $unchanged
        )
    };
    // Its values, in the statement's placeholder order.
    (@bind, $query:expr, $plan:expr, $entry:expr, $changed:expr, $unchanged:expr) => {{
        let as_i64 = |value: usize| i64::try_from(value).unwrap_or(i64::MAX);
        $query
            .bind($plan.user_id)
            .bind($plan.now)
            .bind($entry.source.as_str())
            .bind($entry.request)
            .bind(as_i64($changed))
            .bind(as_i64($unchanged))
    }};
}

/// Binds one recorded value ([`crate::history::values::Stored`]) of `kind`: NULL typed as its column.
macro_rules! bind_stored {
    ($query:expr, $kind:expr, $value:expr) => {{
        use $crate::history::values::{Kind, Stored};
        match ($value, $kind) {
            (Stored::Integer(integer), _) => $query.bind(*integer),
            (Stored::Text(text), _) => $query.bind(text.as_str()),
            (Stored::Null, Kind::Text) => $query.bind(None::<&str>),
            (Stored::Null, _) => $query.bind(None::<i64>),
        }
    }};
}

/// Binds a token row's recorded values ([`crate::history::values::TokenRow`]) of the columns in `$used`
/// ([`crate::history::values::columns_in_use`]), in column order.
macro_rules! bind_row_values {
    ($query:expr, $row:expr, $kinds:expr, $used:expr) => {{
        let mut query = $query;
        for ((value, kind), _) in $row
            .values
            .iter()
            .zip($kinds)
            .zip($used)
            .filter(|(_, used)| **used)
        {
            query = bind_stored!(query, *kind, value);
        }
        query
    }};
}

/// Inserts the rows of one change set's tokens ([`crate::history::values::TokenRow`]), set-based, and one
/// row per owner other than the acting user `$acting` (crate::history::sql::OWNERS), by which those owners
/// find the change set in their list.
macro_rules! insert_change_tokens {
    ($engine:ident, $tx:expr, $d:expr, $change_id:expr, $acting:expr, $rows:expr) => {{
        let rows: Vec<$crate::history::values::TokenRow> = $rows;
        let others = $crate::history::values::other_owners(&rows, $acting);
        for chunk in others.chunks($crate::history::sql::OWNER_ROWS_PER_INSERT) {
            let sql = $crate::history::sql::insert_owners_statement($d, chunk.len());
            let mut query = sqlx::query(&sql);
            for owner in chunk {
                query = query.bind($change_id).bind(*owner);
            }
            query.execute(&mut *$tx).await?;
        }
        insert_change_tokens!(@rows $engine, $tx, $d, $change_id, rows);
    }};
    (@rows Sqlite, $tx:expr, $d:expr, $change_id:expr, $rows:expr) => {{
        use $crate::history::values::Kind;
        let rows: Vec<$crate::history::values::TokenRow> = $rows;
        let kinds: Vec<Kind> = $crate::history::values::row_kinds();
        let used = $crate::history::values::columns_in_use(&rows);
        let first = $change_id * $crate::history::sql::SQLITE_ROWS_PER_CHANGE;
        for (index, chunk) in rows.chunks($crate::history::sql::ROWS_PER_INSERT).enumerate() {
            let sql = $crate::history::sql::insert_tokens_statement($d, chunk.len(), &used);
            let mut query = sqlx::query(&sql);
            let offset = index * $crate::history::sql::ROWS_PER_INSERT;
            for (place, row) in chunk.iter().enumerate() {
                // The rowid: the change set's range, then the row's place in the batch (token order).
                let id = first + i64::try_from(offset + place).unwrap_or(i64::MAX);
                query = query.bind(id).bind($change_id).bind(row.token_id).bind(row.owner_id);
                query = bind_row_values!(query, row, &kinds, &used);
            }
            query.execute(&mut *$tx).await?;
        }
    }};
    (@rows Postgres, $tx:expr, $d:expr, $change_id:expr, $rows:expr) => {{
        use $crate::history::values::{Kind, Stored};
        let rows: Vec<$crate::history::values::TokenRow> = $rows;
        let kinds: Vec<Kind> = $crate::history::values::row_kinds();
        let ids: Vec<i64> = rows.iter().map(|row| row.token_id).collect();
        let owners: Vec<i64> = rows.iter().map(|row| row.owner_id).collect();
        let sql = $crate::history::sql::insert_tokens_statement($d, rows.len(), &[]);
        let mut query = sqlx::query(&sql).bind($change_id).bind(ids).bind(owners);
        for (column, kind) in kinds.iter().enumerate() {
            let values = rows.iter().map(|row| &row.values[column]);
            query = match kind {
                Kind::Text => query.bind(
                    values
                        .map(|value| match value {
                            Stored::Text(text) => Some(text.clone()),
                            _ => None,
                        })
                        .collect::<Vec<Option<String>>>(),
                ),
                Kind::Integer | Kind::Boolean => query.bind(
                    values
                        .map(|value| match value {
                            Stored::Integer(integer) => Some(*integer),
                            _ => None,
                        })
                        .collect::<Vec<Option<i64>>>(),
                ),
            };
        }
        query.execute(&mut *$tx).await?;
    }};
    (@rows MySql, $tx:expr, $d:expr, $change_id:expr, $rows:expr) => {{
        use $crate::history::values::Kind;
        let rows: Vec<$crate::history::values::TokenRow> = $rows;
        let kinds: Vec<Kind> = $crate::history::values::row_kinds();
        let used = $crate::history::values::columns_in_use(&rows);
        for chunk in rows.chunks($crate::history::sql::ROWS_PER_INSERT) {
            let sql = $crate::history::sql::insert_tokens_statement($d, chunk.len(), &used);
            let mut query = sqlx::query(&sql);
            for row in chunk {
                query = query.bind($change_id).bind(row.token_id).bind(row.owner_id);
                query = bind_row_values!(query, row, &kinds, &used);
            }
            query.execute(&mut *$tx).await?;
        }
    }};
}

/// What the history of an applied batch records, from its computed changes, before they are written: None
/// without history or when no token changes ([`crate::batch::ToRecord`]). The auto-only settings a change clears are read from the rows as they still are. `$owners`
/// maps each token to its owner when they are not all the acting user's (root's batches across users).
macro_rules! history_rows {
    ($engine:ident, $tx:expr, $d:expr, $plan:expr, $changes:expr, $owners:expr) => {{
        let owners: Option<&std::collections::HashMap<i64, i64>> = $owners;
        let changes: &[$crate::BatchChange] = $changes;
        let changed = changes.iter().filter(|change| change.changed()).count();
        match ($plan.history, changed > 0) {
            (Some(entry), true) => {
                let clearing: Vec<i64> = changes
                    .iter()
                    .filter(|change| change.cleared_auto_settings)
                    .map(|change| change.id)
                    .collect();
                let mut cleared = std::collections::HashMap::new();
                for chunk in clearing.chunks($d.id_chunk()) {
                    let sql = $crate::history::sql::auto_settings_statement($d, chunk.len());
                    let query = bind_ids!($engine, sqlx::query(&sql), chunk);
                    for row in query.fetch_all(&mut *$tx).await? {
                        let id: i64 = row.try_get(0)?;
                        let retry: i64 = row.try_get(1)?;
                        cleared.insert(id, (retry != 0, row.try_get::<String, _>(2)?));
                    }
                }
                let owner_of = |token: i64| {
                    owners
                        .and_then(|owners| owners.get(&token).copied())
                        .unwrap_or($plan.user_id)
                };
                let rows = $crate::history::values::token_rows(
                    owner_of,
                    $plan.fields(),
                    changes,
                    &cleared,
                );
                Some($crate::batch::ToRecord {
                    entry,
                    changed,
                    unchanged: changes.len() - changed,
                    rows,
                })
            }
            _ => None,
        }
    }};
}

/// Records an applied batch that changes at least one token ([`history_rows!`]), before it is written.
/// Evaluates to the change set's id, None when nothing was recorded.
macro_rules! record_history {
    ($engine:ident, $tx:expr, $d:expr, $plan:expr, $changes:expr, $owners:expr) => {{
        let recorded = history_rows!($engine, $tx, $d, $plan, $changes, $owners);
        record_history!(@insert $engine, $tx, $d, $plan, recorded)
    }};
    // What history_rows! evaluated to.
    (@insert $engine:ident, $tx:expr, $d:expr, $plan:expr, $recorded:expr) => {{
        match $recorded {
            Some(recorded) => {
                let $crate::batch::ToRecord { entry, changed, unchanged, rows } = recorded;
                let change_id = insert_change!($engine, $tx, $d, $plan, entry, changed, unchanged);
                insert_change_tokens!($engine, $tx, $d, change_id, $plan.user_id, rows);
                Some(change_id)
            }
            None => None,
        }
    }};
}
