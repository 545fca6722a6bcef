//! One field's value alone, as the page checks it while the user types: the same reading and rules as inside
//! a body.

use super::{check_entries, check_ids, check_value, out_field};
use crate::body::{self, STATUS_KEY};
use crate::json;
use crate::operation::check_operation;
use crate::problem::{clip, quote};
use crate::{BatchInput, Context, Field, Patch, Problem, Violation, Warning};

/// check_field: one value's JSON text, checked as it would be inside a body.
pub(crate) fn check_field(
    name: &str,
    json_value: &str,
    ctx: &Context,
) -> (Vec<Violation>, Vec<Warning>) {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    let target = match name {
        "ids" | "update_fields" | STATUS_KEY => None,
        _ => match Field::from_name(name) {
            Some(field) => Some(field),
            None => {
                let problem = Problem::UnknownField { key: quote(name) };
                return (vec![Violation::new(clip(name), problem)], warnings);
            }
        },
    };
    let text = json::strip_bom(json_value);
    let node = match json::parse(text) {
        Ok(node) => node,
        Err(error) => {
            let problem = Problem::InvalidJson {
                line: error.line,
                column: error.column,
                reason: error.kind,
            };
            return (vec![Violation::new(name, problem)], warnings);
        }
    };
    match target {
        Some(field) => {
            let mut input = BatchInput::default();
            if body::read_field(field, &node, text, &mut input, &mut out) {
                match input.ops.get(field) {
                    Some(operation) => {
                        let problems = check_operation(field, operation, &mut |entries| {
                            check_entries(field, entries, ctx)
                        });
                        out_field(field, problems, &mut out);
                    }
                    None => {
                        let mut values = Patch::default();
                        let patch = &input.patch;
                        check_value(field, patch, ctx, &mut values, &mut out, &mut warnings);
                    }
                }
            }
        }
        None if name == STATUS_KEY => {
            if let Err(problem) = crate::operation::read_status(&node, text) {
                out.push(Violation::new(STATUS_KEY, problem));
            }
        }
        None if name == "ids" => {
            let ids = body::read_ids(&node, text, &mut out);
            let reported = !out.is_empty();
            check_ids(ids, reported, &mut out);
        }
        None => {
            let (fields, status) = body::read_update_fields(&node, text, &mut out);
            if fields.is_empty() && !status && out.is_empty() {
                out.push(Violation::new("update_fields", Problem::UpdateFieldsEmpty));
            }
        }
    }
    (out, warnings)
}
