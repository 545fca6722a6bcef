//! What reverting a change set does to each of its tokens (docs/SPEC.md §12), computed in Rust from the
//! recorded rows and the tokens as they are now, locked in the revert's transaction (the steps are
//! `batch/revert_steps.rs`). No I/O here.
//!
//! A token is restored when every recorded column still holds the recorded after value, with the two
//! exceptions new-api's own traffic makes: a status it sets on use (expired, exhausted) over an enabled
//! token is not a change, and `remain_quota`, unless a later change set recorded it for that token, is
//! restored by undoing the batch's delta on the current value (usage meanwhile is kept). Everything else
//! that differs is `changed_since`; a token gone or soft-deleted is `deleted`, one with another owner
//! `owner_changed`.

use std::collections::{HashMap, HashSet};

use tokenbatch_rules::apply::TokenState;
use tokenbatch_rules::{Field, FieldSet, Value};

use crate::batch::LockedRow;
use crate::change::BatchChange;
use crate::history::values::{Recorded, Stored, TokenRow};

const STATUS_ENABLED: i64 = 1;
const STATUS_EXPIRED: i64 = 3;
const STATUS_EXHAUSTED: i64 = 4;

/// What a revert is asked to do.
#[derive(Clone, Copy, Debug)]
pub struct RevertRequest {
    /// The caller: only the user who made a change set reverts it.
    pub user_id: i64,
    pub change_id: i64,
    /// Unix seconds, deciding the status the restored values lead to.
    pub now: i64,
    /// Compute and answer, write nothing.
    pub dry_run: bool,
    /// Refuse the whole revert when any token would be skipped.
    pub strict: bool,
    /// Read each token's full key, for new-api's cache invalidation.
    pub keys: bool,
}

/// Why a recorded token is left as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    /// A recorded column no longer holds the recorded after value.
    ChangedSince,
    /// The token is gone or soft-deleted.
    Deleted,
    /// The token belongs to another user now.
    OwnerChanged,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::ChangedSince => "changed_since",
            SkipReason::Deleted => "deleted",
            SkipReason::OwnerChanged => "owner_changed",
        }
    }
}

/// A token the revert leaves as it is, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SkippedToken {
    pub token_id: i64,
    pub reason: SkipReason,
}

/// What a revert did (or, in a dry run, would do).
#[derive(Clone, Debug)]
pub struct RevertOutcome {
    /// The change set reverted.
    pub change_id: i64,
    /// The revert's own change set; None in a dry run or when nothing was restored (nothing recorded).
    pub revert_id: Option<i64>,
    /// The restored tokens, before (as they were) and after (restored).
    pub changes: Vec<BatchChange>,
    /// Tokens whose recorded values they already hold again: nothing to restore.
    pub unchanged: usize,
    pub skipped: Vec<SkippedToken>,
}

/// A token as the revert finds it: its locked row and its auto-only settings (`cross_group_retry`,
/// `auto_groups`).
pub(crate) struct Current {
    pub(crate) row: LockedRow,
    pub(crate) auto: (bool, String),
}

/// One token the revert writes: its columns in [`Recorded::all`] order, NULL where not recorded, as they
/// are and as they become.
pub(crate) struct Restored {
    pub(crate) change: BatchChange,
    pub(crate) owner_id: i64,
    pub(crate) before: Vec<Stored>,
    pub(crate) after: Vec<Stored>,
}

/// The revert of every recorded token.
pub(crate) struct Computed {
    pub(crate) restored: Vec<Restored>,
    pub(crate) unchanged: usize,
    pub(crate) skipped: Vec<SkippedToken>,
}

/// Whether the change set recorded `value` for any token: `remain_quota` (then later change sets decide how
/// it is restored), or the auto-only settings (a group written over `auto`: then they are read and compared).
pub(crate) fn records(rows: &[TokenRow], value: Recorded) -> bool {
    let index = column_of(value);
    rows.iter()
        .any(|row| row.values[Recorded::count() + index] != Stored::Null)
}

/// The place of `value` among a side's columns ([`Recorded::all`]).
fn column_of(value: Recorded) -> usize {
    Recorded::all()
        .position(|column| column == value)
        .unwrap_or(0)
}

/// One column of `state` and `auto` as the history stores it.
fn stored_of(recorded: Recorded, state: &TokenState, auto: &(bool, String)) -> Stored {
    match recorded {
        Recorded::Status => Stored::Integer(state.status),
        Recorded::Field(field) => match state.get(field) {
            Value::Text(text) => Stored::Text(text.to_owned()),
            Value::Integer(integer) => Stored::Integer(integer),
            Value::Boolean(boolean) => Stored::Integer(i64::from(boolean)),
        },
        Recorded::CrossGroupRetry => Stored::Integer(i64::from(auto.0)),
        Recorded::AutoGroups => Stored::Text(auto.1.clone()),
    }
}

/// Sets one recorded column on `state` and `auto`.
fn set_stored(
    recorded: Recorded,
    value: &Stored,
    state: &mut TokenState,
    auto: &mut (bool, String),
) {
    match (recorded, value) {
        (_, Stored::Null) => {}
        (Recorded::Status, Stored::Integer(status)) => state.status = *status,
        (Recorded::Field(field), Stored::Integer(integer)) => {
            let value = match field.null_value() {
                Value::Boolean(_) => Value::Boolean(*integer != 0),
                _ => Value::Integer(*integer),
            };
            state.set(field, value);
        }
        (Recorded::Field(field), Stored::Text(text)) => {
            state.set_text(field, text.clone());
        }
        (Recorded::CrossGroupRetry, Stored::Integer(retry)) => auto.0 = *retry != 0,
        (Recorded::AutoGroups, Stored::Text(groups)) => auto.1 = groups.clone(),
        // A column's kind never changes: a mismatched value cannot have been stored.
        _ => {}
    }
}

/// Whether the current value of one recorded column still counts as the batch's after value.
fn still_after(recorded: Recorded, now: &Stored, after: &Stored, quota_by_delta: bool) -> bool {
    match (recorded, now, after) {
        (Recorded::Field(Field::RemainQuota), _, _) if quota_by_delta => true,
        // new-api marks an enabled token expired or exhausted when it is used: not a change.
        (Recorded::Status, Stored::Integer(now), Stored::Integer(STATUS_ENABLED)) => {
            matches!(*now, STATUS_ENABLED | STATUS_EXPIRED | STATUS_EXHAUSTED)
        }
        _ => now == after,
    }
}

/// The revert of each recorded token, given the tokens as they are (by id; each moved into its change
/// rather than copied: 10 000 at a time) and the tokens whose `remain_quota` a later change set recorded.
pub(crate) fn compute(
    recorded: &[TokenRow],
    mut current: HashMap<i64, Current>,
    quota_touched_later: &HashSet<i64>,
    now: i64,
) -> Computed {
    let columns: Vec<Recorded> = Recorded::all().collect();
    let count = columns.len();
    let mut computed = Computed {
        restored: Vec::new(),
        unchanged: 0,
        skipped: Vec::new(),
    };
    for row in recorded {
        let skip = |reason| SkippedToken {
            token_id: row.token_id,
            reason,
        };
        let Some(token) = current.remove(&row.token_id).filter(|token| token.row.live) else {
            computed.skipped.push(skip(SkipReason::Deleted));
            continue;
        };
        if token.row.user_id != row.owner_id {
            computed.skipped.push(skip(SkipReason::OwnerChanged));
            continue;
        }
        let (before, after) = row.values.split_at(count);
        let by_delta = !quota_touched_later.contains(&row.token_id);
        let now_values: Vec<Stored> = columns
            .iter()
            .zip(after)
            .map(|(column, after)| match after {
                Stored::Null => Stored::Null,
                _ => stored_of(*column, &token.row.state, &token.auto),
            })
            .collect();
        let unchanged_since = columns
            .iter()
            .zip(now_values.iter().zip(after))
            .all(|(column, (now, after))| still_after(*column, now, after, by_delta));
        if !unchanged_since {
            computed.skipped.push(skip(SkipReason::ChangedSince));
            continue;
        }
        let mut state = token.row.state.clone();
        let mut auto = token.auto.clone();
        let mut fields = FieldSet::new();
        for ((column, value), after) in columns.iter().zip(before).zip(after) {
            let Recorded::Field(field) = column else {
                continue;
            };
            if *value == Stored::Null {
                continue;
            }
            fields.insert(*field);
            match (field, value, after) {
                (Field::RemainQuota, Stored::Integer(before), Stored::Integer(after))
                    if by_delta =>
                {
                    let delta = after.saturating_sub(*before);
                    state.remain_quota = state.remain_quota.saturating_sub(delta).max(0);
                }
                _ => set_stored(*column, value, &mut state, &mut auto),
            }
        }
        for (column, value) in columns.iter().zip(before) {
            if matches!(column, Recorded::CrossGroupRetry | Recorded::AutoGroups) {
                set_stored(*column, value, &mut state, &mut auto);
            }
        }
        // The status is restored where the batch changed it, then follows the restored values (§4); where
        // the batch left it as it was, the current one (which new-api's traffic may have set) follows them.
        let (status_before, status_after) = (&before[0], &after[0]);
        let base = match (status_before, status_after) {
            (Stored::Integer(before), Stored::Integer(after)) if before != after => *before,
            _ => token.row.state.status,
        };
        state.status = state.status_following(base, fields, now);
        let restored_values: Vec<Stored> = columns
            .iter()
            .zip(after)
            .map(|(column, after)| match after {
                Stored::Null => Stored::Null,
                _ => stored_of(*column, &state, &auto),
            })
            .collect();
        if restored_values == now_values {
            computed.unchanged += 1;
            continue;
        }
        computed.restored.push(Restored {
            change: BatchChange {
                id: row.token_id,
                key: token.row.key,
                before: token.row.state,
                after: state,
                cleared_auto_settings: false,
            },
            owner_id: row.owner_id,
            before: now_values,
            after: restored_values,
        });
    }
    computed
}

/// The restored tokens as their changes (the answer, the cache) and their history rows (each token's
/// recorded columns as they were, then as restored), moved rather than copied: 10 000 of them at a time.
pub(crate) fn split(restored: Vec<Restored>) -> (Vec<BatchChange>, Vec<TokenRow>) {
    restored
        .into_iter()
        .map(|token| {
            let mut values = token.before;
            values.extend(token.after);
            let row = TokenRow {
                token_id: token.change.id,
                owner_id: token.owner_id,
                values,
            };
            (token.change, row)
        })
        .unzip()
}
