//! The operations' rule codes and their messages in zh-CN and en (docs/SPEC.md §11). Kept beside the
//! operations so the body's catalogue (problem.rs) only delegates to it.

use super::{Operation, TokenOutcome};
use crate::{
    Field, Lang, MAX_ALLOW_IPS_CHARS, MAX_ALLOW_IPS_ENTRIES, MAX_EXPIRED_TIME,
    MAX_MODEL_LIMITS_CHARS, MAX_REMAIN_QUOTA,
};

/// One failed operation rule. Strings named `value`, `key` or `entry` are already rendered for display.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OperationProblem {
    /// `<field>.operation_unknown`: a key the field's operations do not have.
    UnknownKey { field: Field, key: String },
    /// `<field>.operation_type`: a known key with a value of the wrong JSON type.
    WrongType {
        field: Field,
        key: &'static str,
        value: String,
    },
    /// `<field>.operation_empty`: `{}` or only empty lists.
    Empty { field: Field },
    /// `remain_quota.operation_exclusive`: both `add` and `subtract`.
    Exclusive { field: Field },
    /// `<field>.operation_range`: an amount or a duration out of range.
    OutOfRange { field: Field, value: String },
    /// `<field>.operation_conflict`: the same entry added and removed.
    Conflict { field: Field, entry: String },
    /// `<field>.operation_with_value`: both an absolute value and an operation (only gRPC can say both).
    WithValue { field: Field },
    /// `status.invalid`: neither 1 / "enabled" nor 2 / "disabled".
    StatusInvalid { value: String },
    /// `status.missing`: `update_fields` names status, the body has none.
    StatusMissing,
    /// A token's result out of bounds, with how many tokens of the batch are concerned.
    Refused { outcome: TokenOutcome, count: usize },
}

/// `<field>.<suffix>` for the five fields that take operations.
macro_rules! field_code {
    ($field:expr, $suffix:literal) => {
        match $field {
            Field::RemainQuota => concat!("remain_quota.", $suffix),
            Field::ExpiredTime => concat!("expired_time.", $suffix),
            Field::ModelLimits => concat!("model_limits.", $suffix),
            Field::AllowIps => concat!("allow_ips.", $suffix),
            _ => concat!("group.", $suffix),
        }
    };
}

impl OperationProblem {
    pub fn code(&self) -> &'static str {
        use OperationProblem::*;
        match self {
            UnknownKey { field, .. } => field_code!(field, "operation_unknown"),
            WrongType { field, .. } => field_code!(field, "operation_type"),
            Empty { field } => field_code!(field, "operation_empty"),
            Exclusive { field } => field_code!(field, "operation_exclusive"),
            OutOfRange { field, .. } => field_code!(field, "operation_range"),
            Conflict { field, .. } => field_code!(field, "operation_conflict"),
            WithValue { field } => field_code!(field, "operation_with_value"),
            StatusInvalid { .. } => "status.invalid",
            StatusMissing => "status.missing",
            Refused { outcome, .. } => outcome.code(),
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::ZhCn => self.message_zh(),
            Lang::En => self.message_en(),
        }
    }

    fn message_zh(&self) -> String {
        use OperationProblem::*;
        match self {
            UnknownKey { field, key } => format!(
                "{} 的操作中没有 {key}：可用的操作有 {}。",
                field.name(),
                keys(*field)
            ),
            WrongType { field, key, value } => format!(
                "{}.{key} 必须是{}，而收到的是 {value}。",
                field.name(),
                expected_zh(*field)
            ),
            Empty { field } => format!(
                "{} 的操作为空：请至少给出 {} 之一。",
                field.name(),
                keys(*field)
            ),
            Exclusive { field } => {
                format!("{} 只能给出 add 或 subtract 之一，不能同时给出。", field.name())
            }
            OutOfRange { field, value } => match field {
                Field::ExpiredTime => format!(
                    "expired_time.extend 的值 {value} 超出范围：延长的秒数必须在 1 到 {MAX_EXPIRED_TIME} 之间。"
                ),
                _ => format!(
                    "{} 的增减额度 {value} 超出范围：必须是 0 到 {MAX_REMAIN_QUOTA} 之间的整数。",
                    field.name()
                ),
            },
            Conflict { field, entry } => format!(
                "{} 的操作同时添加又移除了 {entry}：请只保留其一。",
                field.name()
            ),
            WithValue { field } => format!(
                "{} 同时给出了值和操作：请只给出其一。",
                field.name()
            ),
            StatusInvalid { value } => format!(
                "status 的值 {value} 无效：只能是 1 或 \"enabled\"（启用）、2 或 \"disabled\"（禁用）。"
            ),
            StatusMissing => "update_fields 中列出了 status，但请求体中没有 status 的值。".into(),
            Refused { outcome, count } => refused_zh(*outcome, *count),
        }
    }

    fn message_en(&self) -> String {
        use OperationProblem::*;
        match self {
            UnknownKey { field, key } => format!(
                "{} has no operation {key}: the operations are {}.",
                field.name(),
                keys(*field)
            ),
            WrongType { field, key, value } => format!(
                "{}.{key} must be {}, but got {value}.",
                field.name(),
                expected_en(*field)
            ),
            Empty { field } => format!(
                "the operation on {} is empty: give at least one of {}.",
                field.name(),
                keys(*field)
            ),
            Exclusive { field } => format!(
                "{} takes either add or subtract, not both.",
                field.name()
            ),
            OutOfRange { field, value } => match field {
                Field::ExpiredTime => format!(
                    "expired_time.extend {value} is out of range: the seconds to extend by must be from 1 to {MAX_EXPIRED_TIME}."
                ),
                _ => format!(
                    "the amount {value} for {} is out of range: it must be an integer from 0 to {MAX_REMAIN_QUOTA}.",
                    field.name()
                ),
            },
            Conflict { field, entry } => format!(
                "the operation on {} both adds and removes {entry}: keep only one.",
                field.name()
            ),
            WithValue { field } => format!(
                "{} has both a value and an operation: give only one.",
                field.name()
            ),
            StatusInvalid { value } => format!(
                "status {value} is not valid: use 1 or \"enabled\", 2 or \"disabled\"."
            ),
            StatusMissing => "update_fields lists status, but the body has no status value.".into(),
            Refused { outcome, count } => refused_en(*outcome, *count),
        }
    }
}

fn keys(field: Field) -> String {
    Operation::keys(field).join(", ")
}

fn expected_zh(field: Field) -> &'static str {
    match field {
        Field::RemainQuota | Field::ExpiredTime => "整数",
        Field::AllowIps => "字符串（每行一个 IP 或 CIDR）",
        _ => "字符串（逗号分隔）",
    }
}

fn expected_en(field: Field) -> &'static str {
    match field {
        Field::RemainQuota | Field::ExpiredTime => "an integer",
        Field::AllowIps => "a string (one IP or CIDR per line)",
        _ => "a string (comma-separated)",
    }
}

fn refused_zh(outcome: TokenOutcome, count: usize) -> String {
    match outcome {
        TokenOutcome::QuotaBelowZero => {
            format!("有 {count} 个令牌的剩余额度将低于 0，整批未修改。")
        }
        TokenOutcome::QuotaAboveMaximum => format!(
            "有 {count} 个令牌的剩余额度将超过 new-api 的上限 {MAX_REMAIN_QUOTA}，整批未修改。"
        ),
        TokenOutcome::ExpiryAboveMaximum => format!(
            "有 {count} 个令牌延长后的过期时间将超过 {MAX_EXPIRED_TIME}（9999 年末），整批未修改。"
        ),
        TokenOutcome::ListTooLong(field) => format!(
            "有 {count} 个令牌修改后的 {} 将超过可保存的长度（{}），整批未修改。",
            field.name(),
            list_limit(field, Lang::ZhCn)
        ),
        TokenOutcome::TooManyIps => format!(
            "有 {count} 个令牌修改后的 allow_ips 将超过 {MAX_ALLOW_IPS_ENTRIES} 条，整批未修改。"
        ),
        TokenOutcome::CannotEnableExpired => {
            format!("有 {count} 个令牌已过期，无法启用，整批未修改：请同时延长其过期时间。")
        }
        TokenOutcome::CannotEnableExhausted => {
            format!("有 {count} 个令牌额度已用尽，无法启用，整批未修改：请同时增加其额度。")
        }
    }
}

fn refused_en(outcome: TokenOutcome, count: usize) -> String {
    let tokens = match count {
        1 => "1 token".to_owned(),
        _ => format!("{count} tokens"),
    };
    match outcome {
        TokenOutcome::QuotaBelowZero => format!(
            "{tokens} would have a remaining quota below 0, so nothing was changed."
        ),
        TokenOutcome::QuotaAboveMaximum => format!(
            "{tokens} would have a remaining quota above new-api's maximum of {MAX_REMAIN_QUOTA}, so nothing was changed."
        ),
        TokenOutcome::ExpiryAboveMaximum => format!(
            "{tokens} would expire after {MAX_EXPIRED_TIME} (the end of year 9999), so nothing was changed."
        ),
        TokenOutcome::ListTooLong(field) => format!(
            "{tokens} would have a {} longer than can be stored ({}), so nothing was changed.",
            field.name(),
            list_limit(field, Lang::En)
        ),
        TokenOutcome::TooManyIps => format!(
            "{tokens} would have more than {MAX_ALLOW_IPS_ENTRIES} allow_ips entries, so nothing was changed."
        ),
        TokenOutcome::CannotEnableExpired => format!(
            "{tokens} expired and cannot be enabled, so nothing was changed: extend their expiry in the same batch."
        ),
        TokenOutcome::CannotEnableExhausted => format!(
            "{tokens} have no quota left and cannot be enabled, so nothing was changed: add quota in the same batch."
        ),
    }
}

fn list_limit(field: Field, lang: Lang) -> String {
    let chars = match field {
        Field::ModelLimits => MAX_MODEL_LIMITS_CHARS,
        Field::AllowIps => MAX_ALLOW_IPS_CHARS,
        _ => 0,
    };
    match (lang, chars) {
        (Lang::ZhCn, 0) => "数据库列的宽度".to_owned(),
        (Lang::ZhCn, chars) => format!("{chars} 个字符"),
        (Lang::En, 0) => "the column's width".to_owned(),
        (Lang::En, chars) => format!("{chars} characters"),
    }
}
