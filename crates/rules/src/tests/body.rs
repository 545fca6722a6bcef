//! parse_body: the shapes a body may take and the shape errors.

use super::{body_codes, codes, ctx, paths, writing};
use crate::{
    check_body, parse_body, parse_body_bytes, Field, FieldSet, JsonErrorKind, Problem,
    MAX_BODY_BYTES,
};

fn parse_codes(text: &str) -> Vec<&'static str> {
    codes(&parse_body(text).expect_err(text))
}

#[test]
fn ids_accept_integer_arrays_numeric_strings_and_comma_strings() {
    for ids in [
        r#"[873, 869]"#,
        r#"["873", 869]"#,
        r#"" 873 , 869 ""#,
        r#""873,869""#,
        r#"[" 873 ", "869",]"#,
    ] {
        let input = parse_body(&writing(r#""group": "a""#, r#"["group"]"#).replace("[1]", ids))
            .unwrap_or_else(|v| panic!("{ids}: {v:?}"));
        assert_eq!(input.ids, vec![873, 869], "{ids}");
    }
}

#[test]
fn ids_shape_errors_name_the_entry() {
    let with_ids =
        |ids: &str| parse_body(&format!(r#"{{"ids": {ids}, "update_fields": []}}"#)).unwrap_err();
    for ids in [r#"{"873,869": ""}"#, "873", "true", "null"] {
        let violations = with_ids(ids);
        assert_eq!(codes(&violations), ["ids.type"], "{ids}");
        assert_eq!(paths(&violations), ["ids"]);
    }
    let violations =
        with_ids(r#"[1, 2.5, -3, 0, "abc", true, null, 1e3, "", [4], 99999999999999999999, 5.0]"#);
    assert_eq!(
        paths(&violations),
        [
            "ids[1]", "ids[2]", "ids[3]", "ids[4]", "ids[5]", "ids[6]", "ids[7]", "ids[8]",
            "ids[9]", "ids[10]", "ids[11]"
        ]
    );
    assert!(codes(&violations).iter().all(|code| *code == "ids.invalid"));
    assert_eq!(
        violations[3].problem,
        Problem::IdsInvalid {
            entry: "\"abc\"".into()
        }
    );
    assert_eq!(
        violations[0].problem,
        Problem::IdsInvalid {
            entry: "2.5".into()
        }
    );

    let violations = with_ids(r#""1,,2, x ,3,""#);
    assert_eq!(
        codes(&violations),
        ["ids.empty_entry", "ids.invalid", "ids.empty_entry"]
    );
    assert_eq!(paths(&violations), ["ids", "ids", "ids"]);
    assert_eq!(
        violations[0].problem,
        Problem::IdsEmptyEntry { position: 2 }
    );
    assert_eq!(
        violations[1].problem,
        Problem::IdsInvalid {
            entry: "\"x\"".into()
        }
    );
    assert_eq!(
        violations[2].problem,
        Problem::IdsEmptyEntry { position: 6 }
    );
    assert_eq!(codes(&with_ids(r#""-1, +2, 0x10""#)), ["ids.invalid"; 3]);
}

#[test]
fn ids_missing_is_reported_once() {
    assert_eq!(parse_codes(r#"{"update_fields": []}"#), ["ids.missing"]);
    assert_eq!(
        body_codes(r#"{"group": "a", "update_fields": ["group"]}"#),
        ["ids.missing"]
    );
}

#[test]
fn update_fields_accepts_arrays_and_comma_strings() {
    let expected: FieldSet = [Field::Group, Field::ExpiredTime].into_iter().collect();
    for update_fields in [
        r#"["group", "expired_time"]"#,
        r#"" group , expired_time ,""#,
        r#"["expired_time", "group", "group", " "]"#,
    ] {
        let text = writing(r#""group": "a", "expired_time": -1"#, update_fields);
        assert_eq!(
            parse_body(&text).unwrap().update_fields,
            Some(expected),
            "{update_fields}"
        );
    }
    let input = parse_body(r#"{"ids": [1]}"#).unwrap();
    assert_eq!(input.update_fields, None);
}

#[test]
fn update_fields_shape_errors() {
    let with = |update_fields: &str| {
        parse_body(&format!(
            r#"{{"ids": [1], "update_fields": {update_fields}}}"#
        ))
        .unwrap_err()
    };
    for bad in ["1", "{}", "null", "true"] {
        let violations = with(bad);
        assert_eq!(codes(&violations), ["update_fields.type"], "{bad}");
        assert_eq!(paths(&violations), ["update_fields"]);
    }
    let violations = with(r#"["group", 1, "nope", "ids"]"#);
    assert_eq!(
        codes(&violations),
        [
            "update_fields.type",
            "update_fields.unknown",
            "update_fields.unknown"
        ]
    );
    assert_eq!(
        paths(&violations),
        ["update_fields[1]", "update_fields[2]", "update_fields[3]"]
    );
    let violations = with(r#""group,Group""#);
    assert_eq!(
        violations[0].problem,
        Problem::UpdateFieldsUnknown {
            name: "\"Group\"".into()
        }
    );
}

#[test]
fn each_field_takes_only_its_json_type() {
    let cases = [
        ("group", ["1", "null", "[\"a\"]", "true"]),
        ("expired_time", ["\"1776410923\"", "1.5", "1e3", "null"]),
        ("remain_quota", ["\"5\"", "5.0", "true", "null"]),
        ("unlimited_quota", ["\"true\"", "1", "0", "null"]),
        ("model_limits", ["1", "[\"gpt-4o\"]", "false", "null"]),
        ("model_limits_enabled", ["\"false\"", "0", "[]", "null"]),
        ("allow_ips", ["[\"1.1.1.1\"]", "1", "false", "null"]),
        ("mj_image_mode", ["0", "true", "[]", "null"]),
        ("mj_custom_proxy", ["1", "{}", "false", "null"]),
    ];
    for (name, bad_values) in cases {
        for value in bad_values {
            let text = writing(&format!(r#""{name}": {value}"#), &format!(r#"["{name}"]"#));
            let violations = parse_body(&text).expect_err(&text);
            assert_eq!(codes(&violations), [format!("{name}.type")], "{text}");
            assert_eq!(paths(&violations), [name]);
            // A mistyped field is not also reported as missing from the body.
            assert_eq!(body_codes(&text), [format!("{name}.type")], "{text}");
        }
    }
}

#[test]
fn integers_out_of_i64_are_range_errors() {
    let text = writing(
        r#""expired_time": 99999999999999999999, "remain_quota": -99999999999999999999"#,
        "[]",
    );
    let violations = parse_body(&text).unwrap_err();
    assert_eq!(
        codes(&violations),
        ["expired_time.range", "remain_quota.range"]
    );
    assert_eq!(
        violations[0].problem,
        Problem::ExpiredTimeRange {
            value: "99999999999999999999".into()
        }
    );
    let text = writing(
        r#""expired_time": -9223372036854775808, "remain_quota": 9223372036854775807"#,
        r#"["remain_quota"]"#,
    );
    let input = parse_body(&text).unwrap();
    assert_eq!(input.patch.expired_time, Some(i64::MIN));
    assert_eq!(input.patch.remain_quota, Some(i64::MAX));
}

#[test]
fn unknown_and_duplicate_keys() {
    let violations =
        parse_body(r#"{"ids": [1], "ids": [2], "Group": "a", "update_fields": [], "id": 1}"#)
            .unwrap_err();
    assert_eq!(
        codes(&violations),
        [
            "body.duplicate_key",
            "body.unknown_field",
            "body.unknown_field"
        ]
    );
    assert_eq!(paths(&violations), ["ids", "Group", "id"]);
    let violations = check_body(
        r#"{"ids": [1], "x": 1, "update_fields": ["group"], "group": "a", "group": "b"}"#,
        &ctx(),
    )
    .unwrap_err();
    assert_eq!(
        codes(&violations),
        ["body.unknown_field", "body.duplicate_key"]
    );
    // Escaped keys are the same key.
    assert_eq!(
        parse_codes(r#"{"ids": [1], "\u0069ds": [2]}"#),
        ["body.duplicate_key"]
    );
    // Nested objects may repeat keys: they are type errors anyway, not the body's keys.
    assert_eq!(parse_codes(r#"{"ids": {"a": 1, "a": 2}}"#), ["ids.type"]);
}

#[test]
fn body_level_errors() {
    for empty in ["", "  \r\n", "\u{feff}", "// nothing\r\n/* at all */"] {
        assert_eq!(parse_codes(empty), ["body.empty"], "{empty:?}");
    }
    for not_object in ["[1, 2]", "1", "null", "\"ids\"", "true"] {
        assert_eq!(parse_codes(not_object), ["body.not_object"], "{not_object}");
    }
    for invalid in [
        "{",
        "{'ids': [1]}",
        "{ids: [1]}",
        "{\"ids\": [1],,}",
        "{\"ids\": NaN}",
        "/* x",
        "{} []",
    ] {
        assert_eq!(parse_codes(invalid), ["body.invalid_json"], "{invalid}");
    }
    let violations = parse_body("{\r\n \"ids\": [1,\r\n 2 3]}").unwrap_err();
    assert_eq!(
        violations[0].problem,
        Problem::InvalidJson {
            line: 3,
            column: 4,
            reason: JsonErrorKind::UnexpectedChar {
                found: '3',
                expected: crate::JsonExpected::CommaOrCloseBracket
            }
        }
    );
    assert_eq!(paths(&violations), ["body"]);
}

#[test]
fn size_and_encoding_limits() {
    let padding = " ".repeat(MAX_BODY_BYTES);
    let big = format!(r#"{{"ids": [1]{padding}}}"#);
    assert_eq!(parse_codes(&big), ["body.too_large"]);
    assert_eq!(
        codes(&parse_body_bytes(big.as_bytes()).unwrap_err()),
        ["body.too_large"]
    );
    assert_eq!(
        codes(&check_body(&big, &ctx()).unwrap_err()),
        ["body.too_large"]
    );
    let just_fits = format!(r#"{{"ids":[1]{}}}"#, " ".repeat(MAX_BODY_BYTES - 11));
    assert_eq!(just_fits.len(), MAX_BODY_BYTES);
    assert!(parse_body(&just_fits).is_ok());

    let violations = parse_body_bytes(b"{\n  \"ids\": [1, \xff]}").unwrap_err();
    assert_eq!(codes(&violations), ["body.invalid_utf8"]);
    assert_eq!(
        violations[0].problem,
        Problem::InvalidUtf8 {
            line: 2,
            column: 14
        }
    );
    assert_eq!(
        codes(&parse_body_bytes(b"\xef\xbb").unwrap_err()),
        ["body.invalid_utf8"]
    );
    assert!(parse_body_bytes("\u{feff}{\"ids\": \"1\"}".as_bytes()).is_ok());
}

#[test]
fn bom_crlf_comments_and_trailing_commas() {
    let text = "\u{feff}{\r\n  // ids\r\n  \"ids\": [1, 2,],\r\n  /* what */ \"group\": \"a\",\r\n  \"update_fields\": [\"group\",],\r\n}\r\n";
    let input = parse_body(text).unwrap();
    assert_eq!(input.ids, [1, 2]);
    assert_eq!(input.patch.group.as_deref(), Some("a"));
}

#[test]
fn all_shape_violations_are_returned_in_order() {
    let text = r#"{"zzz": 1, "mj_custom_proxy": 1, "group": 2, "update_fields": ["bogus"], "ids": [0, "x"]}"#;
    let violations = parse_body(text).unwrap_err();
    assert_eq!(
        codes(&violations),
        [
            "body.unknown_field",
            "ids.invalid",
            "ids.invalid",
            "update_fields.unknown",
            "group.type",
            "mj_custom_proxy.type"
        ]
    );
}

#[test]
fn shape_violations_per_field_are_capped() {
    let ids = vec!["\"x\""; 5000].join(",");
    let violations = parse_body(&format!(r#"{{"ids": [{ids}]}}"#)).unwrap_err();
    assert_eq!(violations.len(), crate::body::MAX_PROBLEMS_PER_FIELD);
    let ids = vec!["x"; 5000].join(",");
    let violations = parse_body(&format!(r#"{{"ids": "{ids}"}}"#)).unwrap_err();
    assert_eq!(violations.len(), crate::body::MAX_PROBLEMS_PER_FIELD);
}
