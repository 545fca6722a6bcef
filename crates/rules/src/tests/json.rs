use crate::json::{is_blank, line_column, parse, strip_bom, JsonErrorKind, JsonExpected, Value};
use crate::MAX_DEPTH;

fn kind(text: &str) -> JsonErrorKind {
    parse(text).expect_err(text).kind
}

#[test]
fn parses_scalars_keeping_number_lexemes() {
    for (text, lexeme) in [
        ("5", "5"),
        ("5.0", "5.0"),
        ("1e3", "1e3"),
        ("-0", "-0"),
        ("1E+3", "1E+3"),
    ] {
        assert_eq!(parse(text).unwrap().value, Value::Number(lexeme));
    }
    assert_eq!(parse("true").unwrap().value, Value::Bool(true));
    assert_eq!(parse(" false ").unwrap().value, Value::Bool(false));
    assert_eq!(parse("null").unwrap().value, Value::Null);
}

#[test]
fn strings_decode_every_escape_and_borrow_when_plain() {
    let node = parse(r#""a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\ud83d\ude00""#).unwrap();
    let Value::String(text) = node.value else {
        panic!()
    };
    assert_eq!(text, "a\"b\\c/d\u{8}\u{c}\n\r\tAé😀");
    let node = parse(r#""plain 中文""#).unwrap();
    assert!(matches!(
        node.value,
        Value::String(std::borrow::Cow::Borrowed("plain 中文"))
    ));
}

#[test]
fn lone_surrogates_and_bad_escapes_are_errors() {
    assert_eq!(kind(r#""\ud800""#), JsonErrorKind::LoneSurrogate);
    assert_eq!(kind(r#""\ud800\u0041""#), JsonErrorKind::LoneSurrogate);
    assert_eq!(kind(r#""\udc00""#), JsonErrorKind::LoneSurrogate);
    assert_eq!(kind(r#""\ud800x""#), JsonErrorKind::LoneSurrogate);
    assert_eq!(kind(r#""\x""#), JsonErrorKind::InvalidEscape);
    assert_eq!(kind(r#""\u12g4""#), JsonErrorKind::InvalidEscape);
    assert_eq!(kind(r#""\u12"#), JsonErrorKind::InvalidEscape);
    assert_eq!(kind("\"a\u{1}b\""), JsonErrorKind::ControlCharInString);
    assert_eq!(kind("\"a\nb\""), JsonErrorKind::ControlCharInString);
    assert_eq!(kind(r#""abc"#), JsonErrorKind::UnterminatedString);
}

#[test]
fn numbers_follow_the_json_grammar() {
    for bad in ["-", "01", "-01", "1.", ".5", "1e", "1e+", "-a", "00"] {
        let error = parse(bad).expect_err(bad).kind;
        assert!(
            matches!(
                error,
                JsonErrorKind::InvalidNumber | JsonErrorKind::UnexpectedChar { .. }
            ),
            "{bad}: {error:?}"
        );
    }
    assert_eq!(kind("01"), JsonErrorKind::InvalidNumber);
    let plus = kind("+1");
    assert_eq!(
        plus,
        JsonErrorKind::UnexpectedChar {
            found: '+',
            expected: JsonExpected::Value
        }
    );
}

#[test]
fn nothing_looser_than_jsonc() {
    for text in [
        "{'a': 1}",
        "{a: 1}",
        "NaN",
        "Infinity",
        "[1,,2]",
        "[,]",
        "{,}",
        "tru",
        "nul",
        "#c\n1",
        "undefined",
    ] {
        assert!(parse(text).is_err(), "{text} must be rejected");
    }
    assert_eq!(
        kind("{a: 1}"),
        JsonErrorKind::UnexpectedChar {
            found: 'a',
            expected: JsonExpected::Key
        }
    );
    assert_eq!(
        kind("{\"a\" 1}"),
        JsonErrorKind::UnexpectedChar {
            found: '1',
            expected: JsonExpected::Colon
        }
    );
    assert_eq!(
        kind("[1 2]"),
        JsonErrorKind::UnexpectedChar {
            found: '2',
            expected: JsonExpected::CommaOrCloseBracket
        }
    );
    assert_eq!(
        kind("{\"a\":1 \"b\":2}"),
        JsonErrorKind::UnexpectedChar {
            found: '"',
            expected: JsonExpected::CommaOrCloseBrace
        }
    );
    assert_eq!(
        kind("{} {}"),
        JsonErrorKind::UnexpectedChar {
            found: '{',
            expected: JsonExpected::EndOfInput
        }
    );
    assert_eq!(kind("[1,"), JsonErrorKind::UnexpectedEnd);
    assert_eq!(kind(""), JsonErrorKind::UnexpectedEnd);
}

#[test]
fn comments_and_trailing_commas_are_accepted_anywhere_between_tokens() {
    let text = "/*a*/{ // x\r\n \"k\" /* b */ : /* c */ [1, 2, /* d */], // e\n \"m\": {\"n\": 1,}, }// end";
    let root = parse(text).unwrap();
    let Value::Object(members) = root.value else {
        panic!()
    };
    assert_eq!(members.len(), 2);
    assert_eq!(members[0].0, "k");
    let Value::Array(items) = &members[0].1.value else {
        panic!()
    };
    assert_eq!(items.len(), 2);
    assert_eq!(kind("/* open"), JsonErrorKind::UnterminatedComment);
    assert_eq!(
        kind("1 /"),
        JsonErrorKind::UnexpectedChar {
            found: '/',
            expected: JsonExpected::EndOfInput
        }
    );
}

#[test]
fn node_ranges_cover_the_value_text() {
    let text = r#"{"a": [1, {"b": null}] }"#;
    let root = parse(text).unwrap();
    let Value::Object(members) = &root.value else {
        panic!()
    };
    let node = &members[0].1;
    assert_eq!(&text[node.start..node.end], r#"[1, {"b": null}]"#);
    assert_eq!((root.start, root.end), (0, text.len()));
}

#[test]
fn nesting_is_capped() {
    let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(parse(&ok).is_ok());
    let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    assert_eq!(kind(&deep), JsonErrorKind::TooDeep);
    let hostile = "[{\"a\":".repeat(200_000);
    assert_eq!(kind(&hostile), JsonErrorKind::TooDeep);
}

#[test]
fn errors_carry_one_based_line_and_column() {
    let error = parse("{\r\n  \"a\": x\r\n}").unwrap_err();
    assert_eq!((error.line, error.column), (2, 8));
    let error = parse("{\n\"中文\": ?}").unwrap_err();
    assert_eq!((error.line, error.column), (2, 7));
    let error = parse("[1,\r2,\r\n\n 3 4]").unwrap_err();
    assert_eq!((error.line, error.column), (4, 4));
    assert_eq!(line_column("ab", 0), (1, 1));
    assert_eq!(line_column("a\r\nb", 3), (2, 1));
    assert_eq!(line_column("a\rb", 2), (2, 1));
    assert_eq!(line_column("é", 99), (1, 2));
}

#[test]
fn blank_and_bom_helpers() {
    assert!(is_blank(""));
    assert!(is_blank(" \r\n\t// only a comment\r\n/* and this */"));
    assert!(!is_blank("/* unterminated"));
    assert!(!is_blank(" {}"));
    assert_eq!(strip_bom("\u{feff}{}"), "{}");
    assert_eq!(strip_bom("{}"), "{}");
}
