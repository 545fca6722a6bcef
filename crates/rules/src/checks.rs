//! The value rules of docs/SPEC.md §2-§3, applied to typed input (from a JSON body or from gRPC).

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv6Addr};

use crate::body::{self, Reported, MAX_PROBLEMS_PER_FIELD, STATUS_KEY};
use crate::filter::FilterProblem;
use crate::json;
use crate::operation::{
    check_operation, OperationProblem, Operations, STATUS_DISABLE, STATUS_ENABLE,
};
use crate::problem::{clip, quote, Kind};
use crate::{
    BatchInput, Context, Field, FieldSet, Patch, Problem, ValidBatch, Violation, Warning,
    MAX_ALLOW_IPS_CHARS, MAX_ALLOW_IPS_ENTRIES, MAX_EXPIRED_TIME, MAX_IDS,
    MAX_MJ_CUSTOM_PROXY_CHARS, MAX_MODEL_LIMITS_CHARS, MAX_MODEL_NAME_CHARS, MAX_REMAIN_QUOTA,
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

/// Trimmed names joined with ","; each must be non-empty, unique and usable by the caller.
fn group(raw: &str, ctx: &Context) -> Result<String, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut names = Vec::new();
    let mut seen = BTreeSet::new();
    let mut duplicates = BTreeSet::new();
    let mut has_empty_name = false;
    for name in raw.split(',').map(str::trim) {
        if name.is_empty() {
            has_empty_name = true;
        } else if !seen.insert(name) {
            if duplicates.insert(name) && problems.len() < MAX_PROBLEMS_PER_FIELD {
                problems.push(Problem::GroupDuplicate { name: quote(name) });
            }
        } else {
            let problem = if name.chars().any(char::is_control) {
                Some(Problem::GroupControlChar { name: quote(name) })
            } else if !group_allowed(name, ctx) {
                Some(Problem::GroupNotAllowed {
                    name: quote(name),
                    allowed: allowed_groups(ctx),
                })
            } else {
                None
            };
            if let Some(problem) = problem.filter(|_| problems.len() < MAX_PROBLEMS_PER_FIELD) {
                problems.push(problem);
            }
            names.push(name);
        }
    }
    if has_empty_name {
        problems.insert(0, Problem::GroupEmpty);
    }
    if problems.is_empty() {
        Ok(names.join(","))
    } else {
        Err(problems)
    }
}

/// "auto" is new-api's pseudo-group, resolved per request, and always a valid choice.
const AUTO_GROUP: &str = "auto";

fn group_allowed(name: &str, ctx: &Context) -> bool {
    match &ctx.allowed_groups {
        None => true,
        Some(allowed) => name == AUTO_GROUP || allowed.iter().any(|group| group == name),
    }
}

fn allowed_groups(ctx: &Context) -> Vec<String> {
    let configured = ctx.allowed_groups.iter().flatten().map(|group| clip(group));
    let mut allowed = vec![AUTO_GROUP.to_string()];
    allowed.extend(configured.filter(|group| group != AUTO_GROUP));
    allowed
}

fn expired_time(value: i64) -> Result<i64, Problem> {
    if value == -1 || (1..=MAX_EXPIRED_TIME).contains(&value) {
        return Ok(value);
    }
    let seconds = value / 1000;
    if value > MAX_EXPIRED_TIME && (1..=MAX_EXPIRED_TIME).contains(&seconds) {
        return Err(Problem::ExpiredTimeMilliseconds { value, seconds });
    }
    Err(Problem::ExpiredTimeRange {
        value: value.to_string(),
    })
}

/// A past expiry is a legitimate bulk revoke, so it only warns.
fn past_expiry(field: Field, value: i64, ctx: &Context) -> Option<Warning> {
    let past = field == Field::ExpiredTime && value != -1 && value <= ctx.now;
    past.then(|| Warning {
        field: field.name().to_string(),
        problem: Problem::ExpiredTimePast { value },
    })
}

fn remain_quota(value: i64) -> Result<i64, Problem> {
    let value_text = value.to_string();
    if value < 0 {
        Err(Problem::RemainQuotaRange { value: value_text })
    } else if value > MAX_REMAIN_QUOTA {
        Err(Problem::RemainQuotaTooLarge { value: value_text })
    } else {
        Ok(value)
    }
}

/// Trimmed names, first occurrence kept, joined with ","; an all-blank value clears the list.
fn model_limits(raw: &str) -> Result<String, Vec<Problem>> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    let mut problems = Vec::new();
    let mut kept = Vec::new();
    let mut seen = BTreeSet::new();
    for (index, name) in raw.split(',').map(str::trim).enumerate() {
        let chars = name.chars().count();
        let problem = if name.is_empty() {
            Problem::ModelLimitsEmptyEntry {
                position: index + 1,
            }
        } else if chars > MAX_MODEL_NAME_CHARS {
            Problem::ModelLimitsTooLong {
                entry: quote(name),
                chars,
            }
        } else if name.chars().any(char::is_control) {
            Problem::ModelLimitsControlChar { entry: quote(name) }
        } else {
            if seen.insert(name) {
                kept.push(name);
            }
            continue;
        };
        if problems.len() < MAX_PROBLEMS_PER_FIELD {
            problems.push(problem);
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let joined = kept.join(",");
    let chars = joined.chars().count();
    if chars > MAX_MODEL_LIMITS_CHARS {
        return Err(vec![Problem::ModelLimitsTotalTooLong { chars }]);
    }
    Ok(joined)
}

/// Lines trimmed, blank lines dropped, each an IP address or CIDR; kept lines joined with "\n", at most
/// MAX_ALLOW_IPS_ENTRIES of them and MAX_ALLOW_IPS_CHARS characters in all.
fn allow_ips(raw: &str) -> Result<String, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut kept = Vec::new();
    for (index, entry) in raw.split('\n').map(str::trim).enumerate() {
        if entry.is_empty() {
            continue;
        }
        if is_ip_or_cidr(entry) {
            kept.push(entry);
        } else if problems.len() < MAX_PROBLEMS_PER_FIELD {
            problems.push(Problem::AllowIpsInvalid {
                line: index + 1,
                text: quote(entry),
                has_comma: entry.contains(','),
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if kept.len() > MAX_ALLOW_IPS_ENTRIES {
        return Err(vec![Problem::AllowIpsTooMany { count: kept.len() }]);
    }
    let joined = kept.join("\n");
    let chars = joined.chars().count();
    if chars > MAX_ALLOW_IPS_CHARS {
        return Err(vec![Problem::AllowIpsTotalTooLong { chars }]);
    }
    Ok(joined)
}

pub(crate) fn is_ip_or_cidr(entry: &str) -> bool {
    let Some((address, prefix)) = entry.split_once('/') else {
        return entry.parse::<IpAddr>().is_ok();
    };
    let max_prefix = match address.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => 32,
        Ok(IpAddr::V6(_)) => 128,
        Err(_) => return false,
    };
    small_number(prefix, 3).is_some_and(|length| length <= max_prefix)
}

/// 1 to `max_digits` ASCII digits, nothing else.
fn small_number(text: &str, max_digits: usize) -> Option<u32> {
    let valid = (1..=max_digits).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
    valid.then(|| {
        text.bytes()
            .fold(0, |n, digit| n * 10 + u32::from(digit - b'0'))
    })
}

fn mj_image_mode(raw: &str) -> Result<String, Problem> {
    match raw {
        "origin" | "proxy" => Ok(raw.to_string()),
        _ => Err(Problem::MjImageModeInvalid { value: quote(raw) }),
    }
}

fn mj_custom_proxy(raw: &str) -> Result<String, Problem> {
    let chars = raw.chars().count();
    if chars > MAX_MJ_CUSTOM_PROXY_CHARS {
        return Err(Problem::MjCustomProxyTooLong { chars });
    }
    if raw.is_empty() || is_http_url(raw) {
        Ok(raw.to_string())
    } else {
        Err(Problem::MjCustomProxyInvalidUrl { value: quote(raw) })
    }
}

/// An absolute http(s) URL with a non-empty host and an optional numeric port.
pub(crate) fn is_http_url(url: &str) -> bool {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some(rest) = strip_http_scheme(url) else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_and_port = authority.rsplit('@').next().unwrap_or_default();
    let (host_ok, port) = match host_and_port.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((ip, port)) => (ip.parse::<Ipv6Addr>().is_ok(), port),
            None => return false,
        },
        None => {
            let split = host_and_port.find(':').unwrap_or(host_and_port.len());
            let (host, port) = host_and_port.split_at(split);
            (!host.is_empty() && host.chars().all(is_host_char), port)
        }
    };
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .and_then(|digits| small_number(digits, 5))
            .is_some_and(|number| number <= 65_535);
    host_ok && port_ok
}

fn is_host_char(c: char) -> bool {
    // Non-ASCII for internationalized names; '%' for percent-encoding.
    c.is_ascii_alphanumeric() || !c.is_ascii() || matches!(c, '-' | '.' | '_' | '~' | '%')
}

fn strip_http_scheme(url: &str) -> Option<&str> {
    ["http://", "https://"].into_iter().find_map(|scheme| {
        let head = url.get(..scheme.len())?;
        head.eq_ignore_ascii_case(scheme)
            .then(|| url.get(scheme.len()..))
            .flatten()
    })
}

/// A proxy address does nothing in "origin" mode; writing both at once is a contradiction.
fn proxy_conflicts_with_mode(values: &Patch) -> bool {
    let origin = values.mj_image_mode.as_deref() == Some("origin");
    let has_proxy = values
        .mj_custom_proxy
        .as_deref()
        .is_some_and(|proxy| !proxy.is_empty());
    origin && has_proxy
}

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
