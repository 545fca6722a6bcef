//! Every rule's stable code and its message in zh-CN and en.
//!
//! Messages are built only here, from the problem's data and the JSON path, so the server and the browser
//! (both calling these functions) produce byte-identical text.

mod en;
mod zh;

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
    /// `scope.invalid` and the per-owner `group.not_allowed` of root's batches across users (scope.rs).
    Scope(crate::scope::ScopeProblem),
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
            Scope(problem) => problem.code(),
        }
    }

    /// The full sentence for this problem found at JSON path `path` ("body", `"ids[3]"`, "allow_ips", ...).
    pub fn message(&self, path: &str, lang: Lang) -> String {
        match lang {
            Lang::ZhCn => self.message_zh(path),
            Lang::En => self.message_en(path),
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
        "ids, filter, expected_count, scope, update_fields, {}, dry_run, lang, plan_id",
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
