use crate::time::format_utc;
use crate::{Field, FieldSet, Lang, MAX_EXPIRED_TIME, RULES_VERSION};

#[test]
fn format_utc_renders_civil_dates() {
    assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
    assert_eq!(format_utc(1776410923), "2026-04-17 07:28:43 UTC");
    assert_eq!(format_utc(MAX_EXPIRED_TIME), "9999-12-31 23:59:59 UTC");
    assert_eq!(format_utc(-1), "1969-12-31 23:59:59 UTC");
    assert_eq!(format_utc(951_782_400), "2000-02-29 00:00:00 UTC");
    assert_eq!(format_utc(4_107_542_400), "2100-03-01 00:00:00 UTC");
    assert_eq!(format_utc(-62_135_596_800), "0001-01-01 00:00:00 UTC");
    for extreme in [i64::MIN, i64::MAX, i64::MIN + 1] {
        assert!(format_utc(extreme).ends_with(" UTC"));
    }
}

#[test]
fn language_tags() {
    for (tag, lang) in [
        ("en", Some(Lang::En)),
        ("en-US", Some(Lang::En)),
        ("EN_gb", Some(Lang::En)),
        ("zh", Some(Lang::ZhCn)),
        ("zh-CN", Some(Lang::ZhCn)),
        ("zh-Hant-TW", Some(Lang::ZhCn)),
        ("fr", None),
        ("", None),
        ("english", None),
        ("*", None),
    ] {
        assert_eq!(Lang::from_tag(tag), lang, "{tag}");
    }
}

#[test]
fn accept_language_honours_q_values() {
    for (header, lang) in [
        ("en-US,en;q=0.9", Lang::En),
        ("zh-CN,zh;q=0.9,en;q=0.8", Lang::ZhCn),
        ("fr-FR, en;q=0.5", Lang::En),
        ("en;q=0.5, zh;q=0.8", Lang::ZhCn),
        ("zh;q=0.5, en;q=0.8", Lang::En),
        ("en;q=0, zh;q=0.1", Lang::ZhCn),
        ("en;q=0", Lang::ZhCn),
        ("en;q=bogus", Lang::ZhCn),
        ("en;q=0.001", Lang::En),
        ("en ; Q=1.000", Lang::En),
        ("*", Lang::ZhCn),
        ("", Lang::ZhCn),
        ("de, fr", Lang::ZhCn),
        ("en, zh", Lang::En),
        (";;;,,,q=", Lang::ZhCn),
    ] {
        assert_eq!(Lang::from_accept_language(header), lang, "{header}");
    }
    assert_eq!(Lang::default(), Lang::ZhCn);
}

#[test]
fn fields_and_field_sets() {
    assert_eq!(Field::ALL.len(), 9);
    for (index, field) in Field::ALL.into_iter().enumerate() {
        assert_eq!(Field::from_name(field.name()), Some(field));
        assert_eq!(field as usize, index);
    }
    assert_eq!(Field::from_name("Group"), None);
    assert_eq!(Field::from_name("ids"), None);
    let mut set = FieldSet::new();
    assert!(set.is_empty());
    set.insert(Field::MjCustomProxy);
    set.insert(Field::Group);
    set.insert(Field::Group);
    assert_eq!(set.len(), 2);
    assert!(set.contains(Field::Group) && !set.contains(Field::AllowIps));
    assert_eq!(
        set.iter().collect::<Vec<_>>(),
        [Field::Group, Field::MjCustomProxy]
    );
    assert_eq!(set.names(), "group, mj_custom_proxy");
    assert_eq!(FieldSet::all().len(), 9);
    assert_eq!(FieldSet::all().difference(set).len(), 7);
    assert_eq!(set.union(FieldSet::all()), FieldSet::all());
    assert_eq!(FieldSet::default(), FieldSet::new());
}

#[test]
fn rules_version_names_package_and_content() {
    let tag = RULES_VERSION
        .strip_prefix(concat!("rules-", env!("CARGO_PKG_VERSION"), "-"))
        .unwrap();
    assert_eq!(tag.len(), 8);
    assert!(tag
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
}
