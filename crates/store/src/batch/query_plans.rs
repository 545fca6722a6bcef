//! SQLite's plans for the statements that find tokens by a list of ids: each must walk the list and find
//! every token by its rowid. The planner is free to choose otherwise (it once walked `idx_tokens_user_id`
//! and the whole list for every token: seconds for 10 000 ids), so the plans are held here, on a table with
//! statistics (`ANALYZE`) as well as without.

use tokenbatch_rules::apply::TokenState;
use tokenbatch_rules::operation::Operations;
use tokenbatch_rules::{Field, FieldSet, Patch};

use crate::dialect::Dialect;
use crate::history::values::Recorded;
use crate::per_token::update_statement as per_token_update;
use crate::test_support::{sqlite_store_with_tokens, valid};
use crate::Pool;

use super::counted::{sqlite_counted_update_statement, sqlite_precheck_statement};
use super::counted_history::sqlite_counted_history_statement;
use super::counted_one_call::sqlite_counted_in_one_call;
use super::sql::update_statement;

/// The plan's lines (`EXPLAIN QUERY PLAN`'s `detail` column), outermost first.
async fn plan_of(pool: &sqlx::SqlitePool, statement: &str) -> Vec<String> {
    sqlx::query_as::<_, (i64, i64, i64, String)>(&format!("EXPLAIN QUERY PLAN {statement}"))
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, _, _, detail)| detail)
        .collect()
}

/// One statement of the one-call counted batch with history (0 the counts, 1 the change set, 2 its tokens'
/// rows, 3 the UPDATE).
fn one_call_statement(batch: &tokenbatch_rules::ValidBatch, index: usize) -> String {
    let (text, _) = sqlite_counted_in_one_call(batch, true, 1_800_000_000, true);
    text.split(";\n").nth(index).unwrap().to_owned()
}

#[tokio::test]
async fn sqlite_updates_walk_the_ids_by_rowid() {
    let state = TokenState {
        status: 1,
        group: "default".into(),
        expired_time: -1,
        ..TokenState::default()
    };
    let (_dir, store, _user) = sqlite_store_with_tokens(1..=300, state).await;
    let Pool::Sqlite(pool) = &store.pool else {
        unreachable!()
    };
    let values = Patch {
        group: Some("vip".into()),
        expired_time: Some(1_900_000_000),
        remain_quota: Some(5),
        ..Patch::default()
    };
    let batch = valid(&[1, 2, 3], values);
    let mut fields = FieldSet::new();
    fields.insert(Field::Group);
    fields.insert(Field::RemainQuota);
    let restored = [Recorded::Status, Recorded::Field(Field::RemainQuota)];
    let statements = [
        (
            "counted UPDATE",
            sqlite_counted_update_statement(&batch, true, 1_800_000_000, None),
        ),
        (
            "precheck",
            sqlite_precheck_statement(&batch, true, 1_800_000_000).0,
        ),
        (
            "counted history",
            sqlite_counted_history_statement(&batch, true, 1_800_000_000, None),
        ),
        ("one-call counts", one_call_statement(&batch, 0)),
        ("one-call history", one_call_statement(&batch, 2)),
        ("one-call UPDATE", one_call_statement(&batch, 3)),
        (
            "write group UPDATE",
            update_statement(Dialect::Sqlite, fields, &Operations::default(), true, 3),
        ),
        (
            "per-token UPDATE",
            per_token_update(Dialect::Sqlite, &["status = ?".to_owned()], &restored, 3),
        ),
    ];
    for analyzed in [false, true] {
        if analyzed {
            sqlx::query("ANALYZE").execute(pool).await.unwrap();
        }
        for (name, statement) in &statements {
            let mut plan = plan_of(pool, statement).await;
            // Read once, wherever the planner lists them: the history's change set id (`MAX(id)` by its
            // primary key), the one-call batch's counts row (by its key), and the subquery the one-call
            // counts aggregate in (a co-routine whose one row is read back).
            plan.retain(|line| {
                !(line.starts_with("SCALAR SUBQUERY")
                    || line == "SEARCH tokenbatch_changes"
                    || line.starts_with("SEARCH temp.tokenbatch_counts USING INTEGER PRIMARY KEY")
                    || line.starts_with("CO-ROUTINE")
                    || line.starts_with("SCAN (subquery"))
            });
            let walks_the_list = plan
                .first()
                .is_some_and(|line| line.starts_with("SCAN j") || line.starts_with("SCAN r"));
            let by_rowid = plan.get(1).is_some_and(|line| {
                line.starts_with("SEARCH t") && line.contains("INTEGER PRIMARY KEY (rowid=?)")
            });
            let nothing_else = plan.len() == 2;
            assert!(
                walks_the_list && by_rowid && nothing_else,
                "{name} (analyzed: {analyzed}): {plan:?}\n{statement}"
            );
        }
    }
    store.close().await;
}
