//! Creates new-api's tables when missing and adds the columns tokenbatch needs, never anything else: the
//! service must be able to run beside a live new-api on the same database without migrating it. It never
//! drops, renames or retypes a column, and creates indexes only on tables it created itself.

use sqlx::Row;

use tokenbatch_rules::Field;

use crate::dialect::Dialect;
use crate::{on_pool, Pool, Store, StoreError};

mod ensure;
pub(crate) use ensure::ensure;

/// A column tokenbatch reads or writes that a database written by an older or upstream new-api may lack.
/// Upstream has no mj columns (the documented route comes from a gateway built on new-api).
struct AddableColumn {
    table: &'static str,
    name: &'static str,
    /// Definitions for SQLite, PostgreSQL, MySQL.
    definition: [&'static str; 3],
}

const ADDABLE_COLUMNS: &[AddableColumn] = &[
    AddableColumn {
        table: "tokens",
        name: "model_limits_enabled",
        definition: [
            "numeric DEFAULT 0",
            "boolean DEFAULT false",
            "boolean DEFAULT false",
        ],
    },
    AddableColumn {
        table: "tokens",
        name: "model_limits",
        definition: ["text DEFAULT ''", "text DEFAULT ''", "text"],
    },
    AddableColumn {
        table: "tokens",
        name: "allow_ips",
        definition: ["text DEFAULT ''", "text DEFAULT ''", "text"],
    },
    AddableColumn {
        table: "tokens",
        name: "used_quota",
        definition: ["integer DEFAULT 0", "bigint DEFAULT 0", "bigint DEFAULT 0"],
    },
    AddableColumn {
        table: "tokens",
        name: "group",
        definition: ["text DEFAULT ''", "text DEFAULT ''", "longtext"],
    },
    AddableColumn {
        table: "tokens",
        name: "cross_group_retry",
        definition: [
            "numeric DEFAULT 0",
            "boolean DEFAULT false",
            "boolean DEFAULT false",
        ],
    },
    // Newer new-api keeps an `auto` token's groups here (JSON, model/token.go `AutoGroups`) and clears it
    // whenever the group becomes anything else; a batch writing `group` does the same (batch.rs), so the
    // column must exist. Older new-api ignores a column it does not know.
    AddableColumn {
        table: "tokens",
        name: "auto_groups",
        definition: ["text DEFAULT ''", "text DEFAULT ''", "text"],
    },
    AddableColumn {
        table: "tokens",
        name: "mj_image_mode",
        definition: [
            "varchar(32) DEFAULT ''",
            "varchar(32) DEFAULT ''",
            "varchar(32) DEFAULT ''",
        ],
    },
    AddableColumn {
        table: "tokens",
        name: "mj_custom_proxy",
        definition: ["text DEFAULT ''", "text DEFAULT ''", "text"],
    },
    AddableColumn {
        table: "users",
        name: "access_token",
        definition: ["char(32)", "char(32)", "char(32)"],
    },
    AddableColumn {
        table: "users",
        name: "group",
        definition: [
            "varchar(64) DEFAULT 'default'",
            "varchar(64) DEFAULT 'default'",
            "varchar(64) DEFAULT 'default'",
        ],
    },
];

/// A table as new-api's GORM models create it on each engine (model/user.go, model/token.go,
/// model/option.go), plus the two mj columns, and the indexes GORM would give it.
struct Table {
    name: &'static str,
    create: [&'static str; 3],
    indexes: [&'static [&'static str]; 3],
}

const TABLES: &[Table] = &[
    Table {
        name: "users",
        create: [
            r#"CREATE TABLE IF NOT EXISTS "users" ("id" integer PRIMARY KEY AUTOINCREMENT, "username" text UNIQUE,
              "password" text NOT NULL, "display_name" text, "role" integer DEFAULT 1, "status" integer DEFAULT 1,
              "email" text, "github_id" text, "discord_id" text, "oidc_id" text, "wechat_id" text, "telegram_id" text,
              "access_token" char(32), "quota" integer DEFAULT 0, "used_quota" integer DEFAULT 0,
              "request_count" integer DEFAULT 0, "group" varchar(64) DEFAULT 'default', "aff_code" varchar(32),
              "aff_count" integer DEFAULT 0, "aff_quota" integer DEFAULT 0, "aff_history" integer DEFAULT 0,
              "inviter_id" integer, "deleted_at" datetime, "linux_do_id" text, "setting" text,
              "remark" varchar(255), "stripe_customer" varchar(64))"#,
            r#"CREATE TABLE IF NOT EXISTS "users" ("id" bigserial PRIMARY KEY, "username" text UNIQUE,
              "password" text NOT NULL, "display_name" text, "role" bigint DEFAULT 1, "status" bigint DEFAULT 1,
              "email" text, "github_id" text, "discord_id" text, "oidc_id" text, "wechat_id" text, "telegram_id" text,
              "access_token" char(32), "quota" bigint DEFAULT 0, "used_quota" bigint DEFAULT 0,
              "request_count" bigint DEFAULT 0, "group" varchar(64) DEFAULT 'default', "aff_code" varchar(32),
              "aff_count" bigint DEFAULT 0, "aff_quota" bigint DEFAULT 0, "aff_history" bigint DEFAULT 0,
              "inviter_id" bigint, "deleted_at" timestamptz, "linux_do_id" text, "setting" text,
              "remark" varchar(255), "stripe_customer" varchar(64))"#,
            r#"CREATE TABLE IF NOT EXISTS `users` (`id` bigint AUTO_INCREMENT PRIMARY KEY,
              `username` varchar(191) UNIQUE, `password` longtext NOT NULL, `display_name` varchar(191),
              `role` bigint DEFAULT 1, `status` bigint DEFAULT 1, `email` varchar(191), `github_id` varchar(191),
              `discord_id` varchar(191), `oidc_id` varchar(191), `wechat_id` varchar(191),
              `telegram_id` varchar(191), `access_token` char(32), `quota` bigint DEFAULT 0,
              `used_quota` bigint DEFAULT 0, `request_count` bigint DEFAULT 0, `group` varchar(64) DEFAULT 'default',
              `aff_code` varchar(32), `aff_count` bigint DEFAULT 0, `aff_quota` bigint DEFAULT 0,
              `aff_history` bigint DEFAULT 0, `inviter_id` bigint, `deleted_at` datetime(3) NULL,
              `linux_do_id` varchar(191), `setting` text, `remark` varchar(255), `stripe_customer` varchar(64),
              UNIQUE INDEX `idx_users_access_token` (`access_token`), UNIQUE INDEX `idx_users_aff_code` (`aff_code`),
              INDEX `idx_users_deleted_at` (`deleted_at`)) DEFAULT CHARSET=utf8mb4"#,
        ],
        indexes: [
            &[
                r#"CREATE UNIQUE INDEX IF NOT EXISTS "idx_users_access_token" ON "users"("access_token")"#,
                r#"CREATE UNIQUE INDEX IF NOT EXISTS "idx_users_aff_code" ON "users"("aff_code")"#,
                r#"CREATE INDEX IF NOT EXISTS "idx_users_deleted_at" ON "users"("deleted_at")"#,
            ],
            &[
                r#"CREATE UNIQUE INDEX IF NOT EXISTS "idx_users_access_token" ON "users"("access_token")"#,
                r#"CREATE UNIQUE INDEX IF NOT EXISTS "idx_users_aff_code" ON "users"("aff_code")"#,
                r#"CREATE INDEX IF NOT EXISTS "idx_users_deleted_at" ON "users"("deleted_at")"#,
            ],
            &[],
        ],
    },
    Table {
        name: "tokens",
        create: [
            r#"CREATE TABLE IF NOT EXISTS "tokens" ("id" integer PRIMARY KEY AUTOINCREMENT, "user_id" integer,
              "key" varchar(128), "status" integer DEFAULT 1, "name" text, "created_time" bigint,
              "accessed_time" bigint, "expired_time" bigint DEFAULT -1, "remain_quota" integer DEFAULT 0,
              "unlimited_quota" numeric, "model_limits_enabled" numeric, "model_limits" text,
              "allow_ips" text DEFAULT '', "used_quota" integer DEFAULT 0, "group" text DEFAULT '',
              "cross_group_retry" numeric, "auto_groups" text DEFAULT '', "billing_type" integer DEFAULT 0, "deleted_at" datetime,
              "mj_image_mode" varchar(32) DEFAULT '', "mj_custom_proxy" text DEFAULT '')"#,
            r#"CREATE TABLE IF NOT EXISTS "tokens" ("id" bigserial PRIMARY KEY, "user_id" bigint,
              "key" varchar(128), "status" bigint DEFAULT 1, "name" text, "created_time" bigint,
              "accessed_time" bigint, "expired_time" bigint DEFAULT -1, "remain_quota" bigint DEFAULT 0,
              "unlimited_quota" boolean, "model_limits_enabled" boolean, "model_limits" text,
              "allow_ips" text DEFAULT '', "used_quota" bigint DEFAULT 0, "group" text DEFAULT '',
              "cross_group_retry" boolean, "auto_groups" text DEFAULT '', "billing_type" bigint DEFAULT 0, "deleted_at" timestamptz,
              "mj_image_mode" varchar(32) DEFAULT '', "mj_custom_proxy" text DEFAULT '')"#,
            r#"CREATE TABLE IF NOT EXISTS `tokens` (`id` bigint AUTO_INCREMENT PRIMARY KEY, `user_id` bigint,
              `key` varchar(128), `status` bigint DEFAULT 1, `name` varchar(191), `created_time` bigint,
              `accessed_time` bigint, `expired_time` bigint DEFAULT -1, `remain_quota` bigint DEFAULT 0,
              `unlimited_quota` boolean, `model_limits_enabled` boolean, `model_limits` text,
              `allow_ips` longtext, `used_quota` bigint DEFAULT 0, `group` longtext,
              `cross_group_retry` boolean, `auto_groups` text, `billing_type` bigint DEFAULT 0, `deleted_at` datetime(3) NULL,
              `mj_image_mode` varchar(32) DEFAULT '', `mj_custom_proxy` text,
              INDEX `idx_tokens_user_id` (`user_id`), UNIQUE INDEX `idx_tokens_key` (`key`),
              INDEX `idx_tokens_name` (`name`), INDEX `idx_tokens_deleted_at` (`deleted_at`)) DEFAULT CHARSET=utf8mb4"#,
        ],
        indexes: [
            &[
                r#"CREATE INDEX IF NOT EXISTS "idx_tokens_user_id" ON "tokens"("user_id")"#,
                r#"CREATE UNIQUE INDEX IF NOT EXISTS "idx_tokens_key" ON "tokens"("key")"#,
                r#"CREATE INDEX IF NOT EXISTS "idx_tokens_name" ON "tokens"("name")"#,
                r#"CREATE INDEX IF NOT EXISTS "idx_tokens_deleted_at" ON "tokens"("deleted_at")"#,
            ],
            &[
                r#"CREATE INDEX IF NOT EXISTS "idx_tokens_user_id" ON "tokens"("user_id")"#,
                r#"CREATE UNIQUE INDEX IF NOT EXISTS "idx_tokens_key" ON "tokens"("key")"#,
                r#"CREATE INDEX IF NOT EXISTS "idx_tokens_name" ON "tokens"("name")"#,
                r#"CREATE INDEX IF NOT EXISTS "idx_tokens_deleted_at" ON "tokens"("deleted_at")"#,
            ],
            &[],
        ],
    },
    Table {
        name: "options",
        create: [
            r#"CREATE TABLE IF NOT EXISTS "options" ("key" text PRIMARY KEY, "value" text)"#,
            r#"CREATE TABLE IF NOT EXISTS "options" ("key" text PRIMARY KEY, "value" text)"#,
            r#"CREATE TABLE IF NOT EXISTS `options` (`key` varchar(191) PRIMARY KEY, `value` text) DEFAULT CHARSET=utf8mb4"#,
        ],
        indexes: [&[], &[], &[]],
    },
    // tokenbatch's own: request ids of idempotent batches (crate::requests), unknown to new-api.
    Table {
        name: "tokenbatch_requests",
        create: [
            r#"CREATE TABLE IF NOT EXISTS "tokenbatch_requests" ("user_id" integer NOT NULL,
              "request_id" varchar(128) NOT NULL, "fingerprint" varchar(64) NOT NULL,
              "created_time" bigint NOT NULL, "changes" text NOT NULL, PRIMARY KEY ("user_id", "request_id"))"#,
            r#"CREATE TABLE IF NOT EXISTS "tokenbatch_requests" ("user_id" bigint NOT NULL,
              "request_id" varchar(128) NOT NULL, "fingerprint" varchar(64) NOT NULL,
              "created_time" bigint NOT NULL, "changes" text NOT NULL, PRIMARY KEY ("user_id", "request_id"))"#,
            r#"CREATE TABLE IF NOT EXISTS `tokenbatch_requests` (`user_id` bigint NOT NULL,
              `request_id` varchar(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
              `fingerprint` varchar(64) CHARACTER SET ascii NOT NULL, `created_time` bigint NOT NULL,
              `changes` longtext NOT NULL, PRIMARY KEY (`user_id`, `request_id`),
              INDEX `idx_tokenbatch_requests_created_time` (`created_time`)) DEFAULT CHARSET=utf8mb4"#,
        ],
        indexes: [
            &[
                r#"CREATE INDEX IF NOT EXISTS "idx_tokenbatch_requests_created_time" ON "tokenbatch_requests"("created_time")"#,
            ],
            &[
                r#"CREATE INDEX IF NOT EXISTS "idx_tokenbatch_requests_created_time" ON "tokenbatch_requests"("created_time")"#,
            ],
            &[],
        ],
    },
];

fn engine_index(d: Dialect) -> usize {
    match d {
        Dialect::Sqlite => 0,
        Dialect::Postgres => 1,
        Dialect::MySql => 2,
    }
}

/// Character limits of the writable text columns, where the database sets one (MySQL varchar / text). A
/// MySQL TEXT holds 65 535 bytes, so its limit in characters is that divided by the widest character of the
/// column's character set (4 bytes in utf8mb4, 3 in utf8mb3, 1 in latin1). PostgreSQL counts in characters;
/// its octet length is the character limit times 4.
pub(crate) async fn column_limits(store: &Store) -> Result<Vec<(Field, usize)>, StoreError> {
    let sql = match store.dialect() {
        Dialect::Sqlite => return Ok(Vec::new()),
        Dialect::Postgres => {
            "SELECT CAST(column_name AS TEXT), CAST(character_maximum_length AS BIGINT), \
             CAST(character_octet_length AS BIGINT), CAST(4 AS BIGINT) FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = 'tokens'"
        }
        Dialect::MySql => {
            "SELECT CAST(c.column_name AS CHAR), CAST(c.character_maximum_length AS SIGNED), \
             CAST(c.character_octet_length AS SIGNED), CAST(COALESCE(s.maxlen, 4) AS SIGNED) \
             FROM information_schema.columns c LEFT JOIN information_schema.character_sets s \
             ON s.character_set_name = c.character_set_name \
             WHERE c.table_schema = DATABASE() AND c.table_name = 'tokens'"
        }
    };
    let columns: Vec<(String, Option<i64>, Option<i64>, i64)> = on_pool!(store, |pool| {
        let rows = sqlx::query(sql).fetch_all(pool).await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get(0)?,
                    row.try_get(1)?,
                    row.try_get(2)?,
                    row.try_get(3)?,
                ))
            })
            .collect::<Result<_, sqlx::Error>>()?
    });
    let mut limits = Vec::new();
    for (name, chars, octets, widest_character) in columns {
        let Some(field) = Field::from_name(&name) else {
            continue;
        };
        let by_octets = octets.map(|octets| octets / widest_character.max(1));
        let limit = match (chars, by_octets) {
            (Some(chars), Some(octets)) => chars.min(octets),
            (Some(limit), None) | (None, Some(limit)) => limit,
            (None, None) => continue,
        };
        if let Ok(limit) = usize::try_from(limit) {
            limits.push((field, limit));
        }
    }
    Ok(limits)
}

/// The writable text columns whose character set is narrower than Unicode (MySQL only; see charset.rs).
pub(crate) async fn column_charsets(store: &Store) -> Result<Vec<(Field, String)>, StoreError> {
    let Pool::MySql(pool) = &store.pool else {
        return Ok(Vec::new());
    };
    let rows = sqlx::query(
        "SELECT CAST(column_name AS CHAR), CAST(character_set_name AS CHAR) FROM information_schema.columns \
         WHERE table_schema = DATABASE() AND table_name = 'tokens' AND character_set_name IS NOT NULL",
    )
    .fetch_all(pool)
    .await?;
    let mut charsets = Vec::new();
    for row in rows {
        let (name, charset): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        if let Some(field) = Field::from_name(&name).filter(|_| crate::charset::is_narrow(&charset))
        {
            charsets.push((field, charset));
        }
    }
    Ok(charsets)
}
