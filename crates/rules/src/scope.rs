//! Root's batches across users (docs/SPEC.md §13): the body's `scope`, which lets an `ids` batch reach other
//! users' tokens, and the refusals that belong to it, with their messages in zh-CN and en. Who may send
//! `scope` (root only) is the server's check: the rules only say what a valid value is, so the browser's
//! module gives the same verdict on the value as the server.

use crate::body::describe;
use crate::json::{Node, Value};
use crate::problem::quote;
use crate::Lang;

/// The one value `scope` takes: an `ids` batch over every user's tokens.
pub const ALL_USERS: &str = "all_users";

/// One failed rule of root's scope. Strings are already rendered for display (quoted, clipped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScopeProblem {
    /// `scope.invalid`: any value but `"all_users"`.
    Invalid { value: String },
    /// `scope.invalid`: `scope` beside a `filter`, which names its users with `filter.user_id`.
    WithFilter,
    /// `group.not_allowed`: a group written to tokens whose owners may not use it; `users` are the owners
    /// as `#id username`.
    NotAllowedForOwners { name: String, users: Vec<String> },
}

impl ScopeProblem {
    pub fn code(&self) -> &'static str {
        match self {
            ScopeProblem::Invalid { .. } | ScopeProblem::WithFilter => "scope.invalid",
            ScopeProblem::NotAllowedForOwners { .. } => "group.not_allowed",
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (ScopeProblem::Invalid { value }, Lang::ZhCn) => format!(
                "scope 的值 {value} 无效：只能是 \"{ALL_USERS}\"（按 ids 修改所有用户的令牌，仅限超级管理员）；不修改其他用户的令牌时请去掉 scope。"
            ),
            (ScopeProblem::Invalid { value }, Lang::En) => format!(
                "scope {value} is not valid: the only value is \"{ALL_USERS}\" (an ids batch over every user's tokens, root only); leave scope out to change your own tokens."
            ),
            (ScopeProblem::WithFilter, Lang::ZhCn) => {
                "scope 只用于按 ids 修改：按 filter 选择时请用 filter.user_id 指定用户（或 \"*\" 表示所有用户）。".into()
            }
            (ScopeProblem::WithFilter, Lang::En) => {
                "scope only applies to a batch by ids: a filter names its users with filter.user_id (or \"*\" for every user).".into()
            }
            (ScopeProblem::NotAllowedForOwners { name, users }, Lang::ZhCn) => format!(
                "group 中的分组 {name} 对以下令牌所有者不可用：{}；未做任何修改。",
                users.join("、")
            ),
            (ScopeProblem::NotAllowedForOwners { name, users }, Lang::En) => format!(
                "group {name} is not available to these tokens' owners: {}; nothing was changed.",
                users.join(", ")
            ),
        }
    }
}

/// The body's `scope`: its text when a string, else `Err` with the problem (the key's presence still counts:
/// a non-root caller sending any `scope` is refused for sending it).
pub(crate) fn read_scope(node: &Node<'_>, text: &str) -> Result<String, ScopeProblem> {
    match &node.value {
        Value::String(value) => Ok(value.to_string()),
        _ => Err(ScopeProblem::Invalid {
            value: describe(node, text),
        }),
    }
}

/// Whether `scope` (as read, a body's or gRPC's) is valid beside the selection; `Ok(true)` for
/// `"all_users"`, `Ok(false)` when absent.
pub(crate) fn check_scope(scope: Option<&str>, by_filter: bool) -> Result<bool, ScopeProblem> {
    match scope {
        None => Ok(false),
        Some(_) if by_filter => Err(ScopeProblem::WithFilter),
        Some(ALL_USERS) => Ok(true),
        Some(other) => Err(ScopeProblem::Invalid {
            value: quote(other),
        }),
    }
}
