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

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{json, Map, Value};
use tokenbatch::app::{App, BatchOptions};
use tokenbatch::error::ApiError;
use tokenbatch::groups::USABLE_GROUPS_OPTION;
use tokenbatch_e2e::{Engine, TestDatabase};
use tokenbatch_rules::apply::{TokenState, STATUS_DISABLED, STATUS_EXHAUSTED, STATUS_EXPIRED};
use tokenbatch_rules::{check_body, Context, Field, MAX_EXPIRED_TIME, MAX_REMAIN_QUOTA};
use tokenbatch_store::{BatchPlan, NewToken, Store, StoreError};

/// Cases per engine: enough to reach every rule and column limit, few enough for a few seconds per engine.
/// `PROPTEST_CASES=3000` runs more.
const CASES: u32 = 150;
/// Tokens the batches write: enabled, expired, exhausted, disabled.
/// Enabled, expired, exhausted, disabled; then the states whose status depends on two values at once: expired
/// without quota, exhausted and past its expiry, enabled without quota.
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

/// new-api's GORM DDL on MySQL (model/user.go, model/token.go, model/option.go), as
/// tests/tests/newapi_schema.rs has it: `group` and `allow_ips` are varchar(191).
const GORM_MYSQL: [&str; 3] = [
    "CREATE TABLE `users` (`id` bigint AUTO_INCREMENT,`username` varchar(191) UNIQUE,`password` longtext NOT NULL,`display_name` varchar(191),`role` bigint DEFAULT 1,`status` bigint DEFAULT 1,`email` varchar(191),`github_id` varchar(191),`oidc_id` varchar(191),`wechat_id` varchar(191),`telegram_id` varchar(191),`access_token` char(32) UNIQUE,`quota` bigint DEFAULT 0,`used_quota` bigint DEFAULT 0,`request_count` bigint DEFAULT 0,`group` varchar(64) DEFAULT 'default',`aff_code` varchar(32) UNIQUE,`aff_count` bigint DEFAULT 0,`aff_quota` bigint DEFAULT 0,`aff_history` bigint DEFAULT 0,`inviter_id` bigint,`deleted_at` datetime(3) NULL,`linux_do_id` varchar(191),`setting` text,`remark` varchar(255),PRIMARY KEY (`id`),INDEX `idx_users_deleted_at` (`deleted_at`))",
    "CREATE TABLE `tokens` (`id` bigint AUTO_INCREMENT,`user_id` bigint,`key` varchar(128),`status` bigint DEFAULT 1,`name` varchar(191),`created_time` bigint,`accessed_time` bigint,`expired_time` bigint DEFAULT -1,`remain_quota` bigint DEFAULT 0,`unlimited_quota` boolean,`model_limits_enabled` boolean,`model_limits` text,`allow_ips` varchar(191) DEFAULT '',`used_quota` bigint DEFAULT 0,`group` varchar(191) DEFAULT '',`cross_group_retry` boolean,`billing_type` bigint DEFAULT 0,`deleted_at` datetime(3) NULL,PRIMARY KEY (`id`),INDEX `idx_tokens_user_id` (`user_id`),UNIQUE INDEX `idx_tokens_key` (`key`),INDEX `idx_tokens_name` (`name`),INDEX `idx_tokens_deleted_at` (`deleted_at`))",
    "CREATE TABLE `options` (`key` varchar(191),`value` longtext,PRIMARY KEY (`key`))",
];

/// One generated request: values for some fields (as JSON) and the names listed in update_fields.
#[derive(Clone, Debug)]
struct Case {
    ids: Vec<i64>,
    values: Vec<(Field, Value)>,
    update_fields: Vec<Field>,
}

impl Case {
    fn body(&self) -> String {
        let mut body = Map::new();
        body.insert("ids".into(), json!(self.ids));
        for (field, value) in &self.values {
            body.insert(field.name().into(), value.clone());
        }
        let names: Vec<&str> = self.update_fields.iter().map(|f| f.name()).collect();
        body.insert("update_fields".into(), json!(names));
        Value::Object(body).to_string()
    }
}

/// Text that is neither well-formed nor random noise: pieces that sit on the rules' edges.
fn tricky_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just(",".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just(" ".to_string()),
        Just("\t".to_string()),
        Just("\u{3000}".to_string()),
        Just("\u{0}".to_string()),
        Just("\u{7f}".to_string()),
        Just("😀".to_string()),
        Just("中".to_string()),
        Just("é€Ÿ".to_string()),
        Just("'".to_string()),
        Just("\\".to_string()),
        Just("%".to_string()),
        "[a-z0-9./:-]{1,12}",
    ];
    vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

/// `count` copies of a character, often just below or above a limit (128, 191, 1 024, 2 048).
fn long_text() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just('a'), Just('中'), Just('😀')],
        prop_oneof![
            120..136usize,
            185..200usize,
            1015..1030usize,
            2040..2060usize
        ],
    )
        .prop_map(|(c, count)| std::iter::repeat_n(c, count).collect())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![tricky_text(), "\\PC{0,40}", long_text()]
}

/// An address, with a CIDR prefix now and then; one entry in 60 has a prefix too wide for its address.
fn ip_entry() -> impl Strategy<Value = String> {
    let v4 = (any::<[u8; 4]>(), 0u32..=32)
        .prop_map(|([a, b, c, d], bits)| (format!("{a}.{b}.{c}.{d}"), bits));
    let v6 = (any::<[u16; 8]>(), 0u32..=128).prop_map(|(p, bits)| {
        let address = std::net::Ipv6Addr::new(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
        (address.to_string(), bits)
    });
    let prefix = prop_oneof![30 => Just(None), 29 => Just(Some(false)), 1 => Just(Some(true))];
    (prop_oneof![v4, v6], prefix, "[ ]{0,2}").prop_map(
        |((address, bits), prefix, pad)| match prefix {
            None => format!("{pad}{address}{pad}"),
            Some(false) => format!("{pad}{address}/{bits}{pad}"),
            Some(true) => format!("{pad}{address}/{}{pad}", bits + 129),
        },
    )
}

fn text_value(field: Field) -> BoxedStrategy<String> {
    let groups = group_pool();
    let well_formed: BoxedStrategy<String> = match field {
        Field::Group => vec(
            (proptest::sample::select(groups), "[ ]{0,1}")
                .prop_map(|(group, pad)| format!("{pad}{group}{pad}")),
            1..5,
        )
        .prop_map(|names| names.join(","))
        .boxed(),
        Field::ModelLimits => vec(
            prop_oneof!["[a-z0-9.-]{1,24}", "[a-z]{120,135}", "模型[a-z0-9]{0,8}"],
            0..50,
        )
        .prop_map(|names| names.join(","))
        .boxed(),
        Field::AllowIps => (
            vec(ip_entry(), 0..40),
            prop_oneof![Just("\n"), Just("\n\n")],
        )
            .prop_map(|(lines, separator)| lines.join(separator))
            .boxed(),
        Field::MjImageMode => {
            prop_oneof![Just("origin".to_string()), Just("proxy".to_string())].boxed()
        }
        _ => prop_oneof![
            Just(String::new()),
            "https?://[a-z0-9.]{1,20}(:[0-9]{1,5})?(/[a-zA-Z0-9_%~-]{0,30})?",
            "https://[中文a-z]{1,8}\\.example/[😀a-z]{0,8}",
            (2000..2100usize).prop_map(|n| format!("https://p.example/{}", "x".repeat(n))),
        ]
        .boxed(),
    };
    prop_oneof![8 => well_formed, 1 => any_text()].boxed()
}

/// The clock of the first half of each case (rules and store called directly): fixed, so that expiries at and
/// around it, where a token's status flips, can be drawn.
const STORE_NOW: i64 = 1_800_000_000;

/// The values on either side of a status rule: expired when the expiry is at or before now (never with −1),
/// exhausted when the quota is 0.
const EXPIRY_EDGES: [i64; 4] = [-1, STORE_NOW - 1, STORE_NOW, STORE_NOW + 1];
const QUOTA_EDGES: [i64; 2] = [0, 1];

fn integer_value(field: Field) -> BoxedStrategy<i64> {
    let well_formed = match field {
        Field::ExpiredTime => prop_oneof![Just(-1i64), 1..=MAX_EXPIRED_TIME].boxed(),
        _ => (0..=MAX_REMAIN_QUOTA).boxed(),
    };
    let status_edges = match field {
        Field::ExpiredTime => proptest::sample::select(&EXPIRY_EDGES[..]),
        _ => proptest::sample::select(&QUOTA_EDGES[..]),
    };
    let edges = proptest::sample::select(vec![
        0,
        -1,
        -2,
        MAX_EXPIRED_TIME,
        MAX_EXPIRED_TIME + 1,
        MAX_REMAIN_QUOTA,
        MAX_REMAIN_QUOTA + 1,
        i64::MAX,
        i64::MIN,
        1_776_410_923_000,
    ]);
    prop_oneof![5 => well_formed, 3 => status_edges, 1 => edges, 1 => any::<i64>()].boxed()
}

fn field_value(field: Field) -> BoxedStrategy<Value> {
    match field {
        Field::ExpiredTime | Field::RemainQuota => {
            integer_value(field).prop_map(Value::from).boxed()
        }
        Field::UnlimitedQuota | Field::ModelLimitsEnabled => {
            any::<bool>().prop_map(Value::from).boxed()
        }
        _ => text_value(field).prop_map(Value::from).boxed(),
    }
}

/// A case of well-formed values on either side of the status rules only (expiry, quota, unlimited), so that
/// status changes, which need the whole batch to be accepted, come often.
fn status_case() -> impl Strategy<Value = Case> {
    (
        proptest::sample::subsequence(IDS.to_vec(), 1..=IDS.len()),
        proptest::option::of(proptest::sample::select(&EXPIRY_EDGES[..])),
        proptest::option::of(proptest::sample::select(&QUOTA_EDGES[..])),
        proptest::option::of(any::<bool>()),
    )
        .prop_filter("at least one field", |(_, expiry, quota, unlimited)| {
            expiry.is_some() || quota.is_some() || unlimited.is_some()
        })
        .prop_map(|(ids, expiry, quota, unlimited)| {
            let values: Vec<(Field, Value)> = [
                (Field::ExpiredTime, expiry.map(Value::from)),
                (Field::RemainQuota, quota.map(Value::from)),
                (Field::UnlimitedQuota, unlimited.map(Value::from)),
            ]
            .into_iter()
            .filter_map(|(field, value)| value.map(|value| (field, value)))
            .collect();
            Case {
                ids,
                update_fields: values.iter().map(|(field, _)| *field).collect(),
                values,
            }
        })
}

fn case() -> impl Strategy<Value = Case> {
    prop_oneof![3 => any_case(), 1 => status_case()]
}

fn any_case() -> impl Strategy<Value = Case> {
    let per_field: Vec<_> = Field::ALL
        .into_iter()
        .map(|field| {
            (
                proptest::option::weighted(0.4, field_value(field)),
                0u8..100,
            )
        })
        .collect();
    (
        proptest::sample::subsequence(IDS.to_vec(), 1..=IDS.len()),
        per_field,
    )
        .prop_map(|(ids, per_field)| {
            let mut values = Vec::new();
            let mut update_fields = Vec::new();
            for (field, (value, roll)) in Field::ALL.into_iter().zip(per_field) {
                // Present fields are usually written; an absent one is now and then named too.
                let named = if value.is_some() { roll < 85 } else { roll < 2 };
                if let Some(value) = value {
                    values.push((field, value));
                }
                if named {
                    update_fields.push(field);
                }
            }
            Case {
                ids,
                values,
                update_fields,
            }
        })
}

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

struct Fixture {
    db: TestDatabase,
    store: Store,
    app: App,
    user: tokenbatch_store::UserRecord,
    /// The tokens as seeded: every case starts from them, so each case meets every status.
    tokens: Vec<NewToken>,
}

/// The tables the test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Schema {
    /// tokenbatch's own (`Store::open` creates them).
    Own,
    /// new-api's GORM DDL on MySQL; the `tokens` table converted to this character set.
    Gorm(&'static str),
}

async fn fixture(engine: Engine, schema: Schema) -> Fixture {
    let db = TestDatabase::create(engine).await;
    if let Schema::Gorm(charset) = schema {
        for statement in GORM_MYSQL {
            db.execute(statement).await;
        }
        db.execute(&format!(
            "ALTER TABLE tokens CONVERT TO CHARACTER SET {charset}"
        ))
        .await;
    }
    let store = Store::open(&db.location).await.expect("open store");
    let created = tokenbatch_testkit::seed::add_user(&store, "prop", "default")
        .await
        .expect("user");
    let pool: Map<String, Value> = group_pool().into_iter().map(|g| (g, json!(""))).collect();
    store
        .set_option(USABLE_GROUPS_OPTION, &Value::Object(pool).to_string())
        .await
        .expect("usable groups");
    let tokens: Vec<NewToken> = IDS
        .iter()
        .map(|&id| {
            let mut state = tokenbatch_e2e::initial_state();
            match id {
                12 => {
                    state.status = STATUS_EXPIRED;
                    state.expired_time = 1_600_000_000;
                }
                13 => {
                    state.status = STATUS_EXHAUSTED;
                    state.remain_quota = 0;
                }
                14 => state.status = STATUS_DISABLED,
                15 => {
                    state.status = STATUS_EXPIRED;
                    state.expired_time = 1_600_000_000;
                    state.remain_quota = 0;
                }
                16 => {
                    state.status = STATUS_EXHAUSTED;
                    state.expired_time = 1_600_000_000;
                    state.remain_quota = 0;
                }
                17 => state.remain_quota = 0,
                _ => {}
            }
            NewToken {
                id: Some(id),
                user_id: created.id,
                key: format!("propkey{id:0>41}"),
                name: format!("prop-{id}"),
                created_time: 1_700_000_000,
                used_quota: 0,
                state,
            }
        })
        .collect();
    store.insert_tokens(&tokens).await.expect("tokens");
    let user = store
        .find_user(created.id)
        .await
        .expect("read user")
        .expect("user exists");
    let app = App::new(store.clone());
    Fixture {
        db,
        store,
        app,
        user,
        tokens,
    }
}

/// Puts the tokens back as seeded.
async fn reset_tokens(fx: &Fixture) {
    let ids: Vec<String> = IDS.iter().map(i64::to_string).collect();
    fx.db
        .execute(&format!(
            "DELETE FROM tokens WHERE id IN ({})",
            ids.join(",")
        ))
        .await;
    fx.store.insert_tokens(&fx.tokens).await.expect("tokens");
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
