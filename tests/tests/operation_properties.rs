//! Property: relative changes and status (docs/SPEC.md §11) write what a plain model computes.
//!
//! Random tokens (every status, expiries never / past / now / future, quotas from 0 to near new-api's maximum,
//! unlimited or not, model lists) and random batches of operations (quota add or subtract, extend, model
//! add/remove, enable/disable) go through `Store::apply_batch` on SQLite, PostgreSQL and MariaDB, on the path
//! that reads the tokens and, on SQLite, on the counted path that computes everything in SQL. The model below
//! is written here, apart from the rules crate: per token the new values, the refusal (below zero, above the
//! maximum, cannot enable an expired or exhausted token) and the status new-api's rules give. A batch with any
//! refused token must be refused with exactly the model's counts per refusal and write nothing; any other
//! batch must leave every row equal to the model. Every batch records its history: a refused one records
//! nothing, an applied one a change set with one row per token the model changes (none if it changes none).

use std::collections::BTreeMap;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::subsequence;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Map, Value};
use tokenbatch_e2e::{Engine, TestDatabase};
use tokenbatch_rules::apply::TokenState;
use tokenbatch_rules::operation::TokenOutcome;
use tokenbatch_rules::{check_body, Context, MAX_REMAIN_QUOTA};
use tokenbatch_store::{BatchPlan, ChangeSource, HistoryEntry, NewToken, Store, StoreError};

const NOW: i64 = 1_800_000_000;
const CASES: u32 = 60;
const FIRST_ID: i64 = 31;
const MODELS: [&str; 3] = ["a", "b", "c"];

#[derive(Clone, Debug)]
struct Batch {
    /// Signed: below 0 subtracts.
    quota: Option<i64>,
    extend: Option<i64>,
    models: Option<(Vec<&'static str>, Vec<&'static str>)>,
    status: Option<i64>,
}

impl Batch {
    fn body(&self, ids: &[i64]) -> String {
        let mut body = Map::new();
        let mut fields = Vec::new();
        body.insert("ids".into(), json!(ids));
        if let Some(delta) = self.quota {
            let operation = match delta < 0 {
                true => json!({"subtract": -delta}),
                false => json!({"add": delta}),
            };
            body.insert("remain_quota".into(), operation);
            fields.push("remain_quota");
        }
        if let Some(seconds) = self.extend {
            body.insert("expired_time".into(), json!({"extend": seconds}));
            fields.push("expired_time");
        }
        if let Some((add, remove)) = &self.models {
            let operation = json!({"add": add.join(","), "remove": remove.join(",")});
            body.insert("model_limits".into(), operation);
            fields.push("model_limits");
        }
        if let Some(status) = self.status {
            body.insert("status".into(), json!(status));
            fields.push("status");
        }
        body.insert("update_fields".into(), json!(fields));
        Value::Object(body).to_string()
    }

    /// Only numbers and status: SQLite can take its counted path.
    fn numeric(&self) -> bool {
        self.models.is_none()
    }
}

fn token() -> impl Strategy<Value = TokenState> {
    (
        1..=4i64,
        prop_oneof![Just(-1), Just(NOW - 100), Just(NOW), Just(NOW + 100)],
        prop_oneof![Just(0), Just(5), Just(100), Just(MAX_REMAIN_QUOTA - 10)],
        any::<bool>(),
        subsequence(MODELS.to_vec(), 0..=3),
    )
        .prop_map(
            |(status, expired_time, remain_quota, unlimited_quota, models)| TokenState {
                status,
                group: "default".into(),
                expired_time,
                remain_quota,
                unlimited_quota,
                model_limits: models.join(","),
                ..TokenState::default()
            },
        )
}

fn batch() -> impl Strategy<Value = Batch> {
    let models = (
        subsequence(MODELS.to_vec(), 0..=2),
        subsequence(MODELS.to_vec(), 0..=2),
    )
        .prop_filter(
            "an entry both added and removed is refused by the rules",
            |(add, remove)| !add.is_empty() && !add.iter().any(|model| remove.contains(model)),
        );
    (
        proptest::option::of(prop_oneof![
            Just(-200),
            Just(-5),
            Just(0),
            Just(50),
            Just(20)
        ]),
        proptest::option::of(prop_oneof![Just(1i64), Just(3_600)]),
        proptest::option::of(models),
        proptest::option::of(1..=2i64),
    )
        .prop_map(|(quota, extend, models, status)| Batch {
            quota,
            extend,
            models,
            status,
        })
        .prop_filter("a batch writes something", |batch| {
            batch.quota.is_some()
                || batch.extend.is_some()
                || batch.models.is_some()
                || batch.status.is_some()
        })
}

/// The model: the token after the batch, or why it is refused.
fn model(before: &TokenState, batch: &Batch) -> Result<TokenState, TokenOutcome> {
    let mut after = before.clone();
    if let Some(seconds) = batch.extend {
        if after.expired_time != -1 {
            after.expired_time = after.expired_time.max(NOW) + seconds;
        }
    }
    if let Some(delta) = batch.quota {
        after.remain_quota += delta;
        if after.remain_quota < 0 {
            return Err(TokenOutcome::QuotaBelowZero);
        }
        if after.remain_quota > MAX_REMAIN_QUOTA {
            return Err(TokenOutcome::QuotaAboveMaximum);
        }
    }
    if let Some((add, remove)) = &batch.models {
        let mut list: Vec<&str> = before
            .model_limits
            .split(',')
            .filter(|model| !model.is_empty() && !remove.contains(model))
            .collect();
        for model in add {
            if !list.contains(model) {
                list.push(model);
            }
        }
        after.model_limits = list.join(",");
    }
    let expired = after.expired_time != -1 && after.expired_time <= NOW;
    let exhausted = !after.unlimited_quota && after.remain_quota <= 0;
    after.status = match batch.status {
        Some(1) if expired => return Err(TokenOutcome::CannotEnableExpired),
        Some(1) if exhausted => return Err(TokenOutcome::CannotEnableExhausted),
        Some(status) => status,
        // new-api's status rules, through the fields this batch writes; an enabled token is never marked
        // exhausted by a batch, and a disabled one stays disabled.
        None => {
            let (expiry, quota) = (batch.extend.is_some(), batch.quota.is_some());
            match before.status {
                1 if expiry && expired => 3,
                3 if expiry && !expired => match exhausted {
                    true => 4,
                    false => 1,
                },
                4 if quota && !exhausted => match expired {
                    true => 3,
                    false => 1,
                },
                4 if expiry && expired => 3,
                other => other,
            }
        }
    };
    Ok(after)
}

struct Fixture {
    db: TestDatabase,
    store: Store,
    user_id: i64,
}

async fn rows(db: &TestDatabase, count: usize) -> Vec<TokenState> {
    let mut rows = Vec::with_capacity(count);
    for id in FIRST_ID..FIRST_ID + count as i64 {
        rows.push(db.row(id).await);
    }
    rows
}

/// How many change sets and per-token rows the history holds.
async fn recorded(db: &TestDatabase) -> (i64, i64) {
    (
        db.integer("SELECT COUNT(*) FROM tokenbatch_changes").await,
        db.integer("SELECT COUNT(*) FROM tokenbatch_change_tokens")
            .await,
    )
}

async fn check(
    fx: &Fixture,
    tokens: &[TokenState],
    batch: &Batch,
    counted: bool,
) -> Result<(), TestCaseError> {
    fx.db.execute("DELETE FROM tokens").await;
    let new: Vec<NewToken> = tokens
        .iter()
        .enumerate()
        .map(|(index, state)| NewToken {
            id: Some(FIRST_ID + index as i64),
            user_id: fx.user_id,
            key: format!("prop{index}{}", "z".repeat(40)),
            name: format!("p{index}"),
            created_time: NOW - 1_000,
            used_quota: 0,
            state: state.clone(),
        })
        .collect();
    fx.store.insert_tokens(&new).await.expect("seed");
    let ids: Vec<i64> = (FIRST_ID..FIRST_ID + tokens.len() as i64).collect();
    let body = batch.body(&ids);
    let valid = check_body(&body, &Context::default())
        .map_err(|violations| TestCaseError::fail(format!("{body}: {violations:?}")))?;
    let plan = BatchPlan {
        user_id: fx.user_id,
        owners: tokenbatch_store::Owners::Caller,
        batch: &valid,
        now: NOW,
        dry_run: false,
        keys: false,
        full_states: !counted,
        request: None,
        plan: None,
        history: Some(HistoryEntry {
            source: ChangeSource::Http,
            request: "{}",
        }),
    };
    let history_before = recorded(&fx.db).await;
    let result = fx.store.apply_batch(&plan).await;
    let history_after = recorded(&fx.db).await;
    let mut refused: BTreeMap<TokenOutcome, usize> = BTreeMap::new();
    let mut expected = Vec::new();
    for token in tokens {
        match model(token, batch) {
            Ok(after) => expected.push(after),
            Err(outcome) => *refused.entry(outcome).or_default() += 1,
        }
    }
    let found = rows(&fx.db, tokens.len()).await;
    match result {
        Err(StoreError::OutOfBounds(counts)) => {
            let want: Vec<(TokenOutcome, usize)> = refused.into_iter().collect();
            prop_assert_eq!(counts, want, "{}", body);
            prop_assert_eq!(&found, &tokens.to_vec(), "a refused batch wrote: {}", body);
            prop_assert_eq!(
                history_after,
                history_before,
                "a refused batch recorded: {}",
                body
            );
        }
        Ok(applied) => {
            prop_assert!(
                refused.is_empty(),
                "applied, the model refuses {refused:?}: {body}"
            );
            prop_assert_eq!(&found, &expected, "{}", body);
            let changed = expected
                .iter()
                .zip(tokens)
                .filter(|(after, before)| after != before)
                .count();
            prop_assert_eq!(applied.changed, changed, "{}", body);
            let sets = i64::from(changed > 0);
            prop_assert_eq!(
                history_after,
                (history_before.0 + sets, history_before.1 + changed as i64),
                "{}",
                body
            );
        }
        Err(other) => return Err(TestCaseError::fail(format!("{other}: {body}"))),
    }
    Ok(())
}

fn operations_write_what_the_model_computes(engine: Engine) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let fx = runtime.block_on(async {
        let db = TestDatabase::create(engine).await;
        let store = Store::open(&db.location).await.expect("store");
        let user = tokenbatch_testkit::seed::add_user(&store, "prop", "default")
            .await
            .expect("user");
        Fixture {
            db,
            store,
            user_id: user.id,
        }
    });
    let mut runner = TestRunner::new(Config {
        cases: tokenbatch_testkit::random::proptest_cases(CASES),
        failure_persistence: None,
        ..Config::default()
    });
    let tally = std::cell::RefCell::new((0usize, 0usize));
    let strategy = (vec(token(), 1..=8), batch(), any::<bool>());
    let result = runner.run(&strategy, |(tokens, batch, counted)| {
        // The counted path exists on SQLite only, for batches of numbers and status.
        let counted = counted && engine == Engine::Sqlite && batch.numeric();
        let refused = tokens.iter().any(|token| model(token, &batch).is_err());
        let mut tally = tally.borrow_mut();
        match refused {
            true => tally.0 += 1,
            false => tally.1 += 1,
        }
        runtime.block_on(check(&fx, &tokens, &batch, counted))
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    let (refused, applied) = tally.into_inner();
    eprintln!("{engine:?}: {refused} refused, {applied} applied");
    assert!(refused > 0 && applied > 0, "both verdicts reached");
    runtime.block_on(fx.store.close());
}

tokenbatch_e2e::on_every_engine_sync!(operations_write_what_the_model_computes);
