//! Reading a filter from the body's `filter` object or from list and search query parameters. Both end in
//! the same per-key checks, so `?status=9` and `{"filter": {"status": [9]}}` get the same code and words.

use std::collections::BTreeSet;

use super::{messages::MAX_FILTER_QUOTA, STATUS_NAMES};
use super::{FilterKey, FilterKind, FilterProblem, StatusSet, TextPattern, TokenFilter, UserScope};
use crate::body::{describe, parse_integer, positive_id};
use crate::json::{Node, Value};
use crate::problem::{clip, quote};
use crate::{Problem, Violation, MAX_EXPIRED_TIME, MAX_MODEL_NAME_CHARS};

fn violation(path: String, problem: FilterProblem) -> Violation {
    Violation::new(path, Problem::Filter(problem))
}

/// Reads the body's `filter` value; every problem found goes to `out` (the filter is then unusable).
pub(crate) fn read_filter_node(
    node: &Node<'_>,
    text: &str,
    out: &mut Vec<Violation>,
) -> TokenFilter {
    let mut filter = TokenFilter::default();
    let Value::Object(members) = &node.value else {
        let value = describe(node, text);
        out.push(violation(
            "filter".into(),
            FilterProblem::NotObject { value },
        ));
        return filter;
    };
    let mut seen = BTreeSet::new();
    for (name, value) in members {
        let path = format!("filter.{}", clip(name));
        if !seen.insert(name.as_ref()) {
            let problem = Problem::DuplicateKey { key: quote(name) };
            out.push(Violation::new(path, problem));
            continue;
        }
        let Some(key) = FilterKey::from_name(name) else {
            let problem = FilterProblem::UnknownKey { key: quote(name) };
            out.push(violation(path, problem));
            continue;
        };
        if let Err((path, problem)) = read_node(&mut filter, key, value, text, path) {
            out.push(violation(path, problem));
        }
    }
    filter
}

/// One key from JSON. Err carries the path of the offending value (`filter.status[2]` for one entry).
fn read_node(
    filter: &mut TokenFilter,
    key: FilterKey,
    node: &Node<'_>,
    text: &str,
    path: String,
) -> Result<(), (String, FilterProblem)> {
    let wrong_type = || FilterProblem::WrongType {
        key,
        value: describe(node, text),
    };
    match (key.kind(), &node.value) {
        (FilterKind::Pattern | FilterKind::Entry, Value::String(value)) => {
            set_text(filter, key, value).map_err(|problem| (path, problem))
        }
        (FilterKind::Time | FilterKind::Quota, Value::Number(lexeme)) => {
            match parse_integer(lexeme) {
                Ok(value) => set_number(filter, key, value, lexeme),
                Err(_) if !lexeme.contains(['.', 'e', 'E']) => Err(range_problem(key, lexeme)),
                Err(_) => Err(wrong_type()),
            }
            .map_err(|problem| (path, problem))
        }
        (FilterKind::Flag, Value::Bool(value)) => {
            filter.set_flag(key, *value);
            Ok(())
        }
        (FilterKind::Statuses, Value::Array(items)) => {
            let mut set = StatusSet::default();
            for (index, item) in items.iter().enumerate() {
                let status = match &item.value {
                    Value::Number(lexeme) => {
                        parse_integer(lexeme).ok().filter(|s| (1..=4).contains(s))
                    }
                    Value::String(name) => status_by_name(name),
                    _ => None,
                };
                match status {
                    Some(status) => set.insert(status),
                    None => {
                        let value = describe(item, text);
                        let problem = FilterProblem::StatusInvalid { value };
                        return Err((format!("{path}[{index}]"), problem));
                    }
                }
            }
            finish_statuses(filter, set).map_err(|problem| (path, problem))
        }
        (FilterKind::Statuses, Value::String(list)) => {
            set_statuses(filter, list).map_err(|problem| (path, problem))
        }
        (FilterKind::User, Value::Number(lexeme)) => {
            set_user(filter, lexeme, || clip(lexeme)).map_err(|problem| (path, problem))
        }
        (FilterKind::User, Value::String(value)) => {
            set_user(filter, value, || quote(value)).map_err(|problem| (path, problem))
        }
        _ => Err((path, wrong_type())),
    }
}

/// Reads the filter keys among query parameters (`status=1,3&group=vip`); other parameters are the route's
/// own (`p`, `size`, `keyword`) and are left alone. A repeated key is refused rather than guessed.
pub fn read_filter_query<'q>(
    params: impl IntoIterator<Item = (&'q str, &'q str)>,
) -> Result<TokenFilter, Vec<Violation>> {
    let mut filter = TokenFilter::default();
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (name, value) in params {
        let Some(key) = FilterKey::from_name(name) else {
            continue;
        };
        let path = name.to_owned();
        if !seen.insert(key) {
            out.push(Violation::new(
                path,
                Problem::DuplicateKey { key: quote(name) },
            ));
            continue;
        }
        if let Err(problem) = read_text(&mut filter, key, value) {
            out.push(violation(path, problem));
        }
    }
    if out.is_empty() {
        Ok(filter)
    } else {
        Err(out)
    }
}

/// One key from a query parameter's text: numbers in decimal, flags `true`/`false`, statuses and
/// anything else as in JSON.
fn read_text(filter: &mut TokenFilter, key: FilterKey, value: &str) -> Result<(), FilterProblem> {
    match key.kind() {
        FilterKind::Pattern | FilterKind::Entry => set_text(filter, key, value),
        FilterKind::Time | FilterKind::Quota => match parse_integer(value.trim()) {
            Ok(number) => set_number(filter, key, number, value),
            Err(_) if is_integer_text(value.trim()) => Err(range_problem(key, value)),
            Err(_) => Err(FilterProblem::WrongType {
                key,
                value: quote(value),
            }),
        },
        FilterKind::Flag => match value.trim() {
            "true" => {
                filter.set_flag(key, true);
                Ok(())
            }
            "false" => {
                filter.set_flag(key, false);
                Ok(())
            }
            _ => Err(FilterProblem::WrongType {
                key,
                value: quote(value),
            }),
        },
        FilterKind::Statuses => set_statuses(filter, value),
        FilterKind::User => set_user(filter, value, || quote(value)),
    }
}

fn is_integer_text(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit())
}

fn set_text(filter: &mut TokenFilter, key: FilterKey, value: &str) -> Result<(), FilterProblem> {
    match key {
        FilterKey::Name | FilterKey::Key => {
            let pattern = TextPattern::new(value, key)
                .map_err(|error| FilterProblem::Pattern { key, error })?;
            if key == FilterKey::Name {
                filter.name = Some(pattern);
            } else {
                filter.key = Some(pattern);
            }
            Ok(())
        }
        _ => {
            let entry = value.trim();
            let invalid = entry.contains(',')
                || entry.chars().any(char::is_control)
                || entry.chars().count() > MAX_MODEL_NAME_CHARS
                || (key == FilterKey::Model && entry.is_empty());
            if invalid {
                return Err(FilterProblem::EntryInvalid {
                    key,
                    value: quote(value),
                });
            }
            if key == FilterKey::Group {
                filter.group = Some(entry.to_owned());
            } else {
                filter.model = Some(entry.to_owned());
            }
            Ok(())
        }
    }
}

fn range_problem(key: FilterKey, shown: &str) -> FilterProblem {
    let value = clip(shown.trim());
    match key.kind() {
        FilterKind::Quota => FilterProblem::QuotaRange { key, value },
        _ => FilterProblem::TimeRange { key, value },
    }
}

fn set_number(
    filter: &mut TokenFilter,
    key: FilterKey,
    value: i64,
    shown: &str,
) -> Result<(), FilterProblem> {
    let max = match key.kind() {
        FilterKind::Quota => MAX_FILTER_QUOTA,
        _ => MAX_EXPIRED_TIME,
    };
    if !(0..=max).contains(&value) {
        return Err(range_problem(key, shown));
    }
    filter.set_number(key, value);
    Ok(())
}

fn status_by_name(name: &str) -> Option<i64> {
    let name = name.trim();
    if let Ok(number) = name.parse::<i64>() {
        return (1..=4).contains(&number).then_some(number);
    }
    STATUS_NAMES
        .iter()
        .find(|(_, known)| *known == name)
        .map(|(status, _)| *status)
}

/// `"1,3"` or `"enabled,expired"`, blank entries skipped.
fn set_statuses(filter: &mut TokenFilter, list: &str) -> Result<(), FilterProblem> {
    let mut set = StatusSet::default();
    for entry in list
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
    {
        match status_by_name(entry) {
            Some(status) => set.insert(status),
            None => {
                return Err(FilterProblem::StatusInvalid {
                    value: quote(entry),
                })
            }
        }
    }
    finish_statuses(filter, set)
}

fn finish_statuses(filter: &mut TokenFilter, set: StatusSet) -> Result<(), FilterProblem> {
    if set.is_empty() {
        return Err(FilterProblem::StatusEmpty);
    }
    filter.status = Some(set);
    Ok(())
}

fn set_user(
    filter: &mut TokenFilter,
    value: &str,
    shown: impl FnOnce() -> String,
) -> Result<(), FilterProblem> {
    let value = value.trim();
    let scope = if value == "*" {
        Some(UserScope::AllUsers)
    } else {
        positive_id(value).map(UserScope::User)
    };
    match scope {
        Some(scope) => {
            filter.user_id = Some(scope);
            Ok(())
        }
        None => Err(FilterProblem::UserIdInvalid { value: shown() }),
    }
}
