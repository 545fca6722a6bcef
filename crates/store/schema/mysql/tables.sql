-- MySQL / MariaDB: the tables tokenbatch creates when missing, each CREATE TABLE followed by the indexes GORM
-- would give it (see crate::schema). Statements end with ';'; lines starting with '--' are comments.

-- new-api's users (model/user.go), as GORM creates it.
CREATE TABLE IF NOT EXISTS `users` (`id` bigint AUTO_INCREMENT PRIMARY KEY,
  `username` varchar(191) UNIQUE, `password` longtext NOT NULL, `display_name` varchar(191),
  `role` bigint DEFAULT 1, `status` bigint DEFAULT 1, `email` varchar(191), `github_id` varchar(191),
  `discord_id` varchar(191), `oidc_id` varchar(191), `wechat_id` varchar(191),
  `telegram_id` varchar(191), `access_token` char(32), `quota` bigint DEFAULT 0,
  `used_quota` bigint DEFAULT 0, `request_count` bigint DEFAULT 0, `group` varchar(64) DEFAULT 'default',
  `aff_code` varchar(32), `aff_count` bigint DEFAULT 0, `aff_quota` bigint DEFAULT 0,
  `aff_history` bigint DEFAULT 0, `inviter_id` bigint, `deleted_at` datetime(3) NULL,
  `linux_do_id` varchar(191), `setting` text, `remark` varchar(255), `stripe_customer` varchar(64),
  UNIQUE INDEX `idx_users_access_token` (`access_token`), UNIQUE INDEX `idx_users_aff_code` (`aff_code`),
  INDEX `idx_users_deleted_at` (`deleted_at`)) DEFAULT CHARSET=utf8mb4;

-- new-api's tokens (model/token.go), plus the two mj columns of the gateway the documented route comes from.
CREATE TABLE IF NOT EXISTS `tokens` (`id` bigint AUTO_INCREMENT PRIMARY KEY, `user_id` bigint,
  `key` varchar(128), `status` bigint DEFAULT 1, `name` varchar(191), `created_time` bigint,
  `accessed_time` bigint, `expired_time` bigint DEFAULT -1, `remain_quota` bigint DEFAULT 0,
  `unlimited_quota` boolean, `model_limits_enabled` boolean, `model_limits` text,
  `allow_ips` longtext, `used_quota` bigint DEFAULT 0, `group` longtext,
  `cross_group_retry` boolean, `auto_groups` text, `billing_type` bigint DEFAULT 0, `deleted_at` datetime(3) NULL,
  `mj_image_mode` varchar(32) DEFAULT '', `mj_custom_proxy` text,
  INDEX `idx_tokens_user_id` (`user_id`), UNIQUE INDEX `idx_tokens_key` (`key`),
  INDEX `idx_tokens_name` (`name`), INDEX `idx_tokens_deleted_at` (`deleted_at`)) DEFAULT CHARSET=utf8mb4;

-- new-api's options (model/option.go).
CREATE TABLE IF NOT EXISTS `options` (`key` varchar(191) PRIMARY KEY, `value` text) DEFAULT CHARSET=utf8mb4;

-- tokenbatch's own: request ids of idempotent batches (crate::requests), unknown to new-api.
-- A plan (crate::plans) is a row here too, under its plan id: the plan_* columns, expires_time and
-- applied_time are set for plans only.
CREATE TABLE IF NOT EXISTS `tokenbatch_requests` (`user_id` bigint NOT NULL,
  `request_id` varchar(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  `fingerprint` varchar(64) CHARACTER SET ascii NOT NULL, `created_time` bigint NOT NULL,
  `changes` longtext NOT NULL, `plan_request` longtext, `expires_time` bigint, `plan_count` bigint,
  `plan_changed` bigint, `applied_time` bigint, PRIMARY KEY (`user_id`, `request_id`),
  INDEX `idx_tokenbatch_requests_created_time` (`created_time`)) DEFAULT CHARSET=utf8mb4;

-- tokenbatch's own: a plan's per-token data in chunks of at most about 1 MiB (crate::plans): part 0 the
-- preview's results, 1 the pinned tokens, 2 the applied result.
CREATE TABLE IF NOT EXISTS `tokenbatch_plan_items` (`user_id` bigint NOT NULL,
  `request_id` varchar(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, `part` bigint NOT NULL,
  `first_index` bigint NOT NULL, `item_count` bigint NOT NULL, `created_time` bigint NOT NULL,
  `expires_time` bigint NOT NULL, `items` longtext NOT NULL,
  PRIMARY KEY (`user_id`, `request_id`, `part`, `first_index`),
  INDEX `idx_tokenbatch_plan_items_created_time` (`created_time`)) DEFAULT CHARSET=utf8mb4;

-- tokenbatch's own: the history (crate::history, SPEC §12). One row per applied batch that changed a token:
-- the acting user, the source, the normalized request (keys masked), the counts; reverts/reverted_by link a
-- revert with the change set it reverts.
CREATE TABLE IF NOT EXISTS `tokenbatch_changes` (`id` bigint AUTO_INCREMENT PRIMARY KEY,
  `user_id` bigint NOT NULL, `created_time` bigint NOT NULL, `source` varchar(16) NOT NULL,
  `request` longtext NOT NULL, `changed` bigint NOT NULL, `unchanged` bigint NOT NULL, `reverts` bigint,
  `reverted_by` bigint, INDEX `idx_tokenbatch_changes_user_id` (`user_id`, `id`),
  INDEX `idx_tokenbatch_changes_created_time` (`created_time`)) DEFAULT CHARSET=utf8mb4;

-- tokenbatch's own: each changed token of a change set, its values before and after in typed columns
-- (crate::history::values: the status, every writable field, the auto-only settings; NULL where the batch
-- did not write it), never its key.
CREATE TABLE IF NOT EXISTS `tokenbatch_change_tokens` (`change_id` bigint NOT NULL,
  `token_id` bigint NOT NULL, `owner_id` bigint NOT NULL,
  `before_status` bigint, `before_group` longtext, `before_expired_time` bigint,
  `before_remain_quota` bigint, `before_unlimited_quota` bigint, `before_model_limits` longtext,
  `before_model_limits_enabled` bigint, `before_allow_ips` longtext, `before_mj_image_mode` longtext,
  `before_mj_custom_proxy` longtext, `before_cross_group_retry` bigint, `before_auto_groups` longtext,
  `after_status` bigint, `after_group` longtext, `after_expired_time` bigint, `after_remain_quota` bigint,
  `after_unlimited_quota` bigint, `after_model_limits` longtext, `after_model_limits_enabled` bigint,
  `after_allow_ips` longtext, `after_mj_image_mode` longtext, `after_mj_custom_proxy` longtext,
  `after_cross_group_retry` bigint, `after_auto_groups` longtext,
  PRIMARY KEY (`change_id`, `token_id`)) DEFAULT CHARSET=utf8mb4;

-- tokenbatch's own: per change set, each owner of its tokens other than its acting user (root's batches
-- across users, SPEC §13), so that owners find those change sets in their list through the primary key.
CREATE TABLE IF NOT EXISTS `tokenbatch_change_owners` (`owner_id` bigint NOT NULL,
  `change_id` bigint NOT NULL, PRIMARY KEY (`owner_id`, `change_id`)) DEFAULT CHARSET=utf8mb4;
