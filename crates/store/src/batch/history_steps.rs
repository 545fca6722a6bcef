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
    (@query, $d:expr, $plan:expr, $entry:expr, $changed:expr, $unchanged:expr) => {{
        let as_i64 = |value: usize| i64::try_from(value).unwrap_or(i64::MAX);
        sqlx::query(&$crate::history::sql::insert_change_statement($d))
            .bind($plan.user_id)
            .bind($plan.now)
            .bind($entry.source.as_str())
            .bind($entry.request)
            .bind(as_i64($changed))
            .bind(as_i64($unchanged))
    }};
}

/// Inserts the rows of one change set's tokens (`[(token_id, owner_id, before, after)]`), set-based.
macro_rules! insert_change_tokens {
    (Sqlite, $tx:expr, $d:expr, $change_id:expr, $rows:expr) => {{
        let rows: Vec<(i64, i64, String, String)> = $rows;
        let json = serde_json::to_string(&rows).expect("history rows always serialize");
        sqlx::query(&$crate::history::sql::insert_tokens_statement(
            $d,
            rows.len(),
        ))
        .bind($change_id)
        .bind(json)
        .execute(&mut *$tx)
        .await?;
    }};
    (Postgres, $tx:expr, $d:expr, $change_id:expr, $rows:expr) => {{
        let rows: Vec<(i64, i64, String, String)> = $rows;
        let (mut ids, mut owners, mut befores, mut afters) = (
            Vec::with_capacity(rows.len()),
            Vec::with_capacity(rows.len()),
            Vec::with_capacity(rows.len()),
            Vec::with_capacity(rows.len()),
        );
        for (id, owner, before, after) in rows {
            ids.push(id);
            owners.push(owner);
            befores.push(before);
            afters.push(after);
        }
        sqlx::query(&$crate::history::sql::insert_tokens_statement(
            $d,
            ids.len(),
        ))
        .bind($change_id)
        .bind(ids)
        .bind(owners)
        .bind(befores)
        .bind(afters)
        .execute(&mut *$tx)
        .await?;
    }};
    (MySql, $tx:expr, $d:expr, $change_id:expr, $rows:expr) => {{
        let rows: Vec<(i64, i64, String, String)> = $rows;
        for chunk in rows.chunks($crate::history::sql::MYSQL_ROWS_PER_INSERT) {
            let sql = $crate::history::sql::insert_tokens_statement($d, chunk.len());
            let mut query = sqlx::query(&sql);
            for (id, owner, before, after) in chunk {
                query = query
                    .bind($change_id)
                    .bind(*id)
                    .bind(*owner)
                    .bind(before.as_str())
                    .bind(after.as_str());
            }
            query.execute(&mut *$tx).await?;
        }
    }};
}

/// Records an applied batch that changes at least one token, from its computed changes, before they are
/// written: the auto-only settings it clears are read from the rows as they still are.
macro_rules! record_history {
    ($engine:ident, $tx:expr, $d:expr, $plan:expr, $changes:expr) => {{
        let changes: &[$crate::BatchChange] = $changes;
        let changed = changes.iter().filter(|change| change.changed()).count();
        if let (Some(entry), true) = ($plan.history, changed > 0) {
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
            let change_id = insert_change!(
                $engine,
                $tx,
                $d,
                $plan,
                entry,
                changed,
                changes.len() - changed
            );
            let rows =
                $crate::history::token_rows($plan.user_id, $plan.fields(), changes, &cleared);
            insert_change_tokens!($engine, $tx, $d, change_id, rows);
        }
    }};
}
