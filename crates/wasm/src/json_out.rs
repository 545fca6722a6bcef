//! A minimal JSON writer: the module hands JSON text to JavaScript, and serde would cost more bytes than
//! everything else in the module together.

/// Appends `text` as a JSON string literal: the rules crate's writer, which the server's stored requests use.
pub use tokenbatch_rules::write_json_string as string;

use std::fmt::Write;

/// Builds one JSON object, key by key, in insertion order.
pub struct Object {
    out: String,
    empty: bool,
}

impl Object {
    pub fn new() -> Object {
        Object {
            out: String::from("{"),
            empty: true,
        }
    }

    fn key(&mut self, key: &str) -> &mut String {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        string(&mut self.out, key);
        self.out.push(':');
        &mut self.out
    }

    pub fn str(&mut self, key: &str, value: &str) -> &mut Object {
        let out = self.key(key);
        string(out, value);
        self
    }

    pub fn int(&mut self, key: &str, value: i64) -> &mut Object {
        let out = self.key(key);
        let _ = write!(out, "{value}");
        self
    }

    pub fn bool(&mut self, key: &str, value: bool) -> &mut Object {
        let out = self.key(key);
        out.push_str(if value { "true" } else { "false" });
        self
    }

    pub fn null(&mut self, key: &str) -> &mut Object {
        self.key(key).push_str("null");
        self
    }

    /// `json` must already be JSON text (an object or array built here).
    pub fn raw(&mut self, key: &str, json: &str) -> &mut Object {
        self.key(key).push_str(json);
        self
    }

    pub fn strings<'a>(
        &mut self,
        key: &str,
        values: impl IntoIterator<Item = &'a str>,
    ) -> &mut Object {
        let out = self.key(key);
        out.push('[');
        for (index, value) in values.into_iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            string(out, value);
        }
        out.push(']');
        self
    }

    pub fn finish(&mut self) -> String {
        let mut out = std::mem::take(&mut self.out);
        out.push('}');
        out
    }
}

/// `[a,b,…]` from JSON texts.
pub fn array(items: impl IntoIterator<Item = String>) -> String {
    let items: Vec<String> = items.into_iter().collect();
    format!("[{}]", items.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_what_json_requires() {
        let mut out = String::new();
        string(&mut out, "a\"b\\c\nd\u{1}e\u{2028}中");
        assert_eq!(out, r#""a\"b\\c\nd\u0001e\u2028中""#);
    }

    #[test]
    fn objects_keep_key_order_and_separators() {
        let json = Object::new()
            .bool("ok", true)
            .int("n", -1)
            .str("s", "x")
            .null("z")
            .strings("l", ["a", "b"])
            .raw("r", &array(["1".to_string(), "{}".to_string()]))
            .finish();
        assert_eq!(
            json,
            r#"{"ok":true,"n":-1,"s":"x","z":null,"l":["a","b"],"r":[1,{}]}"#
        );
        assert_eq!(Object::new().finish(), "{}");
    }
}
