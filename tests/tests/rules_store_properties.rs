//! Property: the rules accept exactly what the store can store.
//!
//! For arbitrary values of every field (well-formed ones, near the limits, and arbitrary Unicode):
//! - if the rules accept a batch (in their most permissive context: any group, the database's column limits),
//!   `Store::apply_batch` writes it without error and each row reads back as exactly the normalized values,
//!   with the status the rules' `TokenState::apply` computes;
//! - through the service's own path (`App::batch_update`: the server's context, then the store), a rejected
//!   request writes nothing, an accepted one writes exactly what the rules said, and the database never
//!   refuses a value the rules let through (which would be a 500).
//!
//! Run on SQLite, PostgreSQL and MariaDB with tokenbatch's schema, and on MariaDB with new-api's GORM schema,
//! whose `group` and `allow_ips` are varchar(191): in utf8mb4, and with the `tokens` table in utf8mb3 and in
//! latin1, as older MySQL installations of new-api have it. On those two the store may refuse a value the rules
//! accepted, and then only with `NotInCharset` naming a character the database itself refuses, writing nothing;
//! the service answers that as a field error, never a 500.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use tokenbatch::app::BatchOptions;
use tokenbatch::error::ApiError;
use tokenbatch_e2e::{Engine, TestDatabase};
use tokenbatch_rules::apply::TokenState;
use tokenbatch_rules::{check_body, Context, Field};
use tokenbatch_store::{BatchPlan, StoreError};

mod draw;
mod fixture;
use draw::{case, Case};
use fixture::{fixture, reset_tokens, Fixture, Schema};

/// Cases per engine: enough to reach every rule and column limit, few enough for a few seconds per engine.
/// `PROPTEST_CASES=3000` runs more.
const CASES: u32 = 150;
/// Tokens the batches write: enabled, expired, exhausted, disabled; then the states whose status depends on
/// two values at once: expired without quota, exhausted and past its expiry, enabled without quota.
const IDS: [i64; 7] = [11, 12, 13, 14, 15, 16, 17];

/// The groups the service lets the user choose (the `UserUsableGroups` option): ordinary names, and names
/// that stress the columns: Chinese, an emoji (4 bytes in UTF-8), spaces inside, 60 and 100 characters.
fn group_pool() -> Vec<String> {
    vec![
        "default".into(),
        "vip".into(),
        "中文分组".into(),
        "emoji😀".into(),
        "two words".into(),
        "g".repeat(60),
        "长".repeat(100),
    ]
}

/// The clock of the first half of each case (rules and store called directly): fixed, so that expiries at and
/// around it, where a token's status flips, can be drawn.
const STORE_NOW: i64 = 1_800_000_000;

/// The tokens' rows, read with plain SQL.
async fn rows(db: &TestDatabase) -> Vec<TokenState> {
    let mut states = Vec::new();
    for id in IDS {
        states.push(db.row(id).await);
    }
    states
}

/// What each row must hold after `batch` (when accepted), according to the rules.
fn expected(
    before: &[TokenState],
    batch: &tokenbatch_rules::ValidBatch,
    now: i64,
) -> Vec<TokenState> {
    IDS.iter()
        .zip(before)
        .map(|(id, state)| match batch.ids().contains(id) {
            true => state.apply(batch.fields(), batch.values(), now),
            false => state.clone(),
        })
        .collect()
}

#[derive(Default, Debug)]
struct Tally {
    accepted: u32,
    rejected: u32,
    too_long_for_column: u32,
    not_in_charset: u32,
    /// The status changes (from, to) that accepted batches made in the store half without reading the rows
    /// (`full_states: false`, where SQLite computes the status in SQL rather than with `TokenState::apply`).
    status_changes: std::collections::BTreeSet<(i64, i64)>,
}

/// Every status change the rules make: expired by a past expiry (from enabled or exhausted), revived by a
/// future expiry (to enabled, or to exhausted when it has no quota), revived by quota (to enabled, or to
/// expired when its expiry has passed).
const STATUS_CHANGES: [(i64, i64); 5] = [(1, 3), (3, 1), (3, 4), (4, 1), (4, 3)];

/// Whether the database itself refuses `value` in `field`'s column (tried on token 11, rolled back).
async fn database_refuses(db: &TestDatabase, field: Field, value: &str) -> bool {
    let tokenbatch_e2e::RawDb::MySql(pool) = &db.raw else {
        return false;
    };
    let mut tx = pool.begin().await.expect("begin");
    let sql = format!(
        "UPDATE tokens SET `{}` = ? WHERE id = {}",
        field.name(),
        IDS[0]
    );
    let refused = sqlx::query(&sql)
        .bind(value)
        .execute(&mut *tx)
        .await
        .is_err();
    tx.rollback().await.expect("rollback");
    refused
}

/// One case: the rules' verdict, then the store directly, then the service's path.
async fn check_case(fx: &Fixture, case: &Case, tally: &mut Tally) -> Result<(), TestCaseError> {
    let body = case.body();
    reset_tokens(fx).await;
    let now = STORE_NOW;
    let open = Context {
        now,
        allowed_groups: None,
        column_limits: fx.store.column_limits().to_vec(),
    };

    // 1. The most permissive context: whatever the rules accept, the store must store exactly.
    let before = rows(&fx.db).await;
    match check_body(&body, &open) {
        Ok(batch) => {
            tally.accepted += 1;
            let plan = BatchPlan {
                user_id: fx.user.id,
                owners: tokenbatch_store::Owners::Caller,
                batch: &batch,
                now,
                dry_run: false,
                keys: false,
                // Both ways of reading the rows must compute the same changes.
                full_states: body.len().is_multiple_of(2),
                request: None,
                plan: None,
                history: None,
            };
            match fx.store.apply_batch(&plan).await {
                Ok(applied) => {
                    let after = rows(&fx.db).await;
                    prop_assert_eq!(&after, &expected(&before, &batch, now), "{}", body);
                    let changed = before.iter().zip(&after).filter(|(b, a)| b != a).count();
                    prop_assert_eq!(applied.changed, changed, "{}", body);
                    if !plan.full_states {
                        for (b, a) in before
                            .iter()
                            .zip(&after)
                            .filter(|(b, a)| b.status != a.status)
                        {
                            tally.status_changes.insert((b.status, a.status));
                        }
                    }
                    prop_assert_eq!(applied.changed + applied.unchanged, batch.ids().len());
                    if plan.full_states {
                        let listed = applied.changes.iter().filter(|c| c.changed()).count();
                        prop_assert_eq!(listed, changed, "{}", body);
                    }
                }
                Err(StoreError::NotInCharset {
                    field, character, ..
                }) => {
                    tally.not_in_charset += 1;
                    let value = batch.values().text(field).unwrap_or_default();
                    prop_assert!(value.contains(character), "{}", body);
                    prop_assert!(
                        database_refuses(&fx.db, field, &character.to_string()).await,
                        "the store refused {:?} in {}, which the database stores: {}",
                        character,
                        field.name(),
                        body
                    );
                    prop_assert_eq!(&rows(&fx.db).await, &before, "{}", body);
                }
                Err(error) => {
                    return Err(TestCaseError::fail(format!(
                        "the rules accepted {body} but the store refused it: {error}"
                    )));
                }
            }
        }
        Err(violations) => {
            tally.rejected += 1;
            if violations
                .iter()
                .any(|v| v.code().ends_with("too_long_for_column"))
            {
                tally.too_long_for_column += 1;
            }
        }
    }

    // 2. The service's path with its own context (the usable groups) and clock: all or nothing, never a 500.
    let now = tokenbatch::app::now_unix();
    let before = rows(&fx.db).await;
    let context = fx.app.rules_context(&fx.user).await.expect("context");
    let verdict = check_body(&body, &context);
    let request = tokenbatch_rules::read_body(&body).expect("a JSON object");
    let outcome = fx
        .app
        .batch_update(&fx.user, request, BatchOptions::default())
        .await;
    let after = rows(&fx.db).await;
    match (verdict, outcome) {
        (Ok(batch), Ok(outcome)) => {
            prop_assert_eq!(&after, &expected(&before, &batch, now), "{}", body);
            let changed = before.iter().zip(&after).filter(|(b, a)| b != a).count();
            prop_assert_eq!(outcome.changed(), changed, "{}", body);
        }
        (Err(_), Err(ApiError::Invalid(_))) => {
            prop_assert_eq!(&after, &before, "a rejected request wrote: {}", body);
        }
        (Ok(_), Err(ApiError::Invalid(violations)))
            if violations.iter().all(|v| v.code().ends_with(".charset")) =>
        {
            prop_assert_eq!(&after, &before, "a rejected request wrote: {}", body);
        }
        (verdict, outcome) => {
            return Err(TestCaseError::fail(format!(
                "{body}: the rules say {:?}, the service {:?}",
                verdict.map(|b| b.fields()),
                outcome.map(|o| o.changed())
            )));
        }
    }
    Ok(())
}

fn cases() -> u32 {
    tokenbatch_testkit::random::proptest_cases(CASES)
}

fn run(engine: Engine, schema: Schema) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let fx = runtime.block_on(fixture(engine, schema));
    let narrow_charset = matches!(schema, Schema::Gorm("utf8mb3" | "latin1"));
    // What the random cases must have reached for the property to say much: both verdicts, and on new-api's
    // schemas a too-long value and (in a narrow character set) a character the column cannot hold.
    let covered = |tally: &Tally| {
        let total = tally.accepted + tally.rejected;
        tally.accepted >= total / 8
            && tally.rejected >= total / 8
            && STATUS_CHANGES
                .iter()
                .all(|change| tally.status_changes.contains(change))
            && (schema == Schema::Own || tally.too_long_for_column > 0)
            && (!narrow_charset || tally.not_in_charset > 0)
    };
    let tally = std::cell::RefCell::new(Tally::default());
    // Random cases may miss a rare kind (a few in 150 carry such a character): more rounds of fresh cases,
    // rather than a property that holds vacuously or a test that fails by chance.
    for round in 1..=5 {
        let mut runner = TestRunner::new(Config {
            cases: cases(),
            failure_persistence: None,
            ..Config::default()
        });
        let result = runner.run(&case(), |case| {
            runtime.block_on(check_case(&fx, &case, &mut tally.borrow_mut()))
        });
        if let Err(failure) = result {
            panic!("{failure}");
        }
        if covered(&tally.borrow()) {
            break;
        }
        eprintln!(
            "{engine:?} ({schema:?}): round {round} left a kind of case unreached; another round"
        );
    }
    let tally = tally.into_inner();
    eprintln!("{engine:?} ({schema:?}): {tally:?}");
    let total = tally.accepted + tally.rejected;
    assert!(tally.accepted >= total / 8, "{tally:?}");
    assert!(tally.rejected >= total / 8, "{tally:?}");
    for change in STATUS_CHANGES {
        assert!(
            tally.status_changes.contains(&change),
            "no case changed a status from {} to {}: {tally:?}",
            change.0,
            change.1
        );
    }
    if schema != Schema::Own {
        assert!(
            tally.too_long_for_column > 0,
            "no case crossed a varchar(191): {tally:?}"
        );
    }
    match schema {
        Schema::Gorm("utf8mb3" | "latin1") => assert!(
            tally.not_in_charset > 0,
            "no case carried a character the columns cannot hold: {tally:?}"
        ),
        _ => assert_eq!(tally.not_in_charset, 0, "{tally:?}"),
    }
}

#[test]
fn mariadb_with_new_apis_narrow_columns_stores_what_the_rules_accept() {
    run(Engine::MySql, Schema::Gorm("utf8mb4"));
}

#[test]
fn mariadb_with_new_apis_columns_in_utf8mb3_refuses_what_they_cannot_hold() {
    run(Engine::MySql, Schema::Gorm("utf8mb3"));
}

#[test]
fn mariadb_with_new_apis_columns_in_latin1_refuses_what_they_cannot_hold() {
    run(Engine::MySql, Schema::Gorm("latin1"));
}

fn stores_what_the_rules_accept(engine: Engine) {
    run(engine, Schema::Own);
}

tokenbatch_e2e::on_every_engine_sync!(stores_what_the_rules_accept);
