//! SQLite: the writes of a batch that reads its rows (details, gRPC's full view, keys for new-api's cache,
//! request ids, plans, root's batches across users) in one call to SQLite's worker thread: the change set
//! (`RETURNING id`), its owners' and tokens' rows, then the UPDATE of each write group, as one text of
//! statements, each statement's row count checked. One statement each would be as many round trips to the
//! worker thread, and for a 10-id batch those hand-overs, not SQLite, are most of the time
//! (docs/BENCHMARKS.md, "Sixth session"). Batches of more than [`MAX_ROWS`] changed tokens write as before,
//! statement by statement: their time is SQLite's, and a text per batch size would be prepared anew for
//! each size.
//!
//! The rows name their change set as the counted batch's do ([`SQLITE_CHANGE_JUST_INSERTED`]): the text's
//! first statement inserted it, in the writer's `BEGIN IMMEDIATE` transaction.

use crate::dialect::Dialect;
use crate::history::sql::{
    token_columns, OWNERS, ROWS_PER_INSERT, SQLITE_CHANGE_JUST_INSERTED, SQLITE_ROWS_PER_CHANGE,
    TOKENS,
};

/// The most changed tokens written in one call: the tokens' rows in one INSERT.
pub(crate) const MAX_ROWS: usize = ROWS_PER_INSERT;

/// The change set the text's first statement inserted, as a one-row table `c`.
fn just_inserted() -> String {
    format!("(SELECT {SQLITE_CHANGE_JUST_INSERTED} AS id) AS c")
}

/// `owners` rows of [`OWNERS`] for the change set just inserted, bound as one owner each.
pub(crate) fn owners_statement(owners: usize) -> String {
    format!(
        "INSERT INTO {OWNERS} (change_id, owner_id) SELECT c.id, v.column1 FROM {}, (VALUES {}) AS v",
        just_inserted(),
        vec!["(?)"; owners].join(", ")
    )
}

/// `rows` token rows of the change set just inserted, bound per row as its place in the batch (its rowid
/// within the change set's range, [`SQLITE_ROWS_PER_CHANGE`]), token, owner and the values of the columns
/// in `used` ([`crate::history::values::columns_in_use`]).
pub(crate) fn tokens_statement(rows: usize, used: &[bool]) -> String {
    let bound = 3 + used.iter().filter(|used| **used).count();
    let picked: Vec<String> = (2..=bound)
        .map(|column| format!("v.column{column}"))
        .collect();
    let row = format!("({})", vec!["?"; bound].join(", "));
    format!(
        "INSERT INTO {TOKENS} (id, {}) SELECT c.id * {SQLITE_ROWS_PER_CHANGE} + v.column1, c.id, {} \
         FROM {}, (VALUES {}) AS v",
        token_columns(Dialect::Sqlite, used),
        picked.join(", "),
        just_inserted(),
        vec![row; rows].join(", ")
    )
}

/// The batch's writes on every engine after its history's rows are computed (`history_rows!`): on SQLite,
/// up to [`MAX_ROWS`] changed tokens, in one call ([`one_call_writes!`]); otherwise the change set and its
/// rows (`record_history!`), then the UPDATEs (`write_changes!`). Evaluates to the change set's id, if one
/// was recorded.
macro_rules! record_and_write {
    (Sqlite, $tx:expr, $d:expr, $plan:expr, $changes:expr, $owners:expr) => {{
        match history_rows!(Sqlite, $tx, $d, $plan, $changes, $owners) {
            Some(recorded) if recorded.rows.len() <= $crate::batch::one_call_writes::MAX_ROWS => {
                one_call_writes!($tx, $d, $plan, $changes, recorded)
            }
            recorded => {
                let change_id = record_history!(@insert Sqlite, $tx, $d, $plan, recorded);
                write_changes!(Sqlite, $tx, $d, $plan, $changes);
                change_id
            }
        }
    }};
    ($engine:ident, $tx:expr, $d:expr, $plan:expr, $changes:expr, $owners:expr) => {{
        let change_id = record_history!($engine, $tx, $d, $plan, $changes, $owners);
        write_changes!($engine, $tx, $d, $plan, $changes);
        change_id
    }};
}

/// SQLite: the change set, its owners' and tokens' rows and every write group's UPDATE in one call. Each
/// statement must report the rows it was given (the UPDATEs: every changed row, as `write_changes!` checks
/// statement by statement), else the batch fails and rolls back. Evaluates to the change set's id.
macro_rules! one_call_writes {
    ($tx:expr, $d:expr, $plan:expr, $changes:expr, $recorded:expr) => {{
        use $crate::batch::one_call_writes as one_call;
        let $crate::batch::ToRecord { entry, changed, unchanged, rows } = $recorded;
        let others = $crate::history::values::other_owners(&rows, $plan.user_id);
        let kinds = $crate::history::values::row_kinds();
        let used = $crate::history::values::columns_in_use(&rows);
        let columns = $crate::batch::list_columns($plan);
        let groups: Vec<_> = $crate::batch::changed_rows_by_write($plan, $changes).into_iter().collect();
        let binds: Vec<_> = groups
            .iter()
            .map(|(_, group)| $crate::batch::group_binds(group, &columns))
            .collect();
        let mut statements = vec![$crate::history::sql::insert_change_statement($d)];
        let mut expected: Vec<u64> = vec![1];
        if !others.is_empty() {
            statements.push(one_call::owners_statement(others.len()));
            expected.push(others.len() as u64);
        }
        statements.push(one_call::tokens_statement(rows.len(), &used));
        expected.push(rows.len() as u64);
        for (key, group) in &groups {
            statements.push($crate::batch::write_group_statement($d, $plan, key, &columns, group.len()));
            expected.push(group.len() as u64);
        }
        let sql = statements.join(";\n");
        let mut query = insert_change!(@bind, sqlx::query(&sql), $plan, entry, changed, unchanged);
        for owner in &others {
            query = query.bind(*owner);
        }
        for (place, row) in rows.iter().enumerate() {
            let place = i64::try_from(place).unwrap_or(i64::MAX);
            query = query.bind(place).bind(row.token_id).bind(row.owner_id);
            query = bind_row_values!(query, row, &kinds, &used);
        }
        for ((key, _), (ids, view)) in groups.iter().zip(&binds) {
            query = bind_write_group!(Sqlite, query, $plan, key, &columns, ids.as_slice(), view);
        }
        let (_, affected, change_id) = counted_results!($tx, query, 0);
        if affected != expected || change_id.is_none() {
            return Err($crate::StoreError::Data(format!(
                "the batch's writes answered {affected:?} (change set {change_id:?}), not {expected:?}"
            )));
        }
        change_id
    }};
}

#[cfg(test)]
mod tests {
    use crate::history::sql::SQLITE_ROWS_PER_CHANGE;
    use crate::history::values::Recorded;
    use crate::test_support::sqlite_store_with_user;
    use crate::Pool;

    use super::{owners_statement, tokens_statement};

    /// The rows name the change set inserted just before them, in that change set's rowid range, in the
    /// places bound, with each value in its own column and the unused columns NULL.
    #[tokio::test]
    async fn rows_belong_to_the_change_set_just_inserted() {
        let (_dir, store, user) = sqlite_store_with_user().await;
        let Pool::Sqlite(pool) = &store.pool else {
            unreachable!()
        };
        let mut conn = pool.acquire().await.unwrap();
        let insert_change =
            "INSERT INTO tokenbatch_changes (user_id, created_time, source, request, \
                             changed, unchanged) VALUES (?, 1, 'http', '{}', 2, 0) RETURNING id";
        let mut change = 0;
        for _ in 0..3 {
            change = sqlx::query_scalar::<_, i64>(insert_change)
                .bind(user)
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        }
        // before_status and after_status used: the first column and the first after column.
        let mut used = vec![false; 2 * Recorded::count()];
        used[0] = true;
        used[Recorded::count()] = true;
        let text = format!("{};\n{}", owners_statement(2), tokens_statement(2, &used));
        let done = sqlx::query(&text)
            .bind(7_i64)
            .bind(8_i64)
            .bind(0_i64)
            .bind(41_i64)
            .bind(7_i64)
            .bind(1_i64)
            .bind(2_i64)
            .bind(1_i64)
            .bind(42_i64)
            .bind(8_i64)
            .bind(2_i64)
            .bind(1_i64)
            .execute(&mut *conn)
            .await
            .unwrap();
        assert_eq!(done.rows_affected(), 4, "both statements' rows");
        let owners: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT change_id, owner_id FROM tokenbatch_change_owners ORDER BY owner_id",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        assert_eq!(owners, [(change, 7), (change, 8)]);
        let status = Recorded::Status.name();
        // id, change_id, token_id, owner_id, before and after status, before group.
        type Row = (i64, i64, i64, i64, Option<i64>, Option<i64>, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT id, change_id, token_id, owner_id, before_{status}, after_{status}, before_group \
             FROM tokenbatch_change_tokens ORDER BY id"
        ))
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let first = change * SQLITE_ROWS_PER_CHANGE;
        assert_eq!(
            rows,
            [
                (first, change, 41, 7, Some(1), Some(2), None),
                (first + 1, change, 42, 8, Some(2), Some(1), None),
            ]
        );
    }
}
