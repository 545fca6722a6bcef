//! SQLite's counted batch records its history without reading the tokens into Rust: one INSERT … SELECT
//! over the rows its UPDATE is about to change, the values before from the columns and after from the same
//! SQL expressions the UPDATE writes ([`super::counted::counted_write`]).

use tokenbatch_rules::{Field, ValidBatch, Value};

use crate::dialect::Dialect;

use super::counted::counted_write;
use super::sql::auto_settings_column;

/// A JSON value of `expression`: booleans (0 / 1 in SQLite) as `true` / `false`, as the read path records
/// them ([`crate::history::values_json`]).
fn json_value(field: Field, expression: &str) -> String {
    match field.null_value() {
        Value::Boolean(_) => format!("json(CASE WHEN {expression} THEN 'true' ELSE 'false' END)"),
        _ => expression.to_owned(),
    }
}

/// The INSERT of the changed tokens' history rows, run before the counted UPDATE in its transaction.
/// Placeholders: the UPDATE's (`?1`… the operands, then the ids, then the user), then the change set's id.
pub(super) fn sqlite_counted_history_statement(
    batch: &ValidBatch,
    clear_auto: bool,
    now: i64,
) -> String {
    let write = counted_write(batch, clear_auto, now);
    let mut before = vec![format!("'status', {}", write.status.0)];
    let mut after = vec![format!("'status', {}", write.status.1)];
    for (field, current, next) in &write.values {
        before.push(format!(
            "'{}', {}",
            field.name(),
            json_value(*field, current)
        ));
        after.push(format!("'{}', {}", field.name(), json_value(*field, next)));
    }
    let mut before = format!("json_object({})", before.join(", "));
    let mut after = format!("json_object({})", after.join(", "));
    if clear_auto {
        let d = Dialect::Sqlite;
        let held = auto_settings_column(d, "");
        let retry = d.boolean("cross_group_retry");
        let groups = d.text("auto_groups");
        before = format!(
            "CASE WHEN {held} = 1 THEN json_set({before}, '$.cross_group_retry', \
             json(CASE WHEN {retry} <> 0 THEN 'true' ELSE 'false' END), '$.auto_groups', {groups}) \
             ELSE {before} END"
        );
        after = format!(
            "CASE WHEN {held} = 1 THEN json_set({after}, '$.cross_group_retry', json('false'), \
             '$.auto_groups', '') ELSE {after} END"
        );
    }
    format!(
        "INSERT INTO tokenbatch_change_tokens (change_id, token_id, owner_id, before_values, \
         after_values) SELECT ?{change}, id, user_id, {before}, {after} FROM tokens WHERE {condition}",
        change = batch.fields().len() + 3,
        condition = write.condition,
    )
}
