//! The rule codes of plans (docs/SPEC.md §10) and of the body keys a preview and its apply use (`dry_run`,
//! `lang`, `plan_id`), with their messages in zh-CN and en. Kept apart so the body's catalogue (problem.rs)
//! only delegates to it, as it does for the filter's.
//!
//! `plan.not_found`, `plan.expired` and `plan.stale` are found by the server and the store, not by reading
//! a body; they are worded here so that every face (and the page) says them the same way.

use crate::time::format_utc;
use crate::Lang;

/// One failed plan rule. Strings named `value` are already rendered for display (quoted or raw JSON,
/// clipped), as in [`crate::Problem`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanProblem {
    /// `plan.exclusive`: a body applying a plan carries other keys than `plan_id` and `lang` (each quoted).
    Exclusive { keys: Vec<String> },
    /// `plan_id.type`: `plan_id` is not a string.
    IdType { value: String },
    /// `plan.not_a_batch`: a body applying a plan was given to the batch checks, which have nothing to check
    /// in it (the server applies it against the stored plan instead).
    NotABatch,
    /// `plan.not_found`: no plan with this id among the caller's (another user's plan reads the same).
    NotFound,
    /// `plan.expired`: past its `expires_at` (unix seconds) and never applied.
    Expired { expires_at: i64 },
    /// `plan.stale`: `count` of the plan's `total` tokens were deleted, changed owner or had a fingerprinted
    /// column changed since the preview.
    Stale { count: usize, total: usize },
    /// `dry_run.type`: not a JSON boolean.
    DryRunType { value: String },
    /// `lang.invalid`: not a language tag of en or zh.
    LangInvalid { value: String },
}

/// The columns a plan's fingerprint covers, as its messages name them: what only operators change among
/// those a batch writes (docs/SPEC.md §10).
const FINGERPRINTED: &str = "group, expired_time, unlimited_quota, model_limits, model_limits_enabled, allow_ips, mj_image_mode, mj_custom_proxy";

/// How many of the extra keys `plan.exclusive` names before it cuts the list short.
const MAX_NAMED_KEYS: usize = 20;

impl PlanProblem {
    pub fn code(&self) -> &'static str {
        use PlanProblem::*;
        match self {
            Exclusive { .. } => "plan.exclusive",
            IdType { .. } => "plan_id.type",
            NotABatch => "plan.not_a_batch",
            NotFound => "plan.not_found",
            Expired { .. } => "plan.expired",
            Stale { .. } => "plan.stale",
            DryRunType { .. } => "dry_run.type",
            LangInvalid { .. } => "lang.invalid",
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::ZhCn => self.message_zh(),
            Lang::En => self.message_en(),
        }
    }

    fn message_zh(&self) -> String {
        use PlanProblem::*;
        match self {
            Exclusive { keys } => format!(
                "按 plan_id 提交已预览的计划时，请求中除 plan_id 外只能带 lang：请去掉 {}（计划已保存了要做的修改），未做任何修改。",
                named(keys)
            ),
            IdType { value } => format!(
                "plan_id 必须是字符串（预览时返回的 plan.plan_id），而收到的是 {value}。"
            ),
            NotABatch => "plan_id：该请求体按 plan_id 提交已预览的计划，由服务器对照保存的计划检查，其中没有需要检查的批量修改。".into(),
            NotFound => "plan_id：没有找到该计划：计划 id 来自您自己的预览（dry_run），并且只保存有限的时间；请重新预览。".into(),
            Expired { expires_at } => format!(
                "plan_id：该计划已于 {}（{expires_at}）过期，未做任何修改：请重新预览后再提交。",
                format_utc(*expires_at)
            ),
            Stale { count, total } => format!(
                "plan_id：自预览以来，计划中 {total} 个令牌里有 {count} 个已被删除、转给其他用户，或 {FINGERPRINTED} 中有值被修改，整个计划未执行，未做任何修改：请重新预览。"
            ),
            DryRunType { value } => format!(
                "dry_run 必须是布尔值 true 或 false（JSON 布尔值，不带引号），而收到的是 {value}。"
            ),
            LangInvalid { value } => format!(
                "lang 的值 {value} 无效：请用 \"zh-CN\" 或 \"en\"。"
            ),
        }
    }

    fn message_en(&self) -> String {
        use PlanProblem::*;
        match self {
            Exclusive { keys } => format!(
                "a body applying a previewed plan by plan_id may carry only lang beside it: remove {} (the plan holds the changes to make); nothing was changed.",
                named(keys)
            ),
            IdType { value } => format!(
                "plan_id must be a string (the plan.plan_id a preview answered), but it is {value}."
            ),
            NotABatch => "plan_id: this body applies a previewed plan, which the server checks against the stored plan; it holds no batch to check here.".into(),
            NotFound => "plan_id: no such plan: plan ids come from a preview (dry_run) of your own and are kept for a limited time; preview again.".into(),
            Expired { expires_at } => format!(
                "plan_id: the plan expired at {} ({expires_at}); nothing was changed: preview again, then apply the new plan.",
                format_utc(*expires_at)
            ),
            Stale { count, total } => format!(
                "plan_id: since the preview, {count} of the plan's {total} tokens were deleted, moved to another owner or had one of {FINGERPRINTED} changed, so the plan was not applied and nothing was changed: preview again."
            ),
            DryRunType { value } => format!(
                "dry_run must be a JSON boolean true or false (no quotes), but it is {value}."
            ),
            LangInvalid { value } => format!(
                "lang is {value}, which is not a language offered: use \"zh-CN\" or \"en\"."
            ),
        }
    }
}

/// The extra keys as a message lists them, at most MAX_NAMED_KEYS.
fn named(keys: &[String]) -> String {
    let mut shown = keys
        .iter()
        .take(MAX_NAMED_KEYS)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if keys.len() > MAX_NAMED_KEYS {
        shown.push_str(", …");
    }
    shown
}
