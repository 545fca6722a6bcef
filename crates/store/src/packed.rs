//! A reader for the JSON that SQLite packs a batch's rows into (`json_group_array(json_array(…))`): arrays
//! of integers and strings, no whitespace, no other kind of value. A 10 000-token batch arrives as about
//! 600 KB of it, and a general JSON deserializer took longer to read it than SQLite took to write it; this
//! one reads a string without an escape as one slice.

use crate::StoreError;

pub(crate) struct PackedReader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> PackedReader<'a> {
    pub(crate) fn new(text: &'a str) -> PackedReader<'a> {
        PackedReader { text, at: 0 }
    }

    fn error(&self, expected: &str) -> StoreError {
        let found = self.text[self.at..].chars().next();
        StoreError::Data(format!(
            "unreadable token rows: expected {expected} at byte {}, found {found:?}",
            self.at
        ))
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// Consumes `byte`, or fails naming it.
    pub(crate) fn expect(&mut self, byte: u8) -> Result<(), StoreError> {
        match self.peek() {
            Some(found) if found == byte => {
                self.at += 1;
                Ok(())
            }
            _ => Err(self.error(&format!("{:?}", byte as char))),
        }
    }

    /// Consumes `byte` if it comes next.
    pub(crate) fn eat(&mut self, byte: u8) -> bool {
        let next = self.peek() == Some(byte);
        if next {
            self.at += 1;
        }
        next
    }

    /// Fails unless the whole text was read.
    pub(crate) fn finish(&self) -> Result<(), StoreError> {
        match self.at == self.text.len() {
            true => Ok(()),
            false => Err(self.error("the end")),
        }
    }

    /// A JSON integer that fits an i64 (no fraction, no exponent: SQLite writes integer columns so).
    /// Consumes a JSON `null` if one is next.
    pub(crate) fn null(&mut self) -> bool {
        let found = self.text.as_bytes()[self.at..].starts_with(b"null");
        if found {
            self.at += 4;
        }
        found
    }

    pub(crate) fn integer(&mut self) -> Result<i64, StoreError> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        let negative = self.eat(b'-');
        let digits = self.at;
        let mut value: i64 = 0;
        while let Some(digit) = bytes.get(self.at).filter(|byte| byte.is_ascii_digit()) {
            let digit = i64::from(digit - b'0');
            // Accumulated negatively so that i64::MIN, whose magnitude has no positive i64, reads too.
            value = value
                .checked_mul(10)
                .and_then(|value| value.checked_sub(digit))
                .ok_or_else(|| {
                    StoreError::Data(format!(
                        "unreadable token rows: integer out of range at byte {start}"
                    ))
                })?;
            self.at += 1;
        }
        let leading_zero = self.at - digits > 1 && bytes[digits] == b'0';
        if self.at == digits || leading_zero || matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            self.at = start;
            return Err(self.error("an integer"));
        }
        match negative {
            true => Ok(value),
            false => value.checked_neg().ok_or_else(|| {
                StoreError::Data(format!(
                    "unreadable token rows: integer out of range at byte {start}"
                ))
            }),
        }
    }

    /// A JSON string, unescaped.
    pub(crate) fn string(&mut self) -> Result<String, StoreError> {
        self.expect(b'"')?;
        let bytes = self.text.as_bytes();
        let start = self.at;
        while let Some(&byte) = bytes.get(self.at) {
            match byte {
                // Both are ASCII, so the slice before them ends on a character boundary.
                b'"' => {
                    let plain = self.text[start..self.at].to_owned();
                    self.at += 1;
                    return Ok(plain);
                }
                b'\\' => return self.escaped_string(start),
                0x00..=0x1f => return Err(self.error("no control character in a string")),
                _ => self.at += 1,
            }
        }
        Err(self.error("the end of a string"))
    }

    /// The rest of a string that has escapes, from its first character at `start`.
    fn escaped_string(&mut self, start: usize) -> Result<String, StoreError> {
        let mut out = String::with_capacity(self.at - start + 16);
        out.push_str(&self.text[start..self.at]);
        loop {
            let run = self.at;
            let bytes = self.text.as_bytes();
            while let Some(&byte) = bytes.get(self.at) {
                if byte == b'"' || byte == b'\\' || byte < 0x20 {
                    break;
                }
                self.at += 1;
            }
            out.push_str(&self.text[run..self.at]);
            match self.peek() {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let escape = self.peek().ok_or_else(|| self.error("an escape"))?;
                    self.at += 1;
                    match escape {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => {
                            self.at -= 1;
                            return Err(self.error("an escape"));
                        }
                    }
                }
                Some(_) => return Err(self.error("no control character in a string")),
                None => return Err(self.error("the end of a string")),
            }
        }
    }

    /// The character of a `\u` escape whose `\u` was read, joining a surrogate pair.
    fn unicode_escape(&mut self) -> Result<char, StoreError> {
        let first = self.hex4()?;
        let code = match first {
            0xd800..=0xdbff => {
                if !(self.eat(b'\\') && self.eat(b'u')) {
                    return Err(self.error("the second half of a surrogate pair"));
                }
                let second = self.hex4()?;
                if !(0xdc00..=0xdfff).contains(&second) {
                    return Err(self.error("the second half of a surrogate pair"));
                }
                0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00)
            }
            _ => first,
        };
        char::from_u32(code).ok_or_else(|| self.error("a Unicode scalar value"))
    }

    fn hex4(&mut self) -> Result<u32, StoreError> {
        let digits = self
            .text
            .get(self.at..self.at + 4)
            .ok_or_else(|| self.error("four hex digits"))?;
        let value = u32::from_str_radix(digits, 16).map_err(|_| self.error("four hex digits"))?;
        if !digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return Err(self.error("four hex digits"));
        }
        self.at += 4;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_string(json: &str) -> Result<String, StoreError> {
        let mut reader = PackedReader::new(json);
        let value = reader.string()?;
        reader.finish()?;
        Ok(value)
    }

    fn read_integer(json: &str) -> Result<i64, StoreError> {
        let mut reader = PackedReader::new(json);
        let value = reader.integer()?;
        reader.finish()?;
        Ok(value)
    }

    #[test]
    fn strings_read_as_serde_json_reads_them() {
        let samples = [
            "",
            "default",
            "vip,默认",
            "quote \" backslash \\ slash /",
            "lines\n\r\ttabs\u{8}\u{c}",
            "\u{0}\u{1f}\u{7f}",
            "emoji 🚀 and \u{10ffff}",
            "10.0.0.0/8\n::1",
        ];
        for sample in samples {
            let json = serde_json::to_string(sample).unwrap();
            assert_eq!(read_string(&json).unwrap(), sample, "{json}");
        }
        for json in [
            r#""\ud83d\ude80""#,
            r#""\u00e9\u4e2d""#,
            r#""a\/b""#,
            r#""\u0000""#,
        ] {
            let expected: String = serde_json::from_str(json).unwrap();
            assert_eq!(read_string(json).unwrap(), expected, "{json}");
        }
    }

    #[test]
    fn malformed_strings_are_errors_not_panics() {
        for json in [
            "\"",
            "\"abc",
            "\"\\",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\u12g4\"",
            "\"\\u+123\"",
            "\"\\ud83d\"",
            "\"\\ud83d\\u0041\"",
            "\"\\udc00\"",
            "\"a\u{1}\"",
            "abc",
            "\"é",
        ] {
            assert!(read_string(json).is_err(), "{json:?}");
        }
    }

    #[test]
    fn integers_cover_i64_and_nothing_else() {
        for value in [0, 1, -1, 42, i64::MAX, i64::MIN, 1_776_410_923] {
            assert_eq!(read_integer(&value.to_string()).unwrap(), value);
        }
        for json in [
            "",
            "-",
            "01",
            "-01",
            "1.0",
            "1e3",
            "9223372036854775808",
            "-9223372036854775809",
            "+1",
            "\"1\"",
            "true",
        ] {
            assert!(read_integer(json).is_err(), "{json:?}");
        }
    }
}
