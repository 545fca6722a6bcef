//! Relative changes and the writable status (docs/SPEC.md §11): a field may take an operation object
//! instead of its absolute value (`"remain_quota": {"add": 500000}`), and `status` enables or disables.
//!
//! Read here from the body (shape: keys and JSON types), checked here (the values, with the same entry
//! rules as the absolute field), and applied per token in [`apply`]: the store computes the numeric ones in
//! SQL and counts the tokens whose result would be out of bounds with the same rules, so the refusal names
//! how many tokens, in the words of [`messages`].

pub mod apply;
pub mod messages;

use std::collections::BTreeSet;

use crate::body::{describe, parse_integer, IntegerError};
use crate::json::{Node, Value};
use crate::problem::quote;
use crate::{Field, Problem, Violation};

pub use apply::{canonical_ip, CanonicalIp, TokenOutcome};
pub use messages::OperationProblem;

/// One field's operation, read from the body, its entries trimmed and validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operation {
    /// `remain_quota`: `{"add": n}` (`subtract: false`) or `{"subtract": n}`, n ≥ 0.
    Quota { subtract: bool, amount: i64 },
    /// `expired_time`: `{"extend": seconds}`, from the later of the token's expiry and now.
    Extend { seconds: i64 },
    /// `model_limits`, `allow_ips`, `group`: entries to remove, then to append, then (group only) to move
    /// first; each list in the order given, without repeats.
    List {
        add: Vec<String>,
        remove: Vec<String>,
        prepend: Vec<String>,
    },
}

impl Operation {
    /// The operation keys a field accepts; empty for fields that only take absolute values.
    pub fn keys(field: Field) -> &'static [&'static str] {
        match field {
            Field::RemainQuota => &["add", "subtract"],
            Field::ExpiredTime => &["extend"],
            Field::ModelLimits | Field::AllowIps => &["add", "remove"],
            Field::Group => &["add", "prepend", "remove"],
            _ => &[],
        }
    }

    /// A list operation from its three texts as a typed request carries them (gRPC's `ListOperation`):
    /// entries split, trimmed and deduplicated as in a body.
    pub fn list(field: Field, add: &str, remove: &str, prepend: &str) -> Operation {
        Operation::List {
            add: split_entries(field, add),
            remove: split_entries(field, remove),
            prepend: split_entries(field, prepend),
        }
    }

    /// The signed change of a quota operation.
    pub fn quota_delta(&self) -> Option<i64> {
        match self {
            Operation::Quota { subtract, amount } => {
                Some(if *subtract { -amount } else { *amount })
            }
            _ => None,
        }
    }
}

/// The operations of a batch, one per field at most, in [`Field::ALL`] order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Operations(Vec<(Field, Operation)>);

impl Operations {
    pub fn get(&self, field: Field) -> Option<&Operation> {
        self.0
            .iter()
            .find(|(of, _)| *of == field)
            .map(|(_, operation)| operation)
    }

    pub fn has(&self, field: Field) -> bool {
        self.get(field).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (Field, &Operation)> {
        self.0.iter().map(|(field, operation)| (*field, operation))
    }

    pub fn set(&mut self, field: Field, operation: Operation) {
        self.0.retain(|(of, _)| *of != field);
        // Inserted in place rather than sorted: a sort's code would weigh more in the browser's module than
        // all of this file.
        let at = self.0.iter().take_while(|(of, _)| *of < field).count();
        self.0.insert(at, (field, operation));
    }

    pub(crate) fn remove(&mut self, field: Field) -> Option<Operation> {
        let index = self.0.iter().position(|(of, _)| *of == field)?;
        Some(self.0.remove(index).1)
    }
}

/// The writable status values (`3` and `4` follow the values, §4).
pub const STATUS_ENABLE: i64 = 1;
pub const STATUS_DISABLE: i64 = 2;

/// `status`: `1` / `"enabled"` or `2` / `"disabled"`.
pub(crate) fn read_status(node: &Node<'_>, text: &str) -> Result<i64, Problem> {
    let invalid = || {
        Problem::Operation(OperationProblem::StatusInvalid {
            value: describe(node, text),
        })
    };
    match &node.value {
        Value::Number(lexeme) => match parse_integer(lexeme) {
            Ok(status @ (STATUS_ENABLE | STATUS_DISABLE)) => Ok(status),
            _ => Err(invalid()),
        },
        Value::String(name) => match name.as_ref() {
            "enabled" => Ok(STATUS_ENABLE),
            "disabled" => Ok(STATUS_DISABLE),
            _ => Err(invalid()),
        },
        _ => Err(invalid()),
    }
}

/// An operation object's shape: known keys, JSON types, at least one key, quota's add xor subtract. Entry
/// values are checked later ([`check_operation`]), with the context.
pub(crate) fn read_operation(
    field: Field,
    members: &[(std::borrow::Cow<'_, str>, Node<'_>)],
    text: &str,
    out: &mut Vec<Violation>,
) -> Option<Operation> {
    let before = out.len();
    let refuse = |out: &mut Vec<Violation>, problem: OperationProblem| {
        out.push(Violation::new(field.name(), Problem::Operation(problem)));
    };
    if members.is_empty() {
        refuse(out, OperationProblem::Empty { field });
        return None;
    }
    let mut integer = None;
    let mut lists: [Option<Vec<String>>; 3] = [None, None, None];
    let mut subtract = false;
    for (key, node) in members {
        let Some(slot) = Operation::keys(field).iter().position(|known| key == known) else {
            refuse(
                out,
                OperationProblem::UnknownKey {
                    field,
                    key: quote(key),
                },
            );
            continue;
        };
        let wrong_type = || OperationProblem::WrongType {
            field,
            key: Operation::keys(field)[slot],
            value: describe(node, text),
        };
        match (field, &node.value) {
            (Field::RemainQuota | Field::ExpiredTime, Value::Number(lexeme)) => {
                if integer.is_some() {
                    refuse(out, OperationProblem::Exclusive { field });
                    continue;
                }
                subtract = key == "subtract";
                match parse_integer(lexeme) {
                    Ok(value) => integer = Some(value),
                    Err(IntegerError::Overflow) => refuse(
                        out,
                        OperationProblem::OutOfRange {
                            field,
                            value: describe(node, text),
                        },
                    ),
                    Err(IntegerError::NotInteger) => refuse(out, wrong_type()),
                }
            }
            (Field::RemainQuota | Field::ExpiredTime, _) => refuse(out, wrong_type()),
            (_, Value::String(list)) => {
                lists[slot] = Some(split_entries(field, list));
            }
            (_, _) => refuse(out, wrong_type()),
        }
    }
    if out.len() > before {
        return None;
    }
    match field {
        Field::RemainQuota => integer.map(|amount| Operation::Quota { subtract, amount }),
        Field::ExpiredTime => integer.map(|seconds| Operation::Extend { seconds }),
        _ => {
            let [first, second, third] = lists;
            let (add, remove, prepend) = match field {
                Field::Group => (first, third, second),
                _ => (first, second, None),
            };
            Some(Operation::List {
                add: add.unwrap_or_default(),
                remove: remove.unwrap_or_default(),
                prepend: prepend.unwrap_or_default(),
            })
        }
    }
}

/// The separator of a list field's entries.
pub fn separator(field: Field) -> char {
    match field {
        Field::AllowIps => '\n',
        _ => ',',
    }
}

/// Entries as given, trimmed, blanks dropped, first occurrence kept.
fn split_entries(field: Field, list: &str) -> Vec<String> {
    let mut seen = BTreeSet::new();
    list.split(separator(field))
        .map(str::trim)
        .filter(|entry| !entry.is_empty() && seen.insert(*entry))
        .map(str::to_owned)
        .collect()
}

/// The values of an operation: amounts in range; entries valid as in the absolute field (`check_entries`
/// runs the field's own list rule on them); no entry both added and removed.
pub(crate) fn check_operation(
    field: Field,
    operation: &Operation,
    check_entries: &mut dyn FnMut(&[String]) -> Vec<Problem>,
) -> Vec<Problem> {
    let range = |value: i64, within: bool| match within {
        true => Vec::new(),
        false => vec![Problem::Operation(OperationProblem::OutOfRange {
            field,
            value: value.to_string(),
        })],
    };
    match operation {
        Operation::Quota { amount, .. } => {
            range(*amount, (0..=crate::MAX_REMAIN_QUOTA).contains(amount))
        }
        Operation::Extend { seconds } => {
            range(*seconds, (1..=crate::MAX_EXPIRED_TIME).contains(seconds))
        }
        Operation::List {
            add,
            remove,
            prepend,
        } => {
            if add.is_empty() && remove.is_empty() && prepend.is_empty() {
                return vec![Problem::Operation(OperationProblem::Empty { field })];
            }
            let mut problems = check_entries(add);
            problems.extend(check_entries(prepend));
            if field != Field::Group {
                // Removing needs no valid entry: whatever is stored can be removed. Groups are checked for
                // their spelling only (control characters) by the absolute rule, which also asks that the
                // caller may use them; a group the caller can no longer use must stay removable.
                problems.extend(check_entries(remove));
            }
            let key = |entry: &str| apply::entry_key(field, entry);
            let removed: Vec<apply::EntryKey> = remove.iter().map(|entry| key(entry)).collect();
            let conflict = add
                .iter()
                .chain(prepend)
                .find(|entry| removed.contains(&key(entry)));
            if let Some(entry) = conflict {
                problems.push(Problem::Operation(OperationProblem::Conflict {
                    field,
                    entry: quote(entry),
                }));
            }
            problems
        }
    }
}
