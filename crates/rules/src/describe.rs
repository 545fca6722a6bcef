//! What each writable field is (JSON type, how a person enters it, limits, label and help in zh-CN/en), so a
//! form is generated from the rules instead of restating them beside the rules.

use crate::problem::Kind;
use crate::{
    Field, Lang, MAX_ALLOW_IPS_CHARS, MAX_ALLOW_IPS_ENTRIES, MAX_EXPIRED_TIME,
    MAX_MJ_CUSTOM_PROXY_CHARS, MAX_MODEL_LIMITS_CHARS, MAX_MODEL_NAME_CHARS, MAX_REMAIN_QUOTA,
};

/// The JSON type the body carries for a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    Text,
    Integer,
    Boolean,
}

impl ValueKind {
    pub fn name(self) -> &'static str {
        match self {
            ValueKind::Text => "string",
            ValueKind::Integer => "integer",
            ValueKind::Boolean => "boolean",
        }
    }
}

/// How a person enters the value; the rules already imply it (a list separated by commas or by lines, a
/// fixed choice, a timestamp), so a form must not guess it from the name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Comma-separated names, order kept.
    CommaList,
    /// One entry per line; blank lines are dropped.
    LineList,
    /// One of `choices`.
    Choice,
    /// A whole number in `min..=max`.
    Integer,
    /// Unix seconds in `min..=max`, or `never`.
    UnixSeconds,
    /// true / false.
    Toggle,
    /// An http(s) URL or empty.
    Url,
}

impl Entry {
    pub fn name(self) -> &'static str {
        match self {
            Entry::CommaList => "comma_list",
            Entry::LineList => "line_list",
            Entry::Choice => "choice",
            Entry::Integer => "integer",
            Entry::UnixSeconds => "unix_seconds",
            Entry::Toggle => "toggle",
            Entry::Url => "url",
        }
    }
}

/// One writable field as the rules see it. Limits absent for a field are None / empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldDescription {
    pub field: Field,
    pub kind: ValueKind,
    pub entry: Entry,
    pub min: Option<i64>,
    pub max: Option<i64>,
    /// The value that means "no expiry" (expired_time's -1).
    pub never: Option<i64>,
    /// Longest single entry of a list, or the whole value for a URL.
    pub max_entry_chars: Option<usize>,
    /// Longest normalized list.
    pub max_total_chars: Option<usize>,
    /// Most entries a list may hold.
    pub max_entries: Option<usize>,
    pub choices: &'static [&'static str],
}

const MJ_IMAGE_MODES: &[&str] = &["origin", "proxy"];

impl FieldDescription {
    /// A short label for a form control.
    pub fn label(&self, lang: Lang) -> &'static str {
        let (zh, en) = match self.field {
            Field::Group => ("分组", "Group"),
            Field::ExpiredTime => ("过期时间", "Expiry"),
            Field::RemainQuota => ("剩余额度", "Remaining quota"),
            Field::UnlimitedQuota => ("无限额度", "Unlimited quota"),
            Field::ModelLimits => ("模型限制列表", "Model limits"),
            Field::ModelLimitsEnabled => ("启用模型限制", "Enforce model limits"),
            Field::AllowIps => ("IP 白名单", "IP whitelist"),
            Field::MjImageMode => ("Midjourney 图片模式", "Midjourney image mode"),
            Field::MjCustomProxy => ("Midjourney 自定义代理", "Midjourney custom proxy"),
        };
        pick(lang, zh, en)
    }

    /// One sentence on what the value means and how to write it.
    pub fn help(&self, lang: Lang) -> &'static str {
        let (zh, en) = match self.field {
            Field::Group => (
                "逗号分隔的分组名，顺序即优先级，例如 vip,default；auto 由 new-api 按请求自动选择。",
                "Comma-separated group names, in priority order, e.g. vip,default; auto lets new-api pick per request.",
            ),
            Field::ExpiredTime => (
                "令牌的过期时间，或永不过期；选择过去的时间会让这些令牌立即过期。",
                "When the tokens expire, or never; a time in the past expires them immediately.",
            ),
            Field::RemainQuota => (
                "剩余额度（整数单位），500 000 单位 = 1 美元；在“无限额度”关闭时生效。",
                "Remaining quota in whole units, 500 000 units = 1 USD; applies while unlimited quota is off.",
            ),
            Field::UnlimitedQuota => (
                "开启后不限额度；关闭时由剩余额度决定。",
                "On: no quota limit; off: the remaining quota governs.",
            ),
            Field::ModelLimits => (
                "逗号分隔的模型名，例如 gpt-4o,gpt-4o-mini；留空表示清空列表。",
                "Comma-separated model names, e.g. gpt-4o,gpt-4o-mini; empty clears the list.",
            ),
            Field::ModelLimitsEnabled => (
                "开启后令牌只能调用模型限制列表中的模型。",
                "On: the tokens may call only the models in the model limit list.",
            ),
            Field::AllowIps => (
                "每行一个 IPv4/IPv6 地址或 CIDR 网段；留空表示不限制。",
                "One IPv4/IPv6 address or CIDR range per line; empty means no restriction.",
            ),
            Field::MjImageMode => (
                "origin 直接返回原图地址，proxy 通过代理返回。",
                "origin returns the original image address, proxy serves images through a proxy.",
            ),
            Field::MjCustomProxy => (
                "以 http:// 或 https:// 开头的代理地址，仅在 proxy 模式下生效；留空表示不使用。",
                "A proxy address starting with http:// or https://, used only in proxy mode; empty for none.",
            ),
        };
        pick(lang, zh, en)
    }
}

fn pick(lang: Lang, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::ZhCn => zh,
        Lang::En => en,
    }
}

/// The description of one field, with the very limits the checks enforce.
pub fn describe(field: Field) -> FieldDescription {
    let kind = match field.kind() {
        Kind::Text => ValueKind::Text,
        Kind::Integer => ValueKind::Integer,
        Kind::Boolean => ValueKind::Boolean,
    };
    let base = FieldDescription {
        field,
        kind,
        entry: Entry::Toggle,
        min: None,
        max: None,
        never: None,
        max_entry_chars: None,
        max_total_chars: None,
        max_entries: None,
        choices: &[],
    };
    match field {
        Field::Group => FieldDescription {
            entry: Entry::CommaList,
            ..base
        },
        Field::ExpiredTime => FieldDescription {
            entry: Entry::UnixSeconds,
            min: Some(1),
            max: Some(MAX_EXPIRED_TIME),
            never: Some(-1),
            ..base
        },
        Field::RemainQuota => FieldDescription {
            entry: Entry::Integer,
            min: Some(0),
            max: Some(MAX_REMAIN_QUOTA),
            ..base
        },
        Field::UnlimitedQuota | Field::ModelLimitsEnabled => base,
        Field::ModelLimits => FieldDescription {
            entry: Entry::CommaList,
            max_entry_chars: Some(MAX_MODEL_NAME_CHARS),
            max_total_chars: Some(MAX_MODEL_LIMITS_CHARS),
            ..base
        },
        Field::AllowIps => FieldDescription {
            entry: Entry::LineList,
            max_total_chars: Some(MAX_ALLOW_IPS_CHARS),
            max_entries: Some(MAX_ALLOW_IPS_ENTRIES),
            ..base
        },
        Field::MjImageMode => FieldDescription {
            entry: Entry::Choice,
            choices: MJ_IMAGE_MODES,
            ..base
        },
        Field::MjCustomProxy => FieldDescription {
            entry: Entry::Url,
            max_entry_chars: Some(MAX_MJ_CUSTOM_PROXY_CHARS),
            ..base
        },
    }
}

/// Every writable field, in `Field::ALL` order.
pub fn describe_all() -> [FieldDescription; Field::ALL.len()] {
    Field::ALL.map(describe)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{check_field, Context};

    fn ctx() -> Context {
        Context {
            now: 1_800_000_000,
            ..Context::default()
        }
    }

    #[test]
    fn every_field_is_described_once_in_field_order() {
        let fields: Vec<Field> = describe_all().iter().map(|d| d.field).collect();
        assert_eq!(fields, Field::ALL.to_vec());
    }

    #[test]
    fn integer_limits_are_the_ones_the_checks_enforce() {
        for description in describe_all() {
            let (Some(min), Some(max)) = (description.min, description.max) else {
                continue;
            };
            let name = description.field.name();
            for accepted in [min, max] {
                let problems = check_field(name, &accepted.to_string(), &ctx());
                assert!(problems.is_empty(), "{name} {accepted}: {problems:?}");
            }
            let below = check_field(name, &(min - 1).to_string(), &ctx());
            assert!(!below.is_empty(), "{name} below {min} accepted");
            let above = check_field(name, &(max + 1).to_string(), &ctx());
            assert!(!above.is_empty(), "{name} above {max} accepted");
        }
    }

    #[test]
    fn never_and_choices_are_accepted_and_nothing_else_is() {
        let never = describe(Field::ExpiredTime).never.unwrap();
        assert!(check_field("expired_time", &never.to_string(), &ctx()).is_empty());
        for choice in describe(Field::MjImageMode).choices {
            assert!(check_field("mj_image_mode", &format!("\"{choice}\""), &ctx()).is_empty());
        }
        assert!(!check_field("mj_image_mode", "\"Proxy\"", &ctx()).is_empty());
    }

    #[test]
    fn entry_lengths_are_the_ones_the_checks_enforce() {
        let limit = describe(Field::ModelLimits).max_entry_chars.unwrap();
        let at_limit = format!("\"{}\"", "m".repeat(limit));
        let over = format!("\"{}\"", "m".repeat(limit + 1));
        assert!(check_field("model_limits", &at_limit, &ctx()).is_empty());
        assert!(!check_field("model_limits", &over, &ctx()).is_empty());

        let limit = describe(Field::MjCustomProxy).max_entry_chars.unwrap();
        let url = |chars: usize| format!("\"https://{}\"", "h".repeat(chars - "https://".len()));
        assert!(check_field("mj_custom_proxy", &url(limit), &ctx()).is_empty());
        assert!(!check_field("mj_custom_proxy", &url(limit + 1), &ctx()).is_empty());
    }

    #[test]
    fn kinds_match_the_json_types_the_body_takes() {
        for description in describe_all() {
            let name = description.field.name();
            let sample = match description.kind {
                ValueKind::Text => "\"\"",
                ValueKind::Integer => "\"1\"",
                ValueKind::Boolean => "\"true\"",
            };
            let problems = check_field(name, sample, &ctx());
            let wrong_type = problems.iter().any(|p| p.code().ends_with(".type"));
            assert_eq!(
                wrong_type,
                description.kind != ValueKind::Text,
                "{name}: {problems:?}"
            );
        }
    }

    #[test]
    fn labels_and_help_exist_in_both_languages() {
        for description in describe_all() {
            for lang in [Lang::ZhCn, Lang::En] {
                assert!(!description.label(lang).is_empty());
                assert!(!description.help(lang).is_empty());
            }
            assert_ne!(description.label(Lang::ZhCn), description.label(Lang::En));
        }
    }
}
