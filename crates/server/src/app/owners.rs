//! Root's batches across users (docs/SPEC.md §13): who may send them, and the groups they write checked
//! against each token's owner instead of the caller. The store then writes only tokens of the owners checked
//! here ([`Owners::Among`]).
//!
//! [`Owners::Among`]: tokenbatch_store::Owners::Among

use std::collections::BTreeMap;

use tokenbatch_rules::scope::ScopeProblem;
use tokenbatch_rules::{group_usable, Field, ParsedBody, Problem, ValidBatch, Violation};
use tokenbatch_store::UserRecord;

use super::{App, ROLE_ROOT};
use crate::error::ApiError;

/// Owners a `group.not_allowed` names per group before it says how many more there are.
const MAX_NAMED_OWNERS: usize = 20;

/// Refuses a request naming other users (`scope`, `filter.user_id`) from anyone but root, before its rules
/// are checked: a refusal that depends on nothing but the caller reveals nothing about other users.
pub(super) fn check_other_users(user: &UserRecord, request: &ParsedBody) -> Result<bool, ApiError> {
    match request.other_users_parameter() {
        None => Ok(false),
        Some(_) if user.role == ROLE_ROOT => Ok(true),
        Some(parameter) => Err(ApiError::InsufficientPrivilege { parameter }),
    }
}

impl App {
    /// The distinct owners of a batch across users' tokens (ascending ids), once every group it writes is
    /// one each owner may use; otherwise the whole batch is refused, naming per group the owners (`#id
    /// username`) who may not use it. Read in two round trips whatever the number of owners: their user
    /// rows with the tokens, then the group options, each distinct user group resolved once.
    pub(super) async fn check_owners(&self, batch: &ValidBatch) -> Result<Vec<i64>, ApiError> {
        let owners = self.store.token_owners(batch.ids()).await?;
        let written = batch.written_groups();
        if !written.is_empty() {
            let usable = self
                .group_options
                .usable_groups_by_user_group(&self.store, owners.iter().map(|o| o.group.as_str()))
                .await?;
            let mut refused: BTreeMap<&str, Vec<String>> = BTreeMap::new();
            for owner in &owners {
                let groups = &usable[owner.group.as_str()];
                for group in &written {
                    if !group_usable(group, groups) {
                        let named = format!("#{} {}", owner.user_id, owner.username);
                        refused.entry(group).or_default().push(named);
                    }
                }
            }
            if !refused.is_empty() {
                let violations = refused
                    .into_iter()
                    .map(|(group, mut users)| {
                        if users.len() > MAX_NAMED_OWNERS {
                            let more = users.len() - MAX_NAMED_OWNERS;
                            users.truncate(MAX_NAMED_OWNERS);
                            users.push(format!("… (+{more})"));
                        }
                        let name = format!("\"{group}\"");
                        let problem = ScopeProblem::NotAllowedForOwners { name, users };
                        Violation::new(Field::Group.name(), Problem::Scope(problem))
                    })
                    .collect();
                return Err(ApiError::Invalid(violations));
            }
        }
        Ok(owners.into_iter().map(|owner| owner.user_id).collect())
    }
}
