//! The batch, written once for every engine: macros that instantiate the typed sqlx calls per engine
//! (`Sqlite`, `Postgres`, `MySql`), so the same steps run with each engine's own binding and id filter.
//! Each macro expands inside an `async` context holding an open transaction.

/// Binds one operand per written field, in `fields` order (SQLite's counted statements, see
/// `counted::AfterSql`): its absolute value, a quota operation's delta or an extension's seconds.
macro_rules! bind_operands {
    ($query:expr, $plan:expr) => {{
        let mut query = $query;
        for field in $plan.fields().iter() {
            query = match ($plan.batch.ops().get(field), $plan.values().get(field)) {
                (Some(tokenbatch_rules::operation::Operation::Extend { seconds }), _) => {
                    query.bind(*seconds)
                }
                (Some(operation), _) => query.bind(operation.quota_delta().unwrap_or(0)),
                (None, Some(value)) => $crate::records::bind_value!(query, value),
                // A validated batch has a value or an operation for every field it writes: never reached.
                (None, None) => query.bind(None::<&str>),
            };
        }
        query
    }};
}

/// Binds the values every row of a write group gets, in [`crate::batch::sql::write_assignments`]' placeholder
/// order: per field its absolute value or its operation's operands (`delta`; `now, seconds`; a list result
/// is each token's own, bound with its id: `bind_per_token!`), then the status.
macro_rules! bind_writes {
    ($query:expr, $plan:expr, $key:expr) => {{
        let mut query = $query;
        for field in $plan.fields().iter() {
            query = match ($plan.batch.ops().get(field), $plan.values().get(field)) {
                (Some(tokenbatch_rules::operation::Operation::List { .. }), _) => query,
                (Some(operation @ tokenbatch_rules::operation::Operation::Quota { .. }), _) => {
                    query.bind(operation.quota_delta().unwrap_or(0))
                }
                (Some(tokenbatch_rules::operation::Operation::Extend { seconds }), _) => {
                    query.bind($plan.now).bind(*seconds)
                }
                (None, Some(value)) => $crate::records::bind_value!(query, value),
                // A validated batch has a value or an operation for every field it writes: never reached.
                (None, None) => query.bind(None::<&str>),
            };
        }
        query.bind($key.status)
    }};
}

/// Binds the per-token part of [`crate::per_token::update_statement`] for `$rows` (`(id, values)`, the values
/// of `$columns` in order): SQLite's one JSON array, PostgreSQL's id array and one array per column (booleans as
/// booleans: its columns are `boolean`), MySQL's rows one by one.
macro_rules! bind_per_token {
    (Sqlite, $query:expr, $columns:expr, $rows:expr) => {
        $query.bind($crate::per_token::sqlite_rows_json($rows))
    };
    (Postgres, $query:expr, $columns:expr, $rows:expr) => {{
        use $crate::per_token::{postgres_columns, Column};
        let ids: Vec<i64> = $rows.iter().map(|(id, _)| *id).collect();
        let mut query = $query.bind(ids);
        for column in postgres_columns($columns, $rows) {
            query = match column {
                Column::Integers(values) => query.bind(values),
                Column::Booleans(values) => query.bind(values),
                Column::Texts(values) => query.bind(values),
            };
        }
        query
    }};
    (MySql, $query:expr, $columns:expr, $rows:expr) => {{
        use $crate::history::values::Stored;
        let mut query = $query;
        for (id, values) in $rows {
            query = query.bind(*id);
            for value in values {
                query = match value {
                    Stored::Integer(integer) => query.bind(*integer),
                    Stored::Text(text) => query.bind(text.as_str()),
                    Stored::Null => query.bind(None::<i64>),
                };
            }
        }
        query
    }};
}

/// Binds a write group with list results per token: the shared values ([`bind_writes!`])
/// and the rows, in the order of [`crate::per_token::update_statement`]'s placeholders.
macro_rules! bind_list_writes {
    (MySql, $query:expr, $plan:expr, $key:expr, $columns:expr, $rows:expr) => {{
        let query = bind_per_token!(MySql, $query, $columns, $rows);
        bind_writes!(query, $plan, $key)
    }};
    ($engine:ident, $query:expr, $plan:expr, $key:expr, $columns:expr, $rows:expr) => {{
        let query = bind_writes!($query, $plan, $key);
        bind_per_token!($engine, query, $columns, $rows)
    }};
}

/// Binds one chunk of ids the way the dialect's id filter expects them.
macro_rules! bind_ids {
    (Sqlite, $query:expr, $ids:expr) => {
        $query.bind($crate::batch::sql::json_array($ids))
    };
    (Postgres, $query:expr, $ids:expr) => {
        $query.bind($ids)
    };
    (MySql, $query:expr, $ids:expr) => {{
        let mut query = $query;
        for id in $ids {
            query = query.bind(*id);
        }
        query
    }};
}

/// Reads (and on PostgreSQL and MySQL locks) the plan's rows, in id order.
macro_rules! read_rows {
    (Sqlite, $tx:expr, $d:expr, $plan:expr) => {{
        // sqlx hands SQLite rows over one at a time from the connection's worker thread, and for 10 000 rows
        // that costs more than the UPDATE itself: SQLite packs them into one JSON value instead.
        // An idempotent batch records its changes to replay them, and a plan fingerprints the tokens and
        // keeps their values: both need them whole.
        let full_states = $plan.full_states || $plan.request.is_some() || $plan.plan.is_some();
        let sql = $crate::batch::rows::sqlite_select_statement($plan.keys, full_states, $plan.fields());
        let query = bind_ids!(Sqlite, sqlx::query(&sql), $plan.ids());
        let packed: String = query.fetch_one(&mut *$tx).await?.try_get(0)?;
        $crate::batch::rows::unpack_sqlite_rows(&packed)?
    }};
    ($engine:ident, $tx:expr, $d:expr, $plan:expr) => {{
        let mut rows = Vec::with_capacity($plan.ids().len());
        for chunk in $plan.ids().chunks($d.id_chunk()) {
            let sql = $crate::batch::sql::select_statement($d, chunk.len(), !$plan.dry_run, $plan.keys);
            let query = bind_ids!($engine, sqlx::query(&sql), chunk);
            for row in query.fetch_all(&mut *$tx).await? {
                rows.push($crate::batch::rows::LockedRow::from_row(&row)?);
            }
        }
        rows
    }};
}

/// Binds one write group's chunk to the statement [`crate::batch::write_group_statement`] made for it: the
/// shared values, then the chunk's ids, or with list operations each token's results beside its id
/// (`$ids` and `$view` from [`crate::batch::group_binds`]).
macro_rules! bind_write_group {
    ($engine:ident, $query:expr, $plan:expr, $key:expr, $columns:expr, $ids:expr, $view:expr) => {{
        if $columns.is_empty() {
            bind_ids!($engine, bind_writes!($query, $plan, $key), $ids)
        } else {
            bind_list_writes!($engine, $query, $plan, $key, $columns, $view)
        }
    }};
}

/// Writes `changes` (computed from rows read and locked in the same transaction): one UPDATE per write
/// group ([`crate::batch::WriteKey`]) and chunk, each naming only rows that change; list results carried per
/// token ([`crate::per_token`]).
macro_rules! write_changes {
    ($engine:ident, $tx:expr, $d:expr, $plan:expr, $changes:expr) => {{
        let columns = $crate::batch::list_columns($plan);
        for (key, rows) in $crate::batch::changed_rows_by_write($plan, $changes) {
            for chunk in rows.chunks($d.id_chunk()) {
                let sql =
                    $crate::batch::write_group_statement($d, $plan, &key, &columns, chunk.len());
                let (ids, view) = $crate::batch::group_binds(chunk, &columns);
                let query = sqlx::query(&sql);
                let query =
                    bind_write_group!($engine, query, $plan, key, &columns, ids.as_slice(), &view);
                let done = query.execute(&mut *$tx).await?;
                $crate::batch::all_written(done.rows_affected(), chunk.len())?;
            }
        }
    }};
}

/// The request id's record, if an earlier batch left one that is still remembered.
macro_rules! find_request {
    ($tx:expr, $d:expr, $plan:expr, $request:expr) => {{
        let sql = $crate::requests::find_statement($d);
        let found = sqlx::query(&sql)
            .bind($plan.user_id)
            .bind($request.request_id)
            .bind($plan.now - $crate::requests::REQUEST_ID_RETENTION_SECS)
            .bind($plan.now)
            .fetch_optional(&mut *$tx)
            .await?;
        match found {
            Some(row) => Some($crate::requests::Recorded {
                fingerprint: row.try_get(0)?,
                changes: row.try_get(1)?,
            }),
            None => None,
        }
    }};
}

/// Records the request id with the batch's changes, in the batch's transaction, and forgets ids and plans
/// past their retention (which also frees an expired id for reuse).
macro_rules! record_request {
    ($tx:expr, $d:expr, $plan:expr, $request:expr, $changes:expr) => {{
        forget_old!($tx, $d, $plan.now);
        sqlx::query(&$crate::requests::record_statement($d))
            .bind($plan.user_id)
            .bind($request.request_id)
            .bind($request.fingerprint)
            .bind($plan.now)
            .bind($crate::requests::encode_changes($changes))
            .execute(&mut *$tx)
            .await
            .map_err($crate::requests::insert_error)?;
    }};
}

/// The digest of a preview's pins (crate::plans::digest), on SQLite only: its counted apply is the one that
/// checks it; the other engines read and lock the pinned rows in every apply anyway. Root's plans across
/// users have none: their apply reads its rows (see counted_batch!).
macro_rules! pins_digest {
    (Sqlite, $rows:expr, $plan:expr) => {
        match $plan.owners {
            $crate::batch::Owners::Caller => {
                Some($crate::plans::digest::of_rows($rows, $plan.user_id))
            }
            $crate::batch::Owners::Among(_) => None,
        }
    };
    ($engine:ident, $rows:expr, $plan:expr) => {
        None
    };
}

/// One batch inside an open transaction: lock and read the rows in id order, then either replay an earlier
/// batch with the same request id or plan, or compute every change and write each distinct change with one
/// UPDATE per chunk (a dry run instead keeps what it read as a plan, when asked). Errors are database errors
/// that spoil the transaction; refusals are not.
macro_rules! batch_in_transaction {
    ($engine:ident, $tx:expr, $d:expr, $plan:expr) => {
        async {
            let plan = $plan;
            let d = $d;
            counted_batch!($engine, $tx, d, plan);
            let rows = read_rows!($engine, $tx, d, plan);
            let request = plan.request.filter(|_| !plan.dry_run);
            if let Some(request) = request {
                // Looked up after the rows are locked: a concurrent retry of the same batch waits for the
                // first to commit, then sees its record (READ COMMITTED on PostgreSQL and MySQL).
                if let Some(recorded) = find_request!($tx, d, plan, request) {
                    return Ok(match $crate::requests::replay(recorded, request) {
                        Ok(changes) => $crate::batch::InTransaction::Done($crate::AppliedBatch::from_changes(changes, true)),
                        Err(refused) => $crate::batch::InTransaction::Refused(refused),
                    });
                }
            }
            if let Some($crate::plans::PlanStep::Apply(stored)) = plan.plan {
                if let Some(outcome) = check_plan!($tx, d, plan, stored, &rows) {
                    return Ok(outcome);
                }
            }
            let (pins, pins_digest) = match plan.plan {
                Some($crate::plans::PlanStep::Create(_)) => (
                    $crate::plans::pins_of(&rows, |owner| plan.owns(owner)),
                    pins_digest!($engine, &rows, plan),
                ),
                _ => (Vec::new(), None),
            };
            // Each token's owner, for the history: root's batches across users write several owners' tokens.
            let owners: Option<std::collections::HashMap<i64, i64>> = match plan.owners {
                $crate::batch::Owners::Caller => None,
                $crate::batch::Owners::Among(_) => {
                    Some(rows.iter().map(|row| (row.id, row.user_id)).collect())
                }
            };
            let mut change_id = None;
            let changes = match $crate::batch::compute_changes(plan, rows) {
                Ok(changes) => changes,
                Err(refused) => return Ok($crate::batch::InTransaction::Refused(refused)),
            };
            if plan.dry_run {
                if let Some($crate::plans::PlanStep::Create(new)) = plan.plan {
                    create_plan!($tx, d, plan, new, (&pins, pins_digest), &changes);
                }
            } else {
                change_id = record_and_write!($engine, $tx, d, plan, &changes, owners.as_ref());
                if let Some(request) = request {
                    record_request!($tx, d, plan, request, &changes);
                }
                if let Some($crate::plans::PlanStep::Apply(stored)) = plan.plan {
                    let changed = changes.iter().filter(|change| change.changed()).count();
                    record_plan!($tx, d, plan, stored, &changes, (changed, changes.len() - changed));
                }
            }
            let mut applied = $crate::AppliedBatch::from_changes(changes, false);
            applied.change_id = change_id;
            Ok::<$crate::batch::InTransaction, $crate::StoreError>($crate::batch::InTransaction::Done(applied))
        }
        .await
    };
}

/// The whole batch for one engine, in a transaction that is already open, committed unless it writes nothing
/// (a dry run keeping no plan, a replay) or is refused.
macro_rules! run_batch {
    ($engine:ident, $tx:expr, $d:expr, $plan:expr) => {
        run_batch!(
            $engine,
            $tx,
            $d,
            $plan,
            &std::sync::atomic::AtomicBool::new(false)
        )
    };
    // `$committing` is set once the COMMIT is on its way: a failure from then on leaves the outcome unknown.
    ($engine:ident, $tx:expr, $d:expr, $plan:expr, $committing:expr) => {{
        let plan = $plan;
        match batch_in_transaction!($engine, $tx, $d, plan)? {
            $crate::batch::InTransaction::Done(applied) => {
                // A replay wrote nothing: its transaction is simply dropped (rolled back).
                if plan.writes() && !applied.replayed {
                    $committing.store(true, std::sync::atomic::Ordering::Relaxed);
                    $tx.commit().await?;
                }
                Ok(applied)
            }
            $crate::batch::InTransaction::Refused(refused) => Err(refused),
        }
    }};
}
