//! SQLite's counted batch without a plan, as one call to SQLite's worker thread: the precheck's counts, then
//! the writes, which SQL itself makes conditional on those counts.
//!
//! Why: SQLite's group-commit writer runs the batches of a group one after the other, and each statement
//! sqlx runs is a handover to the connection's worker thread and back. For a 10-id batch the SQL takes
//! about 75 µs (its precheck 15, its writes 60) while each handover costs about as much again on a busy
//! two-core machine (`RUST_LOG=sqlx=debug` beside the throughput figure: groups of 15 batches every 7 ms). A
//! precheck answered to Rust before the writes was two calls a batch; now the counts go into a row of a
//! connection's own TEMP table, and the change set, its tokens' rows and the UPDATE each run only if that
//! row says the batch is accepted (`ok`), so one call carries the whole batch. A refused batch writes nothing
//! but that row (the TEMP database: never in the WAL, never seen by another connection) and Rust reads why
//! from the counts it returns, as before.
//!
//! The apply of a plan keeps its precheck apart ([`super::counted::sqlite_precheck_statement`]): its pins'
//! digest is compared in Rust before anything is written.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokenbatch_rules::operation::{Operation, TokenOutcome};
use tokenbatch_rules::{Field, ValidBatch};

use super::counted::{owned_rows, precheck_columns, sqlite_counted_update_statement, MAX_REFUSALS};
use super::counted_history::sqlite_counted_history_statement;

/// Created on every SQLite connection when it opens (`connect::open_sqlite`): the counts of the batch being
/// written, one row (`slot` 0) replaced by each batch. TEMP: private to the connection, outside the WAL.
pub(crate) const SQLITE_COUNTS_TABLE: &str = "CREATE TEMP TABLE IF NOT EXISTS tokenbatch_counts (\
     slot INTEGER PRIMARY KEY, owned INTEGER NOT NULL, changing INTEGER NOT NULL, \
     refused0 INTEGER NOT NULL DEFAULT 0, refused1 INTEGER NOT NULL DEFAULT 0, \
     refused2 INTEGER NOT NULL DEFAULT 0, refused3 INTEGER NOT NULL DEFAULT 0, \
     refused4 INTEGER NOT NULL DEFAULT 0, ok INTEGER NOT NULL)";

/// The condition each write carries: the batch was accepted. Uncorrelated, so SQLite reads it once per
/// statement, not per row.
const ONLY_IF_ACCEPTED: &str = "(SELECT ok FROM temp.tokenbatch_counts WHERE slot = 0)";

/// What a batch's text depends on: each written field with the kind of its operation (0 an absolute value,
/// 1 a quota operation, 2 an extension, 3 a list operation, which the counted path never takes), the status written, whether auto-only settings are cleared, whether
/// history is recorded, and `now` (written into the text).
type Shape = (Vec<(Field, u8)>, Option<i64>, bool, bool, i64);

/// The texts built in the current second, by shape. Building one takes about 50 µs (release build), as
/// long as SQLite takes to run a 10-id batch, and the group-commit writer runs batches one after the other:
/// most batches share their shape with the one before. Emptied when `now` moves on, and past
/// [`MAX_SHAPES`] shapes.
static TEXTS: Mutex<Option<HashMap<Shape, Arc<OneCall>>>> = Mutex::new(None);
const MAX_SHAPES: usize = 64;

/// A batch's text and the refusals its counts report.
pub(super) struct OneCall {
    pub(super) sql: String,
    pub(super) outcomes: Vec<TokenOutcome>,
}

/// [`sqlite_counted_in_one_call`], built once per shape and second.
pub(super) fn one_call(
    batch: &ValidBatch,
    clear_auto: bool,
    now: i64,
    history: bool,
) -> Arc<OneCall> {
    let kinds = batch
        .fields()
        .iter()
        .map(|field| {
            let kind = match batch.ops().get(field) {
                None => 0,
                Some(Operation::Quota { .. }) => 1,
                Some(Operation::Extend { .. }) => 2,
                // Not counted (`counts_without_reading`); a kind of its own all the same.
                Some(Operation::List { .. }) => 3,
            };
            (field, kind)
        })
        .collect();
    let shape: Shape = (kinds, batch.status(), clear_auto, history, now);
    let mut texts = TEXTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let texts = texts.get_or_insert_with(HashMap::new);
    if texts.keys().next().is_some_and(|known| known.4 != now) || texts.len() >= MAX_SHAPES {
        texts.clear();
    }
    texts
        .entry(shape)
        .or_insert_with(|| {
            let (sql, outcomes) = sqlite_counted_in_one_call(batch, clear_auto, now, history);
            Arc::new(OneCall { sql, outcomes })
        })
        .clone()
}

/// The whole counted batch as one multi-statement text, and the refusals its counts report, in the order of
/// the `refused` columns. Statements: the counts (`RETURNING` owned, changing, then one count per refusal);
/// with `history`, the change set (`RETURNING id`, only if accepted and something changes) and its tokens'
/// rows; the UPDATE. Placeholders: the UPDATE's (`?1`… the operands, then the ids, then the user), then the
/// number of ids; with `history`, then the change set's created time, source and request.
pub(super) fn sqlite_counted_in_one_call(
    batch: &ValidBatch,
    clear_auto: bool,
    now: i64,
    history: bool,
) -> (String, Vec<TokenOutcome>) {
    let (counts, outcomes) = precheck_columns(batch, clear_auto, now);
    debug_assert!(outcomes.len() <= MAX_REFUSALS);
    let user = batch.fields().len() + 2;
    let count = user + 1;
    let names: Vec<String> = ["owned".to_owned(), "changing".to_owned()]
        .into_iter()
        .chain((0..outcomes.len()).map(|n| format!("refused{n}")))
        .collect();
    let named: Vec<String> = counts
        .iter()
        .zip(&names)
        .map(|(count, name)| format!("{count} AS {name}"))
        .collect();
    let accepted = std::iter::once(format!("owned = ?{count} AND changing > 0"))
        .chain(names[2..].iter().map(|name| format!("{name} = 0")))
        .collect::<Vec<_>>()
        .join(" AND ");
    let columns = names.join(", ");
    let mut statements = vec![format!(
        "INSERT OR REPLACE INTO temp.tokenbatch_counts (slot, {columns}, ok) \
         SELECT 0, {columns}, {accepted} FROM (SELECT {} {}) RETURNING {columns}",
        named.join(", "),
        owned_rows(batch),
    )];
    if history {
        statements.push(format!(
            "INSERT INTO tokenbatch_changes (user_id, created_time, source, request, changed, unchanged) \
             SELECT ?{user}, ?{}, ?{}, ?{}, changing, owned - changing FROM temp.tokenbatch_counts \
             WHERE slot = 0 AND ok RETURNING id",
            count + 1,
            count + 2,
            count + 3,
        ));
        statements.push(sqlite_counted_history_statement(
            batch,
            clear_auto,
            now,
            Some(ONLY_IF_ACCEPTED),
        ));
    }
    statements.push(sqlite_counted_update_statement(
        batch,
        clear_auto,
        now,
        Some(ONLY_IF_ACCEPTED),
    ));
    (statements.join(";\n"), outcomes)
}

#[cfg(test)]
mod tests {
    use tokenbatch_rules::Patch;

    use crate::test_support::valid;

    use super::{one_call, sqlite_counted_in_one_call};

    /// A kept text is the text that batch would have been built from: batches that differ only in their ids
    /// and values share one, and whatever the text is written from (the fields, `now`, history) gets a text of
    /// its own.
    #[test]
    fn kept_texts_are_the_texts_built() {
        let patch = |quota: i64, group: Option<&str>| Patch {
            remain_quota: Some(quota),
            group: group.map(str::to_owned),
            ..Patch::default()
        };
        let first = valid(&[1, 2, 3], patch(5, Some("vip")));
        let same_shape = valid(&[7], patch(9, Some("default")));
        let other_fields = valid(&[1, 2, 3], patch(5, None));
        const NOW: i64 = 1_800_000_000;
        // (Other tests share the texts kept, and may empty them: compared by content, not by address.)
        let kept = one_call(&first, true, NOW, true);
        assert_eq!(kept.sql, one_call(&same_shape, true, NOW, true).sql);
        for (batch, clear_auto, now, history) in [
            (&first, true, NOW, true),
            (&other_fields, true, NOW, true),
            (&first, false, NOW, true),
            (&first, true, NOW + 1, true),
            (&first, true, NOW + 1, false),
        ] {
            let text = one_call(batch, clear_auto, now, history);
            let built = sqlite_counted_in_one_call(batch, clear_auto, now, history);
            assert_eq!((&text.sql, &text.outcomes), (&built.0, &built.1));
        }
        assert_ne!(
            one_call(&first, true, NOW, true).sql,
            one_call(&first, true, NOW, false).sql
        );
    }
}
