//! The seed example body (docs/SPEC.md §1), kept inline as well so the tests do not depend only on the
//! shared/ checkout beside the repository.

/// Byte-for-byte copy of shared/seed/example-request.jsonc (CRLF line ends, `//` comments, no final newline).
pub(crate) const EXAMPLE_BODY: &str = concat!(
    "{\r\n",
    " // 这里是要修改的token id,所以要先获取token id\r\n",
    " \"ids\": [\r\n",
    " 873,\r\n",
    " 869\r\n",
    " ],\r\n",
    "\r\n",
    " // 【分组优先级选择】,可以多个逗号分隔\r\n",
    " \"group\": \"default\",\r\n",
    "\r\n",
    " // 【过期时间】,如果是【永不限制】,则填-1,也可以填写时间戳\r\n",
    " \"expired_time\": 1776410923,\r\n",
    "\r\n",
    " // 【额度】\r\n",
    " \"remain_quota\": 0,\r\n",
    "\r\n",
    " // 【额度】,如果为true 则为【无限额度】\r\n",
    " \"unlimited_quota\": true,\r\n",
    "\r\n",
    " // 【模型限制列表】多选,逗号分隔开来\r\n",
    " \"model_limits\": \"gpt-4o,gpt-4o-2024-11-20\",\r\n",
    "\r\n",
    " // 访问限制【可用模型限制设置】\r\n",
    " \"model_limits_enabled\": true,\r\n",
    "\r\n",
    " // 访问限制【白名单】\r\n",
    " \"allow_ips\": \"192.168.1.1\",\r\n",
    "\r\n",
    " // 此列对应【Midjourney 设置 配置图片代理方式】 \r\n",
    " \"mj_image_mode\": \"origin\",\r\n",
    "\r\n",
    " // 自定义图片代理地址 【目前只有:配置图片代理方式为 <(proxy) 图片代理地址(国外很慢,国内可以访问)>】\r\n",
    " \"mj_custom_proxy\": \"\",\r\n",
    " \r\n",
    " // 需要批量修改的列【字段】,可以选择其中的一个或者全部\r\n",
    " \"update_fields\": [\r\n",
    " \"group\",\r\n",
    " \"expired_time\",\r\n",
    " \"remain_quota\",\r\n",
    " \"unlimited_quota\",\r\n",
    " \"model_limits\",\r\n",
    " \"allow_ips\",\r\n",
    " \"mj_image_mode\",\r\n",
    " \"mj_custom_proxy\"\r\n",
    " ]\r\n",
    "}",
);

use super::{ctx, NOW};
use crate::{check_body, parse_body, Field, FieldSet, Lang, Problem};

/// The vendored copy of ../shared/seed/example-request.jsonc (tests/ checks it is still identical).
const EXAMPLE_FILE: &str = include_str!("../../../../tests/fixtures/example-request.jsonc");

#[test]
fn inline_copy_matches_the_seed_file() {
    assert_eq!(EXAMPLE_BODY, EXAMPLE_FILE);
    assert!(EXAMPLE_FILE.contains("\r\n // "));
}

#[test]
fn seed_example_parses_verbatim() {
    for body in [EXAMPLE_FILE, EXAMPLE_BODY] {
        let input = parse_body(body).unwrap();
        assert_eq!(input.ids, [873, 869]);
        assert_eq!(input.patch.group.as_deref(), Some("default"));
        assert_eq!(input.patch.expired_time, Some(1776410923));
        assert_eq!(input.patch.remain_quota, Some(0));
        assert_eq!(input.patch.unlimited_quota, Some(true));
        assert_eq!(
            input.patch.model_limits.as_deref(),
            Some("gpt-4o,gpt-4o-2024-11-20")
        );
        assert_eq!(input.patch.model_limits_enabled, Some(true));
        assert_eq!(input.patch.allow_ips.as_deref(), Some("192.168.1.1"));
        assert_eq!(input.patch.mj_image_mode.as_deref(), Some("origin"));
        assert_eq!(input.patch.mj_custom_proxy.as_deref(), Some(""));
        assert_eq!(input.patch.present(), FieldSet::all());
        let listed = FieldSet::all().difference([Field::ModelLimitsEnabled].into_iter().collect());
        assert_eq!(input.update_fields, Some(listed));
    }
}

#[test]
fn seed_example_is_valid_and_warns_about_its_past_expiry() {
    const { assert!(NOW > 1776410923) };
    let batch = check_body(EXAMPLE_BODY, &ctx()).unwrap();
    assert_eq!(batch.ids, [869, 873]);
    assert_eq!(batch.fields.len(), 8);
    assert_eq!(
        batch.ignored,
        [Field::ModelLimitsEnabled].into_iter().collect()
    );
    assert_eq!(batch.values.model_limits_enabled, None);
    assert_eq!(batch.values.group.as_deref(), Some("default"));
    assert_eq!(batch.warnings.len(), 2);
    assert_eq!(
        batch.warnings[1].message(Lang::En),
        "model_limits_enabled in the body not written: not listed in update_fields."
    );
    let warning = &batch.warnings[0];
    assert_eq!(
        warning.problem,
        Problem::ExpiredTimePast { value: 1776410923 }
    );
    assert_eq!(
        warning.message(Lang::En),
        "expired_time 1776410923 (2026-04-17 07:28:43 UTC) is in the past: the tokens will be expired immediately."
    );
    assert_eq!(
        warning.message(Lang::ZhCn),
        "expired_time 的值 1776410923（2026-04-17 07:28:43 UTC）已经过去：这些令牌将立即过期。"
    );
    // Before that date there is no expiry to warn about.
    let earlier = crate::Context {
        now: 1_700_000_000,
        allowed_groups: None,
        column_limits: Vec::new(),
    };
    let warnings = check_body(EXAMPLE_BODY, &earlier).unwrap().warnings;
    assert!(warnings.iter().all(|w| w.code() != "expired_time.past"));
}

#[test]
fn seed_example_without_update_fields_names_its_fields() {
    let cut = EXAMPLE_BODY.find(" // 需要批量修改的列").unwrap();
    let body = format!("{}}}", &EXAMPLE_BODY[..cut]);
    let violations = check_body(&body, &ctx()).unwrap_err();
    assert_eq!(violations.len(), 1);
    assert_eq!(
        violations[0].message(Lang::En),
        "update_fields is required: list the fields to write, e.g. \"update_fields\": [\"group\",\"expired_time\",\"remain_quota\",\"unlimited_quota\",\"model_limits\",\"model_limits_enabled\",\"allow_ips\",\"mj_image_mode\",\"mj_custom_proxy\"] (the body carries: group, expired_time, remain_quota, unlimited_quota, model_limits, model_limits_enabled, allow_ips, mj_image_mode, mj_custom_proxy)."
    );
}
