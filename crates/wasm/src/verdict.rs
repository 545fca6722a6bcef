//! The rules' answers as JSON text for the page. Plain Rust, so the same functions are tested natively and,
//! through the exports in lib.rs, in the browser.

use tokenbatch_rules::describe::{describe_all, FieldDescription};
use tokenbatch_rules::filter::{read_filter_json, FilterKey};
use tokenbatch_rules::{
    check_body, check_field_with_warnings, join_messages, join_warnings, Context, Field, Lang,
    Problem, ValidBatch, Value, Violation, Warning, MAX_IDS, QUOTA_PER_USD, RULES_VERSION,
};

use crate::json_out::{array, Object};

/// "en", "en-US", "zh-CN", …; anything else is zh-CN, the server's default too.
pub fn lang(tag: &str) -> Lang {
    Lang::from_tag(tag).unwrap_or_default()
}

/// The page passes the clock (JavaScript milliseconds / 1000), the groups GET /api/user/self/groups
/// returned and the column limits GET /api/status reports as `"field=max"` entries: exactly what the
/// server puts in its own context for the same user and database.
pub fn context(
    now_seconds: f64,
    allowed_groups: Option<Vec<String>>,
    column_limits: Option<Vec<String>>,
) -> Context {
    let now = if now_seconds.is_finite() {
        // `as` saturates at the i64 range, so no input can wrap around.
        now_seconds.floor() as i64
    } else {
        0
    };
    Context {
        now,
        allowed_groups,
        column_limits: column_limits
            .unwrap_or_default()
            .iter()
            .filter_map(|entry| column_limit(entry))
            .collect(),
    }
}

/// `"allow_ips=191"` -> (AllowIps, 191); anything else is not a limit the server could have reported.
fn column_limit(entry: &str) -> Option<(Field, usize)> {
    let (name, max) = entry.split_once('=')?;
    Some((Field::from_name(name.trim())?, max.trim().parse().ok()?))
}

/// The whole request body, as the server would judge it before looking at the database:
/// `{ok, message, code, errors, warnings, ignored, id_count, update_fields, values, rules_version}`.
/// `message` and `code` are what the server's envelope carries for the same body.
pub fn body_verdict(body: &str, ctx: &Context, lang: Lang) -> String {
    let mut verdict = Object::new();
    match check_body(body, ctx) {
        Ok(batch) => {
            verdict
                .bool("ok", true)
                .str("message", &join_warnings(batch.warnings(), lang))
                .null("code")
                .raw("errors", "[]")
                .raw("warnings", &warnings_json(batch.warnings(), lang))
                .strings("ignored", batch.ignored().iter().map(Field::name))
                .int("id_count", batch.ids().len() as i64)
                .strings("update_fields", batch.fields().iter().map(Field::name))
                .raw("values", &values_json(&batch));
        }
        Err(violations) => {
            let code = violations.first().map_or("invalid", Violation::code);
            verdict
                .bool("ok", false)
                .str("message", &join_messages(&violations, lang))
                .str("code", code)
                .raw("errors", &violations_json(&violations, lang))
                .raw("warnings", "[]")
                .raw("ignored", "[]")
                .null("id_count")
                .raw("update_fields", "[]")
                .null("values");
        }
    }
    verdict.str("rules_version", RULES_VERSION).finish()
}

/// A filter object (JSON text, as the body's `filter` carries it), for the page's filter controls:
/// `{ok, message, code, errors, keys}`; `keys` names the conditions set, in the specification's order.
pub fn filter_verdict(filter_json: &str, lang: Lang) -> String {
    let mut verdict = Object::new();
    match read_filter_json(filter_json) {
        Ok(filter) => verdict
            .bool("ok", true)
            .str("message", "")
            .null("code")
            .raw("errors", "[]")
            .strings("keys", filter.keys().map(FilterKey::name)),
        Err(violations) => verdict
            .bool("ok", false)
            .str("message", &join_messages(&violations, lang))
            .str(
                "code",
                violations.first().map_or("invalid", Violation::code),
            )
            .raw("errors", &violations_json(&violations, lang))
            .raw("keys", "[]"),
    };
    verdict.finish()
}

/// One field's value (its JSON text), for as-you-type feedback: `{ok, field, errors, warnings}`.
pub fn field_verdict(field: &str, json_value: &str, ctx: &Context, lang: Lang) -> String {
    let (violations, warnings) = check_field_with_warnings(field, json_value, ctx);
    Object::new()
        .bool("ok", violations.is_empty())
        .str("field", field)
        .raw("errors", &violations_json(&violations, lang))
        .raw("warnings", &warnings_json(&warnings, lang))
        .finish()
}

/// What a form needs to offer every writable field: `{rules_version, max_ids, quota_per_usd, fields}`.
pub fn fields_description(lang: Lang) -> String {
    let fields = describe_all().map(|description| description_json(&description, lang));
    Object::new()
        .str("rules_version", RULES_VERSION)
        .int("max_ids", MAX_IDS as i64)
        .int("quota_per_usd", QUOTA_PER_USD)
        .raw("fields", &array(fields))
        .finish()
}

fn description_json(description: &FieldDescription, lang: Lang) -> String {
    let mut object = Object::new();
    object
        .str("name", description.field.name())
        .str("kind", description.kind.name())
        .str("entry", description.entry.name())
        .str("label", description.label(lang))
        .str("help", description.help(lang));
    let optional_ints = [
        ("min", description.min),
        ("max", description.max),
        ("never", description.never),
        (
            "max_entry_chars",
            description.max_entry_chars.map(|n| n as i64),
        ),
        (
            "max_total_chars",
            description.max_total_chars.map(|n| n as i64),
        ),
        ("max_entries", description.max_entries.map(|n| n as i64)),
    ];
    for (key, value) in optional_ints {
        match value {
            Some(value) => object.int(key, value),
            None => object.null(key),
        };
    }
    object
        .strings("choices", description.choices.iter().copied())
        .finish()
}

/// `{field, code, message}` as the server's `errors` entries, plus `line` for a line-numbered rule so the
/// page can mark the line without reading it back out of the sentence.
fn violations_json(violations: &[Violation], lang: Lang) -> String {
    array(violations.iter().map(|violation| {
        let mut object = Object::new();
        object
            .str("field", &violation.field)
            .str("code", violation.code())
            .str("message", &violation.message(lang));
        if let Problem::AllowIpsInvalid { line, .. } = violation.problem {
            object.int("line", line as i64);
        }
        object.finish()
    }))
}

fn warnings_json(warnings: &[Warning], lang: Lang) -> String {
    array(warnings.iter().map(|warning| {
        Object::new()
            .str("field", &warning.field)
            .str("code", warning.code())
            .str("message", &warning.message(lang))
            .finish()
    }))
}

/// The normalized values that would be written, keyed by field name.
fn values_json(batch: &ValidBatch) -> String {
    let values = batch.values();
    let mut object = Object::new();
    for field in batch.fields().iter() {
        let name = field.name();
        match values.get(field).unwrap_or(field.null_value()) {
            Value::Text(text) => object.str(name, text),
            Value::Integer(integer) => object.int(name, integer),
            Value::Boolean(boolean) => object.bool(name, boolean),
        };
    }
    object.finish()
}
