//! The statements every engine runs: lock-and-read by primary key, and the UPDATE per final status.

use tokenbatch_rules::operation::{Operation, Operations};
use tokenbatch_rules::{Field, FieldSet};

use crate::dialect::Dialect;
use crate::records::{field_column, state_columns};

/// Locks the requested rows through the primary key alone, in id order. Ownership and soft delete are checked
/// on the locked rows rather than in the WHERE clause: a condition on `user_id` lets MySQL walk the user_id
/// index instead, taking next-key locks on every token of the user, and overlapping batches then deadlock.
pub(super) fn select_statement(d: Dialect, count: usize, lock: bool, keys: bool) -> String {
    d.sql(&format!(
        "SELECT {id}, {user_id}, {live}, {key}, {auto}, {state} FROM {table} WHERE {filter} ORDER BY id{lock}",
        table = d.tokens_by_primary_key(),
        id = d.integer("id", 0),
        user_id = d.integer("user_id", 0),
        live = d.integer("CASE WHEN deleted_at IS NULL THEN 1 ELSE 0 END", 0),
        key = key_column(d, "", keys),
        auto = auto_settings_column(d, ""),
        state = state_columns(d),
        filter = d.id_filter(count),
        lock = if lock { d.lock_rows() } else { "" },
    ))
}

/// 1 when the token's `cross_group_retry` is set or its `auto_groups` is not empty, else 0.
pub(super) fn auto_settings_column(d: Dialect, table: &str) -> String {
    let condition = format!(
        "CASE WHEN {retry} <> 0 OR {groups} <> '' THEN 1 ELSE 0 END",
        retry = d.boolean(&format!("{table}cross_group_retry")),
        groups = d.text(&format!("{table}auto_groups")),
    );
    d.integer(&condition, 0)
}

/// The key column, or an empty text when the caller does not need keys.
pub(super) fn key_column(d: Dialect, table: &str, keys: bool) -> String {
    match keys {
        true => d.text(&format!("{table}{}", d.quote("key"))),
        false => "''".to_owned(),
    }
}

/// The assignments that clear a token's auto-only settings (FALSE is 0 in SQLite and MySQL).
pub(super) const AUTO_SETTINGS_CLEARED: [&str; 2] =
    ["cross_group_retry = FALSE", "auto_groups = ''"];

/// The UPDATE of one [`super::WriteKey`] group of a batch without list operations (those write each token's
/// result beside its id, [`crate::per_token`]). Placeholders in [`bind_writes!`] order.
pub(super) fn update_statement(
    d: Dialect,
    fields: FieldSet,
    ops: &Operations,
    clear_auto: bool,
    count: usize,
) -> String {
    let assignments = write_assignments(d, fields, ops, clear_auto);
    // Only rows locked and checked above are named, by primary key (see select_statement).
    d.update_by_ids(&assignments.join(", "), count)
}

/// The assignments every row of a write group gets: each written field set to its bound value (absolute
/// values) or computed from the row's own value (numeric operations, [`operation_assignment`]), then the
/// status and the auto-only settings cleared. Fields written by a list operation are not among them: each
/// token's result is carried beside its id ([`crate::per_token`]).
pub(super) fn write_assignments(
    d: Dialect,
    fields: FieldSet,
    ops: &Operations,
    clear_auto: bool,
) -> Vec<String> {
    let mut assignments: Vec<String> = fields
        .iter()
        .filter_map(|field| {
            let value = match ops.get(field) {
                Some(Operation::List { .. }) => return None,
                Some(operation) => operation_assignment(d, field, operation),
                None => "?".to_owned(),
            };
            Some(format!("{} = {value}", d.quote(field.name())))
        })
        .collect();
    assignments.push("status = ?".to_owned());
    if clear_auto {
        // Constants, after every placeholder: the binding order stays the same.
        assignments.extend(AUTO_SETTINGS_CLEARED.map(str::to_owned));
    }
    assignments
}

/// The new value of a field written by an operation, computed from the row's current value (NULL read as
/// new-api reads it): `remain_quota + ?delta`; for `extend`, a never-expiring token stays so, any other
/// expiry moves to the later of itself and `?now`, plus `?seconds`. (A list result is each token's own,
/// written beside its id by [`crate::per_token`]: [`write_assignments`] never asks for it.)
/// The bounds were checked on the locked rows, so these never overflow.
pub(super) fn operation_assignment(d: Dialect, field: Field, operation: &Operation) -> String {
    let current = field_column(d, field, "");
    match operation {
        Operation::Quota { .. } => format!("{current} + ?"),
        Operation::Extend { .. } => format!(
            "CASE WHEN {current} = -1 THEN -1 ELSE {} + ? END",
            d.greatest(&current, "?")
        ),
        Operation::List { .. } => "?".to_owned(),
    }
}

pub(super) fn json_array(ids: &[i64]) -> String {
    let mut text = String::with_capacity(ids.len() * 8 + 2);
    text.push('[');
    for (index, id) in ids.iter().enumerate() {
        if index > 0 {
            text.push(',');
        }
        text.push_str(&id.to_string());
    }
    text.push(']');
    text
}
