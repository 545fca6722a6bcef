//! The reader itself: one recursive-descent pass over the text, values borrowing from it, errors placed by
//! line and column.

use std::borrow::Cow;

use super::{line_column, JsonErrorKind, JsonExpected, Node, ParseError, Value, MAX_DEPTH};

/// Parses one JSON(C) value filling the whole text (a BOM must already be stripped).
pub(crate) fn parse(text: &str) -> Result<Node<'_>, ParseError> {
    let mut parser = Parser { text, pos: 0 };
    let root = parser.value(0)?;
    parser.skip_blank()?;
    match parser.peek_char() {
        None => Ok(root),
        Some(found) => Err(parser.error(JsonErrorKind::UnexpectedChar {
            found,
            expected: JsonExpected::EndOfInput,
        })),
    }
}

/// True when the text holds nothing but whitespace and comments.
pub(crate) fn is_blank(text: &str) -> bool {
    let mut parser = Parser { text, pos: 0 };
    parser.skip_blank().is_ok() && parser.pos >= text.len()
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn peek_char(&self) -> Option<char> {
        self.text
            .get(self.pos..)
            .and_then(|rest| rest.chars().next())
    }

    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or_default()
    }

    fn error(&self, kind: JsonErrorKind) -> ParseError {
        self.error_at(self.pos, kind)
    }

    fn error_at(&self, offset: usize, kind: JsonErrorKind) -> ParseError {
        let (line, column) = line_column(self.text, offset);
        ParseError { line, column, kind }
    }

    fn unexpected(&self, expected: JsonExpected) -> ParseError {
        match self.peek_char() {
            None => self.error(JsonErrorKind::UnexpectedEnd),
            Some(found) => self.error(JsonErrorKind::UnexpectedChar { found, expected }),
        }
    }

    fn skip_blank(&mut self) -> Result<(), ParseError> {
        let bytes = self.text.as_bytes();
        while let Some(byte) = self.peek() {
            match (byte, bytes.get(self.pos + 1)) {
                (b' ' | b'\t' | b'\n' | b'\r', _) => self.pos += 1,
                (b'/', Some(b'/')) => {
                    while !matches!(self.peek(), None | Some(b'\n' | b'\r')) {
                        self.pos += 1;
                    }
                }
                (b'/', Some(b'*')) => {
                    let body = self.text.get(self.pos + 2..).unwrap_or_default();
                    match body.find("*/") {
                        Some(length) => self.pos += 2 + length + 2,
                        None => return Err(self.error(JsonErrorKind::UnterminatedComment)),
                    }
                }
                _ => break,
            }
        }
        Ok(())
    }

    fn value(&mut self, depth: usize) -> Result<Node<'a>, ParseError> {
        self.skip_blank()?;
        let start = self.pos;
        let value = match self.peek() {
            Some(b'{') => self.object(depth + 1)?,
            Some(b'[') => self.array(depth + 1)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b'-' | b'0'..=b'9') => Value::Number(self.number()?),
            Some(b't') if self.literal("true") => Value::Bool(true),
            Some(b'f') if self.literal("false") => Value::Bool(false),
            Some(b'n') if self.literal("null") => Value::Null,
            _ => return Err(self.unexpected(JsonExpected::Value)),
        };
        Ok(Node {
            start,
            end: self.pos,
            value,
        })
    }

    fn literal(&mut self, word: &str) -> bool {
        let found = self
            .text
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(word));
        if found {
            self.pos += word.len();
        }
        found
    }

    fn enter(&mut self, depth: usize) -> Result<(), ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.error(JsonErrorKind::TooDeep));
        }
        self.pos += 1;
        Ok(())
    }

    fn array(&mut self, depth: usize) -> Result<Value<'a>, ParseError> {
        self.enter(depth)?;
        let mut items = Vec::new();
        loop {
            self.skip_blank()?;
            if self.peek() == Some(b']') {
                self.pos += 1;
                return Ok(Value::Array(items));
            }
            items.push(self.value(depth)?);
            self.skip_blank()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {}
                _ => return Err(self.unexpected(JsonExpected::CommaOrCloseBracket)),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value<'a>, ParseError> {
        self.enter(depth)?;
        let mut members = Vec::new();
        loop {
            self.skip_blank()?;
            match self.peek() {
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                Some(b'"') => {}
                _ => return Err(self.unexpected(JsonExpected::Key)),
            }
            let key = self.string()?;
            self.skip_blank()?;
            if self.peek() != Some(b':') {
                return Err(self.unexpected(JsonExpected::Colon));
            }
            self.pos += 1;
            members.push((key, self.value(depth)?));
            self.skip_blank()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return Err(self.unexpected(JsonExpected::CommaOrCloseBrace)),
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<&'a str, ParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let leading_zero = self.peek() == Some(b'0');
        match self.digits() {
            0 => return Err(self.error_at(start, JsonErrorKind::InvalidNumber)),
            1 => {}
            _ if leading_zero => return Err(self.error_at(start, JsonErrorKind::InvalidNumber)),
            _ => {}
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error_at(start, JsonErrorKind::InvalidNumber));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error_at(start, JsonErrorKind::InvalidNumber));
            }
        }
        Ok(self.slice(start, self.pos))
    }

    /// Reads a string starting at its opening quote; borrows unless it has escapes.
    fn string(&mut self) -> Result<Cow<'a, str>, ParseError> {
        let open = self.pos;
        self.pos += 1;
        let mut decoded: Option<String> = None;
        let mut run_start = self.pos;
        loop {
            match self.peek() {
                None => return Err(self.error_at(open, JsonErrorKind::UnterminatedString)),
                Some(b'"') => {
                    let run = self.slice(run_start, self.pos);
                    self.pos += 1;
                    return Ok(match decoded {
                        None => Cow::Borrowed(run),
                        Some(mut text) => {
                            text.push_str(run);
                            Cow::Owned(text)
                        }
                    });
                }
                Some(b'\\') => {
                    let text = decoded.get_or_insert_with(String::new);
                    text.push_str(self.slice(run_start, self.pos));
                    text.push(self.escape()?);
                    run_start = self.pos;
                }
                Some(0..=0x1f) => return Err(self.error(JsonErrorKind::ControlCharInString)),
                Some(_) => self.pos += 1,
            }
        }
    }

    /// Decodes one escape sequence starting at its backslash.
    fn escape(&mut self) -> Result<char, ParseError> {
        let backslash = self.pos;
        let invalid = |parser: &Self| parser.error_at(backslash, JsonErrorKind::InvalidEscape);
        let simple = match self.text.as_bytes().get(self.pos + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 2;
                return self.unicode_escape(backslash);
            }
            _ => return Err(invalid(self)),
        };
        self.pos += 2;
        Ok(simple)
    }

    /// `\uXXXX`, pairing a high surrogate with the `\uXXXX` low surrogate that must follow it.
    fn unicode_escape(&mut self, backslash: usize) -> Result<char, ParseError> {
        let lone = |parser: &Self| parser.error_at(backslash, JsonErrorKind::LoneSurrogate);
        let first = self.hex4(backslash)?;
        let code = match first {
            0xD800..=0xDBFF => {
                if !self
                    .text
                    .get(self.pos..)
                    .is_some_and(|rest| rest.starts_with("\\u"))
                {
                    return Err(lone(self));
                }
                self.pos += 2;
                let second = self.hex4(backslash)?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(lone(self));
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(lone(self)),
            _ => first,
        };
        char::from_u32(code).ok_or_else(|| lone(self))
    }

    fn hex4(&mut self, backslash: usize) -> Result<u32, ParseError> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = self.peek().and_then(|byte| (byte as char).to_digit(16));
            let Some(digit) = digit else {
                return Err(self.error_at(backslash, JsonErrorKind::InvalidEscape));
            };
            code = code * 16 + digit;
            self.pos += 1;
        }
        Ok(code)
    }
}
