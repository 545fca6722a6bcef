//! The databases the property runs on: tokenbatch's own tables, or new-api's GORM DDL on MySQL with the
//! `tokens` table in a given character set; seeded with one user, the usable groups and a token in each
//! status the rules distinguish.

use serde_json::{json, Map, Value};
use tokenbatch::app::App;
use tokenbatch::groups::USABLE_GROUPS_OPTION;
use tokenbatch_e2e::{Engine, TestDatabase};
use tokenbatch_rules::apply::{STATUS_DISABLED, STATUS_EXHAUSTED, STATUS_EXPIRED};
use tokenbatch_store::{NewToken, Store};

use super::{group_pool, IDS};

/// new-api's GORM DDL on MySQL (model/user.go, model/token.go, model/option.go), as
/// tests/tests/newapi_schema.rs has it: `group` and `allow_ips` are varchar(191).
const GORM_MYSQL: [&str; 3] = [
    "CREATE TABLE `users` (`id` bigint AUTO_INCREMENT,`username` varchar(191) UNIQUE,`password` longtext NOT NULL,`display_name` varchar(191),`role` bigint DEFAULT 1,`status` bigint DEFAULT 1,`email` varchar(191),`github_id` varchar(191),`oidc_id` varchar(191),`wechat_id` varchar(191),`telegram_id` varchar(191),`access_token` char(32) UNIQUE,`quota` bigint DEFAULT 0,`used_quota` bigint DEFAULT 0,`request_count` bigint DEFAULT 0,`group` varchar(64) DEFAULT 'default',`aff_code` varchar(32) UNIQUE,`aff_count` bigint DEFAULT 0,`aff_quota` bigint DEFAULT 0,`aff_history` bigint DEFAULT 0,`inviter_id` bigint,`deleted_at` datetime(3) NULL,`linux_do_id` varchar(191),`setting` text,`remark` varchar(255),PRIMARY KEY (`id`),INDEX `idx_users_deleted_at` (`deleted_at`))",
    "CREATE TABLE `tokens` (`id` bigint AUTO_INCREMENT,`user_id` bigint,`key` varchar(128),`status` bigint DEFAULT 1,`name` varchar(191),`created_time` bigint,`accessed_time` bigint,`expired_time` bigint DEFAULT -1,`remain_quota` bigint DEFAULT 0,`unlimited_quota` boolean,`model_limits_enabled` boolean,`model_limits` text,`allow_ips` varchar(191) DEFAULT '',`used_quota` bigint DEFAULT 0,`group` varchar(191) DEFAULT '',`cross_group_retry` boolean,`billing_type` bigint DEFAULT 0,`deleted_at` datetime(3) NULL,PRIMARY KEY (`id`),INDEX `idx_tokens_user_id` (`user_id`),UNIQUE INDEX `idx_tokens_key` (`key`),INDEX `idx_tokens_name` (`name`),INDEX `idx_tokens_deleted_at` (`deleted_at`))",
    "CREATE TABLE `options` (`key` varchar(191),`value` longtext,PRIMARY KEY (`key`))",
];

pub(super) struct Fixture {
    pub(super) db: TestDatabase,
    pub(super) store: Store,
    pub(super) app: App,
    pub(super) user: tokenbatch_store::UserRecord,
    /// The tokens as seeded: every case starts from them, so each case meets every status.
    tokens: Vec<NewToken>,
}

/// The tables the test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Schema {
    /// tokenbatch's own (`Store::open` creates them).
    Own,
    /// new-api's GORM DDL on MySQL; the `tokens` table converted to this character set.
    Gorm(&'static str),
}

pub(super) async fn fixture(engine: Engine, schema: Schema) -> Fixture {
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
pub(super) async fn reset_tokens(fx: &Fixture) {
    let ids: Vec<String> = IDS.iter().map(i64::to_string).collect();
    fx.db
        .execute(&format!(
            "DELETE FROM tokens WHERE id IN ({})",
            ids.join(",")
        ))
        .await;
    fx.store.insert_tokens(&fx.tokens).await.expect("tokens");
}
