//! The rules of the list fields (`model_limits`, `allow_ips`), of Midjourney's `mj_image_mode` and
//! `mj_custom_proxy`, and of the database's narrower columns.

use super::{text_err, text_ok};
use crate::tests::{codes, ctx, paths, writing};
use crate::{check_body, check_field, Field, Problem};

#[test]
fn model_limits_rules() {
    assert_eq!(
        text_ok("model_limits", r#"" gpt-4o , gpt-4o-2024-11-20,gpt-4o ""#),
        "gpt-4o,gpt-4o-2024-11-20"
    );
    assert_eq!(text_ok("model_limits", r#""""#), "");
    assert_eq!(text_ok("model_limits", r#""  ""#), "");
    assert_eq!(
        text_err("model_limits", r#""a,,b""#),
        ["model_limits.empty_entry"]
    );
    assert_eq!(
        text_err("model_limits", r#""a,""#),
        ["model_limits.empty_entry"]
    );
    let at_limit = "m".repeat(128);
    assert_eq!(
        text_ok("model_limits", &format!("\"{at_limit}\"")),
        at_limit
    );
    let wide = "模".repeat(128);
    assert_eq!(text_ok("model_limits", &format!("\"{wide}\"")), wide);
    let violations = check_field(
        "model_limits",
        &format!("\"a,{}\"", "m".repeat(129)),
        &ctx(),
    );
    assert_eq!(codes(&violations), ["model_limits.too_long"]);
    let Problem::ModelLimitsTooLong { entry, chars } = &violations[0].problem else {
        panic!()
    };
    assert_eq!(*chars, 129);
    assert!(
        entry.starts_with("\"mmm") && entry.ends_with("…\""),
        "{entry}"
    );
    assert_eq!(
        text_err("model_limits", r#""gpt\u0007x""#),
        ["model_limits.control_char"]
    );
    assert_eq!(
        text_err("model_limits", r#""gpt\tx""#),
        ["model_limits.control_char"]
    );
    let names: Vec<String> = (0..120).map(|i| format!("model-{i:03}")).collect();
    let violations = check_field("model_limits", &format!("\"{}\"", names.join(",")), &ctx());
    assert_eq!(codes(&violations), ["model_limits.total_too_long"]);
    assert_eq!(
        violations[0].problem,
        Problem::ModelLimitsTotalTooLong {
            chars: 120 * 9 + 119
        }
    );
    // Duplicates do not count towards the total.
    let repeated = vec!["model-000"; 300].join(",");
    assert_eq!(
        text_ok("model_limits", &format!("\"{repeated}\"")),
        "model-000"
    );
}

#[test]
fn allow_ips_rules() {
    assert_eq!(
        text_ok(
            "allow_ips",
            r#""10.0.0.0/8\r\n\r\n ::1 \n2001:db8::/32\n192.168.1.1/24\n\n""#
        ),
        "10.0.0.0/8\n::1\n2001:db8::/32\n192.168.1.1/24"
    );
    assert_eq!(text_ok("allow_ips", r#""""#), "");
    assert_eq!(text_ok("allow_ips", r#""192.168.1.1""#), "192.168.1.1");
    assert_eq!(
        text_ok("allow_ips", r#""::ffff:1.2.3.4/128""#),
        "::ffff:1.2.3.4/128"
    );
    let violations = check_field(
        "allow_ips",
        r#""1.2.3.4\n\nexample.com\n10.0.0.0/33\n::1/129\n1.2.3.4/\n1.2.3.4/x\n300.1.1.1""#,
        &ctx(),
    );
    assert_eq!(codes(&violations), ["allow_ips.invalid"; 6]);
    assert_eq!(paths(&violations), ["allow_ips"; 6]);
    assert_eq!(
        violations[0].problem,
        Problem::AllowIpsInvalid {
            line: 3,
            text: "\"example.com\"".into(),
            has_comma: false
        }
    );
    let violations = check_field("allow_ips", r#""1.1.1.1, 2.2.2.2""#, &ctx());
    let Problem::AllowIpsInvalid {
        line: 1,
        has_comma: true,
        ..
    } = violations[0].problem
    else {
        panic!()
    };
    assert!(violations[0]
        .message(crate::Lang::En)
        .contains("one entry per line"));
    assert!(violations[0]
        .message(crate::Lang::ZhCn)
        .contains("每行只写一个地址"));
}

#[test]
fn mj_image_mode_rules() {
    assert_eq!(text_ok("mj_image_mode", r#""origin""#), "origin");
    assert_eq!(text_ok("mj_image_mode", r#""proxy""#), "proxy");
    for bad in [r#""Origin""#, r#""""#, r#""proxy ""#, r#""relay""#] {
        assert_eq!(
            text_err("mj_image_mode", bad),
            ["mj_image_mode.invalid"],
            "{bad}"
        );
    }
}

#[test]
fn mj_custom_proxy_rules() {
    for good in [
        "",
        "https://img.example.com/p?x=1",
        "http://[::1]:8080/",
        "HTTPS://A.B",
        "http://user:pw@host:8080",
        "http://localhost",
        "https://例子.测试/",
    ] {
        assert_eq!(text_ok("mj_custom_proxy", &format!("\"{good}\"")), good);
    }
    for bad in [
        "ftp://x",
        "http://",
        "http:///path",
        "https://a b",
        " https://a",
        "example.com",
        "http://host:99999",
        "http://host:",
        "http://[::1",
        "http://[zz]/",
        "http://a\\u0000",
        "https://%%:x",
        "//host",
    ] {
        assert_eq!(
            text_err("mj_custom_proxy", &format!("\"{bad}\"")),
            ["mj_custom_proxy.invalid_url"],
            "{bad}"
        );
    }
    let longest = format!("https://p.example/{}", "a".repeat(2048 - 18));
    assert_eq!(
        text_ok("mj_custom_proxy", &format!("\"{longest}\"")),
        longest
    );
    let too_long = format!("{longest}a");
    assert_eq!(
        text_err("mj_custom_proxy", &format!("\"{too_long}\"")),
        ["mj_custom_proxy.too_long"]
    );
}

#[test]
fn proxy_with_origin_mode_conflicts() {
    let both = |mode: &str, proxy: &str| {
        let text = writing(
            &format!(r#""mj_image_mode": "{mode}", "mj_custom_proxy": "{proxy}""#),
            r#""mj_image_mode,mj_custom_proxy""#,
        );
        check_body(&text, &ctx())
    };
    let violations = both("origin", "https://p.example").unwrap_err();
    assert_eq!(codes(&violations), ["mj_custom_proxy.mode_conflict"]);
    assert_eq!(paths(&violations), ["mj_custom_proxy"]);
    assert!(both("origin", "").is_ok());
    assert!(both("proxy", "https://p.example").is_ok());
    // Only when both are written in the same request.
    let text = writing(
        r#""mj_image_mode": "origin", "mj_custom_proxy": "https://p.example""#,
        r#"["mj_custom_proxy"]"#,
    );
    assert!(check_body(&text, &ctx()).is_ok());
}

#[test]
fn values_longer_than_the_database_column_are_refused() {
    let ips: Vec<String> = (1..=30).map(|n| format!("10.0.0.{n}")).collect();
    let text = writing(
        &format!(r#""allow_ips": "{}""#, ips.join("\\n")),
        r#"["allow_ips"]"#,
    );
    let mut narrow = ctx();
    narrow.column_limits = vec![(Field::AllowIps, 191)];
    let violations = check_body(&text, &narrow).unwrap_err();
    assert_eq!(violations[0].code(), "allow_ips.too_long_for_column");
    assert!(violations[0].message(crate::Lang::En).contains("191"));
    assert!(
        check_body(&text, &ctx()).is_ok(),
        "no limit without a narrow column"
    );
}
