//! The body's shape: JSONC text -> BatchInput (types, ids forms, update_fields names, unknown and
//! duplicate keys). Value rules live in checks.rs so gRPC input, which arrives typed, gets them too.

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::filter::{read_filter_node, FilterProblem};
use crate::json::{self, Node, Value};
use crate::operation::{read_operation, Operation};
use crate::plan::{self, BodyOptions, OptionNodes};
use crate::problem::{clip, quote, Kind};
use crate::{BatchInput, Field, FieldSet, Problem, Violation, MAX_BODY_BYTES};

mod names;

pub(crate) use names::{add_field_name, positive_id, read_ids, read_update_fields};

/// The body key (and `update_fields` name) of the writable status (docs/SPEC.md §11).
pub(crate) const STATUS_KEY: &str = "status";

/// Beyond this many problems in one field the rest are dropped: a hostile 1 MiB body must not turn into a
/// huge response, and nobody fixes the 101st bad id before the first 100.
pub(crate) const MAX_PROBLEMS_PER_FIELD: usize = 100;

/// What the shape pass already reported, so the value pass neither repeats nor contradicts it (a
/// mistyped field must not also be called missing, a list of bad ids must not also be called empty).
#[derive(Debug, Default)]
pub(crate) struct Reported {
    pub violations: Vec<Violation>,
    pub ids: bool,
    /// `ids` and `filter` together, or neither: the selection is already reported.
    pub selection: bool,
    pub update_fields: bool,
    /// Fields present in the body whose value could not be read (wrong type, integer overflow).
    pub fields: FieldSet,
    /// `status` present with a value that could not be read.
    pub status: bool,
    /// `scope` present with a value that is not a string.
    pub scope: bool,
}

pub(crate) struct Read {
    pub input: BatchInput,
    pub reported: Reported,
    /// `dry_run`, `lang`, `plan_id` (plan.rs).
    pub options: BodyOptions,
}

fn body_error(problem: Problem) -> Vec<Violation> {
    vec![Violation::new("body", problem)]
}

/// The body as text, or why it cannot be read at all.
pub(crate) fn utf8_body(bytes: &[u8]) -> Result<&str, Vec<Violation>> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(body_error(Problem::BodyTooLarge));
    }
    std::str::from_utf8(bytes).map_err(|error| {
        let valid = bytes.get(..error.valid_up_to()).unwrap_or_default();
        let valid = std::str::from_utf8(valid).unwrap_or_default();
        let (line, column) = json::line_column(valid, valid.len());
        body_error(Problem::InvalidUtf8 { line, column })
    })
}

/// The body's text (any BOM stripped) and its JSON object; None when the text is blank. Err when it is too
/// large, not JSON or not an object. Shared by every JSON body the service reads (a batch, a revert).
pub(crate) fn parse_object(text: &str) -> Result<Option<(&str, Node<'_>)>, Vec<Violation>> {
    if text.len() > MAX_BODY_BYTES {
        return Err(body_error(Problem::BodyTooLarge));
    }
    let text = json::strip_bom(text);
    if json::is_blank(text) {
        return Ok(None);
    }
    let root = json::parse(text).map_err(|error| {
        body_error(Problem::InvalidJson {
            line: error.line,
            column: error.column,
            reason: error.kind,
        })
    })?;
    match root.value {
        Value::Object(_) => Ok(Some((text, root))),
        _ => Err(body_error(Problem::NotObject {
            value: describe(&root, text),
        })),
    }
}

/// The members of an object node ([`parse_object`] answers only objects); none for any other value.
pub(crate) fn members<'t, 'a>(node: &'t Node<'a>) -> &'t [(Cow<'a, str>, Node<'a>)] {
    match &node.value {
        Value::Object(members) => members,
        _ => &[],
    }
}

/// Reads the body. Err only when nothing can be read (too large, empty, not JSON, not an object);
/// otherwise the input holds every value that could be read and `reported` the shape violations.
pub(crate) fn read_body(text: &str) -> Result<Read, Vec<Violation>> {
    let Some((text, root)) = parse_object(text)? else {
        return Err(body_error(Problem::BodyEmpty));
    };
    let members = members(&root);

    let mut reported = Reported::default();
    let members = sort_members(members, &mut reported.violations);
    let options = plan::read_options(&members.options, text, &mut reported.violations);
    if options.plan_body {
        // A plan's request is stored with it: the body holds nothing else to read (docs/SPEC.md §10), and
        // every other key is one `plan.exclusive` naming them all.
        if !members.extra.is_empty() {
            let refused = plan::exclusive_with(&members.extra);
            reported.violations.push(refused);
        }
        let input = BatchInput::default();
        return Ok(Read {
            input,
            reported,
            options,
        });
    }
    let mut input = BatchInput::default();
    let out = &mut reported.violations;

    let before = out.len();
    match (members.ids, members.filter) {
        (None, None) => out.push(Violation::new("ids", Problem::IdsMissing)),
        (Some(node), None) => input.ids = read_ids(node, text, out),
        (None, Some(node)) => input.filter = Some(read_filter_node(node, text, out)),
        (Some(_), Some(_)) => {
            let problem = Problem::Filter(FilterProblem::Ambiguous);
            out.push(Violation::new("filter", problem));
            reported.selection = true;
        }
    }
    reported.ids = out.len() > before;
    if let Some(node) = members.expected_count {
        input.expected_count = read_expected_count(node, text, out);
    }

    if let Some(node) = members.update_fields {
        let before = out.len();
        let (fields, status) = read_update_fields(node, text, out);
        input.update_fields = Some(fields);
        input.update_status = status;
        reported.update_fields = out.len() > before;
    }

    for field in Field::ALL {
        if let Some(node) = members.fields[field as usize] {
            if !read_field(field, node, text, &mut input, out) {
                reported.fields.insert(field);
            }
        }
    }
    if let Some(node) = members.scope {
        match crate::scope::read_scope(node, text) {
            Ok(scope) => input.scope = Some(scope),
            Err(problem) => {
                out.push(Violation::new("scope", Problem::Scope(problem)));
                reported.scope = true;
            }
        }
    }
    if let Some(node) = members.status {
        match crate::operation::read_status(node, text) {
            Ok(status) => input.status = Some(status),
            Err(problem) => {
                out.push(Violation::new(STATUS_KEY, problem));
                reported.status = true;
            }
        }
    }
    Ok(Read {
        input,
        reported,
        options,
    })
}

/// The body's members by role (first occurrence of each key).
struct Members<'t, 'a> {
    ids: Option<&'t Node<'a>>,
    filter: Option<&'t Node<'a>>,
    expected_count: Option<&'t Node<'a>>,
    update_fields: Option<&'t Node<'a>>,
    status: Option<&'t Node<'a>>,
    scope: Option<&'t Node<'a>>,
    fields: [Option<&'t Node<'a>>; Field::ALL.len()],
    /// `dry_run`, `lang`, `plan_id`.
    options: OptionNodes<'t, 'a>,
    /// In a body applying a plan, every other key than `plan_id` and `lang` (otherwise empty).
    extra: Vec<&'t str>,
}

/// Sorts the members by role, reporting unknown and repeated keys on the way. A body applying a plan
/// (`plan_id`) has no other roles: its other keys are set apart instead.
fn sort_members<'t, 'a>(
    members: &'t [(Cow<'a, str>, Node<'a>)],
    out: &mut Vec<Violation>,
) -> Members<'t, 'a> {
    let mut sorted = Members {
        ids: None,
        filter: None,
        expected_count: None,
        update_fields: None,
        status: None,
        scope: None,
        fields: [None; Field::ALL.len()],
        options: OptionNodes::default(),
        extra: Vec::new(),
    };
    let plan_body = members.iter().any(|(key, _)| key == "plan_id");
    let mut problems = Capped::new(out);
    let mut seen = BTreeSet::new();
    for (key, node) in members {
        if !seen.insert(key.as_ref()) {
            problems.push(|| clip(key), || Problem::DuplicateKey { key: quote(key) });
            continue;
        }
        if plan_body && !plan::PLAN_BODY_KEYS.contains(&key.as_ref()) {
            sorted.extra.push(key);
            continue;
        }
        if sorted.options.take(key, node) {
            continue;
        }
        match key.as_ref() {
            "ids" => sorted.ids = Some(node),
            "filter" => sorted.filter = Some(node),
            "expected_count" => sorted.expected_count = Some(node),
            "update_fields" => sorted.update_fields = Some(node),
            STATUS_KEY => sorted.status = Some(node),
            "scope" => sorted.scope = Some(node),
            name => match Field::from_name(name) {
                Some(field) => sorted.fields[field as usize] = Some(node),
                None => problems.push(|| clip(key), || Problem::UnknownField { key: quote(key) }),
            },
        }
    }
    sorted
}

/// Adds violations for one field up to MAX_PROBLEMS_PER_FIELD, building each only when it is kept.
pub(crate) struct Capped<'a> {
    out: &'a mut Vec<Violation>,
    left: usize,
}

impl<'a> Capped<'a> {
    pub(crate) fn new(out: &'a mut Vec<Violation>) -> Self {
        Capped {
            out,
            left: MAX_PROBLEMS_PER_FIELD,
        }
    }

    pub(crate) fn push(
        &mut self,
        path: impl FnOnce() -> String,
        problem: impl FnOnce() -> Problem,
    ) {
        if self.left > 0 {
            self.left -= 1;
            self.out.push(Violation::new(path(), problem()));
        }
    }
}

/// `expected_count`: a JSON integer of at least 0 (the filter's count guard, docs/SPEC.md §9).
fn read_expected_count(node: &Node<'_>, text: &str, out: &mut Vec<Violation>) -> Option<i64> {
    if let Value::Number(lexeme) = &node.value {
        if let Ok(count @ 0..) = parse_integer(lexeme) {
            return Some(count);
        }
    }
    let problem = FilterProblem::ExpectedCountType {
        value: describe(node, text),
    };
    out.push(Violation::new("expected_count", Problem::Filter(problem)));
    None
}

/// Stores a field's value if it has the field's JSON type; false (with a violation) when it does not.
pub(crate) fn read_field(
    field: Field,
    node: &Node<'_>,
    text: &str,
    input: &mut BatchInput,
    out: &mut Vec<Violation>,
) -> bool {
    let patch = &mut input.patch;
    let problem = match (field.kind(), &node.value) {
        (_, Value::Object(members)) if !Operation::keys(field).is_empty() => {
            return match read_operation(field, members, text, out) {
                Some(operation) => {
                    input.ops.set(field, operation);
                    true
                }
                None => false,
            };
        }
        (Kind::Text, Value::String(value)) => {
            patch.set_text(field, value.to_string());
            return true;
        }
        (Kind::Boolean, Value::Bool(value)) => {
            patch.set_boolean(field, *value);
            return true;
        }
        (Kind::Integer, Value::Number(lexeme)) => match parse_integer(lexeme) {
            Ok(value) => {
                patch.set_integer(field, value);
                return true;
            }
            Err(IntegerError::Overflow) => range_problem(field, lexeme),
            Err(IntegerError::NotInteger) => Problem::WrongType {
                field,
                value: describe(node, text),
            },
        },
        _ => Problem::WrongType {
            field,
            value: describe(node, text),
        },
    };
    out.push(Violation::new(field.name(), problem));
    false
}

/// An integer beyond i64: out of range, or for a quota above its maximum when positive.
fn range_problem(field: Field, lexeme: &str) -> Problem {
    let value = clip(lexeme);
    match field {
        Field::ExpiredTime => Problem::ExpiredTimeRange { value },
        _ if !lexeme.starts_with('-') => Problem::RemainQuotaTooLarge { value },
        _ => Problem::RemainQuotaRange { value },
    }
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum IntegerError {
    /// A fraction or an exponent: `5.0` and `1e3` are not integers here, even when whole.
    NotInteger,
    /// Outside i64, which is far outside every field's range.
    Overflow,
}

/// A JSON number lexeme (already grammar-checked) as an i64.
pub(crate) fn parse_integer(lexeme: &str) -> Result<i64, IntegerError> {
    if lexeme.contains(['.', 'e', 'E']) {
        return Err(IntegerError::NotInteger);
    }
    let (negative, digits) = match lexeme.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, lexeme),
    };
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(IntegerError::NotInteger);
    }
    // Accumulating on the sign's side reaches i64::MIN without overflowing first.
    digits
        .bytes()
        .try_fold(0i64, |value, digit| {
            let digit = i64::from(digit - b'0');
            let shifted = value.checked_mul(10)?;
            if negative {
                shifted.checked_sub(digit)
            } else {
                shifted.checked_add(digit)
            }
        })
        .ok_or(IntegerError::Overflow)
}

/// How a value is quoted in messages: strings as quoted literals, anything else as its JSON text on one
/// line, clipped.
pub(crate) fn describe(node: &Node<'_>, text: &str) -> String {
    if let Value::String(value) = &node.value {
        return quote(value);
    }
    let raw = text.get(node.start..node.end).unwrap_or_default();
    let mut shown = String::new();
    for word in raw.split_whitespace() {
        if !shown.is_empty() {
            shown.push(' ');
        }
        shown.push_str(word);
        if shown.len() > 256 {
            break;
        }
    }
    clip(&shown)
}
