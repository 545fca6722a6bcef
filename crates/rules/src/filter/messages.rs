//! The filter's rule codes and their messages in zh-CN and en (docs/SPEC.md §9). Kept beside the filter so
//! the body's catalogue (problem.rs) only delegates to it.

use super::{FilterKey, FilterKind, MAX_FILTER_MATCHES, STATUS_NAMES};
use crate::{Lang, SearchPatternError, MAX_EXPIRED_TIME};

/// Largest quota a filter compares with: exact in JavaScript, like every quota on the wire.
pub const MAX_FILTER_QUOTA: i64 = (1 << 53) - 1;

/// One failed filter rule. Strings named `value` are already rendered for display (quoted or raw JSON,
/// clipped), as in [`crate::Problem`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FilterProblem {
    /// `filter.type`: `filter` itself is not an object.
    NotObject { value: String },
    /// `filter.unknown_key`
    UnknownKey { key: String },
    /// `filter.type`: a key's value has the wrong type.
    WrongType { key: FilterKey, value: String },
    /// `filter.status_invalid`: not 1..4 nor a status name.
    StatusInvalid { value: String },
    /// `filter.status_empty`: an empty status list would select nothing.
    StatusEmpty,
    /// `filter.time_range`: not unix seconds in 0 ..= MAX_EXPIRED_TIME.
    TimeRange { key: FilterKey, value: String },
    /// `filter.quota_range`: not in 0 ..= 2^53-1.
    QuotaRange { key: FilterKey, value: String },
    /// `filter.entry_invalid`: a group or model that cannot be one entry of a list.
    EntryInvalid { key: FilterKey, value: String },
    /// `search.*` on `filter.name` / `filter.key`: new-api's pattern rules.
    Pattern {
        key: FilterKey,
        error: SearchPatternError,
    },
    /// `filter.user_id_invalid`: neither a positive id nor `"*"`.
    UserIdInvalid { value: String },
    /// `filter.too_many`: the filter matches more than MAX_FILTER_MATCHES tokens.
    TooMany { count: usize },
    /// `filter.count_required`: a filter batch with neither a plan nor `expected_count`.
    CountRequired { count: usize },
    /// `filter.count_mismatch`
    CountMismatch { expected: i64, count: usize },
    /// `selection.ambiguous`: both `ids` and `filter`.
    Ambiguous,
    /// `expected_count.type`: not a non-negative integer.
    ExpectedCountType { value: String },
    /// `expected_count.without_filter`: `expected_count` only applies to a filter.
    ExpectedCountWithoutFilter,
    /// `request_id.with_filter`: a retried batch by filter could select other tokens; not supported yet.
    RequestIdWithFilter,
}

impl FilterProblem {
    pub fn code(&self) -> &'static str {
        use FilterProblem::*;
        match self {
            NotObject { .. } | WrongType { .. } => "filter.type",
            UnknownKey { .. } => "filter.unknown_key",
            StatusInvalid { .. } => "filter.status_invalid",
            StatusEmpty => "filter.status_empty",
            TimeRange { .. } => "filter.time_range",
            QuotaRange { .. } => "filter.quota_range",
            EntryInvalid { .. } => "filter.entry_invalid",
            Pattern { error, .. } => error.code(),
            UserIdInvalid { .. } => "filter.user_id_invalid",
            TooMany { .. } => "filter.too_many",
            CountRequired { .. } => "filter.count_required",
            CountMismatch { .. } => "filter.count_mismatch",
            Ambiguous => "selection.ambiguous",
            ExpectedCountType { .. } => "expected_count.type",
            ExpectedCountWithoutFilter => "expected_count.without_filter",
            RequestIdWithFilter => "request_id.with_filter",
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::ZhCn => self.message_zh(),
            Lang::En => self.message_en(),
        }
    }

    fn message_zh(&self) -> String {
        use FilterProblem::*;
        match self {
            NotObject { value } => format!(
                "filter 必须是 JSON 对象（如 {{\"group\": \"vip\"}}），而收到的是 {value}。"
            ),
            UnknownKey { key } => format!(
                "filter 中的 {key} 不是可用的条件：可用的条件有 {}。",
                FilterKey::names()
            ),
            WrongType { key, value } => format!(
                "filter.{} 必须是{}，而收到的是 {value}。",
                key.name(),
                expected_zh(key.kind())
            ),
            StatusInvalid { value } => format!(
                "filter.status 中的 {value} 不是令牌状态：请用 1–4 或 {}。",
                status_names()
            ),
            StatusEmpty => "filter.status 不能为空列表：空列表不会选中任何令牌，请列出至少一个状态，或去掉该条件。".into(),
            TimeRange { key, value } => format!(
                "filter.{} 的值 {value} 不是有效时间：请用 0 到 {MAX_EXPIRED_TIME} 之间的 Unix 秒数{}。",
                key.name(),
                milliseconds_hint_zh(value)
            ),
            QuotaRange { key, value } => format!(
                "filter.{} 的值 {value} 超出范围：额度必须是 0 到 {MAX_FILTER_QUOTA} 之间的整数。",
                key.name()
            ),
            EntryInvalid { key, value } => format!(
                "filter.{} 的值 {value} 无效：请只填一个名称（不含逗号和控制字符，不超过 128 个字符）{}。",
                key.name(),
                if *key == FilterKey::Model { "，且不能为空" } else { "；\"\" 表示分组为空的令牌" }
            ),
            Pattern { key, error } => {
                format!("filter.{}：{}。", key.name(), error.message(Lang::ZhCn))
            }
            UserIdInvalid { value } => format!(
                "filter.user_id 的值 {value} 无效：请填写用户 id（正整数），或用 \"*\" 表示所有用户。"
            ),
            TooMany { count } => format!(
                "筛选条件匹配了 {count} 个令牌，超过每批 {MAX_FILTER_MATCHES} 个的上限：请收紧筛选条件，分批处理。"
            ),
            CountRequired { count } => format!(
                "该筛选条件当前匹配 {count} 个令牌：按筛选条件修改时，请先预览（dry_run）再按 plan_id 提交，或在请求中加上 \"expected_count\": {count}，以免筛选条件写错时改动整个账户。"
            ),
            CountMismatch { expected, count } => format!(
                "expected_count 为 {expected}，但该筛选条件当前匹配 {count} 个令牌：未做任何修改，请核对筛选条件后重试。"
            ),
            Ambiguous => "请求同时带有 ids 和 filter：请只用其中一种方式选择令牌。".into(),
            ExpectedCountType { value } => format!(
                "expected_count 必须是非负整数（JSON 数字，不带引号），而收到的是 {value}。"
            ),
            ExpectedCountWithoutFilter => "expected_count 只用于按 filter 选择令牌：按 ids 修改时请去掉它。".into(),
            RequestIdWithFilter => "按 filter 修改时暂不支持 request_id（Idempotency-Key）：重试时筛选结果可能已不同；请用 expected_count 防止重复执行，未做任何修改。".into(),
        }
    }

    fn message_en(&self) -> String {
        use FilterProblem::*;
        match self {
            NotObject { value } => format!(
                "filter must be a JSON object (such as {{\"group\": \"vip\"}}), but it is {value}."
            ),
            UnknownKey { key } => format!(
                "filter has no condition {key}: the conditions are {}.",
                FilterKey::names()
            ),
            WrongType { key, value } => format!(
                "filter.{} must be {}, but it is {value}.",
                key.name(),
                expected_en(key.kind())
            ),
            StatusInvalid { value } => format!(
                "{value} in filter.status is not a token status: use 1-4 or {}.",
                status_names()
            ),
            StatusEmpty => "filter.status is an empty list, which selects no token: list at least one status, or leave the condition out.".into(),
            TimeRange { key, value } => format!(
                "filter.{} is {value}, which is not a valid time: use unix seconds from 0 to {MAX_EXPIRED_TIME}{}.",
                key.name(),
                milliseconds_hint_en(value)
            ),
            QuotaRange { key, value } => format!(
                "filter.{} is {value}, out of range: a quota is an integer from 0 to {MAX_FILTER_QUOTA}.",
                key.name()
            ),
            EntryInvalid { key, value } => format!(
                "filter.{} is {value}, which is not one name: give a single name without commas or control characters, at most 128 characters{}.",
                key.name(),
                if *key == FilterKey::Model { ", not empty" } else { " (\"\" selects tokens with an empty group)" }
            ),
            Pattern { key, error } => {
                format!("filter.{}: {}.", key.name(), error.message(Lang::En))
            }
            UserIdInvalid { value } => format!(
                "filter.user_id is {value}: give a user id (a positive integer), or \"*\" for every user."
            ),
            TooMany { count } => format!(
                "the filter matches {count} tokens, over the limit of {MAX_FILTER_MATCHES} a batch: narrow the filter and work in parts."
            ),
            CountRequired { count } => format!(
                "the filter matches {count} tokens right now: to change tokens by filter, preview first (dry_run) and apply the plan_id, or add \"expected_count\": {count} to the request, so a mistyped filter can never rewrite a whole account."
            ),
            CountMismatch { expected, count } => format!(
                "expected_count is {expected} but the filter matches {count} tokens right now: nothing was changed; check the filter and try again."
            ),
            Ambiguous => "the request has both ids and filter: select tokens one way only.".into(),
            ExpectedCountType { value } => format!(
                "expected_count must be a non-negative integer (a JSON number, no quotes), but it is {value}."
            ),
            ExpectedCountWithoutFilter => "expected_count only applies when tokens are selected by filter: remove it from a batch by ids.".into(),
            RequestIdWithFilter => "request_id (Idempotency-Key) cannot be combined with a filter yet: a retry could select other tokens. expected_count guards against running twice; nothing was changed.".into(),
        }
    }
}

fn status_names() -> String {
    let names: Vec<String> = STATUS_NAMES
        .iter()
        .map(|(_, name)| format!("\"{name}\""))
        .collect();
    names.join(", ")
}

fn expected_zh(kind: FilterKind) -> &'static str {
    match kind {
        FilterKind::Pattern | FilterKind::Entry => "字符串",
        FilterKind::Statuses => "状态数组（如 [1, 3] 或 [\"enabled\", \"expired\"]）",
        FilterKind::Time => "Unix 秒数（JSON 整数，不带引号）",
        FilterKind::Flag => "布尔值 true 或 false（JSON 布尔值，不带引号）",
        FilterKind::Quota => "额度整数（JSON 整数，不带引号）",
        FilterKind::User => "用户 id（整数）或 \"*\"",
    }
}

fn expected_en(kind: FilterKind) -> &'static str {
    match kind {
        FilterKind::Pattern | FilterKind::Entry => "a string",
        FilterKind::Statuses => {
            "an array of statuses (such as [1, 3] or [\"enabled\", \"expired\"])"
        }
        FilterKind::Time => "unix seconds (a JSON integer, no quotes)",
        FilterKind::Flag => "a JSON boolean true or false (no quotes)",
        FilterKind::Quota => "a quota (a JSON integer, no quotes)",
        FilterKind::User => "a user id (an integer) or \"*\"",
    }
}

/// A value above the range that reads as milliseconds gets the seconds it probably meant.
fn milliseconds_seconds(value: &str) -> Option<i64> {
    let number: i64 = value.parse().ok()?;
    (number > MAX_EXPIRED_TIME && number / 1000 <= MAX_EXPIRED_TIME).then_some(number / 1000)
}

fn milliseconds_hint_zh(value: &str) -> String {
    milliseconds_seconds(value)
        .map(|seconds| format!("（{value} 看起来是毫秒，秒数应为 {seconds}）"))
        .unwrap_or_default()
}

fn milliseconds_hint_en(value: &str) -> String {
    milliseconds_seconds(value)
        .map(|seconds| format!(" ({value} looks like milliseconds; in seconds it is {seconds})"))
        .unwrap_or_default()
}
