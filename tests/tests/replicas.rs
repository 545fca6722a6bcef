//! Replicas starting together: several `tokenbatch serve` processes started at the same moment on a database
//! that has new-api's `tokens` table but none of tokenbatch's additions (no mj columns, no `users`, `options`
//! or `tokenbatch_requests` and `tokenbatch_plan_items`), as on the first deployment of several replicas beside new-api. Each must become
//! ready, and the schema must come out right: every added column and table exactly once. Without a
//! cross-process lock around the schema step two processes both see a column missing and both add it, and
//! one exits with `cannot open the database`.

use std::process::Stdio;
use std::time::{Duration, Instant};

use sqlx::Row;
use tokenbatch_store::Location;
use tokenbatch_testkit::{process, Engine, RawDb, TestDatabase};
use tokio::process::{Child, Command};

use crate::SERVER_BINARY as BINARY;

const REPLICAS: usize = 4;
const ROUNDS: usize = 10;
/// One round's bound: four starts and a schema step take well under a second on an idle machine.
const ROUND_LIMIT: Duration = Duration::from_secs(30);

/// new-api's `tokens` table as GORM's AutoMigrate creates it (model/token.go, upstream: no mj columns).
fn gorm_tokens_table(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => {
            r#"CREATE TABLE `tokens` (`id` integer PRIMARY KEY AUTOINCREMENT,`user_id` integer,`key` varchar(128),`status` integer DEFAULT 1,`name` text,`created_time` bigint,`accessed_time` bigint,`expired_time` bigint DEFAULT -1,`remain_quota` integer DEFAULT 0,`unlimited_quota` numeric,`model_limits_enabled` numeric,`model_limits` text,`allow_ips` text DEFAULT "",`used_quota` integer DEFAULT 0,`group` text DEFAULT "",`cross_group_retry` numeric,`billing_type` integer DEFAULT 0,`deleted_at` datetime)"#
        }
        Engine::Postgres => {
            r#"CREATE TABLE "tokens" ("id" bigserial,"user_id" bigint,"key" varchar(128),"status" bigint DEFAULT 1,"name" text,"created_time" bigint,"accessed_time" bigint,"expired_time" bigint DEFAULT -1,"remain_quota" bigint DEFAULT 0,"unlimited_quota" boolean,"model_limits_enabled" boolean,"model_limits" text,"allow_ips" text DEFAULT '',"used_quota" bigint DEFAULT 0,"group" text DEFAULT '',"cross_group_retry" boolean,"billing_type" bigint DEFAULT 0,"deleted_at" timestamptz,PRIMARY KEY ("id"))"#
        }
        Engine::MySql => {
            r#"CREATE TABLE `tokens` (`id` bigint AUTO_INCREMENT,`user_id` bigint,`key` varchar(128),`status` bigint DEFAULT 1,`name` varchar(191),`created_time` bigint,`accessed_time` bigint,`expired_time` bigint DEFAULT -1,`remain_quota` bigint DEFAULT 0,`unlimited_quota` boolean,`model_limits_enabled` boolean,`model_limits` text,`allow_ips` varchar(191) DEFAULT '',`used_quota` bigint DEFAULT 0,`group` varchar(191) DEFAULT '',`cross_group_retry` boolean,`billing_type` bigint DEFAULT 0,`deleted_at` datetime(3) NULL,PRIMARY KEY (`id`),INDEX `idx_tokens_user_id` (`user_id`),UNIQUE INDEX `idx_tokens_key` (`key`),INDEX `idx_tokens_name` (`name`),INDEX `idx_tokens_deleted_at` (`deleted_at`))"#
        }
    }
}

/// A fresh database holding only new-api's `tokens` table: a file, a PostgreSQL schema or a MariaDB database.
struct Database {
    db: TestDatabase,
    /// The environment that points `tokenbatch serve` at it, as new-api's variables do.
    env: (&'static str, String),
}

impl Database {
    async fn create(engine: Engine) -> Database {
        let db = TestDatabase::create(engine).await;
        db.execute(gorm_tokens_table(engine)).await;
        let env = match &db.location {
            Location::SqliteFile(path) => ("SQLITE_PATH", path.display().to_string()),
            Location::Postgres(url) | Location::MySql(url) => ("SQL_DSN", url.clone()),
        };
        Database { db, env }
    }

    /// How many times each column tokenbatch adds or creates appears in its table: (table, column, count).
    async fn column_counts(&self) -> Vec<(String, String, i64)> {
        let expected = [
            ("tokens", "mj_image_mode"),
            ("tokens", "mj_custom_proxy"),
            ("users", "access_token"),
            ("options", "value"),
            ("tokenbatch_requests", "fingerprint"),
            ("tokenbatch_requests", "applied_time"),
            ("tokenbatch_plan_items", "items"),
            ("tokenbatch_changes", "request"),
            ("tokenbatch_change_tokens", "after_model_limits"),
        ];
        let mut counts = Vec::new();
        for (table, column) in expected {
            let namespace = self.db.namespace().unwrap_or_default();
            let count: i64 = match &self.db.raw {
                RawDb::Sqlite(pool) => {
                    let sql = "SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?";
                    let row = sqlx::query(sql)
                        .bind(table)
                        .bind(column)
                        .fetch_one(pool)
                        .await
                        .unwrap();
                    row.get(0)
                }
                RawDb::Postgres(pool) => {
                    let sql = "SELECT COUNT(*) FROM information_schema.columns \
                               WHERE table_schema = $1 AND table_name = $2 AND column_name = $3";
                    let row = sqlx::query(sql)
                        .bind(namespace)
                        .bind(table)
                        .bind(column)
                        .fetch_one(pool)
                        .await
                        .unwrap();
                    row.get(0)
                }
                RawDb::MySql(pool) => {
                    let sql = "SELECT COUNT(*) FROM information_schema.columns \
                               WHERE table_schema = ? AND table_name = ? AND column_name = ?";
                    let row = sqlx::query(sql)
                        .bind(namespace)
                        .bind(table)
                        .bind(column)
                        .fetch_one(pool)
                        .await
                        .unwrap();
                    row.get(0)
                }
            };
            counts.push((table.to_owned(), column.to_owned(), count));
        }
        counts
    }
}

/// Waits for a started `serve` to print its ready line; when it exits first, the error it printed.
async fn ready(mut child: Child) -> Result<Child, String> {
    let ready = process::ready(&mut child).await?;
    // Keep draining so the child never blocks on a full pipe.
    ready.drain();
    let mut stderr = child.stderr.take().unwrap();
    tokio::spawn(async move { tokio::io::copy(&mut stderr, &mut tokio::io::sink()).await });
    Ok(child)
}

/// One round: `REPLICAS` processes started at once on a fresh database; the failures it saw, if any.
async fn round(engine: Engine) -> Vec<String> {
    let database = Database::create(engine).await;
    let children: Vec<Child> = (0..REPLICAS)
        .map(|_| {
            Command::new(BINARY)
                .args(["serve", "--listen", "127.0.0.1:0"])
                .env_remove("SQL_DSN")
                .env_remove("SQLITE_PATH")
                .env(database.env.0, &database.env.1)
                .env("RUST_LOG", "info")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .expect("serve starts")
        })
        .collect();
    let outcomes = tokio::time::timeout(
        ROUND_LIMIT,
        futures_join_all(children.into_iter().map(ready)),
    )
    .await
    .expect("every replica is ready or has exited within the round's limit");
    let mut failures: Vec<String> = outcomes.into_iter().filter_map(Result::err).collect();
    // Once all are up (or gone), the schema must hold each addition exactly once.
    for (table, column, count) in database.column_counts().await {
        if count != 1 {
            failures.push(format!("{table}.{column} appears {count} times"));
        }
    }
    drop(database);
    failures
}

/// Awaits the futures concurrently (each on its own task) and returns their outputs in order.
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(handle.await.expect("task"));
    }
    outputs
}

async fn replicas_start_together(engine: Engine) {
    let started = Instant::now();
    let mut failed_rounds = Vec::new();
    for number in 1..=ROUNDS {
        let failures = round(engine).await;
        if !failures.is_empty() {
            failed_rounds.push(format!("round {number}: {}", failures.join(" | ")));
        }
    }
    eprintln!(
        "{engine:?}: {ROUNDS} rounds of {REPLICAS} replicas in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        failed_rounds.is_empty(),
        "{engine:?}: {} of {ROUNDS} rounds failed:\n{}",
        failed_rounds.len(),
        failed_rounds.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_start_together_on_sqlite() {
    replicas_start_together(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_start_together_on_postgres() {
    replicas_start_together(Engine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_start_together_on_mysql() {
    replicas_start_together(Engine::MySql).await;
}
