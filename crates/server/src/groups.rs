//! The groups a user may put on tokens, read the way new-api keeps them (service/group.go
//! `GetUserUsableGroups`): the `UserUsableGroups` option (a JSON object of group name → description), adjusted
//! for the user's own group by the `group_ratio_setting.group_special_usable_group` option (per user group:
//! `"+:g"` or `"g"` adds g, `"-:g"` removes it), plus the user's own group, plus `auto`, new-api's
//! pseudo-group resolved at request time.
//!
//! `GET /api/user/self/groups` answers them as new-api's controller/group.go `GetUserGroups` does: group name
//! → `{"ratio": <number>, "desc": "<description>"}`, the ratio from the `GroupGroupRatio` option for the
//! user's group, else the `GroupRatio` option, else 1 (new-api's `GetGroupRatio` fallback), and `auto` with
//! the ratio `"自动"`.

use serde_json::{json, Map, Value};
use tokenbatch_store::{Store, UserRecord};

use crate::error::ApiError;

/// new-api's built-in `UserUsableGroups` (name, description) when the option was never saved.
pub const DEFAULT_USABLE_GROUPS: &[(&str, &str)] = &[("default", "默认分组"), ("vip", "vip分组")];
pub const AUTO_GROUP: &str = "auto";
/// new-api's description of the user's own group when it is not among the usable groups.
pub const USER_GROUP_DESCRIPTION: &str = "用户分组";
/// new-api's ratio for `auto`: a word, as the price depends on the group picked per request.
pub const AUTO_RATIO: &str = "自动";
pub const USABLE_GROUPS_OPTION: &str = "UserUsableGroups";
pub const SPECIAL_USABLE_GROUPS_OPTION: &str = "group_ratio_setting.group_special_usable_group";
pub const GROUP_RATIO_OPTION: &str = "GroupRatio";
pub const GROUP_GROUP_RATIO_OPTION: &str = "GroupGroupRatio";

/// `GET /api/user/self/groups`'s `data`: every usable group → `{"ratio", "desc"}`, in [`resolve`]'s order.
pub async fn usable_groups_described(
    store: &Store,
    user: &UserRecord,
) -> Result<Map<String, Value>, ApiError> {
    let options = store
        .options(&[
            USABLE_GROUPS_OPTION,
            SPECIAL_USABLE_GROUPS_OPTION,
            GROUP_RATIO_OPTION,
            GROUP_GROUP_RATIO_OPTION,
        ])
        .await?;
    let groups = resolve_described(options[0].as_deref(), options[1].as_deref(), &user.group);
    let ratios = Ratios::new(options[2].as_deref(), options[3].as_deref(), &user.group);
    Ok(groups
        .into_iter()
        .map(|(name, desc)| {
            let ratio = ratios.of(&name);
            (name, json!({ "ratio": ratio, "desc": desc }))
        })
        .collect())
}

/// The pure part of [`usable_groups`]: option values in, group names out (stable order, no duplicates).
pub fn resolve(
    usable_option: Option<&str>,
    special_option: Option<&str>,
    user_group: &str,
) -> Vec<String> {
    resolve_described(usable_option, special_option, user_group)
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

/// [`resolve`] with each group's description, as new-api keeps them: the option's value, the special
/// setting's value for a group it adds, [`USER_GROUP_DESCRIPTION`] for the user's own group, and for `auto`
/// its description among the usable groups or else its name.
pub fn resolve_described(
    usable_option: Option<&str>,
    special_option: Option<&str>,
    user_group: &str,
) -> Vec<(String, String)> {
    let mut groups: Vec<(String, String)> = match usable_option.and_then(json_object) {
        Some(object) => object
            .iter()
            .map(|(name, desc)| (name.clone(), text(desc)))
            .collect(),
        None => DEFAULT_USABLE_GROUPS
            .iter()
            .map(|(name, desc)| (name.to_string(), desc.to_string()))
            .collect(),
    };
    let user_group = user_group.trim();
    let adjustments = special_option
        .and_then(json_object)
        .and_then(|object| object.get(user_group).and_then(Value::as_object).cloned());
    if let (false, Some(adjustments)) = (user_group.is_empty(), adjustments) {
        for (name, desc) in &adjustments {
            match name.strip_prefix("-:") {
                Some(removed) => groups.retain(|(group, _)| group != removed),
                None => {
                    let added = name.strip_prefix("+:").unwrap_or(name);
                    push_unique(&mut groups, added, &text(desc));
                }
            }
        }
    }
    push_unique(&mut groups, user_group, USER_GROUP_DESCRIPTION);
    push_unique(&mut groups, AUTO_GROUP, AUTO_GROUP);
    groups
}

fn push_unique(groups: &mut Vec<(String, String)>, name: &str, desc: &str) {
    if !name.is_empty() && !groups.iter().any(|(group, _)| group == name) {
        groups.push((name.to_owned(), desc.to_owned()));
    }
}

/// A description as new-api reads it (a JSON string; anything else as its JSON text).
fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The ratios new-api shows a user for each group (service/group.go `GetUserGroupRatio`).
pub struct Ratios {
    group_ratio: Map<String, Value>,
    for_user_group: Map<String, Value>,
}

impl Ratios {
    pub fn new(
        group_ratio_option: Option<&str>,
        group_group_option: Option<&str>,
        user_group: &str,
    ) -> Self {
        let for_user_group = group_group_option
            .and_then(json_object)
            .and_then(|object| {
                object
                    .get(user_group.trim())
                    .and_then(Value::as_object)
                    .cloned()
            })
            .unwrap_or_default();
        Ratios {
            group_ratio: group_ratio_option.and_then(json_object).unwrap_or_default(),
            for_user_group,
        }
    }

    /// The user group's own ratio for `group`, else the group's ratio, else 1; `auto` is "自动".
    pub fn of(&self, group: &str) -> Value {
        if group == AUTO_GROUP {
            return json!(AUTO_RATIO);
        }
        [&self.for_user_group, &self.group_ratio]
            .into_iter()
            .find_map(|ratios| ratios.get(group).filter(|ratio| ratio.is_number()).cloned())
            .unwrap_or_else(|| json!(1))
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
    fn descriptions_follow_new_api() {
        assert_eq!(
            resolve_described(None, None, "svip"),
            [
                ("default".to_string(), "默认分组".to_string()),
                ("vip".into(), "vip分组".into()),
                ("svip".into(), "用户分组".into()),
                ("auto".into(), "auto".into()),
            ]
        );
        let usable = r#"{"default":"默认","auto":"自动选择"}"#;
        let special = r#"{"default":{"+:gpt5":"GPT-5 专线"}}"#;
        assert_eq!(
            resolve_described(Some(usable), Some(special), "default"),
            [
                ("default".to_string(), "默认".to_string()),
                ("auto".into(), "自动选择".into()),
                ("gpt5".into(), "GPT-5 专线".into()),
            ]
        );
    }

    #[test]
    fn ratios_follow_new_api() {
        let ratios = Ratios::new(
            Some(r#"{"default":1,"vip":1.5,"odd":"x"}"#),
            Some(r#"{"vip":{"default":0.9}}"#),
            "vip",
        );
        assert_eq!(
            ratios.of("default"),
            json!(0.9),
            "the user group's own ratio first"
        );
        assert_eq!(ratios.of("vip"), json!(1.5));
        assert_eq!(ratios.of("missing"), json!(1), "new-api's fallback");
        assert_eq!(ratios.of("odd"), json!(1), "not a number");
        assert_eq!(ratios.of("auto"), json!("自动"));
        assert_eq!(Ratios::new(None, Some("[]"), "").of("default"), json!(1));
    }

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
