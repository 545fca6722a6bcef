//! The body keys of a preview and its apply (docs/SPEC.md §10): `dry_run` (the body's form of the query's
//! flag), `lang` (the language of the answer) and `plan_id` (apply a previewed plan). A body naming a plan
//! carries nothing else but `lang`: the plan holds the request, so any other key is refused
//! (`plan.exclusive`) rather than silently dropped or mixed in.

use crate::body::describe;
use crate::json::{Node, Value};
use crate::problem::quote;
use crate::{Lang, OptionKey, PlanProblem, Problem, Violation};

/// The keys a body applying a plan may carry.
pub(crate) const PLAN_BODY_KEYS: [&str; 2] = ["plan_id", "lang"];

/// How many extra keys `plan.exclusive` names before it cuts the list short.
const MAX_NAMED_KEYS: usize = 20;

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

/// Reads the option keys; a value of the wrong type is a violation and leaves the option unset.
pub(crate) fn read_options(
    nodes: &OptionNodes<'_, '_>,
    text: &str,
    out: &mut Vec<Violation>,
) -> BodyOptions {
    let mut options = BodyOptions {
        plan_body: nodes.plan_id.is_some(),
        ..BodyOptions::default()
    };
    let mut refuse = |key: OptionKey, node: &Node<'_>| {
        let value = describe(node, text);
        out.push(Violation::new(
            key.name(),
            Problem::Plan(PlanProblem::OptionType { key, value }),
        ));
    };
    if let Some(node) = nodes.dry_run {
        match node.value {
            Value::Bool(flag) => options.dry_run = flag,
            _ => refuse(OptionKey::DryRun, node),
        }
    }
    if let Some(node) = nodes.lang {
        options.lang = match &node.value {
            Value::String(tag) => Lang::from_tag(tag),
            _ => None,
        };
        if options.lang.is_none() {
            refuse(OptionKey::Lang, node);
        }
    }
    if let Some(node) = nodes.plan_id {
        match &node.value {
            Value::String(id) => options.plan_id = Some(id.to_string()),
            _ => refuse(OptionKey::PlanId, node),
        }
    }
    options
}

/// `plan.exclusive` naming `keys`, the first MAX_NAMED_KEYS of them: the other keys of a body applying a
/// plan, or options given outside the body (the query's `dry_run`) beside it, since a plan is applied as
/// previewed, never previewed again under its own id.
pub fn exclusive_with(keys: &[&str]) -> Violation {
    let mut named: Vec<String> = keys
        .iter()
        .take(MAX_NAMED_KEYS)
        .map(|key| quote(key))
        .collect();
    if keys.len() > MAX_NAMED_KEYS {
        named.push("…".into());
    }
    let problem = PlanProblem::Exclusive(named.join(", "));
    Violation::new("plan_id", Problem::Plan(problem))
}
