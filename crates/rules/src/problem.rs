//! Every rule's stable code and its message in zh-CN and en.
//!
//! Messages are built only here, from the problem's data and the JSON path, so the server and the browser
//! (both calling these functions) produce byte-identical text.

use crate::field::FieldCode;
use crate::filter::FilterProblem;
use crate::json::{JsonErrorKind, JsonExpected};
use crate::plan_messages::PlanProblem;
use crate::time::format_utc;
use crate::{
    Field, FieldSet, Lang, MAX_EXPIRED_TIME, MAX_IDS, MAX_MJ_CUSTOM_PROXY_CHARS,
    MAX_MODEL_LIMITS_CHARS, MAX_MODEL_NAME_CHARS, MAX_REMAIN_QUOTA, QUOTA_PER_USD,
};
use crate::{MAX_ALLOW_IPS_CHARS, MAX_ALLOW_IPS_ENTRIES};

/// One failed rule, carrying the data its message needs. Strings named `value`, `entry`, `text`, `name` or
/// `key` are already rendered for display (quoted JSON strings or raw JSON text, clipped to about 64 chars).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// `body.empty`
    BodyEmpty,
    /// `body.too_large`: over MAX_BODY_BYTES.
    BodyTooLarge,
    /// `body.invalid_utf8`: position of the first byte that is not UTF-8.
    InvalidUtf8 { line: usize, column: usize },
    /// `body.invalid_json`
    InvalidJson {
        line: usize,
        column: usize,
        reason: JsonErrorKind,
    },
    /// `body.not_object`
    NotObject { value: String },
    /// `body.duplicate_key`
    DuplicateKey { key: String },
    /// `body.unknown_field`
    UnknownField { key: String },
    /// `ids.missing`
    IdsMissing,
    /// `ids.type`: neither an array nor a string.
    IdsType { value: String },
    /// `ids.invalid`: an entry that is not a positive integer (the path says which).
    IdsInvalid { entry: String },
    /// `ids.empty_entry`: an empty entry in a comma-separated string, 1-based.
    IdsEmptyEntry { position: usize },
    /// `ids.empty`
    IdsEmpty,
    /// `ids.too_many`: distinct ids over MAX_IDS.
    IdsTooMany { count: usize },
    /// `update_fields.missing`: `present` = the writable fields the body carries.
    UpdateFieldsMissing { present: FieldSet },
    /// `update_fields.type`
    UpdateFieldsType { value: String },
    /// `update_fields.unknown`
    UpdateFieldsUnknown { name: String },
    /// `update_fields.empty`
    UpdateFieldsEmpty,
    /// `<field>.missing`: named in update_fields, absent from the body.
    FieldMissing { field: Field },
    /// `<field>.type`: wrong JSON type (null included).
    WrongType { field: Field, value: String },
    /// `group.empty`
    GroupEmpty,
    /// `group.duplicate`
    GroupDuplicate { name: String },
    /// `group.not_allowed`: `allowed` lists what the caller may use, "auto" first.
    GroupNotAllowed { name: String, allowed: Vec<String> },
    /// `group.control_char`: no group name holds one, and PostgreSQL cannot store NUL.
    GroupControlChar { name: String },
    /// `expired_time.range`
    ExpiredTimeRange { value: String },
    /// `expired_time.milliseconds`
    ExpiredTimeMilliseconds { value: i64, seconds: i64 },
    /// `expired_time.past` (a warning, not a violation)
    ExpiredTimePast { value: i64 },
    /// `update_fields.ignored`: fields the body carries but update_fields does not list (a Warning only).
    FieldsIgnored { fields: FieldSet },
    /// `remain_quota.range`: below 0.
    RemainQuotaRange { value: String },
    /// `remain_quota.too_large`: above MAX_REMAIN_QUOTA, new-api's own ceiling.
    RemainQuotaTooLarge { value: String },
    /// `model_limits.empty_entry`: 1-based position.
    ModelLimitsEmptyEntry { position: usize },
    /// `model_limits.too_long`
    ModelLimitsTooLong { entry: String, chars: usize },
    /// `model_limits.control_char`
    ModelLimitsControlChar { entry: String },
    /// `model_limits.total_too_long`
    ModelLimitsTotalTooLong { chars: usize },
    /// `allow_ips.invalid`: 1-based line; `has_comma` adds the one-entry-per-line hint.
    AllowIpsInvalid {
        line: usize,
        text: String,
        has_comma: bool,
    },
    /// `allow_ips.too_many`: more than MAX_ALLOW_IPS_ENTRIES entries.
    AllowIpsTooMany { count: usize },
    /// `allow_ips.total_too_long`: the normalized list is over MAX_ALLOW_IPS_CHARS characters.
    AllowIpsTotalTooLong { chars: usize },
    /// `mj_image_mode.invalid`
    MjImageModeInvalid { value: String },
    /// `mj_custom_proxy.invalid_url`
    MjCustomProxyInvalidUrl { value: String },
    /// `mj_custom_proxy.too_long`
    MjCustomProxyTooLong { chars: usize },
    /// `<field>.too_long_for_column`: the normalized value is longer than the database column holds.
    TooLongForColumn {
        field: Field,
        chars: usize,
        max: usize,
    },
    /// `mj_custom_proxy.mode_conflict`
    MjCustomProxyModeConflict,
    /// `<field>.charset`: a character the database column's character set cannot hold (a MySQL table in
    /// utf8mb3 or latin1 rather than utf8mb4). The store finds it, since only it knows the column.
    NotInColumnCharset {
        field: Field,
        character: char,
        charset: String,
    },
    /// `filter.*`, `selection.ambiguous`, `expected_count.*`: the filter's own catalogue (filter/messages.rs).
    Filter(FilterProblem),
    /// Operations and status (operation/messages.rs), per-token refusals included.
    Operation(crate::operation::OperationProblem),
    /// `plan.exclusive`, `plan.not_a_batch`, `plan_id.type`, `dry_run.type`, `lang.invalid`: the catalogue of
    /// the plan body keys (plan_messages.rs).
    Plan(PlanProblem),
}

const ID_EXAMPLE: &str = "\"ids\": [873, 869]";

impl Problem {
    pub fn code(&self) -> &'static str {
        use Problem::*;
        match self {
            BodyEmpty => "body.empty",
            BodyTooLarge => "body.too_large",
            InvalidUtf8 { .. } => "body.invalid_utf8",
            InvalidJson { .. } => "body.invalid_json",
            NotObject { .. } => "body.not_object",
            DuplicateKey { .. } => "body.duplicate_key",
            UnknownField { .. } => "body.unknown_field",
            IdsMissing => "ids.missing",
            IdsType { .. } => "ids.type",
            IdsInvalid { .. } => "ids.invalid",
            IdsEmptyEntry { .. } => "ids.empty_entry",
            IdsEmpty => "ids.empty",
            IdsTooMany { .. } => "ids.too_many",
            UpdateFieldsMissing { .. } => "update_fields.missing",
            UpdateFieldsType { .. } => "update_fields.type",
            UpdateFieldsUnknown { .. } => "update_fields.unknown",
            UpdateFieldsEmpty => "update_fields.empty",
            FieldMissing { field } => field.code(FieldCode::Missing),
            TooLongForColumn { field, .. } => field.code(FieldCode::TooLongForColumn),
            NotInColumnCharset { field, .. } => field.code(FieldCode::Charset),
            WrongType { field, .. } => field.code(FieldCode::Type),
            GroupEmpty => "group.empty",
            GroupDuplicate { .. } => "group.duplicate",
            GroupNotAllowed { .. } => "group.not_allowed",
            GroupControlChar { .. } => "group.control_char",
            ExpiredTimeRange { .. } => "expired_time.range",
            ExpiredTimeMilliseconds { .. } => "expired_time.milliseconds",
            ExpiredTimePast { .. } => "expired_time.past",
            FieldsIgnored { .. } => "update_fields.ignored",
            RemainQuotaRange { .. } => "remain_quota.range",
            RemainQuotaTooLarge { .. } => "remain_quota.too_large",
            ModelLimitsEmptyEntry { .. } => "model_limits.empty_entry",
            ModelLimitsTooLong { .. } => "model_limits.too_long",
            ModelLimitsControlChar { .. } => "model_limits.control_char",
            ModelLimitsTotalTooLong { .. } => "model_limits.total_too_long",
            AllowIpsInvalid { .. } => "allow_ips.invalid",
            AllowIpsTooMany { .. } => "allow_ips.too_many",
            AllowIpsTotalTooLong { .. } => "allow_ips.total_too_long",
            MjImageModeInvalid { .. } => "mj_image_mode.invalid",
            MjCustomProxyInvalidUrl { .. } => "mj_custom_proxy.invalid_url",
            MjCustomProxyTooLong { .. } => "mj_custom_proxy.too_long",
            MjCustomProxyModeConflict => "mj_custom_proxy.mode_conflict",
            Filter(problem) => problem.code(),
            Operation(problem) => problem.code(),
            Plan(problem) => problem.code(),
        }
    }

    /// The full sentence for this problem found at JSON path `path` ("body", `"ids[3]"`, "allow_ips", ...).
    pub fn message(&self, path: &str, lang: Lang) -> String {
        match lang {
            Lang::ZhCn => self.message_zh(path),
            Lang::En => self.message_en(path),
        }
    }

    fn message_zh(&self, path: &str) -> String {
        use Problem::*;
        match self {
            BodyEmpty => "请求体为空：请发送一个至少包含 ids 和 update_fields 的 JSON 对象。".into(),
            BodyTooLarge => format!(
                "请求体超过 1 MiB 的上限：请减少每次提交的 id 数量（每次最多 {MAX_IDS} 个）。"
            ),
            InvalidUtf8 { line, column } => {
                format!("请求体不是合法的 UTF-8 文本：第 {line} 行第 {column} 列处有无效字节。")
            }
            InvalidJson {
                line,
                column,
                reason,
            } => {
                let subject = if path == "body" {
                    "请求体".to_string()
                } else {
                    format!("{path} 的值")
                };
                let reason = json_reason_zh(*reason);
                format!("{subject}不是合法的 JSON：第 {line} 行第 {column} 列，{reason}。")
            }
            NotObject { value } => {
                format!("请求体必须是 JSON 对象（{{ ... }}），而收到的是 {value}。")
            }
            DuplicateKey { key } => format!("字段 {key} 重复出现：请只保留一个。"),
            UnknownField { key } => {
                format!("未知字段 {key}：可用的字段有 {}。", valid_keys())
            }
            IdsMissing => format!("缺少 ids：请填写要修改的令牌 id，例如 {ID_EXAMPLE}。"),
            IdsType { value } => format!(
                "ids 必须是 id 数组（如 [873, 869]）或逗号分隔的字符串（如 \"873,869\"），而收到的是 {value}。"
            ),
            IdsInvalid { entry } if path == "ids" => {
                format!("ids 中的 {entry} 不是有效的令牌 id：id 必须是正整数。")
            }
            IdsInvalid { entry } => {
                format!("{path} 的值 {entry} 不是有效的令牌 id：id 必须是正整数。")
            }
            IdsEmptyEntry { position } => {
                format!("ids 的第 {position} 项为空：请删除多余的逗号。")
            }
            IdsEmpty => "ids 不能为空：请至少填写一个令牌 id。".into(),
            IdsTooMany { count } => format!(
                "ids 最多只能有 {MAX_IDS} 个（去重后），当前有 {count} 个：请分批提交。"
            ),
            UpdateFieldsMissing { present } => {
                let carried = if present.is_empty() {
                    "请求体中没有任何可写字段".to_string()
                } else {
                    format!("请求体中带有：{}", present.names())
                };
                format!(
                    "缺少 update_fields：请列出要写入的字段，例如 \"update_fields\": {}（{carried}）。",
                    update_fields_example(*present)
                )
            }
            UpdateFieldsType { value } if path == "update_fields" => format!(
                "update_fields 必须是字段名数组（如 [\"group\",\"expired_time\"]）或逗号分隔的字符串，而收到的是 {value}。"
            ),
            UpdateFieldsType { value } => {
                format!("{path} 必须是字段名字符串，而收到的是 {value}。")
            }
            UpdateFieldsUnknown { name } => format!(
                "update_fields 中的 {name} 不是可写字段：可写字段有 {}。",
                FieldSet::all().names()
            ),
            UpdateFieldsEmpty => "update_fields 不能为空：请至少列出一个要写入的字段。".into(),
            TooLongForColumn { field, chars, max } => format!(
                "{} 的值长 {chars} 个字符，超过数据库中该列的上限 {max}：请缩短后再提交。",
                field.name()
            ),
            NotInColumnCharset {
                field,
                character,
                charset,
            } => format!(
                "{} 含有字符 {}，数据库中该列的字符集 {charset} 无法存储：请去掉该字符，或将该列转换为 utf8mb4。",
                field.name(),
                quote_char(*character)
            ),
            FieldMissing { field } => {
                let name = field.name();
                format!(
                    "update_fields 列出了 {name}，但请求体中没有 {name} 的值：请提供该值，或从 update_fields 中去掉它。"
                )
            }
            WrongType { field, value } => {
                let expected = match field.kind() {
                    Kind::Text => "字符串",
                    Kind::Integer => "整数（JSON 数字，不带引号，没有小数点或指数）",
                    Kind::Boolean => "布尔值 true 或 false（JSON 布尔值，不带引号）",
                };
                format!("{} 必须是{expected}，而收到的是 {value}。", field.name())
            }
            GroupEmpty => "group 不能为空，也不能包含空的分组名（多余的逗号）。".into(),
            GroupDuplicate { name } => format!("group 中的分组 {name} 重复出现。"),
            GroupNotAllowed { name, allowed } => format!(
                "group 中的分组 {name} 不可用：可用的分组有 {}。",
                allowed.join(", ")
            ),
            GroupControlChar { name } => format!("group 中的分组名 {name} 含有控制字符。"),
            ExpiredTimeRange { value } => format!(
                "expired_time 的值 {value} 超出范围：应为 -1（永不过期）或 1 到 {MAX_EXPIRED_TIME} 之间的 Unix 秒数。"
            ),
            ExpiredTimeMilliseconds { value, seconds } => format!(
                "expired_time 的值 {value} 看起来是毫秒时间戳，这里需要秒：请改为 {seconds}（{}）。",
                format_utc(*seconds)
            ),
            ExpiredTimePast { value } => format!(
                "expired_time 的值 {value}（{}）已经过去：这些令牌将立即过期。",
                format_utc(*value)
            ),
            FieldsIgnored { fields } => format!(
                "请求体中的 {} 未列在 update_fields 中，未写入。",
                fields.names()
            ),
            RemainQuotaRange { value } => format!(
                "remain_quota 的值 {value} 超出范围：应为 0 到 {MAX_REMAIN_QUOTA} 之间的整数。"
            ),
            RemainQuotaTooLarge { value } => format!(
                "remain_quota 的值 {value} 超过上限 {MAX_REMAIN_QUOTA}（{} 美元）：new-api 不接受更大的令牌额度；需要不限额度时请开启 unlimited_quota。",
                MAX_REMAIN_QUOTA / QUOTA_PER_USD
            ),
            ModelLimitsEmptyEntry { position } => {
                format!("model_limits 的第 {position} 项为空：请删除多余的逗号。")
            }
            ModelLimitsTooLong { entry, chars } => format!(
                "model_limits 中的模型名 {entry} 过长：{chars} 个字符，上限为 {MAX_MODEL_NAME_CHARS}。"
            ),
            ModelLimitsControlChar { entry } => {
                format!("model_limits 中的模型名 {entry} 含有控制字符。")
            }
            ModelLimitsTotalTooLong { chars } => format!(
                "model_limits 整理后共 {chars} 个字符，超过了 {MAX_MODEL_LIMITS_CHARS} 个字符的上限。"
            ),
            AllowIpsInvalid {
                line,
                text,
                has_comma,
            } => {
                let hint = if *has_comma {
                    "每行只写一个地址，不要用逗号分隔。"
                } else {
                    ""
                };
                format!("allow_ips 第 {line} 行的 {text} 不是有效的 IP 地址或 CIDR 网段。{hint}")
            }
            AllowIpsTooMany { count } => format!(
                "allow_ips 有 {count} 个地址，超过了 {MAX_ALLOW_IPS_ENTRIES} 个的上限：请用 CIDR 网段合并相邻的地址。"
            ),
            AllowIpsTotalTooLong { chars } => format!(
                "allow_ips 整理后共 {chars} 个字符，超过了 {MAX_ALLOW_IPS_CHARS} 个字符的上限：请用 CIDR 网段合并相邻的地址。"
            ),
            MjImageModeInvalid { value } => format!(
                "mj_image_mode 的值 {value} 无效：只能是 \"origin\" 或 \"proxy\"（区分大小写）。"
            ),
            MjCustomProxyInvalidUrl { value } => format!(
                "mj_custom_proxy 的值 {value} 不是有效的地址：请留空，或填写以 http:// 或 https:// 开头、带主机名且不含空白字符的完整 URL。"
            ),
            MjCustomProxyTooLong { chars } => format!(
                "mj_custom_proxy 长 {chars} 个字符，超过上限 {MAX_MJ_CUSTOM_PROXY_CHARS}：请填写更短的代理地址。"
            ),
            MjCustomProxyModeConflict => "mj_custom_proxy 设置了代理地址，但同一请求把 mj_image_mode 设为 \"origin\"：代理地址只在 \"proxy\" 模式下生效，请改用 \"proxy\" 或清空代理地址。".into(),
            Filter(problem) => problem.message(Lang::ZhCn),
            Operation(problem) => problem.message(Lang::ZhCn),
            Plan(problem) => problem.message(Lang::ZhCn),
        }
    }

    fn message_en(&self, path: &str) -> String {
        use Problem::*;
        match self {
            BodyEmpty => {
                "The request body is empty: send a JSON object with at least ids and update_fields."
                    .into()
            }
            BodyTooLarge => format!(
                "The request body exceeds the 1 MiB limit: send fewer ids per request (at most {MAX_IDS})."
            ),
            InvalidUtf8 { line, column } => format!(
                "The request body is not valid UTF-8 text: invalid bytes at line {line}, column {column}."
            ),
            InvalidJson {
                line,
                column,
                reason,
            } => {
                let subject = if path == "body" {
                    "The request body".to_string()
                } else {
                    format!("The value of {path}")
                };
                let reason = json_reason_en(*reason);
                format!("{subject} is not valid JSON: line {line}, column {column}: {reason}.")
            }
            NotObject { value } => {
                format!("The request body must be a JSON object ({{ ... }}), got {value}.")
            }
            DuplicateKey { key } => format!("Field {key} appears more than once: keep only one."),
            UnknownField { key } => {
                format!("Unknown field {key}: valid fields are {}.", valid_keys())
            }
            IdsMissing => format!(
                "ids is missing: list the ids of the tokens to change, e.g. {ID_EXAMPLE}."
            ),
            IdsType { value } => format!(
                "ids must be an array of ids (e.g. [873, 869]) or a comma-separated string (e.g. \"873,869\"), got {value}."
            ),
            IdsInvalid { entry } if path == "ids" => format!(
                "ids entry {entry} is not a valid token id: ids must be positive integers."
            ),
            IdsInvalid { entry } => format!(
                "{path} ({entry}) is not a valid token id: ids must be positive integers."
            ),
            IdsEmptyEntry { position } => {
                format!("ids entry {position} is empty: remove the extra comma.")
            }
            IdsEmpty => "ids must not be empty: give at least one token id.".into(),
            IdsTooMany { count } => format!(
                "ids may list at most {MAX_IDS} tokens (after removing duplicates), got {count}: split the batch."
            ),
            UpdateFieldsMissing { present } => {
                let carried = if present.is_empty() {
                    "the body carries no writable field".to_string()
                } else {
                    format!("the body carries: {}", present.names())
                };
                format!(
                    "update_fields is required: list the fields to write, e.g. \"update_fields\": {} ({carried}).",
                    update_fields_example(*present)
                )
            }
            UpdateFieldsType { value } if path == "update_fields" => format!(
                "update_fields must be an array of field names (e.g. [\"group\",\"expired_time\"]) or a comma-separated string, got {value}."
            ),
            UpdateFieldsType { value } => {
                format!("{path} must be a field name string, got {value}.")
            }
            UpdateFieldsUnknown { name } => format!(
                "update_fields names {name}, which is not a writable field: writable fields are {}.",
                FieldSet::all().names()
            ),
            UpdateFieldsEmpty => {
                "update_fields must not be empty: list at least one field to write.".into()
            }
            TooLongForColumn { field, chars, max } => format!(
                "{} is {chars} characters long, more than the database column holds ({max}): shorten it.",
                field.name()
            ),
            NotInColumnCharset {
                field,
                character,
                charset,
            } => format!(
                "{} contains {}, which the database column's character set ({charset}) cannot store: remove it, or convert the column to utf8mb4.",
                field.name(),
                quote_char(*character)
            ),
            FieldMissing { field } => {
                let name = field.name();
                format!(
                    "update_fields lists {name} but the body has no {name} value: give a value or remove it from update_fields."
                )
            }
            WrongType { field, value } => {
                let expected = match field.kind() {
                    Kind::Text => "a string",
                    Kind::Integer => "a JSON integer (no quotes, no decimal point or exponent)",
                    Kind::Boolean => "a JSON boolean true or false (no quotes)",
                };
                format!("{} must be {expected}, got {value}.", field.name())
            }
            GroupEmpty => {
                "group must not be empty or contain an empty group name (extra comma).".into()
            }
            GroupDuplicate { name } => format!("group lists {name} more than once."),
            GroupNotAllowed { name, allowed } => format!(
                "group {name} is not available to you: available groups are {}.",
                allowed.join(", ")
            ),
            GroupControlChar { name } => {
                format!("group name {name} contains a control character.")
            }
            ExpiredTimeRange { value } => format!(
                "expired_time {value} is out of range: use -1 (never expires) or unix seconds from 1 to {MAX_EXPIRED_TIME}."
            ),
            ExpiredTimeMilliseconds { value, seconds } => format!(
                "expired_time {value} looks like unix milliseconds, but seconds are expected: send {seconds} ({}) instead.",
                format_utc(*seconds)
            ),
            ExpiredTimePast { value } => format!(
                "expired_time {value} ({}) is in the past: the tokens will be expired immediately.",
                format_utc(*value)
            ),
            FieldsIgnored { fields } => format!(
                "{} in the body not written: not listed in update_fields.",
                fields.names()
            ),
            RemainQuotaRange { value } => format!(
                "remain_quota {value} is out of range: use an integer from 0 to {MAX_REMAIN_QUOTA}."
            ),
            RemainQuotaTooLarge { value } => format!(
                "remain_quota {value} is over the maximum of {MAX_REMAIN_QUOTA} ({} USD), the largest quota new-api accepts for a token: for no limit, turn on unlimited_quota.",
                MAX_REMAIN_QUOTA / QUOTA_PER_USD
            ),
            ModelLimitsEmptyEntry { position } => {
                format!("model_limits entry {position} is empty: remove the extra comma.")
            }
            ModelLimitsTooLong { entry, chars } => format!(
                "model_limits entry {entry} is too long: {chars} characters, the limit is {MAX_MODEL_NAME_CHARS}."
            ),
            ModelLimitsControlChar { entry } => {
                format!("model_limits entry {entry} contains a control character.")
            }
            ModelLimitsTotalTooLong { chars } => format!(
                "model_limits is {chars} characters long after normalization, over the {MAX_MODEL_LIMITS_CHARS}-character limit."
            ),
            AllowIpsInvalid {
                line,
                text,
                has_comma,
            } => {
                let hint = if *has_comma {
                    " Put one entry per line instead of separating them with commas."
                } else {
                    ""
                };
                format!(
                    "allow_ips line {line} ({text}) is not a valid IP address or CIDR range.{hint}"
                )
            }
            AllowIpsTooMany { count } => format!(
                "allow_ips lists {count} entries, over the limit of {MAX_ALLOW_IPS_ENTRIES}: merge neighbouring addresses into CIDR ranges."
            ),
            AllowIpsTotalTooLong { chars } => format!(
                "allow_ips is {chars} characters long after normalization, over the {MAX_ALLOW_IPS_CHARS}-character limit: merge neighbouring addresses into CIDR ranges."
            ),
            MjImageModeInvalid { value } => format!(
                "mj_image_mode {value} is invalid: use \"origin\" or \"proxy\" (case-sensitive)."
            ),
            MjCustomProxyInvalidUrl { value } => format!(
                "mj_custom_proxy {value} is not a valid address: leave it empty or give an absolute http:// or https:// URL with a host and no whitespace."
            ),
            MjCustomProxyTooLong { chars } => format!(
                "mj_custom_proxy is {chars} characters long, over the limit of {MAX_MJ_CUSTOM_PROXY_CHARS}: give a shorter proxy address."
            ),
            MjCustomProxyModeConflict => "mj_custom_proxy sets a proxy address while mj_image_mode is set to \"origin\" in the same request: the proxy only applies in \"proxy\" mode, so use \"proxy\" or clear the proxy address.".into(),
            Filter(problem) => problem.message(Lang::En),
            Operation(problem) => problem.message(Lang::En),
            Plan(problem) => problem.message(Lang::En),
        }
    }
}

/// The JSON type a field takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Integer,
    Boolean,
}

fn valid_keys() -> String {
    format!(
        "ids, filter, expected_count, update_fields, {}, dry_run, lang, plan_id",
        FieldSet::all().names()
    )
}

/// `["group","expired_time"]` built from the body's own fields, so the caller can copy it.
fn update_fields_example(present: FieldSet) -> String {
    let names: Vec<String> = if present.is_empty() {
        vec![quote("group"), quote("expired_time")]
    } else {
        present.iter().map(|field| quote(field.name())).collect()
    };
    format!("[{}]", names.join(","))
}

fn json_reason_zh(reason: JsonErrorKind) -> String {
    use JsonErrorKind::*;
    match reason {
        UnexpectedEnd => "内容意外结束".into(),
        UnexpectedChar { found, expected } => {
            let expected = match expected {
                JsonExpected::Value => "一个值",
                JsonExpected::CommaOrCloseBracket => "逗号或 ]",
                JsonExpected::CommaOrCloseBrace => "逗号或 }",
                JsonExpected::Colon => "冒号",
                JsonExpected::Key => "用双引号括起的字段名",
                JsonExpected::EndOfInput => "内容结束",
            };
            format!("意外的字符 {}，此处应为{expected}", quote_char(found))
        }
        InvalidNumber => "数字格式不正确".into(),
        InvalidEscape => "字符串中的转义序列无效".into(),
        LoneSurrogate => "字符串中有不成对的 UTF-16 代理项（\\u 转义）".into(),
        ControlCharInString => "字符串中含有未转义的控制字符".into(),
        UnterminatedString => "字符串缺少结束的双引号".into(),
        UnterminatedComment => "注释缺少结束的 */".into(),
        TooDeep => format!("嵌套层数超过 {} 层", crate::json::MAX_DEPTH),
    }
}

fn json_reason_en(reason: JsonErrorKind) -> String {
    use JsonErrorKind::*;
    match reason {
        UnexpectedEnd => "unexpected end of input".into(),
        UnexpectedChar { found, expected } => {
            let expected = match expected {
                JsonExpected::Value => "a value",
                JsonExpected::CommaOrCloseBracket => "a comma or ]",
                JsonExpected::CommaOrCloseBrace => "a comma or }",
                JsonExpected::Colon => "a colon",
                JsonExpected::Key => "a field name in double quotes",
                JsonExpected::EndOfInput => "the end of input",
            };
            format!(
                "unexpected character {}, expected {expected}",
                quote_char(found)
            )
        }
        InvalidNumber => "malformed number".into(),
        InvalidEscape => "invalid escape sequence in a string".into(),
        LoneSurrogate => "unpaired UTF-16 surrogate (\\u escape) in a string".into(),
        ControlCharInString => "unescaped control character in a string".into(),
        UnterminatedString => "string without its closing double quote".into(),
        UnterminatedComment => "comment without its closing */".into(),
        TooDeep => format!("nesting deeper than {} levels", crate::json::MAX_DEPTH),
    }
}

/// Longest text quoted in a message, in characters.
const CLIP_CHARS: usize = 64;

/// The first CLIP_CHARS characters of `text`, with "…" when something was cut.
pub(crate) fn clip(text: &str) -> String {
    match text.char_indices().nth(CLIP_CHARS) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or_default()),
        None => text.to_string(),
    }
}

/// A string as a double-quoted literal with control characters escaped, clipped first.
pub(crate) fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in clip(text).chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04x}", c as u32)),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

fn quote_char(c: char) -> String {
    if c.is_control() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("'{c}'")
    }
}
