//! SQLite's counted batch as a macro (`counted_batch!`), expanded by `batch_in_transaction!` (engine.rs) inside
//! the writer's open transaction; its statements are in counted.rs, counted_history.rs and counted_one_call.rs.

/// SQLite, when nobody needs the tokens' values (no full states, keys or request id): check ownership with a
/// count and write with one UPDATE that computes the status and skips rows already holding the values, so
/// that its row count is the number of changes. Reading 10 000 rows out of SQLite cost more than writing
/// them. Only inside the writer's `BEGIN IMMEDIATE` transaction: no other writer can come between the count
/// and the UPDATE. Without a plan, the count and the writes go to SQLite in one call, the writes conditional
/// on the count (counted_one_call.rs). The apply of a plan whose pins have a digest (crate::plans::digest)
/// takes this path too: its count, a call of its own, also renders the pinned tokens for the digest, and a
/// plan whose digest differs goes on to the reading path, which counts its stale tokens.
macro_rules! counted_batch {
    (Sqlite, $tx:expr, $d:expr, $plan:expr) => {
        'counted: {
            let applying = match $plan.plan {
                None => None,
                Some($crate::plans::PlanStep::Apply(stored)) => match stored.pins_digest {
                    Some(digest) => Some((stored, digest)),
                    None => break 'counted,
                },
                Some($crate::plans::PlanStep::Create(_)) => break 'counted,
            };
            // Root's batches across users read their rows: the count below binds one owner.
            if $plan.owners != $crate::batch::Owners::Caller
                || $plan.dry_run
                || $plan.full_states
                || $plan.keys
                || $plan.request.is_some()
                || !$crate::batch::counted::counts_without_reading($plan.batch)
            {
                break 'counted;
            }
            let ids = $crate::batch::sql::json_array($plan.ids());
            let clear_auto = $crate::batch::clears_auto_settings($plan);
            let as_i64 = |value: usize| i64::try_from(value).unwrap_or(i64::MAX);
            let Some((stored, digest)) = applying else {
                // No plan: counts and writes in one call (counted_one_call.rs).
                let text = $crate::batch::counted_one_call::one_call(
                    $plan.batch,
                    clear_auto,
                    $plan.now,
                    $plan.history.is_some(),
                );
                let mut query = bind_operands!(sqlx::query(&text.sql), $plan)
                    .bind(&ids)
                    .bind($plan.user_id)
                    .bind(as_i64($plan.ids().len()));
                if let Some(entry) = $plan.history {
                    query = query
                        .bind($plan.now)
                        .bind(entry.source.as_str())
                        .bind(entry.request);
                }
                let (counts, affected, change_id) = counted_results!($tx, query, 2 + text.outcomes.len());
                let [owned, changing, refusals @ ..] = counts.as_slice() else {
                    return Err($crate::StoreError::Data(format!(
                        "the counted batch answered counts {counts:?}"
                    )));
                };
                let (owned, changing) = (*owned, *changing);
                let refused = $crate::batch::counted::out_of_bounds(&text.outcomes, refusals);
                let outcome = if owned != $plan.ids().len() {
                    Some($crate::StoreError::TokensNotFound {
                        missing: $plan.ids().len().saturating_sub(owned),
                    })
                } else if !refused.is_empty() {
                    Some($crate::StoreError::OutOfBounds(refused))
                } else {
                    None
                };
                // The writes were conditional on the counts (`ok`): a refused batch, or one that changes
                // nothing, wrote nothing (and records nothing, docs/SPEC.md §12). The counts' own row first.
                let history = $plan.history.is_some();
                let accepted = outcome.is_none() && changing > 0;
                let expected = match accepted {
                    true => $crate::batch::counted::counted_writes(history, changing),
                    false => vec![0; $crate::batch::counted::counted_writes(history, 0).len()],
                };
                if affected.split_first() != Some((&1, expected.as_slice()))
                    || change_id.is_some() != (accepted && history)
                {
                    return Err($crate::StoreError::Data(format!(
                        "counted {changing} changing tokens (accepted: {accepted}), the writes answered \
                         {affected:?}"
                    )));
                }
                if let Some(error) = outcome {
                    return Ok($crate::batch::InTransaction::Refused(error));
                }
                return Ok($crate::batch::InTransaction::Done($crate::AppliedBatch {
                    changes: Vec::new(),
                    changed: changing,
                    unchanged: owned - changing.min(owned),
                    replayed: false,
                    change_id,
                }));
            };
            // The apply of a plan: the precheck renders the pinned tokens, whose digest Rust compares before
            // anything is written.
            if let Some(outcome) = plan_recorded!($tx, $d, $plan, stored) {
                return Ok(outcome);
            }
            let (sql, outcomes) = $crate::batch::counted::sqlite_precheck_statement(
                $plan.batch,
                clear_auto,
                $plan.now,
            );
            let query = bind_operands!(sqlx::query(&sql), $plan);
            let counts = query
                .bind(&ids)
                .bind($plan.user_id)
                .fetch_one(&mut *$tx)
                .await?;
            let counts_read = (0..outcomes.len() + 2)
                .map(|index| Ok(usize::try_from(counts.try_get::<i64, _>(index)?).unwrap_or(0)))
                .collect::<Result<Vec<usize>, $crate::StoreError>>()?;
            let (owned, changing) = (counts_read[0], counts_read[1]);
            let pins: String = counts.try_get(outcomes.len() + 2)?;
            // A plan whose tokens changed since goes on to the reading path, which counts its stale tokens.
            if owned != $plan.ids().len() || $crate::plans::digest::of_text(&pins) != digest {
                break 'counted;
            }
            let refused = $crate::batch::counted::out_of_bounds(&outcomes, &counts_read[2..]);
            if !refused.is_empty() {
                return Ok($crate::batch::InTransaction::Refused(
                    $crate::StoreError::OutOfBounds(refused),
                ));
            }
            let unchanged = owned - changing.min(owned);
            // A batch that changes nothing writes nothing and records nothing (docs/SPEC.md §12).
            let mut recorded_change = None;
            if changing > 0 {
                // With history: the change set (with the counts the precheck found), its tokens' rows from
                // the rows as they still are, then the UPDATE, in one call (see counted_history.rs).
                let sql = match $plan.history {
                    Some(_) => $crate::batch::counted_history::sqlite_counted_write_with_history(
                        $plan.batch,
                        clear_auto,
                        $plan.now,
                    ),
                    None => $crate::batch::counted::sqlite_counted_update_statement(
                        $plan.batch,
                        clear_auto,
                        $plan.now,
                        None,
                    ),
                };
                let mut query = bind_operands!(sqlx::query(&sql), $plan)
                    .bind(&ids)
                    .bind($plan.user_id);
                if let Some(entry) = $plan.history {
                    query = query
                        .bind($plan.now)
                        .bind(entry.source.as_str())
                        .bind(entry.request)
                        .bind(as_i64(changing))
                        .bind(as_i64(unchanged));
                }
                let (_, affected, change_id) = counted_results!($tx, query, 0);
                let expected =
                    $crate::batch::counted::counted_writes($plan.history.is_some(), changing);
                if affected != expected || change_id.is_some() != $plan.history.is_some() {
                    return Err($crate::StoreError::Data(format!(
                        "counted {changing} changing tokens, the writes answered {affected:?}"
                    )));
                }
                recorded_change = change_id;
            }
            record_plan!($tx, $d, $plan, stored, &[], (changing, unchanged));
            return Ok($crate::batch::InTransaction::Done($crate::AppliedBatch {
                changes: Vec::new(),
                changed: changing,
                unchanged,
                replayed: false,
                change_id: recorded_change,
            }));
        }
    };
    ($engine:ident, $tx:expr, $d:expr, $plan:expr) => {};
}

/// Runs a counted write (`fetch_many`) and collects what its statements answered: the first row's integer
/// columns (`counts` of them: the counts a one-call batch returns), each statement's row count in order, and
/// the change set's id (the one row with a single column after the counts).
macro_rules! counted_results {
    ($tx:expr, $query:expr, $counts:expr) => {{
        use futures_util::TryStreamExt;
        let wanted: usize = $counts;
        let mut counts: Vec<usize> = Vec::with_capacity(wanted);
        let mut affected: Vec<u64> = Vec::with_capacity(4);
        let mut change_id: Option<i64> = None;
        let mut results = sqlx::Executor::fetch_many(&mut *$tx, $query);
        while let Some(result) = results.try_next().await? {
            match result {
                sqlx::Either::Left(done) => affected.push(done.rows_affected()),
                sqlx::Either::Right(row) if counts.len() < wanted => {
                    for index in 0..wanted {
                        let count: i64 = row.try_get(index)?;
                        counts.push(usize::try_from(count).unwrap_or(0));
                    }
                }
                sqlx::Either::Right(row) => change_id = Some(row.try_get::<i64, _>(0)?),
            }
        }
        (counts, affected, change_id)
    }};
}
