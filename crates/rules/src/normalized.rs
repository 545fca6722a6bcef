//! A validated batch as canonical JSON: what a plan stores of its request (docs/SPEC.md §10), so that any
//! instance can apply it later by reading it back through the very rules that accepted it.

use crate::filter::filter_json;
use crate::json::write_string;
use crate::operation::{separator, Operation};
use crate::{Field, ValidBatch, Value};

impl ValidBatch {
    /// The request as one JSON object that [`crate::read_body`] and [`crate::check_parsed`] accept and turn
    /// into an equal `ValidBatch` under the same [`crate::Context`]: the ids, or the filter as the body
    /// spelled it (with its `expected_count`) rather than the ids it selected; `update_fields`; and each
    /// written field's normalized value, in [`Field::ALL`] order.
    ///
    /// A field the body carried but `update_fields` did not name (`ignored`) is written with its
    /// [`Field::null_value`] as a placeholder: it is never checked nor written, and keeping its place makes
    /// the request read back report it ignored, as the original did.
    pub fn request_json(&self) -> String {
        let mut out = String::from("{");
        match &self.filter {
            Some(filter) => {
                out.push_str("\"filter\":");
                out.push_str(&filter_json(filter));
                if let Some(count) = self.expected_count {
                    out.push_str(&format!(",\"expected_count\":{count}"));
                }
            }
            None => {
                let ids: Vec<String> = self.ids.iter().map(i64::to_string).collect();
                out.push_str(&format!("\"ids\":[{}]", ids.join(",")));
                if self.all_users {
                    out.push_str(&format!(",\"scope\":\"{}\"", crate::scope::ALL_USERS));
                }
            }
        }
        out.push_str(",\"update_fields\":[");
        for (index, field) in self.fields.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            write_string(&mut out, field.name());
        }
        if let Some(status) = self.status {
            let comma = if self.fields.is_empty() { "" } else { "," };
            out.push_str(&format!("{comma}\"status\"]"));
            out.push_str(&format!(",\"status\":{status}"));
        } else {
            out.push(']');
        }
        for field in Field::ALL {
            if let Some(operation) = self.ops.get(field) {
                out.push(',');
                write_string(&mut out, field.name());
                out.push(':');
                write_operation(&mut out, field, operation);
                continue;
            }
            let value = match self.values.get(field) {
                Some(value) if self.fields.contains(field) => value,
                _ if self.ignored.contains(field) => field.null_value(),
                _ => continue,
            };
            out.push(',');
            write_string(&mut out, field.name());
            out.push(':');
            write_value(&mut out, value);
        }
        out.push('}');
        out
    }
}

/// An operation object as a body spells it (docs/SPEC.md §11), lists joined by the field's separator.
fn write_operation(out: &mut String, field: Field, operation: &Operation) {
    match operation {
        Operation::Quota { subtract, amount } => {
            let key = if *subtract { "subtract" } else { "add" };
            out.push_str(&format!("{{\"{key}\":{amount}}}"));
        }
        Operation::Extend { seconds } => out.push_str(&format!("{{\"extend\":{seconds}}}")),
        Operation::List {
            add,
            remove,
            prepend,
        } => {
            let separator = separator(field).to_string();
            let mut first = true;
            out.push('{');
            for (key, entries) in [("add", add), ("remove", remove), ("prepend", prepend)] {
                if entries.is_empty() {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                write_string(out, key);
                out.push(':');
                write_string(out, &entries.join(&separator));
            }
            out.push('}');
        }
    }
}

fn write_value(out: &mut String, value: Value<'_>) {
    match value {
        Value::Text(text) => write_string(out, text),
        Value::Integer(integer) => out.push_str(&integer.to_string()),
        Value::Boolean(boolean) => out.push_str(if boolean { "true" } else { "false" }),
    }
}
