//! The size limits that keep one request from multiplying itself into the database (`allow_ips`) and from
//! writing what new-api itself refuses (`remain_quota`).

use super::{codes, ctx, field_codes, writing};
use crate::describe::describe;
use crate::{
    check_body, check_field, Field, Lang, Problem, MAX_ALLOW_IPS_CHARS, MAX_ALLOW_IPS_ENTRIES,
    MAX_REMAIN_QUOTA,
};

/// `count` distinct IPv4 addresses, one per line, as the JSON string the body carries.
fn ipv4_lines(count: usize) -> String {
    let lines: Vec<String> = (0..count)
        .map(|n| format!("10.{}.{}.{}", n / 65_536, n / 256 % 256, n % 256))
        .collect();
    format!("\"{}\"", lines.join("\\n"))
}

/// `count` IPv6 /128 networks written out in full (43 characters each), one per line.
fn long_ipv6_lines(count: usize) -> String {
    let lines: Vec<String> = (0..count)
        .map(|n| {
            format!(
                "2001:0db8:0000:0000:0000:0000:{:04x}:{:04x}/128",
                n / 65_536,
                n % 65_536
            )
        })
        .collect();
    format!("\"{}\"", lines.join("\\n"))
}

#[test]
fn allow_ips_takes_up_to_its_entry_limit() {
    assert!(field_codes("allow_ips", &ipv4_lines(MAX_ALLOW_IPS_ENTRIES)).is_empty());
    // Blank lines are not entries.
    let padded = ipv4_lines(MAX_ALLOW_IPS_ENTRIES).replace("\\n", "\\n\\n  \\n");
    assert!(field_codes("allow_ips", &padded).is_empty());

    let over = check_field("allow_ips", &ipv4_lines(MAX_ALLOW_IPS_ENTRIES + 1), &ctx());
    assert_eq!(codes(&over), ["allow_ips.too_many"]);
    assert_eq!(over[0].problem, Problem::AllowIpsTooMany { count: 1_001 });
    assert_eq!(
        over[0].message(Lang::En),
        "allow_ips lists 1001 entries, over the limit of 1000: merge neighbouring addresses into CIDR ranges."
    );
    assert_eq!(
        over[0].message(Lang::ZhCn),
        "allow_ips 有 1001 个地址，超过了 1000 个的上限：请用 CIDR 网段合并相邻的地址。"
    );
}

#[test]
fn allow_ips_takes_up_to_its_character_limit() {
    // 762 full-length IPv6 networks: 762 × 44 − 1 = 33 527 characters, over 32 768 with fewer than 1 000 entries.
    let within = (MAX_ALLOW_IPS_CHARS + 1) / 44;
    assert!(field_codes("allow_ips", &long_ipv6_lines(within)).is_empty());
    let over = check_field("allow_ips", &long_ipv6_lines(within + 1), &ctx());
    assert_eq!(codes(&over), ["allow_ips.total_too_long"]);
    let chars = (within + 1) * 44 - 1;
    assert!(chars > MAX_ALLOW_IPS_CHARS && within < MAX_ALLOW_IPS_ENTRIES);
    assert_eq!(over[0].problem, Problem::AllowIpsTotalTooLong { chars });
    let en = over[0].message(Lang::En);
    assert!(en.contains(&format!("{chars} characters")), "{en}");
    assert!(en.contains("32768-character limit"), "{en}");
    assert!(over[0].message(Lang::ZhCn).contains("32768 个字符的上限"));
}

#[test]
fn allow_ips_line_errors_come_before_the_size_limits() {
    let mut text = ipv4_lines(MAX_ALLOW_IPS_ENTRIES + 5);
    text.insert_str(1, "nope\\n");
    assert_eq!(field_codes("allow_ips", &text), ["allow_ips.invalid"]);
}

#[test]
fn allow_ips_limits_apply_to_whole_bodies_too() {
    let body = writing(
        &format!(r#""allow_ips": {}"#, ipv4_lines(MAX_ALLOW_IPS_ENTRIES + 1)),
        r#"["allow_ips"]"#,
    );
    assert_eq!(
        codes(&check_body(&body, &ctx()).unwrap_err()),
        ["allow_ips.too_many"]
    );
}

#[test]
fn the_form_description_carries_the_allow_ips_limits() {
    let description = describe(Field::AllowIps);
    assert_eq!(description.max_entries, Some(MAX_ALLOW_IPS_ENTRIES));
    assert_eq!(description.max_total_chars, Some(MAX_ALLOW_IPS_CHARS));
    assert!(field_codes("allow_ips", &ipv4_lines(MAX_ALLOW_IPS_ENTRIES)).is_empty());
}

#[test]
fn remain_quota_stops_at_new_apis_maximum() {
    assert_eq!(MAX_REMAIN_QUOTA, 500_000_000_000_000);
    assert!(field_codes("remain_quota", "500000000000000").is_empty());
    let over = check_field("remain_quota", "500000000000001", &ctx());
    assert_eq!(codes(&over), ["remain_quota.too_large"]);
    assert_eq!(
        over[0].message(Lang::En),
        "remain_quota 500000000000001 is over the maximum of 500000000000000 (1000000000 USD), the largest quota new-api accepts for a token: for no limit, turn on unlimited_quota."
    );
    assert_eq!(
        over[0].message(Lang::ZhCn),
        "remain_quota 的值 500000000000001 超过上限 500000000000000（1000000000 美元）：new-api 不接受更大的令牌额度；需要不限额度时请开启 unlimited_quota。"
    );
    assert_eq!(describe(Field::RemainQuota).max, Some(MAX_REMAIN_QUOTA));
}

#[test]
fn remain_quota_beyond_64_bits_is_too_large_or_out_of_range_by_sign() {
    let huge = "123456789012345678901234567890";
    assert_eq!(
        field_codes("remain_quota", huge),
        ["remain_quota.too_large"]
    );
    let negative = format!("-{huge}");
    assert_eq!(
        field_codes("remain_quota", &negative),
        ["remain_quota.range"]
    );
}
