//! Writing the JSON the store keeps for itself (recorded changes, a plan's chunks) straight into a `String`.
//! A 10 000-token plan stores and records tens of thousands of values; building them as `serde_json::Value`
//! trees first, only to print and drop them, took longer than the batch's UPDATE (docs/BENCHMARKS.md,
//! figure 9). What is written here is what `serde_json` prints for the same values, so records written
//! before read back the same way and `serde_json` reads these back.

/// A JSON integer.
pub(crate) fn push_integer(out: &mut String, value: i64) {
    out.push_str(itoa::Buffer::new().format(value));
}

/// `true` or `false`.
pub(crate) fn push_boolean(out: &mut String, value: bool) {
    out.push_str(if value { "true" } else { "false" });
}

/// A JSON string, escaped as `serde_json` escapes it: `"`, `\` and control characters; everything else as is.
pub(crate) fn push_string(out: &mut String, text: &str) {
    let plain = !text
        .bytes()
        .any(|byte| byte == b'"' || byte == b'\\' || byte < 0x20);
    match plain {
        true => {
            out.push('"');
            out.push_str(text);
            out.push('"');
        }
        // Rare in token columns (a list of IPs has newlines): serde_json's own escaping.
        false => out.push_str(&serde_json::Value::from(text).to_string()),
    }
}

/// 128 bits as 32 lowercase hex digits, in quotes.
pub(crate) fn push_hex_u128(out: &mut String, value: u128) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for shift in (0..32).rev() {
        let nibble = (value >> (shift * 4)) & 0xf;
        out.push(char::from(DIGITS[nibble as usize]));
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of value reads back through serde_json as written, and prints as serde_json prints it.
    #[test]
    fn values_print_as_serde_json_prints_them() {
        let texts = [
            "",
            "plain",
            "vip,默认 🚀",
            "quote \" and back\\slash",
            "\u{0}\u{1}\u{1f}\u{7f} tab\t cr\r nl\n",
        ];
        for text in texts {
            let mut out = String::new();
            push_string(&mut out, text);
            assert_eq!(out, serde_json::Value::from(text).to_string(), "{text:?}");
        }
        for value in [0, -1, i64::MIN, i64::MAX, 1_800_000_000] {
            let mut out = String::new();
            push_integer(&mut out, value);
            assert_eq!(out, value.to_string());
        }
        for value in [true, false] {
            let mut out = String::new();
            push_boolean(&mut out, value);
            assert_eq!(out, serde_json::Value::from(value).to_string());
        }
        for value in [0, 1, u128::MAX, 0x0123_4567_89ab_cdef_0011_2233_4455_6677] {
            let mut out = String::new();
            push_hex_u128(&mut out, value);
            assert_eq!(out, format!("\"{value:032x}\""));
        }
    }
}
