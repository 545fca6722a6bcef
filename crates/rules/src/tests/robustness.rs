//! Hostile and broken input never panics, and big batches stay fast.

use super::example::EXAMPLE_BODY;
use super::{codes, ctx, XorShift};
use crate::{
    check_body, check_body_bytes, check_field, parse_body, parse_body_bytes, Field, Lang, MAX_IDS,
};

/// Runs every entry point on the text and renders whatever comes back.
fn exercise(text: &str) {
    let outcome = check_body(text, &ctx());
    if let Err(violations) = &outcome {
        assert!(!violations.is_empty());
        for violation in violations {
            assert!(!violation.message(Lang::ZhCn).is_empty());
            assert!(!violation.message(Lang::En).is_empty());
        }
    }
    // parse_body fails exactly when check_body reports a shape problem; when it succeeds,
    // check_input on its result agrees with check_body.
    if let Ok(input) = parse_body(text) {
        let direct = crate::check_input(input, &ctx());
        assert_eq!(direct.is_ok(), outcome.is_ok(), "{text:?}");
    }
    for name in [
        "ids",
        "update_fields",
        "group",
        "expired_time",
        "allow_ips",
        "mj_custom_proxy",
        "nope",
    ] {
        for violation in check_field(name, text, &ctx()) {
            let _ = violation.message(Lang::En);
        }
    }
}

fn exercise_bytes(bytes: &[u8]) {
    let _ = parse_body_bytes(bytes);
    if let Err(violations) = check_body_bytes(bytes, &ctx()) {
        let _ = crate::join_messages(&violations, Lang::ZhCn);
    }
}

#[test]
fn every_prefix_of_the_example_is_handled() {
    for (end, _) in EXAMPLE_BODY.char_indices() {
        exercise(&EXAMPLE_BODY[..end]);
    }
    for end in 0..=EXAMPLE_BODY.len() {
        exercise_bytes(&EXAMPLE_BODY.as_bytes()[..end]);
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut random = XorShift(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let length = random.below(64);
        let bytes: Vec<u8> = (0..length).map(|_| random.next() as u8).collect();
        exercise_bytes(&bytes);
        exercise(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn random_json_like_text_never_panics() {
    const ALPHABET: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "\\",
        "\\u",
        "d800",
        "/",
        "*",
        "//",
        "/*",
        "*/",
        "\r",
        "\n",
        " ",
        "-",
        "0",
        "1",
        "9",
        ".",
        "e",
        "+",
        "true",
        "null",
        "\"ids\"",
        "\"update_fields\"",
        "\"group\"",
        "\"expired_time\"",
        "\"allow_ips\"",
        "\"mj_custom_proxy\"",
        "\"mj_image_mode\"",
        "\"model_limits\"",
        "\u{feff}",
        "中",
        "é",
        "\u{1}",
    ];
    let mut random = XorShift(42);
    for _ in 0..3000 {
        let text: String = (0..random.below(40))
            .map(|_| ALPHABET[random.below(ALPHABET.len())])
            .collect();
        exercise(&text);
    }
}

#[test]
fn mutations_of_the_example_never_panic() {
    const REPLACEMENTS: &[u8] = b"{}[],:\"\\/*\n\r -0x1e.";
    let mut random = XorShift(7);
    for _ in 0..1500 {
        let mut bytes = EXAMPLE_BODY.as_bytes().to_vec();
        for _ in 0..=random.below(4) {
            let at = random.below(bytes.len());
            match random.below(3) {
                0 => bytes[at] = REPLACEMENTS[random.below(REPLACEMENTS.len())],
                1 => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, REPLACEMENTS[random.below(REPLACEMENTS.len())]),
            }
        }
        exercise_bytes(&bytes);
        if let Ok(text) = std::str::from_utf8(&bytes) {
            exercise(text);
        }
    }
}

#[test]
fn deep_and_wide_bodies_are_rejected_cleanly() {
    let deep = format!(r#"{{"ids": {}}}"#, "[".repeat(100_000));
    assert_eq!(
        codes(&check_body(&deep, &ctx()).unwrap_err()),
        ["body.invalid_json"]
    );
    let wide = format!(r#"{{"ids": [{}]}}"#, vec!["{}"; 200_000].join(","));
    let violations = check_body(&wide, &ctx()).unwrap_err();
    assert_eq!(violations.len(), crate::body::MAX_PROBLEMS_PER_FIELD + 1);
    let keys: String = (0..20_000).map(|i| format!(r#""k{i}": 1,"#)).collect();
    let violations = check_body(&format!("{{{keys}}}"), &ctx()).unwrap_err();
    assert!(violations.iter().all(|v| !v.message(Lang::En).is_empty()));
    let groups: String = (0..100_000).map(|i| format!("g{i},")).collect();
    let restricted = crate::Context {
        now: 0,
        allowed_groups: Some(vec!["default".into()]),
        column_limits: Vec::new(),
    };
    let violations = check_field("group", &format!("\"{groups}\""), &restricted);
    assert!(violations.len() <= crate::body::MAX_PROBLEMS_PER_FIELD + 1);
}

fn ten_thousand_ids_body() -> String {
    let ids: Vec<String> = (1..=MAX_IDS as i64)
        .rev()
        .map(|id| (id * 7 + 100_000).to_string())
        .collect();
    format!(
        r#"{{"ids": [{}], "group": "default", "expired_time": -1, "update_fields": ["group", "expired_time"]}}"#,
        ids.join(", ")
    )
}

#[test]
fn ten_thousand_ids_validate() {
    let batch = check_body(&ten_thousand_ids_body(), &ctx()).unwrap();
    assert_eq!(batch.ids.len(), MAX_IDS);
    assert!(batch.ids.windows(2).all(|pair| pair[0] < pair[1]));
    assert_eq!(
        batch.fields.iter().collect::<Vec<_>>(),
        [Field::Group, Field::ExpiredTime]
    );
}

#[test]
fn unknown_keys_are_capped_too() {
    let keys: String = (0..5_000).map(|i| format!(r#""k{i}": 1,"#)).collect();
    let violations = parse_body(&format!(r#"{{"ids": [1], {keys}}}"#)).unwrap_err();
    assert_eq!(violations.len(), crate::body::MAX_PROBLEMS_PER_FIELD);
}
