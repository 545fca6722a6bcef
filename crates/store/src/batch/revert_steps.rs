//! The revert of a change set (docs/SPEC.md §12, `crate::history::revert`) as a macro instantiated once per
//! engine, on the batch path's own pieces: rows read and locked through the primary key in id order (the
//! batch's `select_statement`), the history recorded with `insert_change!` and `insert_change_tokens!` in
//! the same transaction as the write, and the restored values written set-based, each token's own beside
//! its id (`history::restore`). It expands inside an `async` context holding an open transaction.

/// Every recorded token of change set `$change_id`, in token order ([`crate::history::values::TokenRow`]):
/// on SQLite packed into one JSON value, elsewhere row by row.
macro_rules! recorded_rows {
    (Sqlite, $tx:expr, $d:expr, $change_id:expr) => {{
        let sql = $crate::history::sql::sqlite_packed_rows_statement();
        let query = sqlx::query(&sql).bind($change_id).bind($change_id);
        let packed: String = query.fetch_one(&mut *$tx).await?.try_get(0)?;
        $crate::history::sql::unpack_token_rows(&packed)?
    }};
    ($engine:ident, $tx:expr, $d:expr, $change_id:expr) => {{
        let sql = $crate::history::sql::recorded_rows_statement($d);
        let mut query = sqlx::query(&sql);
        for _ in 0..$crate::history::sql::change_binds($d) {
            query = query.bind($change_id);
        }
        let mut rows = Vec::new();
        for row in query.fetch_all(&mut *$tx).await? {
            rows.push($crate::history::sql::token_row_from_row(&row)?);
        }
        rows
    }};
}

/// The tokens `$ids` as they are now, every column, locked in id order on PostgreSQL and MySQL (unless a dry
/// run); on SQLite packed into one JSON value, as the batch reads them.
macro_rules! current_rows {
    (Sqlite, $tx:expr, $d:expr, $ids:expr, $revert:expr) => {{
        let all = tokenbatch_rules::FieldSet::all();
        let sql = $crate::batch::rows::sqlite_select_statement($revert.keys, true, all);
        let query = bind_ids!(Sqlite, sqlx::query(&sql), $ids);
        let packed: String = query.fetch_one(&mut *$tx).await?.try_get(0)?;
        $crate::batch::rows::unpack_sqlite_rows(&packed)?
    }};
    ($engine:ident, $tx:expr, $d:expr, $ids:expr, $revert:expr) => {{
        let mut rows = Vec::with_capacity($ids.len());
        for chunk in $ids.chunks($d.id_chunk()) {
            let sql = $crate::batch::sql::select_statement(
                $d,
                chunk.len(),
                !$revert.dry_run,
                $revert.keys,
            );
            let query = bind_ids!($engine, sqlx::query(&sql), chunk);
            for row in query.fetch_all(&mut *$tx).await? {
                rows.push($crate::batch::LockedRow::from_row(&row)?);
            }
        }
        rows
    }};
}

/// The whole revert inside an open transaction: `InTransaction`-like, it evaluates to
/// `Result<Result<RevertOutcome, StoreError>, StoreError>`: the outer error a database error, the inner one
/// a refusal (unknown change set, already reverted, conflict under `strict`) that wrote nothing.
macro_rules! revert_in_transaction {
    ($engine:ident, $tx:expr, $d:expr, $revert:expr) => {
        async {
            use std::collections::{HashMap, HashSet};
            use $crate::history::revert::{self, Current, RevertOutcome};
            use $crate::history::sql as history_sql;
            let revert: &$crate::history::revert::RevertRequest = $revert;
            let d = $d;
            let found = sqlx::query(&history_sql::lock_change_statement(d))
                .bind(revert.change_id)
                .fetch_optional(&mut *$tx)
                .await?;
            let Some(found) = found else {
                return Ok(Err($crate::StoreError::ChangeNotFound));
            };
            if found.try_get::<i64, _>(0)? != revert.user_id {
                return Ok(Err($crate::StoreError::ChangeNotFound));
            }
            if let Some(revert_id) = found.try_get::<Option<i64>, _>(1)? {
                return Ok(Err($crate::StoreError::ChangeAlreadyReverted { revert_id }));
            }
            let recorded = recorded_rows!($engine, $tx, d, revert.change_id);
            let ids: Vec<i64> = recorded.iter().map(|row| row.token_id).collect();
            let mut current: HashMap<i64, Current> = HashMap::with_capacity(ids.len());
            for row in current_rows!($engine, $tx, d, &ids, revert) {
                let auto = (false, String::new());
                current.insert(row.id, Current { row, auto });
            }
            // The auto-only settings are compared and restored only where the change set recorded them.
            if revert::records(&recorded, $crate::history::values::Recorded::CrossGroupRetry) {
                for chunk in ids.chunks(d.id_chunk()) {
                    let sql = history_sql::auto_settings_statement(d, chunk.len());
                    let query = bind_ids!($engine, sqlx::query(&sql), chunk);
                    for row in query.fetch_all(&mut *$tx).await? {
                        let id: i64 = row.try_get(0)?;
                        if let Some(token) = current.get_mut(&id) {
                            token.auto = (row.try_get::<i64, _>(1)? != 0, row.try_get::<String, _>(2)?);
                        }
                    }
                }
            }
            let mut quota_later = HashSet::new();
            if revert::records(
                &recorded,
                $crate::history::values::Recorded::Field(tokenbatch_rules::Field::RemainQuota),
            ) {
                let sql = history_sql::quota_recorded_later_statement(d);
                let rows = sqlx::query(&sql)
                    .bind(revert.change_id)
                    .fetch_all(&mut *$tx)
                    .await?;
                for row in rows {
                    quota_later.insert(row.try_get::<i64, _>(0)?);
                }
            }
            let computed = revert::compute(&recorded, current, &quota_later, revert.now);
            if revert.strict && !computed.skipped.is_empty() {
                return Ok(Err($crate::StoreError::RevertConflict {
                    skipped: computed.skipped.len(),
                }));
            }
            let mut revert_id = None;
            let restored = computed.restored.len();
            let (changes, rows) = revert::split(computed.restored);
            if !revert.dry_run && restored > 0 {
                for group in $crate::history::restore::restore_groups(&rows) {
                    for chunk in group.rows.chunks(d.id_chunk()) {
                        let sql =
                            $crate::per_token::update_statement(d, &[], &group.columns, chunk.len());
                        let query = bind_per_token!($engine, sqlx::query(&sql), &group.columns, chunk);
                        let done = query.execute(&mut *$tx).await?;
                        $crate::batch::all_written(done.rows_affected(), chunk.len())?;
                    }
                }
                let request = format!(
                    r#"{{"revert":{},"strict":{}}}"#,
                    revert.change_id, revert.strict
                );
                let entry = $crate::history::HistoryEntry {
                    source: $crate::history::ChangeSource::Revert,
                    request: &request,
                };
                let changed = restored;
                let unchanged = computed.unchanged + computed.skipped.len();
                let id = insert_change!($engine, $tx, d, revert, entry, changed, unchanged);
                insert_change_tokens!(
                    $engine,
                    $tx,
                    d,
                    id,
                    revert.user_id,
                    rows
                );
                let [reverts, reverted_by] = history_sql::mark_reverted_statements(d);
                sqlx::query(&reverts)
                    .bind(revert.change_id)
                    .bind(id)
                    .execute(&mut *$tx)
                    .await?;
                sqlx::query(&reverted_by)
                    .bind(id)
                    .bind(revert.change_id)
                    .execute(&mut *$tx)
                    .await?;
                revert_id = Some(id);
            }
            Ok::<_, $crate::StoreError>(Ok(RevertOutcome {
                change_id: revert.change_id,
                revert_id,
                changes,
                unchanged: computed.unchanged,
                skipped: computed.skipped,
            }))
        }
        .await
    };
}
