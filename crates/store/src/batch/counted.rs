//! SQLite's counted batch: ownership checked with a count and the whole batch written by one UPDATE that
//! computes the status in SQL, a copy of `tokenbatch_rules::apply`'s status rules.

use tokenbatch_rules::operation::{Operation, Operations, TokenOutcome, STATUS_ENABLE};
use tokenbatch_rules::{Field, FieldSet, ValidBatch, Value, MAX_EXPIRED_TIME, MAX_REMAIN_QUOTA};

use crate::dialect::Dialect;
use crate::records::field_column;

use super::sql::{auto_settings_column, AUTO_SETTINGS_CLEARED};

/// The batches the counted path can write: every new value follows from the row's own values and the
/// batch's (absolute values, numeric operations, status), none needs a list computed per token.
pub(super) fn counts_without_reading(batch: &ValidBatch) -> bool {
    batch
        .ops()
        .iter()
        .all(|(_, operation)| !matches!(operation, Operation::List { .. }))
}

/// The rows the ids (a JSON array) name that are live tokens of the user. CROSS JOIN makes SQLite walk the
/// id list and look each token up by primary key: left to itself, it walked the user's tokens by
/// `idx_tokens_user_id` and the whole list for each (4 s for 10 000 ids).
const SQLITE_OWNED_ROWS: &str =
    "FROM json_each(?{ids}) AS j CROSS JOIN tokens AS t ON t.id = j.value \
     WHERE t.user_id = ?{user} AND t.deleted_at IS NULL";

/// The new value of each column and the status rules, written in SQL: a copy of `TokenState::edit` for the
/// batches [`counts_without_reading`] takes. Placeholders `?1`… are each written field's operand in
/// `fields` order (its value, a quota's delta, an extension's seconds: see [`bind_operands!`]).
struct AfterSql<'a> {
    fields: FieldSet,
    ops: &'a Operations,
    now: i64,
}

impl AfterSql<'_> {
    fn current(&self, field: Field) -> String {
        let d = Dialect::Sqlite;
        match field.null_value() {
            Value::Boolean(_) => format!("({} <> 0)", field_column(d, field, "")),
            _ => field_column(d, field, ""),
        }
    }

    fn placeholder(&self, field: Field) -> Option<String> {
        self.fields
            .iter()
            .position(|written| written == field)
            .map(|index| format!("?{}", index + 1))
    }

    /// The column's value after the batch.
    fn after(&self, field: Field) -> String {
        let Some(operand) = self.placeholder(field) else {
            return self.current(field);
        };
        let current = self.current(field);
        match self.ops.get(field) {
            Some(Operation::Quota { .. }) => format!("({current} + {operand})"),
            Some(Operation::Extend { .. }) => format!(
                "(CASE WHEN {current} = -1 THEN -1 ELSE MAX({current}, {now}) + {operand} END)",
                now = self.now
            ),
            _ => operand,
        }
    }

    fn expired(&self) -> String {
        format!(
            "({expiry} <> -1 AND {expiry} <= {now})",
            expiry = self.after(Field::ExpiredTime),
            now = self.now
        )
    }

    fn exhausted(&self) -> String {
        format!(
            "({unlimited} = 0 AND {quota} <= 0)",
            unlimited = self.after(Field::UnlimitedQuota),
            quota = self.after(Field::RemainQuota)
        )
    }

    /// The condition under which a token's result is refused as `outcome`, if the batch can cause it.
    fn refusal(&self, outcome: TokenOutcome, status: Option<i64>) -> Option<String> {
        let current = |field| self.current(field);
        let operand = |field| self.placeholder(field).unwrap_or_default();
        match (
            outcome,
            self.ops.get(Field::RemainQuota),
            self.ops.get(Field::ExpiredTime),
        ) {
            (TokenOutcome::QuotaBelowZero, Some(_), _) => Some(format!(
                "{} + {} < 0",
                current(Field::RemainQuota),
                operand(Field::RemainQuota)
            )),
            (TokenOutcome::QuotaAboveMaximum, Some(_), _) => Some(format!(
                "{} + {} > {MAX_REMAIN_QUOTA}",
                current(Field::RemainQuota),
                operand(Field::RemainQuota)
            )),
            (TokenOutcome::ExpiryAboveMaximum, _, Some(_)) => Some(format!(
                "{current} <> -1 AND MAX({current}, {now}) + {operand} > {MAX_EXPIRED_TIME}",
                current = current(Field::ExpiredTime),
                now = self.now,
                operand = operand(Field::ExpiredTime)
            )),
            (TokenOutcome::CannotEnableExpired, _, _) if status == Some(STATUS_ENABLE) => {
                Some(self.expired())
            }
            (TokenOutcome::CannotEnableExhausted, _, _) if status == Some(STATUS_ENABLE) => {
                Some(format!("NOT {} AND {}", self.expired(), self.exhausted()))
            }
            _ => None,
        }
    }
}

/// The outcomes a counted batch checks, in the order `TokenState::edit` meets them.
const CHECKED: [TokenOutcome; 5] = [
    TokenOutcome::ExpiryAboveMaximum,
    TokenOutcome::QuotaBelowZero,
    TokenOutcome::QuotaAboveMaximum,
    TokenOutcome::CannotEnableExpired,
    TokenOutcome::CannotEnableExhausted,
];

/// The precheck of a plan's apply, one SELECT before the writes: how many of the ids are live tokens of the
/// user, how many of those the UPDATE will change (the counts the change set is recorded with; nothing is
/// written when nothing changes), then for each refusal the batch can cause, how many of them it would refuse
/// (each token counted once, for the first refusal `TokenState::edit` meets: fields in table order, then the
/// status), the outcomes listed in the columns' order from the third on; last, the pinned rows rendered for
/// the plan's digest ([`crate::plans::digest::sqlite_aggregate`]): the statement walks the ids in their
/// (ascending) order. A batch without a plan runs the same counts inside its write instead
/// ([`super::counted_one_call`]).
pub(super) fn sqlite_precheck_statement(
    batch: &ValidBatch,
    clear_auto: bool,
    now: i64,
) -> (String, Vec<TokenOutcome>) {
    let (mut columns, outcomes) = precheck_columns(batch, clear_auto, now);
    columns.push(crate::plans::digest::sqlite_aggregate());
    // `t.` is not needed but in the digest's `t.id`: json_each's own columns (`value`, `key`, …) do not clash
    // with the ones read.
    (
        format!("SELECT {} {}", columns.join(", "), owned_rows(batch)),
        outcomes,
    )
}

/// The refusals a precheck's counts report: each outcome beside its count (the counts from the third
/// column on, in the outcomes' order), those with none left out.
pub(super) fn out_of_bounds(
    outcomes: &[TokenOutcome],
    refusals: &[usize],
) -> Vec<(TokenOutcome, usize)> {
    outcomes
        .iter()
        .copied()
        .zip(refusals.iter().copied())
        .filter(|(_, count)| *count > 0)
        .collect()
}

/// The row counts a counted write must answer when it changes `changing` tokens: with history the change set
/// (1), its tokens' rows, then the UPDATE; without, the UPDATE alone. The statements select the same rows by
/// the same condition inside the writer's transaction: any other answer is a bug, and fails the batch (rolled
/// back) rather than leave history and tokens disagreeing.
pub(super) fn counted_writes(history: bool, changing: usize) -> Vec<u64> {
    let changing = changing as u64;
    match history {
        true => vec![1, changing, changing],
        false => vec![changing],
    }
}

/// The precheck's counts as SQL aggregates over [`owned_rows`]: owned, changing, then one per refusal the
/// batch can cause (the outcomes returned, in order).
pub(super) fn precheck_columns(
    batch: &ValidBatch,
    clear_auto: bool,
    now: i64,
) -> (Vec<String>, Vec<TokenOutcome>) {
    let after = AfterSql {
        fields: batch.fields(),
        ops: batch.ops(),
        now,
    };
    let changing = counted_write(batch, clear_auto, now).differences;
    let mut columns = vec![
        "COUNT(*)".to_owned(),
        format!("COALESCE(SUM(CASE WHEN {changing} THEN 1 ELSE 0 END), 0)"),
    ];
    let mut outcomes = Vec::new();
    let mut earlier: Vec<String> = Vec::new();
    for outcome in CHECKED {
        if let Some(condition) = after.refusal(outcome, batch.status()) {
            let first = earlier
                .iter()
                .map(|before| format!(" AND NOT ({before})"))
                .collect::<String>();
            columns.push(format!(
                "COALESCE(SUM(CASE WHEN ({condition}){first} THEN 1 ELSE 0 END), 0)"
            ));
            outcomes.push(outcome);
            earlier.push(condition);
        }
    }
    (columns, outcomes)
}

/// [`SQLITE_OWNED_ROWS`] with the batch's placeholders: the ids after the operands, then the user.
pub(super) fn owned_rows(batch: &ValidBatch) -> String {
    SQLITE_OWNED_ROWS
        .replace("{ids}", &(batch.fields().len() + 1).to_string())
        .replace("{user}", &(batch.fields().len() + 2).to_string())
}

/// The most refusal columns [`precheck_columns`] makes (one per checked outcome).
pub(super) const MAX_REFUSALS: usize = CHECKED.len();

/// [`counted_batch`]'s UPDATE. Placeholders: `?1`… the operands of `fields` in order, then the ids (a JSON
/// array), then the user id. With `clear_auto`, `cross_group_retry` and `auto_groups` are cleared too, and a
/// row that held either counts as changed (see [`BatchChange::cleared_auto_settings`]). Each column is
/// compared as the batch reads it ([`state_columns`]), and the status follows `TokenState::edit`'s rules
/// (`tokenbatch_rules::apply`), written here in SQL: the store's test `sqlite_counted_batches_agree_with_the_rules`
/// and the property test `tests/tests/operation_properties.rs` (operations, refusals, history) check both ways
/// against each other. The ids are joined
/// as in [`Dialect::update_by_ids`]; the `+`s keep SQLite from walking new-api's `idx_tokens_user_id` or
/// `idx_tokens_deleted_at` and the id list for every token instead (6 s for 10 000 ids). `only_if`, a
/// condition that holds for every row or none, makes the UPDATE write nothing when the batch is refused
/// ([`super::counted_one_call`]).
pub(super) fn sqlite_counted_update_statement(
    batch: &ValidBatch,
    clear_auto: bool,
    now: i64,
    only_if: Option<&str>,
) -> String {
    let write = counted_write(batch, clear_auto, now);
    let d = Dialect::Sqlite;
    let mut assignments: Vec<String> = write
        .values
        .iter()
        .map(|(field, _, after)| format!("{} = {after}", d.quote(field.name())))
        .collect();
    assignments.push(format!("status = {}", write.status.1));
    if clear_auto {
        assignments.extend(AUTO_SETTINGS_CLEARED.map(str::to_owned));
    }
    format!(
        "UPDATE tokens SET {} FROM json_each(?{ids}) AS j WHERE tokens.id = j.value \
         AND +tokens.user_id = ?{user} AND +tokens.deleted_at IS NULL AND ({}){}",
        assignments.join(", "),
        write.differences,
        only_if
            .map(|condition| format!(" AND {condition}"))
            .unwrap_or_default(),
        ids = batch.fields().len() + 1,
        user = batch.fields().len() + 2,
    )
}

/// What the counted UPDATE writes, as SQL over the row being written: per written field its current value
/// and its value after, the status (current, after), and the condition under which a row changes (some
/// value differs). Placeholders as [`sqlite_counted_update_statement`]'s.
pub(super) struct CountedWrite {
    pub(super) values: Vec<(Field, String, String)>,
    pub(super) status: (String, String),
    pub(super) differences: String,
}

pub(super) fn counted_write(batch: &ValidBatch, clear_auto: bool, now: i64) -> CountedWrite {
    let d = Dialect::Sqlite;
    let fields = batch.fields();
    let sql = AfterSql {
        fields,
        ops: batch.ops(),
        now,
    };
    let (expired, exhausted) = (sql.expired(), sql.exhausted());
    let expiry_written = fields.contains(Field::ExpiredTime);
    let quota_written =
        fields.contains(Field::RemainQuota) || fields.contains(Field::UnlimitedQuota);
    let status = d.integer("status", 1);
    let mut arms = Vec::new();
    if expiry_written {
        arms.push(format!("WHEN {status} = 1 AND {expired} THEN 3"));
        arms.push(format!(
            "WHEN {status} = 3 AND NOT {expired} THEN CASE WHEN {exhausted} THEN 4 ELSE 1 END"
        ));
    }
    if quota_written {
        arms.push(format!(
            "WHEN {status} = 4 AND NOT {exhausted} THEN CASE WHEN {expired} THEN 3 ELSE 1 END"
        ));
    }
    if expiry_written {
        arms.push(format!("WHEN {status} = 4 AND {expired} THEN 3"));
    }
    let next_status = match (batch.status(), arms.is_empty()) {
        // Enabling was refused above wherever the token would still be expired or exhausted.
        (Some(written), _) => written.to_string(),
        (None, true) => status.clone(),
        (None, false) => format!("CASE {} ELSE {status} END", arms.join(" ")),
    };
    let mut values = Vec::new();
    let mut differences: Vec<String> = Vec::new();
    for field in fields.iter() {
        let (current, after) = (sql.current(field), sql.after(field));
        differences.push(format!("{current} IS NOT {after}"));
        values.push((field, current, after));
    }
    differences.push(format!("{status} IS NOT {next_status}"));
    if clear_auto {
        differences.push(format!("{} = 1", auto_settings_column(d, "")));
    }
    CountedWrite {
        values,
        status: (status, next_status),
        differences: differences.join(" OR "),
    }
}
