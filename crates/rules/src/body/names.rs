//! The two lists a body names things with: `ids` (integers, numeric strings or one comma-separated string)
//! and `update_fields` (field names, `status` among them).

use super::{describe, Capped, STATUS_KEY};
use crate::json::{Node, Value};
use crate::problem::quote;
use crate::{Field, FieldSet, Problem, Violation};

/// An array of integers or numeric strings, or a comma-separated string.
pub(crate) fn read_ids(node: &Node<'_>, text: &str, out: &mut Vec<Violation>) -> Vec<i64> {
    let mut problems = Capped::new(out);
    match &node.value {
        Value::Array(items) => {
            let mut ids = Vec::with_capacity(items.len());
            for (index, item) in items.iter().enumerate() {
                let id = match &item.value {
                    Value::Number(lexeme) => positive_id(lexeme),
                    Value::String(digits) => positive_id(digits.trim()),
                    _ => None,
                };
                match id {
                    Some(id) => ids.push(id),
                    None => problems.push(
                        || format!("ids[{index}]"),
                        || Problem::IdsInvalid {
                            entry: describe(item, text),
                        },
                    ),
                }
            }
            ids
        }
        Value::String(list) => read_id_list(list, &mut problems),
        _ => {
            let value = describe(node, text);
            problems.push(|| "ids".into(), || Problem::IdsType { value });
            Vec::new()
        }
    }
}

/// "873, 869": entries trimmed; an all-blank string is an empty list, an empty entry an error.
fn read_id_list(list: &str, problems: &mut Capped<'_>) -> Vec<i64> {
    let mut ids = Vec::new();
    if list.trim().is_empty() {
        return ids;
    }
    for (index, entry) in list.split(',').enumerate() {
        let entry = entry.trim();
        match positive_id(entry) {
            Some(id) => ids.push(id),
            None if entry.is_empty() => problems.push(
                || "ids".into(),
                || Problem::IdsEmptyEntry {
                    position: index + 1,
                },
            ),
            None => problems.push(
                || "ids".into(),
                || Problem::IdsInvalid {
                    entry: quote(entry),
                },
            ),
        }
    }
    ids
}

/// ASCII digits making a positive i64; no signs, no spaces, no exponent.
pub(crate) fn positive_id(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.bytes()
        .try_fold(0i64, |id, digit| {
            id.checked_mul(10)?.checked_add(i64::from(digit - b'0'))
        })
        .filter(|&id| id > 0)
}

/// An array of field names or a comma-separated string; blank entries are skipped.
pub(crate) fn read_update_fields(
    node: &Node<'_>,
    text: &str,
    out: &mut Vec<Violation>,
) -> (FieldSet, bool) {
    let mut fields = FieldSet::new();
    let mut status = false;
    let mut problems = Capped::new(out);
    match &node.value {
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let path = || format!("update_fields[{index}]");
                match &item.value {
                    Value::String(name) => {
                        if let Err(problem) = add_field_name(name, &mut fields, &mut status) {
                            problems.push(path, || problem);
                        }
                    }
                    _ => problems.push(path, || Problem::UpdateFieldsType {
                        value: describe(item, text),
                    }),
                }
            }
        }
        Value::String(list) => {
            for name in list.split(',') {
                if let Err(problem) = add_field_name(name, &mut fields, &mut status) {
                    problems.push(|| "update_fields".into(), || problem);
                }
            }
        }
        _ => problems.push(
            || "update_fields".into(),
            || Problem::UpdateFieldsType {
                value: describe(node, text),
            },
        ),
    }
    (fields, status)
}

/// Adds a name of `update_fields`: a field, or `status` (written beside the fields, §11).
pub(crate) fn add_field_name(
    name: &str,
    fields: &mut FieldSet,
    status: &mut bool,
) -> Result<(), Problem> {
    let name = name.trim();
    if name.is_empty() {
        return Ok(());
    }
    if name == STATUS_KEY {
        *status = true;
        return Ok(());
    }
    match Field::from_name(name) {
        Some(field) => {
            fields.insert(field);
            Ok(())
        }
        None => Err(Problem::UpdateFieldsUnknown { name: quote(name) }),
    }
}
