//! A small JSONC reader: RFC 8259 JSON plus `//` and `/* */` comments and trailing commas, nothing looser.
//!
//! Values borrow from the input (numbers stay as their lexeme so the rules can tell `5` from `5.0` or `1e3`),
//! so a 10 000-id array costs one allocation, not one per id. Nesting is capped so hostile input cannot
//! exhaust the stack (the browser's WASM stack is small).

mod parser;

pub(crate) use parser::{is_blank, parse};

use std::borrow::Cow;

/// Deepest nesting of arrays and objects accepted; the body itself needs 2.
pub const MAX_DEPTH: usize = 64;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value<'a> {
    Null,
    Bool(bool),
    /// The number exactly as written, already checked against the JSON number grammar.
    Number(&'a str),
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

/// A value and the byte range of its source text (so messages can quote what the caller sent).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node<'a> {
    pub start: usize,
    pub end: usize,
    pub value: Value<'a>,
}

/// What the reader expected where it found something else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JsonExpected {
    Value,
    CommaOrCloseBracket,
    CommaOrCloseBrace,
    Colon,
    Key,
    EndOfInput,
}

/// Why a text is not JSON(C).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JsonErrorKind {
    UnexpectedEnd,
    UnexpectedChar { found: char, expected: JsonExpected },
    InvalidNumber,
    InvalidEscape,
    LoneSurrogate,
    ControlCharInString,
    UnterminatedString,
    UnterminatedComment,
    TooDeep,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ParseError {
    pub line: usize,
    pub column: usize,
    pub kind: JsonErrorKind,
}

pub(crate) fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// 1-based line and column (in characters) of a byte offset; CR, LF and CRLF each end one line.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let (mut line, mut column) = (1, 1);
    let mut previous = 0u8;
    for &byte in text.as_bytes().iter().take(offset) {
        match byte {
            b'\n' if previous == b'\r' => {}
            b'\n' | b'\r' => {
                line += 1;
                column = 1;
            }
            // UTF-8 continuation bytes belong to the character already counted.
            _ if byte & 0xC0 == 0x80 => {}
            _ => column += 1,
        }
        previous = byte;
    }
    (line, column)
}

/// Appends `text` as a JSON string literal: quotes, backslashes and control characters escaped (as `\uXXXX`
/// unless they have a short form), and U+2028/U+2029, valid in JSON but line ends in older JavaScript
/// source, so the text stays safe wherever it is pasted; everything else as is. What the crate's JSON reader
/// reads back to the same text. The browser module writes its answers with it too.
pub fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || matches!(c, '\u{7f}' | '\u{2028}' | '\u{2029}') => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
