//! The plan steps of a batch (docs/SPEC.md §10, [`crate::plans`]), as macros instantiated once per engine
//! inside [`batch_in_transaction!`]'s open transaction, like the rest of the batch (engine.rs).

/// Forgets request ids and plans past their retention: both tables, one range on their creation time each.
macro_rules! forget_old {
    ($tx:expr, $d:expr, $now:expr) => {{
        let oldest = $now - $crate::requests::REQUEST_ID_RETENTION_SECS;
        sqlx::query(&$crate::requests::forget_statement($d))
            .bind(oldest)
            .bind($now)
            .execute(&mut *$tx)
            .await?;
        sqlx::query(&$crate::plans::sql::forget_chunks_statement($d))
            .bind(oldest)
            .bind($now)
            .execute(&mut *$tx)
            .await?;
    }};
}

/// Stores `$chunks` ([`crate::plans::sql::chunks`]) as one part of a plan.
macro_rules! insert_chunks {
    ($tx:expr, $d:expr, $plan:expr, $plan_id:expr, $expires_at:expr, $part:expr, $chunks:expr) => {{
        let sql = $crate::plans::sql::insert_chunk_statement($d);
        for chunk in $chunks {
            sqlx::query(&sql)
                .bind($plan.user_id)
                .bind($plan_id)
                .bind($part)
                .bind(i64::try_from(chunk.first).unwrap_or(i64::MAX))
                .bind(i64::try_from(chunk.count).unwrap_or(i64::MAX))
                .bind($plan.now)
                .bind($expires_at)
                .bind(chunk.json)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

/// Keeps a dry run as a plan: the normalized request, the pinned tokens as it read them, and its results.
macro_rules! create_plan {
    ($tx:expr, $d:expr, $plan:expr, $new:expr, ($pins:expr, $pins_digest:expr), $changes:expr) => {{
        let new: &$crate::plans::NewPlan = $new;
        forget_old!($tx, $d, $plan.now);
        let changed = $changes.iter().filter(|change| change.changed()).count();
        let as_i64 = |value: usize| i64::try_from(value).unwrap_or(i64::MAX);
        sqlx::query(&$crate::plans::sql::insert_plan_statement($d))
            .bind($plan.user_id)
            .bind(&new.plan_id)
            .bind($crate::plans::sql::plan_fingerprint($pins_digest))
            .bind($plan.now)
            .bind(&new.request)
            .bind(new.expires_at)
            .bind(as_i64($pins.len()))
            .bind(as_i64(changed))
            .execute(&mut *$tx)
            .await
            .map_err($crate::requests::insert_error)?;
        let pinned = $crate::plans::sql::PART_PINNED;
        insert_chunks!(
            $tx,
            $d,
            $plan,
            &new.plan_id,
            new.expires_at,
            pinned,
            $crate::plans::sql::chunks($pins, $crate::plans::pins::write_pin)
        );
        let preview = $crate::plans::sql::PART_PREVIEW;
        insert_chunks!(
            $tx,
            $d,
            $plan,
            &new.plan_id,
            new.expires_at,
            preview,
            $crate::plans::sql::chunks($changes, $crate::requests::write_change)
        );
    }};
}

/// Before an apply writes, with its rows locked: `Some(outcome)` when the plan is not there to apply. Refused
/// when it is gone; the recorded result (replayed) when it was applied already, even by a transaction that
/// committed while this one waited for the rows (READ COMMITTED on PostgreSQL and MySQL, one writer on
/// SQLite).
macro_rules! plan_recorded {
    ($tx:expr, $d:expr, $plan:expr, $stored:expr) => {{
        let stored: &$crate::plans::StoredPlan = $stored;
        let plan_id = stored.summary.plan_id.as_str();
        let found = sqlx::query(&$crate::plans::sql::applied_statement($d))
            .bind($plan.user_id)
            .bind(plan_id)
            .fetch_optional(&mut *$tx)
            .await?;
        let applied: Option<Option<i64>> = match found {
            Some(row) => Some(row.try_get(0)?),
            None => None,
        };
        match applied {
            None => Some($crate::batch::InTransaction::Refused(
                $crate::StoreError::PlanNotFound,
            )),
            Some(Some(_)) => {
                let rows = sqlx::query(&$crate::plans::sql::part_statement($d))
                    .bind($plan.user_id)
                    .bind(plan_id)
                    .bind($crate::plans::sql::PART_RESULT)
                    .fetch_all(&mut *$tx)
                    .await?;
                let chunks = rows
                    .iter()
                    .map(|row| row.try_get::<String, _>(0))
                    .collect::<Result<Vec<String>, sqlx::Error>>()?;
                let recorded = $crate::plans::sql::recorded_result(&chunks)?;
                Some($crate::batch::InTransaction::Done(recorded))
            }
            Some(None) => None,
        }
    }};
}

/// [`plan_recorded!`], then the pins against the locked rows: refused when a pinned token changed since the
/// preview (`plan.stale`, counting them).
macro_rules! check_plan {
    ($tx:expr, $d:expr, $plan:expr, $stored:expr, $rows:expr) => {{
        let stored: &$crate::plans::StoredPlan = $stored;
        match plan_recorded!($tx, $d, $plan, stored) {
            Some(outcome) => Some(outcome),
            None => match $crate::plans::stale_count(&stored.pinned, $rows) {
                0 => None,
                count => Some($crate::batch::InTransaction::Refused(
                    $crate::StoreError::PlanStale {
                        count,
                        total: stored.pinned.len(),
                    },
                )),
            },
        }
    }};
}

/// Marks the plan applied and records the result for a second apply, in the apply's transaction: its changes
/// when the apply answers them (`full_states`), else its counts (changed, unchanged), all a replay of it
/// answers. Another transaction that marked it first (possible only for a plan pinning no token, whose apply
/// locks no row) makes this one a conflict: it is rolled back and run again, and then replays.
macro_rules! record_plan {
    ($tx:expr, $d:expr, $plan:expr, $stored:expr, $changes:expr, $counts:expr) => {{
        let stored: &$crate::plans::StoredPlan = $stored;
        let plan_id = stored.summary.plan_id.as_str();
        let marked = sqlx::query(&$crate::plans::sql::mark_applied_statement($d))
            .bind($plan.now)
            .bind($plan.user_id)
            .bind(plan_id)
            .execute(&mut *$tx)
            .await?;
        if marked.rows_affected() != 1 {
            let reason = format!("plan {plan_id} was applied by another transaction");
            return Err($crate::StoreError::Conflict(sqlx::Error::Protocol(reason)));
        }
        let changes: &[$crate::BatchChange] = $changes;
        let chunks = match $plan.full_states {
            true => $crate::plans::sql::chunks(changes, $crate::requests::write_change),
            // The apply answers counts only: so does its replay, and 10 000 changes need not be kept.
            false => $crate::plans::sql::chunks([$counts], $crate::plans::sql::write_counts),
        };
        insert_chunks!(
            $tx,
            $d,
            $plan,
            plan_id,
            stored.summary.expires_at,
            $crate::plans::sql::PART_RESULT,
            chunks
        );
    }};
}
