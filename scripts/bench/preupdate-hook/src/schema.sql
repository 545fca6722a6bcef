-- new-api's tokens table as tokenbatch creates it (crates/store/schema/sqlite/tables.sql), and two history
-- tables: rows per token (typed columns, no index beside the rowid) and one BLOB per change set.
CREATE TABLE tokens ("id" integer PRIMARY KEY AUTOINCREMENT, "user_id" integer,
  "key" varchar(128), "status" integer DEFAULT 1, "name" text, "created_time" bigint,
  "accessed_time" bigint, "expired_time" bigint DEFAULT -1, "remain_quota" integer DEFAULT 0,
  "unlimited_quota" numeric, "model_limits_enabled" numeric, "model_limits" text,
  "allow_ips" text DEFAULT '', "used_quota" integer DEFAULT 0, "group" text DEFAULT '',
  "cross_group_retry" numeric, "auto_groups" text DEFAULT '', "billing_type" integer DEFAULT 0,
  "deleted_at" datetime, "mj_image_mode" varchar(32) DEFAULT '', "mj_custom_proxy" text DEFAULT '');
CREATE INDEX idx_tokens_user_id ON tokens(user_id);
CREATE UNIQUE INDEX idx_tokens_key ON tokens(key);
CREATE INDEX idx_tokens_name ON tokens(name);
CREATE INDEX idx_tokens_deleted_at ON tokens(deleted_at);
CREATE TABLE history_rows (id integer PRIMARY KEY, change_id bigint, token_id bigint, owner_id bigint,
  before_status bigint, before_group text, before_expired_time bigint, before_remain_quota bigint,
  after_status bigint, after_group text, after_expired_time bigint, after_remain_quota bigint);
CREATE TABLE history_blobs (change_id integer PRIMARY KEY, data blob);
