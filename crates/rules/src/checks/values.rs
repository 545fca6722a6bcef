//! The rules of each field's value (docs/SPEC.md §2-§3): groups, expiry, quota, model and IP lists, the mj
//! settings. `check_text` and `check_integer` in the parent dispatch to them.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv6Addr};

use crate::body::MAX_PROBLEMS_PER_FIELD;
use crate::problem::{clip, quote};
use crate::{
    Context, Field, Patch, Problem, Warning, MAX_ALLOW_IPS_CHARS, MAX_ALLOW_IPS_ENTRIES,
    MAX_EXPIRED_TIME, MAX_MJ_CUSTOM_PROXY_CHARS, MAX_MODEL_LIMITS_CHARS, MAX_MODEL_NAME_CHARS,
    MAX_REMAIN_QUOTA,
};

/// Trimmed names joined with ","; each must be non-empty, unique and usable by the caller.
pub(super) fn group(raw: &str, ctx: &Context) -> Result<String, Vec<Problem>> {
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

/// Whether a user whose usable groups are `usable` may put group `name` on a token: `auto` always.
pub fn group_usable(name: &str, usable: &[String]) -> bool {
    name == AUTO_GROUP || usable.iter().any(|group| group == name)
}

fn group_allowed(name: &str, ctx: &Context) -> bool {
    match &ctx.allowed_groups {
        None => true,
        Some(allowed) => group_usable(name, allowed),
    }
}

fn allowed_groups(ctx: &Context) -> Vec<String> {
    let configured = ctx.allowed_groups.iter().flatten().map(|group| clip(group));
    let mut allowed = vec![AUTO_GROUP.to_string()];
    allowed.extend(configured.filter(|group| group != AUTO_GROUP));
    allowed
}

pub(super) fn expired_time(value: i64) -> Result<i64, Problem> {
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
pub(super) fn past_expiry(field: Field, value: i64, ctx: &Context) -> Option<Warning> {
    let past = field == Field::ExpiredTime && value != -1 && value <= ctx.now;
    past.then(|| Warning {
        field: field.name().to_string(),
        problem: Problem::ExpiredTimePast { value },
    })
}

pub(super) fn remain_quota(value: i64) -> Result<i64, Problem> {
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
pub(super) fn model_limits(raw: &str) -> Result<String, Vec<Problem>> {
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
pub(super) fn allow_ips(raw: &str) -> Result<String, Vec<Problem>> {
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

fn is_ip_or_cidr(entry: &str) -> bool {
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

pub(super) fn mj_image_mode(raw: &str) -> Result<String, Problem> {
    match raw {
        "origin" | "proxy" => Ok(raw.to_string()),
        _ => Err(Problem::MjImageModeInvalid { value: quote(raw) }),
    }
}

pub(super) fn mj_custom_proxy(raw: &str) -> Result<String, Problem> {
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
fn is_http_url(url: &str) -> bool {
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
pub(super) fn proxy_conflicts_with_mode(values: &Patch) -> bool {
    let origin = values.mj_image_mode.as_deref() == Some("origin");
    let has_proxy = values
        .mj_custom_proxy
        .as_deref()
        .is_some_and(|proxy| !proxy.is_empty());
    origin && has_proxy
}
