-- SQLite: the tables tokenbatch creates when missing, each CREATE TABLE followed by the indexes GORM
-- would give it (see crate::schema). Statements end with ';'; lines starting with '--' are comments.

-- new-api's users (model/user.go), as GORM creates it.
CREATE TABLE IF NOT EXISTS "users" ("id" integer PRIMARY KEY AUTOINCREMENT, "username" text UNIQUE,
  "password" text NOT NULL, "display_name" text, "role" integer DEFAULT 1, "status" integer DEFAULT 1,
  "email" text, "github_id" text, "discord_id" text, "oidc_id" text, "wechat_id" text, "telegram_id" text,
  "access_token" char(32), "quota" integer DEFAULT 0, "used_quota" integer DEFAULT 0,
  "request_count" integer DEFAULT 0, "group" varchar(64) DEFAULT 'default', "aff_code" varchar(32),
  "aff_count" integer DEFAULT 0, "aff_quota" integer DEFAULT 0, "aff_history" integer DEFAULT 0,
  "inviter_id" integer, "deleted_at" datetime, "linux_do_id" text, "setting" text,
  "remark" varchar(255), "stripe_customer" varchar(64));
CREATE UNIQUE INDEX IF NOT EXISTS "idx_users_access_token" ON "users"("access_token");
CREATE UNIQUE INDEX IF NOT EXISTS "idx_users_aff_code" ON "users"("aff_code");
CREATE INDEX IF NOT EXISTS "idx_users_deleted_at" ON "users"("deleted_at");

-- new-api's tokens (model/token.go), plus the two mj columns of the gateway the documented route comes from.
CREATE TABLE IF NOT EXISTS "tokens" ("id" integer PRIMARY KEY AUTOINCREMENT, "user_id" integer,
  "key" varchar(128), "status" integer DEFAULT 1, "name" text, "created_time" bigint,
  "accessed_time" bigint, "expired_time" bigint DEFAULT -1, "remain_quota" integer DEFAULT 0,
  "unlimited_quota" numeric, "model_limits_enabled" numeric, "model_limits" text,
  "allow_ips" text DEFAULT '', "used_quota" integer DEFAULT 0, "group" text DEFAULT '',
  "cross_group_retry" numeric, "auto_groups" text DEFAULT '', "billing_type" integer DEFAULT 0, "deleted_at" datetime,
  "mj_image_mode" varchar(32) DEFAULT '', "mj_custom_proxy" text DEFAULT '');
CREATE INDEX IF NOT EXISTS "idx_tokens_user_id" ON "tokens"("user_id");
CREATE UNIQUE INDEX IF NOT EXISTS "idx_tokens_key" ON "tokens"("key");
CREATE INDEX IF NOT EXISTS "idx_tokens_name" ON "tokens"("name");
CREATE INDEX IF NOT EXISTS "idx_tokens_deleted_at" ON "tokens"("deleted_at");

-- new-api's options (model/option.go).
CREATE TABLE IF NOT EXISTS "options" ("key" text PRIMARY KEY, "value" text);

-- tokenbatch's own: request ids of idempotent batches (crate::requests), unknown to new-api.
-- A plan (crate::plans) is a row here too, under its plan id: the plan_* columns, expires_time and
-- applied_time are set for plans only.
CREATE TABLE IF NOT EXISTS "tokenbatch_requests" ("user_id" integer NOT NULL,
  "request_id" varchar(128) NOT NULL, "fingerprint" varchar(64) NOT NULL,
  "created_time" bigint NOT NULL, "changes" text NOT NULL, "plan_request" text, "expires_time" bigint,
  "plan_count" bigint, "plan_changed" bigint, "applied_time" bigint, PRIMARY KEY ("user_id", "request_id"));
CREATE INDEX IF NOT EXISTS "idx_tokenbatch_requests_created_time" ON "tokenbatch_requests"("created_time");

-- tokenbatch's own: a plan's per-token data in chunks of at most about 1 MiB (crate::plans): part 0 the
-- preview's results, 1 the pinned tokens, 2 the applied result.
CREATE TABLE IF NOT EXISTS "tokenbatch_plan_items" ("user_id" integer NOT NULL,
  "request_id" varchar(128) NOT NULL, "part" integer NOT NULL, "first_index" integer NOT NULL,
  "item_count" integer NOT NULL, "created_time" bigint NOT NULL, "expires_time" bigint NOT NULL,
  "items" text NOT NULL, PRIMARY KEY ("user_id", "request_id", "part", "first_index"));
CREATE INDEX IF NOT EXISTS "idx_tokenbatch_plan_items_created_time" ON "tokenbatch_plan_items"("created_time");

-- tokenbatch's own: the history (crate::history, SPEC §12). One row per applied batch that changed a token:
-- the acting user, the source, the normalized request (keys masked), the counts; reverts/reverted_by link a
-- revert with the change set it reverts.
CREATE TABLE IF NOT EXISTS "tokenbatch_changes" ("id" integer PRIMARY KEY AUTOINCREMENT,
  "user_id" integer NOT NULL, "created_time" bigint NOT NULL, "source" varchar(16) NOT NULL,
  "request" text NOT NULL, "changed" bigint NOT NULL, "unchanged" bigint NOT NULL, "reverts" bigint,
  "reverted_by" bigint);
CREATE INDEX IF NOT EXISTS "idx_tokenbatch_changes_user_id" ON "tokenbatch_changes"("user_id", "id");
CREATE INDEX IF NOT EXISTS "idx_tokenbatch_changes_created_time" ON "tokenbatch_changes"("created_time");

-- tokenbatch's own: each changed token of a change set, its values before and after in typed columns
-- (crate::history::values: the status, every writable field, the auto-only settings; NULL where the batch
-- did not write it), never its key.
-- SQLite: no index beside the rowid, which is change_id * 2^20 + the token's place in the batch (a batch
-- names at most 100 000 tokens): a change set's rows are one rowid range, in token order, and recording
-- 10 000 of them costs one B-tree's appends (docs/BENCHMARKS.md, "History").
CREATE TABLE IF NOT EXISTS "tokenbatch_change_tokens" ("id" integer PRIMARY KEY,
  "change_id" bigint NOT NULL, "token_id" bigint NOT NULL, "owner_id" bigint NOT NULL,
  "before_status" bigint, "before_group" text, "before_expired_time" bigint, "before_remain_quota" bigint,
  "before_unlimited_quota" bigint, "before_model_limits" text, "before_model_limits_enabled" bigint,
  "before_allow_ips" text, "before_mj_image_mode" text, "before_mj_custom_proxy" text,
  "before_cross_group_retry" bigint, "before_auto_groups" text, "after_status" bigint, "after_group" text,
  "after_expired_time" bigint, "after_remain_quota" bigint, "after_unlimited_quota" bigint,
  "after_model_limits" text, "after_model_limits_enabled" bigint, "after_allow_ips" text,
  "after_mj_image_mode" text, "after_mj_custom_proxy" text, "after_cross_group_retry" bigint,
  "after_auto_groups" text);

-- tokenbatch's own: per change set, each owner of its tokens other than its acting user (root's batches
-- across users, SPEC §13), so that owners find those change sets in their list through the primary key.
CREATE TABLE IF NOT EXISTS "tokenbatch_change_owners" ("owner_id" bigint NOT NULL,
  "change_id" bigint NOT NULL, PRIMARY KEY ("owner_id", "change_id"));
