//! Creates new-api's tables when missing and adds the columns tokenbatch needs, never anything else: the
//! service must be able to run beside a live new-api on the same database without migrating it.

use sqlx::Row;

use crate::dialect::Dialect;
use crate::{Pool, Store, StoreError};

/// A column tokenbatch reads or writes, with the definition to add it with when an older database lacks it.
struct Column {
    table: &'static str,
    name: &'static str,
    sqlite: &'static str,
}

/// Columns that may be missing from a database written by an older or upstream new-api. Upstream has no mj
/// columns (the documented route comes from a gateway built on new-api); older versions lack the rest.
const ADDABLE_COLUMNS: &[Column] = &[
    Column {
        table: "tokens",
        name: "model_limits_enabled",
        sqlite: "numeric DEFAULT 0",
    },
    Column {
        table: "tokens",
        name: "model_limits",
        sqlite: "text DEFAULT ''",
    },
    Column {
        table: "tokens",
        name: "allow_ips",
        sqlite: "text DEFAULT ''",
    },
    Column {
        table: "tokens",
        name: "used_quota",
        sqlite: "integer DEFAULT 0",
    },
    Column {
        table: "tokens",
        name: "group",
        sqlite: "text DEFAULT ''",
    },
    Column {
        table: "tokens",
        name: "cross_group_retry",
        sqlite: "numeric DEFAULT 0",
    },
    Column {
        table: "tokens",
        name: "billing_type",
        sqlite: "integer DEFAULT 0",
    },
    Column {
        table: "tokens",
        name: "mj_image_mode",
        sqlite: "varchar(32) DEFAULT ''",
    },
    Column {
        table: "tokens",
        name: "mj_custom_proxy",
        sqlite: "text DEFAULT ''",
    },
    Column {
        table: "users",
        name: "access_token",
        sqlite: "char(32)",
    },
    Column {
        table: "users",
        name: "group",
        sqlite: "varchar(64) DEFAULT 'default'",
    },
];

/// The tables as new-api's GORM models create them on SQLite (model/user.go, model/token.go, model/option.go),
/// plus the two mj columns.
const SQLITE_TABLES: &[&str] = &[
    r#"CREATE TABLE IF NOT EXISTS "users" (
        "id" integer PRIMARY KEY AUTOINCREMENT,
        "username" text UNIQUE,
        "password" text NOT NULL,
        "display_name" text,
        "role" integer DEFAULT 1,
        "status" integer DEFAULT 1,
        "email" text,
        "github_id" text,
        "discord_id" text,
        "oidc_id" text,
        "wechat_id" text,
        "telegram_id" text,
        "access_token" char(32),
        "quota" integer DEFAULT 0,
        "used_quota" integer DEFAULT 0,
        "request_count" integer DEFAULT 0,
        "group" varchar(64) DEFAULT 'default',
        "aff_code" varchar(32),
        "aff_count" integer DEFAULT 0,
        "aff_quota" integer DEFAULT 0,
        "aff_history" integer DEFAULT 0,
        "inviter_id" integer,
        "deleted_at" datetime,
        "linux_do_id" text,
        "setting" text,
        "remark" varchar(255),
        "stripe_customer" varchar(64)
    )"#,
    r#"CREATE UNIQUE INDEX IF NOT EXISTS "idx_users_access_token" ON "users"("access_token")"#,
    r#"CREATE UNIQUE INDEX IF NOT EXISTS "idx_users_aff_code" ON "users"("aff_code")"#,
    r#"CREATE INDEX IF NOT EXISTS "idx_users_deleted_at" ON "users"("deleted_at")"#,
    r#"CREATE TABLE IF NOT EXISTS "tokens" (
        "id" integer PRIMARY KEY AUTOINCREMENT,
        "user_id" integer,
        "key" varchar(128),
        "status" integer DEFAULT 1,
        "name" text,
        "created_time" bigint,
        "accessed_time" bigint,
        "expired_time" bigint DEFAULT -1,
        "remain_quota" integer DEFAULT 0,
        "unlimited_quota" numeric,
        "model_limits_enabled" numeric,
        "model_limits" text,
        "allow_ips" text DEFAULT '',
        "used_quota" integer DEFAULT 0,
        "group" text DEFAULT '',
        "cross_group_retry" numeric,
        "billing_type" integer DEFAULT 0,
        "deleted_at" datetime,
        "mj_image_mode" varchar(32) DEFAULT '',
        "mj_custom_proxy" text DEFAULT ''
    )"#,
    r#"CREATE INDEX IF NOT EXISTS "idx_tokens_user_id" ON "tokens"("user_id")"#,
    r#"CREATE UNIQUE INDEX IF NOT EXISTS "idx_tokens_key" ON "tokens"("key")"#,
    r#"CREATE INDEX IF NOT EXISTS "idx_tokens_name" ON "tokens"("name")"#,
    r#"CREATE INDEX IF NOT EXISTS "idx_tokens_deleted_at" ON "tokens"("deleted_at")"#,
    r#"CREATE TABLE IF NOT EXISTS "options" ("key" text PRIMARY KEY, "value" text)"#,
];

pub(crate) async fn ensure(store: &Store) -> Result<(), StoreError> {
    match &store.pool {
        Pool::Sqlite(pool) => {
            for statement in SQLITE_TABLES {
                sqlx::query(statement).execute(pool).await?;
            }
            for column in ADDABLE_COLUMNS {
                let existing = sqlx::query("SELECT name FROM pragma_table_info(?)")
                    .bind(column.table)
                    .fetch_all(pool)
                    .await?;
                let present = existing.iter().any(|row| {
                    row.try_get::<String, _>(0)
                        .is_ok_and(|name| name == column.name)
                });
                if !present {
                    let sql = format!(
                        "ALTER TABLE {} ADD COLUMN {} {}",
                        Dialect::Sqlite.quote(column.table),
                        Dialect::Sqlite.quote(column.name),
                        column.sqlite
                    );
                    tracing::info!(
                        table = column.table,
                        column = column.name,
                        "adding missing column"
                    );
                    sqlx::query(&sql).execute(pool).await?;
                }
            }
        }
    }
    Ok(())
}
