-- SQLite: columns tokenbatch reads or writes that a database written by an older or upstream new-api may
-- lack (upstream has no mj columns), added when missing (see crate::schema). One ALTER TABLE … ADD COLUMN each.

ALTER TABLE "tokens" ADD COLUMN "model_limits_enabled" numeric DEFAULT 0;
ALTER TABLE "tokens" ADD COLUMN "model_limits" text DEFAULT '';
ALTER TABLE "tokens" ADD COLUMN "allow_ips" text DEFAULT '';
ALTER TABLE "tokens" ADD COLUMN "used_quota" integer DEFAULT 0;
ALTER TABLE "tokens" ADD COLUMN "group" text DEFAULT '';
ALTER TABLE "tokens" ADD COLUMN "cross_group_retry" numeric DEFAULT 0;
-- Newer new-api keeps an `auto` token's groups here (JSON, model/token.go `AutoGroups`) and clears it whenever
-- the group becomes anything else; a batch writing `group` does the same, so the column must exist. Older
-- new-api ignores a column it does not know.
ALTER TABLE "tokens" ADD COLUMN "auto_groups" text DEFAULT '';
ALTER TABLE "tokens" ADD COLUMN "mj_image_mode" varchar(32) DEFAULT '';
ALTER TABLE "tokens" ADD COLUMN "mj_custom_proxy" text DEFAULT '';
ALTER TABLE "users" ADD COLUMN "access_token" char(32);
ALTER TABLE "users" ADD COLUMN "group" varchar(64) DEFAULT 'default';
-- Plans (crate::plans) are rows of tokenbatch_requests since these columns: a table an older tokenbatch
-- created lacks them.
ALTER TABLE "tokenbatch_requests" ADD COLUMN "plan_request" text;
ALTER TABLE "tokenbatch_requests" ADD COLUMN "expires_time" bigint;
ALTER TABLE "tokenbatch_requests" ADD COLUMN "plan_count" bigint;
ALTER TABLE "tokenbatch_requests" ADD COLUMN "plan_changed" bigint;
ALTER TABLE "tokenbatch_requests" ADD COLUMN "applied_time" bigint;
