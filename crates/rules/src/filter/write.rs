//! A checked filter back to the JSON its reader takes (read.rs): what a stored plan keeps of the request
//! (docs/SPEC.md §10), read back into an equal filter.

use super::{FilterKey, TokenFilter, UserScope};
use crate::json::write_string;

/// The filter as a JSON object, keys in the specification's order. A key pattern is written with new-api's
/// `sk-` prefix, which the reader drops again: written bare, a pattern that itself starts with `sk-` would
/// lose it on the way back.
pub fn filter_json(filter: &TokenFilter) -> String {
    let mut out = String::from("{");
    for key in filter.keys() {
        if out.len() > 1 {
            out.push(',');
        }
        write_string(&mut out, key.name());
        out.push(':');
        write_value(filter, key, &mut out);
    }
    out.push('}');
    out
}

fn write_value(filter: &TokenFilter, key: FilterKey, out: &mut String) {
    let flag = |value: Option<bool>| if value == Some(true) { "true" } else { "false" };
    match key {
        FilterKey::Name => write_string(out, filter.name.as_ref().map_or("", |p| &p.input)),
        FilterKey::Key => {
            let input = filter.key.as_ref().map_or("", |pattern| &pattern.input);
            write_string(out, &format!("sk-{input}"));
        }
        FilterKey::Status => {
            let statuses: Vec<String> = filter
                .status
                .unwrap_or_default()
                .iter()
                .map(|status| status.to_string())
                .collect();
            out.push_str(&format!("[{}]", statuses.join(",")));
        }
        FilterKey::Group => write_string(out, filter.group.as_deref().unwrap_or_default()),
        FilterKey::Model => write_string(out, filter.model.as_deref().unwrap_or_default()),
        FilterKey::NeverExpires => out.push_str(flag(filter.never_expires)),
        FilterKey::UnlimitedQuota => out.push_str(flag(filter.unlimited_quota)),
        FilterKey::UserId => match filter.user_id {
            Some(UserScope::User(user)) => out.push_str(&user.to_string()),
            _ => write_string(out, "*"),
        },
        number => out.push_str(&filter.number(number).unwrap_or_default().to_string()),
    }
}
