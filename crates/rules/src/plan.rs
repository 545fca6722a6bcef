//! The body keys of a preview and its apply (docs/SPEC.md §10): `dry_run` (the body's form of the query's
//! flag), `lang` (the language of the answer) and `plan_id` (apply a previewed plan). A body naming a plan
//! carries nothing else but `lang`: the plan holds the request, so any other key is refused
//! (`plan.exclusive`) rather than silently dropped or mixed in.

use crate::body::describe;
use crate::json::{Node, Value};
use crate::problem::quote;
use crate::{Lang, PlanProblem, Problem, Violation};

/// The keys a body applying a plan may carry.
const PLAN_BODY_KEYS: [&str; 2] = ["plan_id", "lang"];

/// The option keys' nodes, as the body's members were sorted (first occurrence of each).
#[derive(Clone, Copy, Default)]
pub(crate) struct OptionNodes<'t, 'a> {
    pub dry_run: Option<&'t Node<'a>>,
    pub lang: Option<&'t Node<'a>>,
    pub plan_id: Option<&'t Node<'a>>,
}

impl<'t, 'a> OptionNodes<'t, 'a> {
    /// Takes the node if `key` is an option key; false for any other key.
    pub(crate) fn take(&mut self, key: &str, node: &'t Node<'a>) -> bool {
        let slot = match key {
            "dry_run" => &mut self.dry_run,
            "lang" => &mut self.lang,
            "plan_id" => &mut self.plan_id,
            _ => return false,
        };
        *slot = Some(node);
        true
    }
}

/// What the option keys said.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct BodyOptions {
    pub dry_run: bool,
    pub lang: Option<Lang>,
    /// The body has a `plan_id` key: it applies a plan and is no batch.
    pub plan_body: bool,
    /// The plan's id, when `plan_id` is a string.
    pub plan_id: Option<String>,
}

fn violation(path: &str, problem: PlanProblem) -> Violation {
    Violation::new(path, Problem::Plan(problem))
}

/// Reads the option keys; a value of the wrong type is a violation and leaves the option unset.
pub(crate) fn read_options(
    nodes: &OptionNodes<'_, '_>,
    text: &str,
    out: &mut Vec<Violation>,
) -> BodyOptions {
    let mut options = BodyOptions::default();
    if let Some(node) = nodes.dry_run {
        match node.value {
            Value::Bool(flag) => options.dry_run = flag,
            _ => out.push(violation(
                "dry_run",
                PlanProblem::DryRunType {
                    value: describe(node, text),
                },
            )),
        }
    }
    if let Some(node) = nodes.lang {
        let lang = match &node.value {
            Value::String(tag) => Lang::from_tag(tag),
            _ => None,
        };
        match lang {
            Some(lang) => options.lang = Some(lang),
            None => out.push(violation(
                "lang",
                PlanProblem::LangInvalid {
                    value: describe(node, text),
                },
            )),
        }
    }
    if let Some(node) = nodes.plan_id {
        options.plan_body = true;
        match &node.value {
            Value::String(id) => options.plan_id = Some(id.to_string()),
            _ => out.push(violation(
                "plan_id",
                PlanProblem::IdType {
                    value: describe(node, text),
                },
            )),
        }
    }
    options
}

/// A body applying a plan: every key beside `plan_id` and `lang` is one `plan.exclusive` naming them all,
/// which replaces their own `body.unknown_field` (one problem, one message). `keys` are the body's distinct
/// keys in order.
pub(crate) fn refuse_extra_keys(keys: &[&str], out: &mut Vec<Violation>) {
    let extra: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|key| !PLAN_BODY_KEYS.contains(key))
        .collect();
    out.retain(|violation| !matches!(violation.problem, Problem::UnknownField { .. }));
    if !extra.is_empty() {
        let keys = extra.iter().map(|key| quote(key)).collect();
        out.push(violation("plan_id", PlanProblem::Exclusive { keys }));
    }
}

/// `plan.exclusive` for options given outside the body (the query's `dry_run` / `validate_only`) beside a
/// body applying a plan: a plan is applied as previewed, never previewed again under its own id.
pub fn exclusive_with(keys: &[&str]) -> Violation {
    let keys = keys.iter().map(|key| quote(key)).collect();
    violation("plan_id", PlanProblem::Exclusive { keys })
}
