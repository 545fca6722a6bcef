//! The groups a user may put on tokens, read the way new-api keeps them (service/group.go
//! `GetUserUsableGroups`): the `UserUsableGroups` option (a JSON object of group name → description), adjusted
//! for the user's own group by the `group_ratio_setting.group_special_usable_group` option (per user group:
//! `"+:g"` or `"g"` adds g, `"-:g"` removes it), plus the user's own group, plus `auto`, new-api's
//! pseudo-group resolved at request time.

use serde_json::{Map, Value};
use tokenbatch_store::{Store, UserRecord};

use crate::error::ApiError;

/// new-api's built-in `UserUsableGroups` when the option was never saved.
pub const DEFAULT_USABLE_GROUPS: &[&str] = &["default", "vip"];
pub const AUTO_GROUP: &str = "auto";
pub const USABLE_GROUPS_OPTION: &str = "UserUsableGroups";
pub const SPECIAL_USABLE_GROUPS_OPTION: &str = "group_ratio_setting.group_special_usable_group";

pub async fn usable_groups(store: &Store, user: &UserRecord) -> Result<Vec<String>, ApiError> {
    // One round trip for both options: every batch asks.
    let options = store
        .options(&[USABLE_GROUPS_OPTION, SPECIAL_USABLE_GROUPS_OPTION])
        .await?;
    let (usable, special) = (options[0].as_deref(), options[1].as_deref());
    Ok(resolve(usable, special, &user.group))
}

/// The pure part of [`usable_groups`]: option values in, group names out (stable order, no duplicates).
pub fn resolve(
    usable_option: Option<&str>,
    special_option: Option<&str>,
    user_group: &str,
) -> Vec<String> {
    let mut groups: Vec<String> = usable_option
        .and_then(json_object)
        .map(|object| object.keys().cloned().collect())
        .unwrap_or_else(|| {
            DEFAULT_USABLE_GROUPS
                .iter()
                .map(|g| g.to_string())
                .collect()
        });
    let user_group = user_group.trim();
    let adjustments = special_option
        .and_then(json_object)
        .and_then(|object| object.get(user_group).and_then(Value::as_object).cloned());
    if let (false, Some(adjustments)) = (user_group.is_empty(), adjustments) {
        for name in adjustments.keys() {
            match name.strip_prefix("-:") {
                Some(removed) => groups.retain(|group| group != removed),
                None => push_unique(&mut groups, name.strip_prefix("+:").unwrap_or(name)),
            }
        }
    }
    push_unique(&mut groups, user_group);
    push_unique(&mut groups, AUTO_GROUP);
    groups
}

fn push_unique(groups: &mut Vec<String>, name: &str) {
    if !name.is_empty() && !groups.iter().any(|group| group == name) {
        groups.push(name.to_owned());
    }
}

fn json_object(text: &str) -> Option<Map<String, Value>> {
    match serde_json::from_str(text).ok()? {
        Value::Object(object) => Some(object),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_plus_own_group_plus_auto() {
        assert_eq!(resolve(None, None, "default"), ["default", "vip", "auto"]);
        assert_eq!(
            resolve(None, None, "svip"),
            ["default", "vip", "svip", "auto"]
        );
    }

    #[test]
    fn the_usable_groups_option_replaces_the_defaults() {
        let usable = r#"{"default":"默认分组","enterprise":"企业"}"#;
        assert_eq!(
            resolve(Some(usable), None, "default"),
            ["default", "enterprise", "auto"]
        );
        assert_eq!(
            resolve(Some("not json"), None, "default"),
            ["default", "vip", "auto"]
        );
    }

    #[test]
    fn special_usable_groups_add_and_remove_for_the_users_group() {
        let special =
            r#"{"vip":{"-:default":"","+:gpt5":"GPT-5","claude":"Claude"},"default":{"-:vip":""}}"#;
        assert_eq!(
            resolve(None, Some(special), "vip"),
            ["vip", "gpt5", "claude", "auto"]
        );
        assert_eq!(resolve(None, Some(special), "default"), ["default", "auto"]);
        assert_eq!(
            resolve(None, Some(special), "other"),
            ["default", "vip", "other", "auto"]
        );
    }
}
