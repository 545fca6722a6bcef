//! The rule codes of the body keys a preview and its apply use (docs/SPEC.md §10: `dry_run`, `lang`,
//! `plan_id`), with their messages in zh-CN and en. Kept apart so the body's catalogue (problem.rs) only
//! delegates to it, as it does for the filter's.
//!
//! What only the server can find about a plan (`plan.not_found`, `plan.expired`, `plan.stale`) is worded by
//! the server, as `ids.not_found` is: the browser's module never raises it, and its size budget (SPEC §8)
//! is spent on what it does raise.

use crate::Lang;

/// A body key of plans that takes one kind of value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionKey {
    DryRun,
    Lang,
    PlanId,
    /// A revert's `strict` (docs/SPEC.md §12).
    Strict,
}

impl OptionKey {
    /// The JSON key.
    pub fn name(self) -> &'static str {
        match self {
            OptionKey::DryRun => "dry_run",
            OptionKey::Lang => "lang",
            OptionKey::PlanId => "plan_id",
            OptionKey::Strict => "strict",
        }
    }
}

/// One failed rule. Values are already rendered for display (quoted or raw JSON, clipped), as in
/// [`crate::Problem`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanProblem {
    /// `plan.exclusive`: a body applying a plan carries other keys than `plan_id` and `lang`, listed quoted
    /// and joined with ", ".
    Exclusive(String),
    /// `plan.not_a_batch`: a body applying a plan was given to the batch checks, which have nothing to check
    /// in it (the server applies it against the stored plan instead).
    NotABatch,
    /// `dry_run.type` (not a JSON boolean), `lang.invalid` (not `zh-CN` or `en`), `plan_id.type` (not a
    /// string).
    OptionType { key: OptionKey, value: String },
}

impl PlanProblem {
    pub fn code(&self) -> &'static str {
        match self {
            PlanProblem::Exclusive(_) => "plan.exclusive",
            PlanProblem::NotABatch => "plan.not_a_batch",
            PlanProblem::OptionType { key, .. } => match key {
                OptionKey::DryRun => "dry_run.type",
                OptionKey::Lang => "lang.invalid",
                OptionKey::PlanId => "plan_id.type",
                OptionKey::Strict => "strict.type",
            },
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        let en = lang == Lang::En;
        match self {
            PlanProblem::Exclusive(keys) if en => format!(
                "a body applying a plan by plan_id may carry only lang beside it: remove {keys}; nothing was changed."
            ),
            PlanProblem::Exclusive(keys) => {
                format!("按 plan_id 提交计划时，除 plan_id 外只能带 lang：请去掉 {keys}，未做任何修改。")
            }
            PlanProblem::NotABatch if en => {
                "plan_id: this body applies a stored plan; it holds no batch to check.".into()
            }
            PlanProblem::NotABatch => {
                "plan_id：该请求体提交已保存的计划，其中没有需要检查的批量修改。".into()
            }
            PlanProblem::OptionType { key, value } => {
                let (zh, en_text) = match key {
                    OptionKey::DryRun | OptionKey::Strict => {
                        ("布尔值 true 或 false", "a JSON boolean true or false")
                    }
                    OptionKey::Lang => ("\"zh-CN\" 或 \"en\"", "\"zh-CN\" or \"en\""),
                    OptionKey::PlanId => ("预览返回的 plan_id 字符串", "the plan_id string a preview answered"),
                };
                let name = key.name();
                match en {
                    true => format!("{name} must be {en_text}, but it is {value}."),
                    false => format!("{name} 必须是{zh}，而收到的是 {value}。"),
                }
            }
        }
    }
}
