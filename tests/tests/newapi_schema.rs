//! tokenbatch pointed at a database that new-api created: tables as new-api's GORM models make them on
//! each engine (upstream, so without the mj columns), rows inserted the way new-api inserts them. tokenbatch
//! must add only its two columns, change only the columns a batch names, and leave everything else alone.

use serde_json::{json, Value};
use tokenbatch_e2e::{on_every_engine, send, Engine, TestDatabase};

/// `CREATE TABLE` statements as GORM's AutoMigrate issues them for model/user.go, model/token.go and
/// model/option.go (column types, booleans as each engine stores them, soft delete, the unique key index).
fn gorm_schema(engine: Engine) -> Vec<&'static str> {
    match engine {
        Engine::Sqlite => vec![
            r#"CREATE TABLE `users` (`id` integer PRIMARY KEY AUTOINCREMENT,`username` text UNIQUE,`password` text NOT NULL,`display_name` text,`role` integer DEFAULT 1,`status` integer DEFAULT 1,`email` text,`github_id` text,`oidc_id` text,`wechat_id` text,`telegram_id` text,`access_token` char(32) UNIQUE,`quota` integer DEFAULT 0,`used_quota` integer DEFAULT 0,`request_count` integer DEFAULT 0,`group` varchar(64) DEFAULT "default",`aff_code` varchar(32) UNIQUE,`aff_count` integer DEFAULT 0,`aff_quota` integer DEFAULT 0,`aff_history` integer DEFAULT 0,`inviter_id` integer,`deleted_at` datetime,`linux_do_id` text,`setting` text,`remark` varchar(255))"#,
            r#"CREATE INDEX `idx_users_deleted_at` ON `users`(`deleted_at`)"#,
            r#"CREATE TABLE `tokens` (`id` integer PRIMARY KEY AUTOINCREMENT,`user_id` integer,`key` varchar(128),`status` integer DEFAULT 1,`name` text,`created_time` bigint,`accessed_time` bigint,`expired_time` bigint DEFAULT -1,`remain_quota` integer DEFAULT 0,`unlimited_quota` numeric,`model_limits_enabled` numeric,`model_limits` text,`allow_ips` text DEFAULT "",`used_quota` integer DEFAULT 0,`group` text DEFAULT "",`cross_group_retry` numeric,`billing_type` integer DEFAULT 0,`deleted_at` datetime)"#,
            r#"CREATE UNIQUE INDEX `idx_tokens_key` ON `tokens`(`key`)"#,
            r#"CREATE INDEX `idx_tokens_user_id` ON `tokens`(`user_id`)"#,
            r#"CREATE INDEX `idx_tokens_deleted_at` ON `tokens`(`deleted_at`)"#,
            r#"CREATE TABLE `options` (`key` text,`value` text,PRIMARY KEY (`key`))"#,
        ],
        Engine::Postgres => vec![
            r#"CREATE TABLE "users" ("id" bigserial,"username" text UNIQUE,"password" text NOT NULL,"display_name" text,"role" bigint DEFAULT 1,"status" bigint DEFAULT 1,"email" text,"github_id" text,"oidc_id" text,"wechat_id" text,"telegram_id" text,"access_token" char(32) UNIQUE,"quota" bigint DEFAULT 0,"used_quota" bigint DEFAULT 0,"request_count" bigint DEFAULT 0,"group" varchar(64) DEFAULT 'default',"aff_code" varchar(32) UNIQUE,"aff_count" bigint DEFAULT 0,"aff_quota" bigint DEFAULT 0,"aff_history" bigint DEFAULT 0,"inviter_id" bigint,"deleted_at" timestamptz,"linux_do_id" text,"setting" text,"remark" varchar(255),PRIMARY KEY ("id"))"#,
            r#"CREATE INDEX IF NOT EXISTS "idx_users_deleted_at" ON "users" ("deleted_at")"#,
            r#"CREATE TABLE "tokens" ("id" bigserial,"user_id" bigint,"key" varchar(128),"status" bigint DEFAULT 1,"name" text,"created_time" bigint,"accessed_time" bigint,"expired_time" bigint DEFAULT -1,"remain_quota" bigint DEFAULT 0,"unlimited_quota" boolean,"model_limits_enabled" boolean,"model_limits" text,"allow_ips" text DEFAULT '',"used_quota" bigint DEFAULT 0,"group" text DEFAULT '',"cross_group_retry" boolean,"billing_type" bigint DEFAULT 0,"deleted_at" timestamptz,PRIMARY KEY ("id"))"#,
            r#"CREATE UNIQUE INDEX IF NOT EXISTS "idx_tokens_key" ON "tokens" ("key")"#,
            r#"CREATE INDEX IF NOT EXISTS "idx_tokens_user_id" ON "tokens" ("user_id")"#,
            r#"CREATE INDEX IF NOT EXISTS "idx_tokens_deleted_at" ON "tokens" ("deleted_at")"#,
            r#"CREATE TABLE "options" ("key" text,"value" text,PRIMARY KEY ("key"))"#,
        ],
        Engine::MySql => vec![
            r#"CREATE TABLE `users` (`id` bigint AUTO_INCREMENT,`username` varchar(191) UNIQUE,`password` longtext NOT NULL,`display_name` varchar(191),`role` bigint DEFAULT 1,`status` bigint DEFAULT 1,`email` varchar(191),`github_id` varchar(191),`oidc_id` varchar(191),`wechat_id` varchar(191),`telegram_id` varchar(191),`access_token` char(32) UNIQUE,`quota` bigint DEFAULT 0,`used_quota` bigint DEFAULT 0,`request_count` bigint DEFAULT 0,`group` varchar(64) DEFAULT 'default',`aff_code` varchar(32) UNIQUE,`aff_count` bigint DEFAULT 0,`aff_quota` bigint DEFAULT 0,`aff_history` bigint DEFAULT 0,`inviter_id` bigint,`deleted_at` datetime(3) NULL,`linux_do_id` varchar(191),`setting` text,`remark` varchar(255),PRIMARY KEY (`id`),INDEX `idx_users_deleted_at` (`deleted_at`))"#,
            r#"CREATE TABLE `tokens` (`id` bigint AUTO_INCREMENT,`user_id` bigint,`key` varchar(128),`status` bigint DEFAULT 1,`name` varchar(191),`created_time` bigint,`accessed_time` bigint,`expired_time` bigint DEFAULT -1,`remain_quota` bigint DEFAULT 0,`unlimited_quota` boolean,`model_limits_enabled` boolean,`model_limits` text,`allow_ips` varchar(191) DEFAULT '',`used_quota` bigint DEFAULT 0,`group` varchar(191) DEFAULT '',`cross_group_retry` boolean,`billing_type` bigint DEFAULT 0,`deleted_at` datetime(3) NULL,PRIMARY KEY (`id`),INDEX `idx_tokens_user_id` (`user_id`),UNIQUE INDEX `idx_tokens_key` (`key`),INDEX `idx_tokens_name` (`name`),INDEX `idx_tokens_deleted_at` (`deleted_at`))"#,
            r#"CREATE TABLE `options` (`key` varchar(191),`value` longtext,PRIMARY KEY (`key`))"#,
        ],
    }
}

/// Rows as new-api's GORM `Create` writes them: every column listed, booleans as the engine stores them.
fn gorm_rows(engine: Engine) -> Vec<String> {
    let (q, yes, no) = match engine {
        Engine::MySql => ('`', "1", "0"),
        Engine::Postgres => ('"', "true", "false"),
        Engine::Sqlite => ('`', "1", "0"),
    };
    let mut rows = vec![format!(
        "INSERT INTO users (username, password, display_name, role, status, access_token, {q}group{q}, aff_code) \
         VALUES ('operator', '$2a$10$hash', 'Operator', 1, 1, 'operatoraccesstoken0000000000000', 'default', 'Ab12')"
    )];
    for id in 1..=4 {
        rows.push(format!(
            "INSERT INTO tokens (id, user_id, {q}key{q}, status, name, created_time, accessed_time, expired_time, \
             remain_quota, unlimited_quota, model_limits_enabled, model_limits, allow_ips, used_quota, {q}group{q}, \
             cross_group_retry, billing_type, deleted_at) VALUES ({id}, 1, 'newapikey{id:0>39}', 1, 'gorm-{id}', \
             1700000000, 1700000100, -1, 250000, {no}, {yes}, 'gpt-4o', '10.0.0.1', 1234, 'default', {yes}, 1, NULL)"
        ));
    }
    rows
}

/// Every upstream column of a token, as text, so any change anywhere shows.
async fn token_row_text(db: &TestDatabase, id: i64) -> Vec<Option<String>> {
    const COLUMNS: &[&str] = &[
        "id",
        "user_id",
        "key",
        "status",
        "name",
        "created_time",
        "accessed_time",
        "expired_time",
        "remain_quota",
        "unlimited_quota",
        "model_limits_enabled",
        "model_limits",
        "allow_ips",
        "used_quota",
        "group",
        "cross_group_retry",
        "billing_type",
        "deleted_at",
    ];
    let (quote, text) = match db.engine {
        Engine::MySql => ('`', "CHAR"),
        _ => ('"', "TEXT"),
    };
    let list: Vec<String> = COLUMNS
        .iter()
        .map(|c| format!("CAST({quote}{c}{quote} AS {text})"))
        .collect();
    let sql = format!("SELECT {} FROM tokens WHERE id = {id}", list.join(", "));
    macro_rules! read {
        ($pool:expr) => {{
            use sqlx::Row;
            let row = sqlx::query(&sql).fetch_one($pool).await.expect("row");
            (0..COLUMNS.len())
                .map(|i| row.get::<Option<String>, _>(i))
                .collect()
        }};
    }
    match &db.raw {
        tokenbatch_e2e::RawDb::Sqlite(pool) => read!(pool),
        tokenbatch_e2e::RawDb::Postgres(pool) => read!(pool),
        tokenbatch_e2e::RawDb::MySql(pool) => read!(pool),
    }
}

async fn runs_beside_new_api_and_changes_only_what_it_is_told(engine: Engine) {
    let db = TestDatabase::create(engine).await;
    for statement in gorm_schema(engine) {
        db.execute(statement).await;
    }
    for row in gorm_rows(engine) {
        db.execute(&row).await;
    }
    let before: Vec<_> = all_token_rows(&db).await;

    let server = tokenbatch::start("127.0.0.1:0".parse().unwrap(), &db.location)
        .await
        .expect("tokenbatch starts on new-api's database");
    let untouched_by_start: Vec<_> = all_token_rows(&db).await;
    assert_eq!(
        before, untouched_by_start,
        "starting must not change any row"
    );

    let body = r#"{"ids":[2,3],"group":"vip","remain_quota":500000,"update_fields":["group","remain_quota"]}"#;
    let request = reqwest::Client::new()
        .put(format!("http://{}/api/token/batch", server.addr))
        .header("Authorization", "Bearer operatoraccesstoken0000000000000")
        .header("New-Api-User", "1")
        .body(body);
    let (status, response, raw) = send(request).await;
    assert_eq!((status, &response["data"]), (200, &json!(2)), "{raw}");

    let after: Vec<_> = all_token_rows(&db).await;
    const REMAIN_QUOTA: usize = 8;
    const GROUP: usize = 14;
    // A group other than `auto` clears the retry flag, as new-api's own UpdateToken does.
    const CROSS_GROUP_RETRY: usize = 15;
    let retry_cleared = if engine == Engine::Postgres {
        "false"
    } else {
        "0"
    };
    for (index, (old, new)) in before.iter().zip(&after).enumerate() {
        let id = index + 1;
        for (column, (was, is)) in old.iter().zip(new).enumerate() {
            let written =
                (id == 2 || id == 3) && [REMAIN_QUOTA, GROUP, CROSS_GROUP_RETRY].contains(&column);
            if written {
                let expected = match column {
                    GROUP => "vip",
                    REMAIN_QUOTA => "500000",
                    _ => retry_cleared,
                };
                assert_eq!(is.as_deref(), Some(expected), "token {id} column {column}");
            } else {
                assert_eq!(was, is, "token {id} column {column} must not change");
            }
        }
    }

    let listed = reqwest::Client::new()
        .get(format!("http://{}/api/token/?p=1", server.addr))
        .header("Authorization", "operatoraccesstoken0000000000000")
        .header("New-Api-User", "1");
    let (_, listed, raw) = send(listed).await;
    assert_eq!(listed["data"]["total"], json!(4), "{raw}");
    assert_eq!(
        listed["data"]["items"][0]["mj_image_mode"],
        json!(""),
        "added column reads as its default"
    );
    // A sorted list and the caller's own user read only columns new-api's own tables have.
    let sorted = reqwest::Client::new()
        .get(format!(
            "http://{}/api/token/?sort=name&order=asc",
            server.addr
        ))
        .header("Authorization", "operatoraccesstoken0000000000000")
        .header("New-Api-User", "1");
    let (_, sorted, raw) = send(sorted).await;
    let names: Vec<&Value> = sorted["data"]["items"]
        .as_array()
        .expect(&raw)
        .iter()
        .map(|item| &item["name"])
        .collect();
    assert_eq!(
        names,
        [
            &json!("gorm-1"),
            &json!("gorm-2"),
            &json!("gorm-3"),
            &json!("gorm-4")
        ],
        "{raw}"
    );
    let own = reqwest::Client::new()
        .get(format!("http://{}/api/user/self", server.addr))
        .header("Authorization", "operatoraccesstoken0000000000000")
        .header("New-Api-User", "1");
    let (status, own, raw) = send(own).await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(
        (
            &own["data"]["username"],
            &own["data"]["display_name"],
            &own["data"]["role"],
            &own["data"]["group"]
        ),
        (
            &json!("operator"),
            &json!("Operator"),
            &json!(1),
            &json!("default")
        ),
        "{raw}"
    );

    let thirty_ips: Vec<String> = (1..=30).map(|n| format!("10.0.0.{n}")).collect();
    let long_list =
        json!({"ids": [1], "allow_ips": thirty_ips.join("\n"), "update_fields": ["allow_ips"]});
    let request = reqwest::Client::new()
        .put(format!("http://{}/api/token/batch", server.addr))
        .header("Authorization", "Bearer operatoraccesstoken0000000000000")
        .header("New-Api-User", "1")
        .body(long_list.to_string());
    let (status, response, raw) = send(request).await;
    assert_eq!(status, 200, "{raw}");
    if engine == Engine::MySql {
        // new-api's GORM makes allow_ips a varchar(191) on MySQL: a longer list must be a clear field error.
        assert_eq!(
            response["code"],
            json!("allow_ips.too_long_for_column"),
            "{raw}"
        );
        assert_eq!(token_row_text(&db, 1).await, after[0], "nothing written");
    } else {
        assert_eq!(response["data"], json!(1), "{raw}");
    }

    server.stop().await.unwrap();
    let reopened = tokenbatch_store::Store::open(&db.location)
        .await
        .expect("a second start is a no-op");
    reopened.close().await;
}

async fn all_token_rows(db: &TestDatabase) -> Vec<Vec<Option<String>>> {
    let mut rows = Vec::new();
    for id in 1..=4 {
        rows.push(token_row_text(db, id).await);
    }
    rows
}

on_every_engine!(runs_beside_new_api_and_changes_only_what_it_is_told);

/// On new-api's MySQL tables in each character set its installations use, the limits the store reads (and
/// the rules enforce as `too_long_for_column`) are exactly what each column holds: `limit` of the set's widest
/// character fit, one more does not. A limit too low refuses values the database would store; too high, a
/// value the rules accept ends in a database error.
#[tokio::test]
async fn mysql_column_limits_are_exactly_what_new_apis_columns_hold() {
    use tokenbatch_e2e::RawDb;
    use tokenbatch_rules::Field;
    // The widest character each set holds: 4 bytes in utf8mb4, 3 in utf8mb3, 1 in latin1.
    for (charset, widest) in [("utf8mb4", '😀'), ("utf8mb3", '中'), ("latin1", 'é')] {
        let db = TestDatabase::create(Engine::MySql).await;
        for statement in gorm_schema(Engine::MySql)
            .into_iter()
            .map(String::from)
            .chain(gorm_rows(Engine::MySql))
        {
            db.execute(&statement).await;
        }
        db.execute(&format!(
            "ALTER TABLE tokens CONVERT TO CHARACTER SET {charset}"
        ))
        .await;
        let store = tokenbatch_store::Store::open(&db.location)
            .await
            .expect("open store");
        let limits = store.column_limits().to_vec();
        for varchar in [Field::Group, Field::AllowIps] {
            assert!(
                limits.contains(&(varchar, 191)),
                "{charset}: {} is varchar(191), limits {limits:?}",
                varchar.name()
            );
        }
        assert!(
            limits.iter().any(|(field, _)| *field == Field::ModelLimits),
            "{charset}: model_limits is a TEXT of 65 535 bytes, limits {limits:?}"
        );
        let RawDb::MySql(pool) = &db.raw else {
            unreachable!("a MySQL database")
        };
        for (field, limit) in &limits {
            for (length, fits) in [(*limit, true), (limit + 1, false)] {
                let value: String = std::iter::repeat_n(widest, length).collect();
                let stored = sqlx::query(&format!(
                    "UPDATE tokens SET `{}` = ? WHERE id = 1",
                    field.name()
                ))
                .bind(&value)
                .execute(pool)
                .await;
                assert_eq!(
                    stored.is_ok(),
                    fits,
                    "{charset}: {length} × {widest:?} in {} (limit {limit}): {stored:?}",
                    field.name()
                );
            }
        }
        store.close().await;
    }
}

/// new-api's driver (pgx) sends `SQL_DSN` parameters that are not connection settings to the server as session
/// settings, so `?search_path=newapi` puts new-api on schema `newapi`. tokenbatch, given the same DSN, must
/// work on that schema's tables, not on empty ones of its own in `public`.
#[tokio::test]
async fn postgres_search_path_in_the_dsn_is_the_schema_new_api_uses() {
    let db = TestDatabase::create(Engine::Postgres).await;
    let tokenbatch_store::Location::Postgres(url) = &db.location else {
        unreachable!()
    };
    let schema = url
        .split("search_path%3D")
        .nth(1)
        .expect("the harness names its schema")
        .to_owned();
    let public_tokens = || async {
        let admin = sqlx::PgPool::connect(tokenbatch_e2e::POSTGRES_ADMIN_URL)
            .await
            .unwrap();
        let exists: Option<String> =
            sqlx::query_scalar("SELECT CAST(to_regclass('public.tokens') AS TEXT)")
                .fetch_one(&admin)
                .await
                .unwrap();
        admin.close().await;
        exists
    };
    let before = public_tokens().await;
    // As new-api's users write it: the schema as a DSN parameter, besides an option pgx reads for itself.
    let dsn = format!(
        "{}?sslmode=disable&search_path={schema}&connect_timeout=5",
        tokenbatch_e2e::POSTGRES_ADMIN_URL
    );
    let location = tokenbatch_store::Location::Postgres(dsn);
    let server = tokenbatch_e2e::TestServer::start_with(
        db,
        &location,
        tokenbatch::serve::ServeOptions::default(),
    )
    .await;
    let (status, response, raw) = server
        .put_batch(
            &server.alice,
            &tokenbatch_e2e::body(&[1], r#""remain_quota":4242"#, &["remain_quota"]),
        )
        .await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(response["data"], json!(1), "{raw}");
    assert_eq!(
        server.row(1).await.remain_quota,
        4242,
        "written in {schema}"
    );
    assert_eq!(
        public_tokens().await,
        before,
        "tokenbatch created no tables outside {schema}"
    );
    server.stop().await;
}
