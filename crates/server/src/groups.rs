//! The groups a user may put on tokens, read the way new-api keeps them: the `UserUsableGroups` option (a
//! JSON object of group name → description), plus the user's own group, plus `auto`, new-api's pseudo-group
//! resolved at request time.

use tokenbatch_store::{Store, UserRecord};

use crate::error::ApiError;

/// new-api's built-in `UserUsableGroups` when the option was never saved.
pub const DEFAULT_USABLE_GROUPS: &[&str] = &["default", "vip"];
pub const AUTO_GROUP: &str = "auto";

pub async fn usable_groups(store: &Store, user: &UserRecord) -> Result<Vec<String>, ApiError> {
    let configured = store.option("UserUsableGroups").await?;
    let mut groups: Vec<String> = configured
        .as_deref()
        .and_then(group_names_from_option)
        .unwrap_or_else(|| {
            DEFAULT_USABLE_GROUPS
                .iter()
                .map(|g| g.to_string())
                .collect()
        });
    for extra in [user.group.as_str(), AUTO_GROUP] {
        if !extra.is_empty() && !groups.iter().any(|g| g == extra) {
            groups.push(extra.to_owned());
        }
    }
    Ok(groups)
}

/// The keys of the option's JSON object (sorted); `None` when it is not such an object.
fn group_names_from_option(value: &str) -> Option<Vec<String>> {
    let parsed: serde_json::Value = serde_json::from_str(value).ok()?;
    Some(parsed.as_object()?.keys().cloned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_group_names_from_the_option_object() {
        let names = group_names_from_option(r#"{"default":"默认分组","vip":"vip分组","svip":"x"}"#);
        assert_eq!(names.unwrap().len(), 3);
        assert_eq!(group_names_from_option("[1,2]"), None);
        assert_eq!(group_names_from_option("not json"), None);
    }
}
