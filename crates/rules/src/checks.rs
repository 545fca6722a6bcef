//! The value rules of docs/SPEC.md §2-§3, applied to typed input (from a JSON body or from gRPC).

mod one_field;
mod values;

pub(crate) use one_field::check_field;
pub use values::group_usable;
use values::{
    allow_ips, expired_time, group, mj_custom_proxy, mj_image_mode, model_limits, past_expiry,
    proxy_conflicts_with_mode, remain_quota,
};

use crate::body::{Reported, MAX_PROBLEMS_PER_FIELD, STATUS_KEY};
use crate::filter::FilterProblem;
use crate::operation::{
    check_operation, OperationProblem, Operations, STATUS_DISABLE, STATUS_ENABLE,
};
use crate::problem::Kind;
use crate::{
    BatchInput, Context, Field, FieldSet, Patch, Problem, ValidBatch, Violation, Warning, MAX_IDS,
};

/// Runs every rule; `reported` holds what the shape pass already found, so nothing is said twice.
pub(crate) fn check(
    mut input: BatchInput,
    ctx: &Context,
    reported: Reported,
) -> Result<ValidBatch, Vec<Violation>> {
    let mut violations = reported.violations;
    let ids = match input.filter {
        Some(_) => Vec::new(),
        None => check_ids(input.ids, reported.ids, &mut violations),
    };
    if input.expected_count.is_some() && input.filter.is_none() && !reported.selection {
        let problem = Problem::Filter(FilterProblem::ExpectedCountWithoutFilter);
        violations.push(Violation::new("expected_count", problem));
    }

    let operated: FieldSet = input.ops.iter().map(|(field, _)| field).collect();
    let present = input.patch.present().union(operated).union(reported.fields);
    let fields = match input.update_fields {
        None => {
            let problem = Problem::UpdateFieldsMissing { present };
            violations.push(Violation::new("update_fields", problem));
            FieldSet::new()
        }
        Some(fields) => {
            if fields.is_empty() && !input.update_status && !reported.update_fields {
                violations.push(Violation::new("update_fields", Problem::UpdateFieldsEmpty));
            }
            fields
        }
    };

    let mut values = Patch::default();
    let mut ops = Operations::default();
    let mut warnings = Vec::new();
    for field in fields.iter() {
        if reported.fields.contains(field) {
            continue;
        }
        if let Some(operation) = input.ops.remove(field) {
            let mut problems = check_operation(field, &operation, &mut |entries| {
                check_entries(field, entries, ctx)
            });
            if input.patch.has(field) {
                let problem = OperationProblem::WithValue { field };
                problems.insert(0, Problem::Operation(problem));
            }
            if problems.is_empty() {
                ops.set(field, operation);
            }
            out_field(field, problems, &mut violations);
            continue;
        }
        if !input.patch.has(field) {
            violations.push(Violation::new(
                field.name(),
                Problem::FieldMissing { field },
            ));
            continue;
        }
        check_value(
            field,
            &input.patch,
            ctx,
            &mut values,
            &mut violations,
            &mut warnings,
        );
    }
    let status = match (input.update_status, input.status) {
        (true, None) if !reported.status => {
            let problem = Problem::Operation(OperationProblem::StatusMissing);
            violations.push(Violation::new(STATUS_KEY, problem));
            None
        }
        (true, Some(status @ (STATUS_ENABLE | STATUS_DISABLE))) => Some(status),
        (true, Some(other)) => {
            // Only a typed (gRPC) request gets here: the body reader refuses other values itself.
            let value = other.to_string();
            let problem = Problem::Operation(OperationProblem::StatusInvalid { value });
            violations.push(Violation::new(STATUS_KEY, problem));
            None
        }
        (true, None) | (false, _) => None,
    };
    let all_users = match crate::scope::check_scope(input.scope.as_deref(), input.filter.is_some())
    {
        Ok(all_users) => all_users,
        Err(problem) => {
            violations.push(Violation::new("scope", Problem::Scope(problem)));
            false
        }
    };
    if proxy_conflicts_with_mode(&values) {
        let problem = Problem::MjCustomProxyModeConflict;
        violations.push(Violation::new(Field::MjCustomProxy.name(), problem));
    }

    if violations.is_empty() {
        let ignored = present.difference(fields);
        if !ignored.is_empty() {
            warnings.push(Warning {
                field: "update_fields".into(),
                problem: Problem::FieldsIgnored { fields: ignored },
            });
        }
        return Ok(ValidBatch {
            ids,
            fields,
            values,
            ignored,
            warnings,
            filter: input.filter,
            expected_count: input.expected_count,
            ops,
            status,
            column_limits: ctx.column_limits.clone(),
            all_users,
        });
    }
    Err(by_rank(violations))
}

/// The violations in [`rank`] order, keeping the order within a rank: one pass per rank (there are a dozen)
/// rather than a stable sort, whose code would cost the browser's module several kilobytes.
fn by_rank(violations: Vec<Violation>) -> Vec<Violation> {
    let last = 3 + Field::ALL.len();
    let mut ranked: Vec<(usize, Violation)> = violations
        .into_iter()
        .map(|violation| (rank(&violation.field), violation))
        .collect();
    let mut sorted = Vec::with_capacity(ranked.len());
    for wanted in 0..=last {
        let (now, later): (Vec<_>, Vec<_>) = ranked.into_iter().partition(|(r, _)| *r == wanted);
        sorted.extend(now.into_iter().map(|(_, violation)| violation));
        ranked = later;
    }
    sorted.extend(ranked.into_iter().map(|(_, violation)| violation));
    sorted
}

/// Body-level problems first, then ids, update_fields and the fields in Field::ALL order.
fn rank(path: &str) -> usize {
    let name = path.split('[').next().unwrap_or_default();
    match name {
        "ids" | "filter" | "expected_count" => 1,
        "update_fields" => 2,
        STATUS_KEY => 3 + Field::ALL.len(),
        _ => Field::from_name(name).map_or(0, |field| 3 + field as usize),
    }
}

/// Sorted and deduplicated positive ids; `already_reported` = the shape pass found bad entries.
fn check_ids(mut ids: Vec<i64>, already_reported: bool, out: &mut Vec<Violation>) -> Vec<i64> {
    let mut reported = already_reported;
    // Only gRPC input can carry these: the body reader rejects them before they become ids.
    if ids.iter().any(|&id| id <= 0) {
        let bad = ids.iter().enumerate().filter(|(_, &id)| id <= 0);
        for (index, id) in bad.take(MAX_PROBLEMS_PER_FIELD) {
            let problem = Problem::IdsInvalid {
                entry: id.to_string(),
            };
            out.push(Violation::new(format!("ids[{index}]"), problem));
        }
        ids.retain(|&id| id > 0);
        reported = true;
    }
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() && !reported {
        out.push(Violation::new("ids", Problem::IdsEmpty));
    }
    if ids.len() > MAX_IDS {
        let problem = Problem::IdsTooMany { count: ids.len() };
        out.push(Violation::new("ids", problem));
    }
    ids
}

/// Checks one present field and stores its normalized value in `values`.
fn check_value(
    field: Field,
    patch: &Patch,
    ctx: &Context,
    values: &mut Patch,
    out: &mut Vec<Violation>,
    warnings: &mut Vec<Warning>,
) {
    let problems = match field.kind() {
        Kind::Boolean => match patch.boolean(field) {
            Some(value) => {
                values.set_boolean(field, value);
                Vec::new()
            }
            None => Vec::new(),
        },
        Kind::Integer => match patch
            .integer(field)
            .map(|value| check_integer(field, value))
        {
            Some(Ok(value)) => {
                if let Some(warning) = past_expiry(field, value, ctx) {
                    warnings.push(warning);
                }
                values.set_integer(field, value);
                Vec::new()
            }
            Some(Err(problem)) => vec![problem],
            None => Vec::new(),
        },
        Kind::Text => match patch.text(field).map(|text| check_text(field, text, ctx)) {
            Some(Ok(value)) => {
                let chars = value.chars().count();
                match ctx.column_limit(field) {
                    Some(max) if chars > max => {
                        vec![Problem::TooLongForColumn { field, chars, max }]
                    }
                    _ => {
                        values.set_text(field, value);
                        Vec::new()
                    }
                }
            }
            Some(Err(problems)) => problems,
            None => Vec::new(),
        },
    };
    out_field(field, problems, out);
}

fn out_field(field: Field, problems: Vec<Problem>, out: &mut Vec<Violation>) {
    out.extend(
        problems
            .into_iter()
            .map(|problem| Violation::new(field.name(), problem)),
    );
}

/// The entries of a list operation, checked by the absolute field's own rule on the joined list (so an
/// operation's entry is refused exactly when the same entry would be as a value), and for groups also that
/// the caller may use each.
fn check_entries(field: Field, entries: &[String], ctx: &Context) -> Vec<Problem> {
    if entries.is_empty() {
        return Vec::new();
    }
    let joined = entries.join(&crate::operation::separator(field).to_string());
    match check_text(field, &joined, ctx) {
        Ok(_) => Vec::new(),
        Err(problems) => problems,
    }
}

fn check_integer(field: Field, value: i64) -> Result<i64, Problem> {
    match field {
        Field::ExpiredTime => expired_time(value),
        _ => remain_quota(value),
    }
}

fn check_text(field: Field, text: &str, ctx: &Context) -> Result<String, Vec<Problem>> {
    match field {
        Field::Group => group(text, ctx),
        Field::ModelLimits => model_limits(text),
        Field::AllowIps => allow_ips(text),
        Field::MjImageMode => mj_image_mode(text).map_err(|problem| vec![problem]),
        _ => mj_custom_proxy(text).map_err(|problem| vec![problem]),
    }
}
