//! SQLite's counted batch records its history without reading the tokens into Rust: one INSERT … SELECT
//! over the rows its UPDATE is about to change, the values before from the columns and after from the same
//! SQL expressions the UPDATE writes ([`super::counted::counted_write`]), into the typed columns of
//! `tokenbatch_change_tokens` ([`crate::history::values`]).

use tokenbatch_rules::ValidBatch;

use crate::dialect::Dialect;
use crate::history::sql::{SQLITE_CHANGE_JUST_INSERTED, SQLITE_ROWS_PER_CHANGE};
use crate::history::values::Recorded;

use super::counted::counted_write;
use super::sql::auto_settings_column;

/// The INSERT of the changed tokens' history rows, run before the counted UPDATE in its transaction, right
/// after the change set's own INSERT: the change set's id is the newest one (`MAX(id)`, read once by SQLite:
/// an uncorrelated subquery). Placeholders: the UPDATE's (`?1`… the operands, then the ids, then the user).
/// Each row's id is the change set's id times [`SQLITE_ROWS_PER_CHANGE`] plus the token's place in the ids
/// (`json_each`'s `key`); columns the batch does not write stay NULL. `only_if` as the UPDATE's
/// ([`super::counted::sqlite_counted_update_statement`]).
pub(super) fn sqlite_counted_history_statement(
    batch: &ValidBatch,
    clear_auto: bool,
    now: i64,
    only_if: Option<&str>,
) -> String {
    let d = Dialect::Sqlite;
    let write = counted_write(batch, clear_auto, now);
    let fields = batch.fields().len();
    let (ids, user) = (fields + 1, fields + 2);
    let change = SQLITE_CHANGE_JUST_INSERTED;
    let mut columns = vec![
        "id".to_owned(),
        "change_id".into(),
        "token_id".into(),
        "owner_id".into(),
    ];
    let mut selected = vec![
        format!("{change} * {SQLITE_ROWS_PER_CHANGE} + j.key"),
        change.to_owned(),
        "t.id".into(),
        "t.user_id".into(),
    ];
    let mut record = |name: &str, before: String, after: String| {
        columns.push(d.quote(&format!("before_{name}")));
        selected.push(before);
        columns.push(d.quote(&format!("after_{name}")));
        selected.push(after);
    };
    record(
        Recorded::Status.name(),
        write.status.0.clone(),
        write.status.1.clone(),
    );
    for (field, current, next) in &write.values {
        record(field.name(), current.clone(), next.clone());
    }
    if clear_auto {
        // Only rows that held an auto-only setting record them (their values, then false and '').
        let held = auto_settings_column(d, "");
        let retry = d.boolean("cross_group_retry");
        let groups = d.text("auto_groups");
        record(
            Recorded::CrossGroupRetry.name(),
            format!("CASE WHEN {held} = 1 THEN {retry} END"),
            format!("CASE WHEN {held} = 1 THEN 0 END"),
        );
        record(
            Recorded::AutoGroups.name(),
            format!("CASE WHEN {held} = 1 THEN {groups} END"),
            format!("CASE WHEN {held} = 1 THEN '' END"),
        );
    }
    format!(
        "INSERT INTO tokenbatch_change_tokens ({}) SELECT {} FROM json_each(?{ids}) AS j \
         CROSS JOIN tokens AS t ON t.id = j.value \
         WHERE t.user_id = ?{user} AND t.deleted_at IS NULL AND ({}){}",
        columns.join(", "),
        selected.join(", "),
        write.differences,
        only_if
            .map(|condition| format!(" AND {condition}"))
            .unwrap_or_default(),
    )
}

/// The whole write of a counted batch that records its history, as one multi-statement text that sqlx runs in
/// one call to SQLite's worker thread: the change set (with the precheck's counts, `RETURNING id`), its
/// tokens' rows ([`sqlite_counted_history_statement`]), then the UPDATE
/// ([`super::counted::sqlite_counted_update_statement`]). Three statements were three round trips, each a
/// handover between threads: a 10-id batch made four in all, now two (docs/BENCHMARKS.md, figure 3).
/// Placeholders: the UPDATE's, then the change set's created time, source, request, changed and unchanged
/// (its user is the UPDATE's).
pub(super) fn sqlite_counted_write_with_history(
    batch: &ValidBatch,
    clear_auto: bool,
    now: i64,
) -> String {
    let user = batch.fields().len() + 2;
    let change = format!(
        "INSERT INTO tokenbatch_changes (user_id, created_time, source, request, changed, unchanged) \
         VALUES (?{user}, ?{}, ?{}, ?{}, ?{}, ?{}) RETURNING id",
        user + 1,
        user + 2,
        user + 3,
        user + 4,
        user + 5
    );
    format!(
        "{change};\n{};\n{}",
        sqlite_counted_history_statement(batch, clear_auto, now, None),
        super::counted::sqlite_counted_update_statement(batch, clear_auto, now, None)
    )
}
