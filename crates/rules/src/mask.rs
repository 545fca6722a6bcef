//! new-api's `MaskTokenKey`: keys never leave the service whole, and never reach what it stores about a
//! request (a plan, a change set): listed keys, and `filter.key` patterns kept with a request, are masked.

use crate::filter::{FilterKey, TextPattern};
use crate::ValidBatch;

/// First 4, `**********`, last 4 characters (2 and 2 for keys of 5 to 8; all masked up to 4).
pub fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let n = chars.len();
    let edge = |from: usize, to: usize| chars[from..to].iter().collect::<String>();
    match n {
        0 => String::new(),
        1..=4 => "*".repeat(n),
        5..=8 => format!("{}****{}", edge(0, 2), edge(n - 2, n)),
        _ => format!("{}**********{}", edge(0, 4), edge(n - 4, n)),
    }
}

impl ValidBatch {
    /// [`ValidBatch::request_json`] with a `filter.key` pattern masked as a listed key is: what a plan or a
    /// change set stores. The masked pattern still reads back as a valid request (it has no wildcard), and
    /// nothing applies a stored request through its filter: a plan applies to the ids it pinned.
    pub fn stored_request_json(&self) -> String {
        let Some(pattern) = self.filter.as_ref().and_then(|filter| filter.key.as_ref()) else {
            return self.request_json();
        };
        let mut masked = self.clone();
        let hidden = mask_key(&pattern.input);
        if let Some(filter) = masked.filter.as_mut() {
            filter.key = TextPattern::new(&hidden, FilterKey::Key).ok();
        }
        masked.request_json()
    }
}

#[cfg(test)]
mod tests {
    use super::mask_key;

    #[test]
    fn keys_are_masked_as_new_api_masks_them() {
        assert_eq!(mask_key(""), "");
        assert_eq!(mask_key("abcd"), "****");
        assert_eq!(mask_key("abcdefgh"), "ab****gh");
        assert_eq!(mask_key("sk-abcdefghijkl"), "sk-a**********ijkl");
    }
}
