//! SQLite's counted batch as a macro (`counted_batch!`), expanded by `batch_in_transaction!` (engine.rs) inside
//! the writer's open transaction; its statements are in counted.rs and counted_history.rs.

/// SQLite, when nobody needs the tokens' values (no full states, keys or request id): check ownership with a
/// count and write with one UPDATE that computes the status and skips rows already holding the values, so
/// that its row count is the number of changes. Reading 10 000 rows out of SQLite cost more than writing
/// them. Only inside the writer's `BEGIN IMMEDIATE` transaction: no other writer can come between the count
/// and the UPDATE. The apply of a plan whose pins have a digest (crate::plans::digest) takes this path too:
/// the count also renders the pinned tokens for the digest, and a plan whose digest differs goes on to the
/// reading path, which counts its stale tokens.
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
            if let Some((stored, _)) = applying {
                if let Some(outcome) = plan_recorded!($tx, $d, $plan, stored) {
                    return Ok(outcome);
                }
            }
            let ids = $crate::batch::sql::json_array($plan.ids());
            let clear_auto = $crate::batch::clears_auto_settings($plan);
            let (sql, outcomes) = $crate::batch::counted::sqlite_precheck_statement(
                $plan.batch,
                clear_auto,
                $plan.now,
                applying.is_some(),
            );
            let query = bind_operands!(sqlx::query(&sql), $plan);
            let counts = query
                .bind(&ids)
                .bind($plan.user_id)
                .fetch_one(&mut *$tx)
                .await?;
            let count = |index: usize| -> Result<usize, $crate::StoreError> {
                Ok(usize::try_from(counts.try_get::<i64, _>(index)?).unwrap_or(0))
            };
            let (owned, changing) = (count(0)?, count(1)?);
            if let Some((_, digest)) = applying {
                let pins: String = counts.try_get(outcomes.len() + 2)?;
                if owned != $plan.ids().len() || $crate::plans::digest::of_text(&pins) != digest {
                    break 'counted;
                }
            } else if owned != $plan.ids().len() {
                let missing = $plan.ids().len().saturating_sub(owned);
                return Ok($crate::batch::InTransaction::Refused(
                    $crate::StoreError::TokensNotFound { missing },
                ));
            }
            let mut refused = Vec::new();
            for (index, outcome) in outcomes.into_iter().enumerate() {
                let refusals = count(index + 2)?;
                if refusals > 0 {
                    refused.push((outcome, refusals));
                }
            }
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
                let (sql, recording) = match $plan.history {
                    Some(_) => (
                        $crate::batch::counted_history::sqlite_counted_write_with_history(
                            $plan.batch,
                            clear_auto,
                            $plan.now,
                        ),
                        true,
                    ),
                    None => (
                        $crate::batch::counted::sqlite_counted_update_statement(
                            $plan.batch,
                            clear_auto,
                            $plan.now,
                        ),
                        false,
                    ),
                };
                let mut query = bind_operands!(sqlx::query(&sql), $plan)
                    .bind(&ids)
                    .bind($plan.user_id);
                if let Some(entry) = $plan.history {
                    let as_i64 = |value: usize| i64::try_from(value).unwrap_or(i64::MAX);
                    query = query
                        .bind($plan.now)
                        .bind(entry.source.as_str())
                        .bind(entry.request)
                        .bind(as_i64(changing))
                        .bind(as_i64(unchanged));
                }
                // Each statement's row count in order (the change set's 1, the history's rows, the UPDATE's),
                // and the change set's id.
                let mut affected = Vec::with_capacity(3);
                let mut change_id = None;
                {
                    use futures_util::TryStreamExt;
                    let mut results = sqlx::Executor::fetch_many(&mut *$tx, query);
                    while let Some(result) = results.try_next().await? {
                        match result {
                            sqlx::Either::Left(done) => affected.push(done.rows_affected()),
                            sqlx::Either::Right(row) => change_id = Some(row.try_get::<i64, _>(0)?),
                        }
                    }
                }
                let (recorded, changed) = match (recording, affected.as_slice()) {
                    (true, [1, recorded, changed]) if change_id.is_some() => (*recorded, *changed),
                    (false, [changed]) => (*changed, *changed),
                    _ => {
                        return Err($crate::StoreError::Data(format!(
                            "the counted write answered {affected:?} (change set {change_id:?})"
                        )))
                    }
                };
                // The three statements select the same rows by the same condition inside the writer's
                // transaction; a difference is a bug, and fails the batch (rolled back) rather than leave
                // history and tokens disagreeing.
                if changed != changing as u64 || recorded != changed {
                    return Err($crate::StoreError::Data(format!(
                        "counted {changing} changing tokens, recorded {recorded}, changed {changed}"
                    )));
                }
                recorded_change = change_id;
            }
            let changed = changing;
            if let Some((stored, _)) = applying {
                record_plan!($tx, $d, $plan, stored, &[], (changed, unchanged));
            }
            return Ok($crate::batch::InTransaction::Done($crate::AppliedBatch {
                changes: Vec::new(),
                changed,
                unchanged,
                replayed: false,
                change_id: recorded_change,
            }));
        }
    };
    ($engine:ident, $tx:expr, $d:expr, $plan:expr) => {};
}
