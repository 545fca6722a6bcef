//! Replicas starting together: several `tokenbatch serve` processes started at the same moment on a database
//! that has new-api's `tokens` table but none of tokenbatch's additions (no mj columns, no `users`, `options`
//! or `tokenbatch_requests`), as on the first deployment of several replicas beside new-api. Each must become
//! ready, and the schema must come out right: every added column and table exactly once. Without a
//! cross-process lock around the schema step two processes both see a column missing and both add it, and
//! one exits with `cannot open the database`.

use std::process::Stdio;
use std::time::{Duration, Instant};

use sqlx::mysql::MySqlPool;
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;
use sqlx::Row;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

const BINARY: &str = env!("CARGO_BIN_EXE_tokenbatch");
const POSTGRES_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const MYSQL_ADMIN_URL: &str = "mysql://root@127.0.0.1:3306/test";
const REPLICAS: usize = 4;
const ROUNDS: usize = 10;
/// One round's bound: four starts and a schema step take well under a second on an idle machine.
const ROUND_LIMIT: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, Debug)]
enum Engine {
    Sqlite,
    Postgres,
    MySql,
}

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
    engine: Engine,
    /// The environment that points `tokenbatch serve` at it, as new-api's variables do.
    env: (&'static str, String),
    /// PostgreSQL schema or MySQL database name.
    namespace: String,
    _dir: tempfile::TempDir,
}

fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("tb_replicas_{}_{:x}", std::process::id(), nanos)
}

impl Database {
    async fn create(engine: Engine) -> Database {
        let dir = tempfile::tempdir().unwrap();
        let namespace = unique_name();
        let table = gorm_tokens_table(engine);
        let env = match engine {
            Engine::Sqlite => {
                let path = dir.path().join("newapi.db");
                let pool = SqlitePool::connect(&format!("sqlite://{}?mode=rwc", path.display()))
                    .await
                    .unwrap();
                sqlx::query(table).execute(&pool).await.unwrap();
                pool.close().await;
                ("SQLITE_PATH", path.display().to_string())
            }
            Engine::Postgres => {
                let admin = PgPool::connect(POSTGRES_ADMIN_URL).await.unwrap();
                sqlx::query(&format!("CREATE SCHEMA {namespace}"))
                    .execute(&admin)
                    .await
                    .unwrap();
                sqlx::raw_sql(&format!("SET search_path = {namespace}; {table}"))
                    .execute(&admin)
                    .await
                    .unwrap();
                admin.close().await;
                let url = format!("{POSTGRES_ADMIN_URL}?options=-c%20search_path%3D{namespace}");
                ("SQL_DSN", url)
            }
            Engine::MySql => {
                let admin = MySqlPool::connect(MYSQL_ADMIN_URL).await.unwrap();
                sqlx::query(&format!(
                    "CREATE DATABASE {namespace} CHARACTER SET utf8mb4"
                ))
                .execute(&admin)
                .await
                .unwrap();
                sqlx::raw_sql(&format!("USE {namespace}; {table}"))
                    .execute(&admin)
                    .await
                    .unwrap();
                admin.close().await;
                (
                    "SQL_DSN",
                    format!("mysql://root@127.0.0.1:3306/{namespace}"),
                )
            }
        };
        Database {
            engine,
            env,
            namespace,
            _dir: dir,
        }
    }

    /// How many times each column tokenbatch adds or creates appears in its table: (table, column, count).
    async fn column_counts(&self) -> Vec<(String, String, i64)> {
        let expected = [
            ("tokens", "mj_image_mode"),
            ("tokens", "mj_custom_proxy"),
            ("users", "access_token"),
            ("options", "value"),
            ("tokenbatch_requests", "fingerprint"),
        ];
        let mut counts = Vec::new();
        for (table, column) in expected {
            let count: i64 = match self.engine {
                Engine::Sqlite => {
                    let pool = SqlitePool::connect(&format!("sqlite://{}", self.env.1))
                        .await
                        .unwrap();
                    let sql = "SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?";
                    let row = sqlx::query(sql)
                        .bind(table)
                        .bind(column)
                        .fetch_one(&pool)
                        .await
                        .unwrap();
                    pool.close().await;
                    row.get(0)
                }
                Engine::Postgres => {
                    let pool = PgPool::connect(POSTGRES_ADMIN_URL).await.unwrap();
                    let sql = "SELECT COUNT(*) FROM information_schema.columns \
                               WHERE table_schema = $1 AND table_name = $2 AND column_name = $3";
                    let row = sqlx::query(sql)
                        .bind(&self.namespace)
                        .bind(table)
                        .bind(column)
                        .fetch_one(&pool)
                        .await
                        .unwrap();
                    pool.close().await;
                    row.get(0)
                }
                Engine::MySql => {
                    let pool = MySqlPool::connect(MYSQL_ADMIN_URL).await.unwrap();
                    let sql = "SELECT COUNT(*) FROM information_schema.columns \
                               WHERE table_schema = ? AND table_name = ? AND column_name = ?";
                    let row = sqlx::query(sql)
                        .bind(&self.namespace)
                        .bind(table)
                        .bind(column)
                        .fetch_one(&pool)
                        .await
                        .unwrap();
                    pool.close().await;
                    row.get(0)
                }
            };
            counts.push((table.to_owned(), column.to_owned(), count));
        }
        counts
    }

    async fn drop(self) {
        match self.engine {
            Engine::Sqlite => {}
            Engine::Postgres => {
                let admin = PgPool::connect(POSTGRES_ADMIN_URL).await.unwrap();
                let sql = format!("DROP SCHEMA {} CASCADE", self.namespace);
                sqlx::query(&sql).execute(&admin).await.unwrap();
                admin.close().await;
            }
            Engine::MySql => {
                let admin = MySqlPool::connect(MYSQL_ADMIN_URL).await.unwrap();
                let sql = format!("DROP DATABASE {}", self.namespace);
                sqlx::query(&sql).execute(&admin).await.unwrap();
                admin.close().await;
            }
        }
    }
}

/// Waits for a started `serve` to print its ready line; when it exits first, the error it printed.
async fn ready(mut child: Child) -> Result<Child, String> {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stderr = child.stderr.take().unwrap();
    while let Some(line) = lines.next_line().await.map_err(|e| e.to_string())? {
        if line.contains("ready on http://") {
            // Keep draining so the child never blocks on a full pipe.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            tokio::spawn(async move { tokio::io::copy(&mut stderr, &mut tokio::io::sink()).await });
            return Ok(child);
        }
    }
    let mut error = String::new();
    let _ = stderr.read_to_string(&mut error).await;
    let status = child.wait().await.map_err(|e| e.to_string())?;
    Err(format!("{status}: {}", error.trim()))
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
    database.drop().await;
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
