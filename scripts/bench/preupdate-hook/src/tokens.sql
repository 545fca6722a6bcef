WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
INSERT INTO tokens (user_id, key, status, name, created_time, accessed_time, expired_time, remain_quota,
  unlimited_quota, model_limits_enabled, model_limits, "group")
SELECT CASE WHEN i <= 10000 THEN 1 ELSE 2 END, 'sk-' || hex(randomblob(20)), 1, 'token ' || i, 1700000000,
  1700000000, -1, 500000 + i, 0, 0, '', 'default' FROM n
