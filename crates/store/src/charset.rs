//! Which characters a MySQL column's character set holds.
//!
//! new-api's GORM tables take the database's default character set. On MySQL 5.7 and older installations
//! that is `latin1` or `utf8` (3-byte `utf8mb3`) rather than `utf8mb4`, and such a column refuses (strict
//! mode) or mangles a character outside it: an emoji in `model_limits`, a Chinese group name in latin1.
//! The rules cannot know the column, so the store checks a batch's values against it before writing and
//! names the field and the character instead of failing in the database.

use tokenbatch_rules::{Field, FieldSet, Patch};

/// Character sets this check knows to be narrower than Unicode. Any other (utf8mb4, utf16, utf32, binary,
/// the East Asian ones) is left to the database.
const NARROW: [&str; 5] = ["utf8", "utf8mb3", "ucs2", "latin1", "ascii"];

pub(crate) fn is_narrow(charset: &str) -> bool {
    NARROW
        .iter()
        .any(|narrow| narrow.eq_ignore_ascii_case(charset))
}

/// Whether a column in `charset` can store `c`.
pub(crate) fn holds(charset: &str, c: char) -> bool {
    match charset.to_ascii_lowercase().as_str() {
        "utf8" | "utf8mb3" | "ucs2" => u32::from(c) <= 0xFFFF,
        "ascii" => c.is_ascii(),
        "latin1" => holds_latin1(c),
        _ => true,
    }
}

/// MySQL's latin1 is Windows-1252, its five unassigned bytes mapped to the same code points.
fn holds_latin1(c: char) -> bool {
    const WINDOWS_1252: [char; 27] = [
        '€', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 'Ž', '‘', '’', '“', '”', '•',
        '–', '—', '˜', '™', 'š', '›', 'œ', 'ž', 'Ÿ',
    ];
    match u32::from(c) {
        0x81 | 0x8D | 0x8F | 0x90 | 0x9D => true,
        0x80..=0x9F => false,
        0..=0xFF => true,
        _ => WINDOWS_1252.contains(&c),
    }
}

/// The first written text value with a character its column cannot hold: (field, character, charset).
pub(crate) fn first_unstorable<'a>(
    charsets: &'a [(Field, String)],
    fields: FieldSet,
    values: &Patch,
) -> Option<(Field, char, &'a str)> {
    charsets
        .iter()
        .filter(|(field, _)| fields.contains(*field))
        .find_map(|(field, charset)| {
            let text = values.text(*field)?;
            let character = text.chars().find(|c| !holds(charset, *c))?;
            Some((*field, character, charset.as_str()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_narrow_charset_holds_what_mysql_stores() {
        for c in ['a', 'é', 'ÿ', '€', 'Ÿ', '\u{81}'] {
            assert!(holds("latin1", c), "{c:?}");
        }
        for c in ['中', 'Ā', '\u{80}', '😀'] {
            assert!(!holds("latin1", c), "{c:?}");
        }
        assert!(holds("utf8mb3", '中') && holds("UTF8", '\u{FFFF}'));
        assert!(!holds("utf8mb3", '😀') && !holds("utf8", '\u{10000}'));
        assert!(holds("ascii", '~') && !holds("ascii", 'é'));
        assert!(
            holds("utf8mb4", '😀') && holds("gbk", '😀'),
            "left to the database"
        );
        assert!(is_narrow("UTF8MB3") && !is_narrow("utf8mb4"));
    }

    #[test]
    fn the_first_value_its_column_cannot_hold_is_named() {
        let charsets = vec![
            (Field::Group, "latin1".to_owned()),
            (Field::ModelLimits, "utf8mb3".to_owned()),
        ];
        let values = Patch {
            group: Some("vip".into()),
            model_limits: Some("gpt-4o,模型😀".into()),
            ..Patch::default()
        };
        let both: FieldSet = [Field::Group, Field::ModelLimits].into_iter().collect();
        assert_eq!(
            first_unstorable(&charsets, both, &values),
            Some((Field::ModelLimits, '😀', "utf8mb3"))
        );
        let group_only: FieldSet = [Field::Group].into_iter().collect();
        assert_eq!(first_unstorable(&charsets, group_only, &values), None);
    }
}
