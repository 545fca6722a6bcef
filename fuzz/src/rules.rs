//! Invariants of the rules crate on arbitrary input.
//!
//! An accepted batch is checked against the rules of docs/SPEC.md §2-§3 with code written here, not by calling the
//! rules again, so a rule that lets something through is caught rather than agreed with.

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde_json::{json, Map, Value};
use tokenbatch_rules::{
    check_body, check_body_bytes, check_field, check_field_with_warnings, check_parsed, parse_body,
    read_body_bytes, Context, Field, FieldSet, Lang, ParsedBody, ValidBatch, Value as FieldValue,
    Violation, MAX_ALLOW_IPS_CHARS, MAX_ALLOW_IPS_ENTRIES, MAX_EXPIRED_TIME, MAX_IDS,
    MAX_MJ_CUSTOM_PROXY_CHARS, MAX_MODEL_LIMITS_CHARS, MAX_MODEL_NAME_CHARS, MAX_REMAIN_QUOTA,
};

/// A fixed "now" (2027-01-15), so a run is reproducible.
pub const NOW: i64 = 1_800_000_000;

/// Groups the server-like context allows (besides `auto`, always allowed).
pub const ALLOWED_GROUPS: [&str; 3] = ["default", "vip", "svip"];

/// The two contexts every input is judged in: the server's on new-api's MySQL schema (allowed groups,
/// varchar(191) `group` and `allow_ips`), and the most permissive one (no group list, no column limits).
pub fn contexts() -> [Context; 2] {
    [
        Context {
            now: NOW,
            allowed_groups: Some(ALLOWED_GROUPS.iter().map(|g| g.to_string()).collect()),
            column_limits: vec![(Field::Group, 191), (Field::AllowIps, 191)],
        },
        Context {
            now: NOW,
            allowed_groups: None,
            column_limits: Vec::new(),
        },
    ]
}

/// Every problem list is capped per field (100) and there are 11 keys plus the body itself.
const MAX_VIOLATIONS: usize = 100 * 13;
/// Messages quote values clipped to 64 characters; a message longer than this echoes what it should clip.
const MAX_MESSAGE_BYTES: usize = 4096;

/// Target `rules_body`: the bytes of a request body.
pub fn body(data: &[u8]) {
    for ctx in contexts() {
        let verdict = read_body_bytes(data).and_then(|parsed| check_parsed(parsed, &ctx));
        assert_eq!(
            verdict,
            check_body_bytes(data, &ctx),
            "read_body_bytes + check_parsed and check_body_bytes disagree"
        );
        match &verdict {
            Ok(batch) => valid_batch(batch, &ctx),
            Err(violations) => rejected(violations),
        }
        typed_agrees(data, &verdict, &ctx);
    }
}

/// A body that parses without shape problems gets the same verdict through the gRPC path
/// (`ParsedBody::typed` with the same ids, values and field names).
fn typed_agrees(data: &[u8], verdict: &Result<ValidBatch, Vec<Violation>>, ctx: &Context) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(input) = parse_body(text) else {
        return;
    };
    let status = input.update_status.then_some("status");
    let names: Option<Vec<&str>> = input
        .update_fields
        .map(|fields| fields.iter().map(Field::name).chain(status).collect());
    let typed = ParsedBody::typed(input, names.as_deref());
    assert_eq!(
        &check_parsed(typed, ctx),
        verdict,
        "the typed (gRPC) path and the body path disagree on {text:?}"
    );
}

/// Every rule holds for an accepted batch, and its normalized values re-validate to themselves.
pub fn valid_batch(batch: &ValidBatch, ctx: &Context) {
    let ids = batch.ids();
    assert!(!ids.is_empty(), "accepted with no ids");
    assert!(ids.len() <= MAX_IDS, "accepted {} ids", ids.len());
    assert!(ids[0] > 0, "accepted id {}", ids[0]);
    assert!(
        ids.windows(2).all(|pair| pair[0] < pair[1]),
        "ids not sorted and distinct"
    );
    assert!(
        !batch.fields().is_empty(),
        "accepted with no field to write"
    );
    assert_eq!(
        batch.values().present(),
        batch.fields(),
        "values must be exactly the written fields"
    );
    assert_eq!(
        batch.ignored().difference(batch.fields()),
        batch.ignored(),
        "a written field is also reported as ignored"
    );
    for warning in batch.warnings() {
        assert!(!warning.code().is_empty());
        for lang in [Lang::ZhCn, Lang::En] {
            let message = warning.message(lang);
            assert!(!message.is_empty() && message.len() <= MAX_MESSAGE_BYTES);
        }
    }

    let values = batch.values();
    if let Some(group) = &values.group {
        let mut seen = BTreeSet::new();
        for name in group.split(',') {
            assert!(
                !name.is_empty() && name == name.trim(),
                "group entry {name:?}"
            );
            assert!(!name.chars().any(char::is_control), "group {name:?}");
            assert!(seen.insert(name), "duplicate group {name:?}");
            if let Some(allowed) = &ctx.allowed_groups {
                assert!(
                    name == "auto" || allowed.iter().any(|g| g == name),
                    "group {name:?} is not allowed"
                );
            }
        }
    }
    if let Some(expired_time) = values.expired_time {
        assert!(
            expired_time == -1 || (1..=MAX_EXPIRED_TIME).contains(&expired_time),
            "expired_time {expired_time}"
        );
    }
    if let Some(quota) = values.remain_quota {
        assert!(
            (0..=MAX_REMAIN_QUOTA).contains(&quota),
            "remain_quota {quota}"
        );
    }
    if let Some(models) = values.model_limits.as_deref().filter(|m| !m.is_empty()) {
        assert!(models.chars().count() <= MAX_MODEL_LIMITS_CHARS);
        let mut seen = BTreeSet::new();
        for name in models.split(',') {
            assert!(
                !name.is_empty() && name == name.trim(),
                "model entry {name:?}"
            );
            assert!(name.chars().count() <= MAX_MODEL_NAME_CHARS);
            assert!(!name.chars().any(char::is_control), "model {name:?}");
            assert!(seen.insert(name), "duplicate model {name:?}");
        }
    }
    if let Some(ips) = values.allow_ips.as_deref().filter(|ips| !ips.is_empty()) {
        assert!(
            ips.chars().count() <= MAX_ALLOW_IPS_CHARS,
            "allow_ips too long"
        );
        assert!(
            ips.split('\n').count() <= MAX_ALLOW_IPS_ENTRIES,
            "allow_ips too many entries"
        );
        for line in ips.split('\n') {
            assert!(is_ip_or_cidr(line), "allow_ips line {line:?}");
        }
    }
    if let Some(mode) = &values.mj_image_mode {
        assert!(
            mode == "origin" || mode == "proxy",
            "mj_image_mode {mode:?}"
        );
    }
    if let Some(proxy) = values.mj_custom_proxy.as_deref().filter(|p| !p.is_empty()) {
        assert!(proxy.chars().count() <= MAX_MJ_CUSTOM_PROXY_CHARS);
        let lower = proxy.get(..8).unwrap_or(proxy).to_ascii_lowercase();
        assert!(
            lower.starts_with("http://") || lower.starts_with("https://"),
            "mj_custom_proxy {proxy:?}"
        );
        assert!(!proxy.chars().any(|c| c.is_whitespace() || c.is_control()));
        assert_ne!(
            values.mj_image_mode.as_deref(),
            Some("origin"),
            "a proxy with origin mode"
        );
    }
    for (field, max) in &ctx.column_limits {
        if let Some(text) = text_value(batch, *field) {
            assert!(
                text.chars().count() <= *max,
                "{} longer than its column",
                field.name()
            );
        }
    }

    revalidates(batch, ctx);
}

/// The batch written back as a plain JSON body is accepted as exactly the same batch, and each value alone
/// passes `check_field`.
fn revalidates(batch: &ValidBatch, ctx: &Context) {
    let mut body = Map::new();
    body.insert("ids".into(), json!(batch.ids()));
    for field in batch.fields().iter() {
        body.insert(field.name().into(), field_json(batch, field));
    }
    let names: Vec<&str> = batch.fields().iter().map(Field::name).collect();
    body.insert("update_fields".into(), json!(names));
    let text = Value::Object(body).to_string();
    let again = check_body(&text, ctx)
        .unwrap_or_else(|violations| panic!("normalized batch {text} rejected: {violations:?}"));
    assert_eq!(again.ids(), batch.ids());
    assert_eq!(again.fields(), batch.fields());
    assert_eq!(
        again.values(),
        batch.values(),
        "normalizing is not idempotent: {text}"
    );
    assert_eq!(again.ignored(), FieldSet::new());
    for field in batch.fields().iter() {
        let value = field_json(batch, field).to_string();
        let violations = check_field(field.name(), &value, ctx);
        assert!(
            violations.is_empty(),
            "check_field({}, {value}) = {violations:?}",
            field.name()
        );
    }
}

fn text_value(batch: &ValidBatch, field: Field) -> Option<&str> {
    batch.values().text(field)
}

fn field_json(batch: &ValidBatch, field: Field) -> Value {
    match batch.values().get(field) {
        Some(FieldValue::Text(text)) => json!(text),
        Some(FieldValue::Integer(integer)) => json!(integer),
        Some(FieldValue::Boolean(boolean)) => json!(boolean),
        None => Value::Null,
    }
}

/// An IPv4/IPv6 address, or one with a `/prefix` of 1-3 digits within the address's width.
fn is_ip_or_cidr(line: &str) -> bool {
    if line.is_empty() || line != line.trim() {
        return false;
    }
    let (address, prefix) = match line.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (line, None),
    };
    let Ok(address) = address.parse::<IpAddr>() else {
        return false;
    };
    let width = if address.is_ipv4() { 32 } else { 128 };
    prefix.is_none_or(|prefix| {
        (1..=3).contains(&prefix.len())
            && prefix.bytes().all(|b| b.is_ascii_digit())
            && prefix.parse::<u32>().is_ok_and(|bits| bits <= width)
    })
}

/// A rejection names at least one problem, each with a code and a bounded message in both languages.
pub fn rejected(violations: &[Violation]) {
    assert!(!violations.is_empty(), "rejected without a reason");
    assert!(
        violations.len() <= MAX_VIOLATIONS,
        "{} violations: the caps do not hold",
        violations.len()
    );
    for violation in violations {
        // The path of an unknown or repeated key is the key itself, which may be "" (the message quotes it).
        let names_a_key = matches!(
            violation.code(),
            "body.unknown_field" | "body.duplicate_key"
        );
        assert!(
            names_a_key || !violation.field.is_empty(),
            "a violation without a field"
        );
        assert!(violation.code().contains('.'), "code {}", violation.code());
        for lang in [Lang::ZhCn, Lang::En] {
            let message = violation.message(lang);
            assert!(
                !message.is_empty(),
                "empty message for {}",
                violation.code()
            );
            assert!(
                message.len() <= MAX_MESSAGE_BYTES,
                "{} message of {} bytes",
                violation.code(),
                message.len()
            );
        }
    }
}

/// The names `rules_field` picks from with its first byte (the last one is not a field).
pub const FIELD_NAMES: [&str; 12] = [
    "ids",
    "update_fields",
    "group",
    "expired_time",
    "remain_quota",
    "unlimited_quota",
    "model_limits",
    "model_limits_enabled",
    "allow_ips",
    "mj_image_mode",
    "mj_custom_proxy",
    "colour",
];

/// Target `rules_field`: first byte = which field (see [`FIELD_NAMES`]), the rest = the value's JSON text.
/// `check_field` on a value agrees with `check_body` on a body carrying that value.
pub fn field(data: &[u8]) {
    let Some((&selector, value)) = data.split_first() else {
        return;
    };
    let Ok(value) = std::str::from_utf8(value) else {
        return;
    };
    let name = FIELD_NAMES[usize::from(selector) % FIELD_NAMES.len()];
    for ctx in contexts() {
        let (violations, warnings) = check_field_with_warnings(name, value, &ctx);
        assert_eq!(violations, check_field(name, value, &ctx));
        if !violations.is_empty() {
            rejected(&violations);
        }
        for warning in &warnings {
            assert!(!warning.message(Lang::En).is_empty());
        }
        if name == "colour" {
            assert!(
                !violations.is_empty(),
                "an unknown field passed check_field"
            );
            continue;
        }
        let Some(body) = embed(name, value) else {
            continue;
        };
        let verdict = check_body(&body, &ctx);
        if violations.is_empty() {
            match &verdict {
                Ok(batch) => valid_batch(batch, &ctx),
                Err(found) => panic!(
                    "check_field({name}, {value:?}) passes but the body is rejected: {found:?}"
                ),
            }
        } else if violations.iter().all(|v| v.code() != "body.invalid_json") {
            // The value is JSON the field rejects: inside a body the same problem must stop the batch.
            assert!(
                verdict.is_err(),
                "check_field({name}, {value:?}) = {violations:?} but the body {body:?} is accepted"
            );
        }
    }
}

/// A body carrying `value` as `name`, every other member valid: ids [1], or for ids and update_fields a
/// valid group to write. The value goes on lines of its own so a trailing `//` comment ends with its line.
fn embed(name: &str, value: &str) -> Option<String> {
    let value = value.strip_prefix('\u{feff}').unwrap_or(value);
    // A value with a carriage return but no line feed could leave a `//` comment open over the closing
    // brace; such text is not a value in a body either way.
    if value.contains('\r') {
        return None;
    }
    Some(match name {
        "ids" => format!("{{\"group\":\"vip\",\"update_fields\":[\"group\"],\"ids\":\n{value}\n}}"),
        "update_fields" => format!(
            "{{\"ids\":[1],\"group\":\"vip\",\"expired_time\":-1,\"remain_quota\":0,\"unlimited_quota\":false,\
             \"model_limits\":\"\",\"model_limits_enabled\":false,\"allow_ips\":\"\",\"mj_image_mode\":\"proxy\",\
             \"mj_custom_proxy\":\"\",\"update_fields\":\n{value}\n}}"
        ),
        field => format!("{{\"ids\":[1],\"update_fields\":[\"{field}\"],\"{field}\":\n{value}\n}}"),
    })
}
