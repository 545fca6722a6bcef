// The crate's documentation is its README (what it is, why it has no dependencies, its API with examples
// that run as doc-tests).
#![doc = include_str!("../README.md")]

pub mod apply;
mod body;
mod checks;
pub mod describe;
mod field;
pub mod filter;
mod json;
mod mask;
mod normalized;
pub mod operation;
mod parsed;
pub mod plan;
mod plan_messages;
mod problem;
pub mod revert;
pub mod scope;
mod search;
pub mod time;

#[cfg(test)]
mod tests;

pub use checks::group_usable;
pub use field::{Field, Patch, Value};
pub use json::{write_string as write_json_string, JsonErrorKind, JsonExpected, MAX_DEPTH};
pub use mask::mask_key;
pub use parsed::ParsedBody;
pub use plan_messages::{OptionKey, PlanProblem};
pub use problem::Problem;
pub use search::{like_pattern, SearchPatternError};

pub const MAX_IDS: usize = 10_000;
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// 9999-12-31T23:59:59Z
pub const MAX_EXPIRED_TIME: i64 = 253_402_300_799;
pub const QUOTA_PER_USD: i64 = 500_000;
/// new-api's own ceiling on a token's quota (controller/token.go: `1000000000 * common.QuotaPerUnit`, that is
/// 10^9 USD): its form refuses more for a token without unlimited quota, so no batch writes more. Exact in
/// JavaScript (far below 2^53).
pub const MAX_REMAIN_QUOTA: i64 = 1_000_000_000 * QUOTA_PER_USD;
pub const MAX_MODEL_NAME_CHARS: usize = 128;
/// new-api's `model_limits` column size.
pub const MAX_MODEL_LIMITS_CHARS: usize = 1024;
/// A URL longer than this is not a proxy address; it also keeps the value inside MySQL's TEXT column.
pub const MAX_MJ_CUSTOM_PROXY_CHARS: usize = 2048;
/// Entries of an `allow_ips` list. new-api's column is unbounded text, and a request names up to MAX_IDS
/// tokens, so an unbounded list multiplies one request into gigabytes; whitelists in use hold a handful to a
/// few hundred networks (a CIDR covers a whole range).
pub const MAX_ALLOW_IPS_ENTRIES: usize = 1_000;
/// Characters of a normalized `allow_ips` list (entries joined by "\n"): 1 000 IPv4 CIDRs fit (at most 19
/// characters each with the newline), as do 1 000 IPv6 networks in the usual compressed form; a request can
/// then write at most 32 KiB × MAX_IDS = 320 MiB, not the 19 GB an unbounded list allowed.
pub const MAX_ALLOW_IPS_CHARS: usize = 32_768;

/// "rules-" + package version + "-" + a hash of this crate's sources (every file under `src/` but the tests,
/// computed by `build.rs`), so the server and the WASM module can show whether they run the very same rules.
pub const RULES_VERSION: &str = env!("TOKENBATCH_RULES_VERSION");

/// A small set of fields (bitset).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct FieldSet(u16);

impl FieldSet {
    pub fn new() -> Self {
        FieldSet(0)
    }

    pub fn all() -> Self {
        Field::ALL.into_iter().collect()
    }

    pub fn insert(&mut self, field: Field) {
        self.0 |= 1 << field as u16;
    }

    pub fn contains(self, field: Field) -> bool {
        self.0 & (1 << field as u16) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// In `Field::ALL` order.
    pub fn iter(self) -> impl Iterator<Item = Field> {
        Field::ALL
            .into_iter()
            .filter(move |field| self.contains(*field))
    }

    /// The fields in `self` but not in `other`.
    pub fn difference(self, other: FieldSet) -> FieldSet {
        FieldSet(self.0 & !other.0)
    }

    pub fn union(self, other: FieldSet) -> FieldSet {
        FieldSet(self.0 | other.0)
    }

    /// The names joined with ", ", as messages list them.
    pub fn names(self) -> String {
        self.iter().map(Field::name).collect::<Vec<_>>().join(", ")
    }
}

impl FromIterator<Field> for FieldSet {
    fn from_iter<I: IntoIterator<Item = Field>>(fields: I) -> Self {
        let mut set = FieldSet::new();
        for field in fields {
            set.insert(field);
        }
        set
    }
}

/// The language of messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    ZhCn,
    En,
}

impl Lang {
    /// "en", "en-US", "zh", "zh-CN", ... (any region or script); None for anything else.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else if primary.eq_ignore_ascii_case("zh") {
            Some(Lang::ZhCn)
        } else {
            None
        }
    }

    /// Picks from an Accept-Language header value honouring q-values; ZhCn when nothing matches.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(u16, Lang)> = None;
        for range in header.split(',') {
            let mut parts = range.split(';');
            let Some(lang) = parts.next().and_then(Lang::from_tag) else {
                continue;
            };
            let weight = parts
                .find_map(|param| {
                    let param = param.trim();
                    param
                        .strip_prefix("q=")
                        .or_else(|| param.strip_prefix("Q="))
                })
                .map_or(1000, parse_quality);
            // Ties keep the earlier entry, as the header lists preferences in order.
            if weight > 0 && best.is_none_or(|(best_weight, _)| weight > best_weight) {
                best = Some((weight, lang));
            }
        }
        best.map(|(_, lang)| lang).unwrap_or_default()
    }
}

/// An HTTP quality value ("1", "0.8", "0.125") in thousandths; malformed values count as 0 (ignored).
fn parse_quality(text: &str) -> u16 {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let valid_whole = matches!(whole, "0" | "1");
    let valid_fraction = fraction.len() <= 3 && fraction.bytes().all(|b| b.is_ascii_digit());
    if !valid_whole || !valid_fraction {
        return 0;
    }
    let mut thousandths: u16 = if whole == "1" { 1000 } else { 0 };
    for (digit, scale) in fraction.bytes().zip([100, 10, 1]) {
        thousandths += u16::from(digit - b'0') * scale;
    }
    thousandths.min(1000)
}

/// A parsed request before validation. `update_fields: None` = the body had no update_fields key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchInput {
    pub ids: Vec<i64>,
    pub patch: Patch,
    pub update_fields: Option<FieldSet>,
    /// The tokens a filter selects, instead of `ids` (docs/SPEC.md §9).
    pub filter: Option<filter::TokenFilter>,
    /// How many tokens the caller expects the filter to select right now (the count guard).
    pub expected_count: Option<i64>,
    /// Fields given as operation objects (§11) instead of absolute values.
    pub ops: operation::Operations,
    /// The `status` to write: 1 (enable) or 2 (disable).
    pub status: Option<i64>,
    /// `update_fields` names `status`.
    pub update_status: bool,
    /// Root's `scope` as sent (docs/SPEC.md §13): `"all_users"` lets an `ids` batch reach every user's tokens.
    pub scope: Option<String>,
}

/// What the server and page know that the rules need.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// Unix seconds, for the "expiry in the past" warning.
    pub now: i64,
    /// None = do not check group membership ("auto" is always allowed).
    pub allowed_groups: Option<Vec<String>>,
    /// Character limits of the target database's columns, where they are narrower than the rules' own
    /// (new-api on MySQL keeps `group` and `allow_ips` in varchar(191)). Empty = no such limits.
    pub column_limits: Vec<(Field, usize)>,
}

impl Context {
    /// The database's character limit for `field`, if it has one.
    pub fn column_limit(&self, field: Field) -> Option<usize> {
        self.column_limits
            .iter()
            .find(|(limited, _)| *limited == field)
            .map(|(_, max)| *max)
    }
}

/// A validated batch: ids deduplicated and sorted ascending, `values` holds normalized values for exactly
/// the fields in `fields` (every other field None), `ignored` = fields present in the body but not in
/// update_fields. Only the rules build one (the members are private to this crate), so whoever holds a
/// `ValidBatch` holds what validation guarantees: the store writes nothing else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidBatch {
    pub(crate) ids: Vec<i64>,
    pub(crate) fields: FieldSet,
    pub(crate) values: Patch,
    pub(crate) ignored: FieldSet,
    pub(crate) warnings: Vec<Warning>,
    pub(crate) filter: Option<filter::TokenFilter>,
    pub(crate) expected_count: Option<i64>,
    pub(crate) ops: operation::Operations,
    pub(crate) status: Option<i64>,
    pub(crate) column_limits: Vec<(Field, usize)>,
    pub(crate) all_users: bool,
}

impl ValidBatch {
    /// The batch reaches other users' tokens (docs/SPEC.md §13): an `ids` batch with `"scope": "all_users"`
    /// or a filter naming `user_id`. Only root may send either: the server's check.
    pub fn crosses_users(&self) -> bool {
        self.all_users || self.filter.as_ref().is_some_and(|f| f.user_id.is_some())
    }

    /// An `ids` batch with `"scope": "all_users"`.
    pub fn all_users(&self) -> bool {
        self.all_users
    }

    /// The groups the batch puts on tokens, which their owners must be able to use ([`group_usable`]): an
    /// absolute `group`'s names or a group operation's added and prepended ones, distinct, sorted. Removing
    /// a group needs no right to it.
    pub fn written_groups(&self) -> Vec<&str> {
        let mut groups: Vec<&str> = match (self.ops().get(Field::Group), &self.values().group) {
            (Some(operation::Operation::List { add, prepend, .. }), _) => {
                add.iter().chain(prepend).map(String::as_str).collect()
            }
            (None, Some(group)) if self.fields().contains(Field::Group) => {
                group.split(',').collect()
            }
            _ => Vec::new(),
        };
        groups.retain(|group| !group.is_empty());
        groups.sort_unstable();
        groups.dedup();
        groups
    }

    /// The fields written by an operation (§11) rather than an absolute value; their [`ValidBatch::values`]
    /// are None.
    pub fn ops(&self) -> &operation::Operations {
        &self.ops
    }

    /// The status to write (1 enable, 2 disable), when `update_fields` names it.
    pub fn status(&self) -> Option<i64> {
        self.status
    }

    /// The database's character limits the batch was checked against (see [`Context::column_limits`]): a
    /// list operation's per-token result must fit them too.
    pub fn column_limit(&self, field: Field) -> Option<usize> {
        self.column_limits
            .iter()
            .find(|(limited, _)| *limited == field)
            .map(|(_, max)| *max)
    }

    /// Distinct, ascending; at least one, at most [`MAX_IDS`]; for a batch by filter, empty until
    /// [`ValidBatch::with_selected_ids`] pins what the filter selected.
    pub fn ids(&self) -> &[i64] {
        &self.ids
    }

    /// The filter selecting the tokens, when the request had one instead of ids.
    pub fn filter(&self) -> Option<&filter::TokenFilter> {
        self.filter.as_ref()
    }

    /// The count the caller expects the filter to select (`expected_count`).
    pub fn expected_count(&self) -> Option<i64> {
        self.expected_count
    }

    /// A batch by filter with the ids its filter selected (by the store, at most
    /// [`filter::MAX_FILTER_MATCHES`]): what is written is then exactly as for those ids.
    pub fn with_selected_ids(mut self, mut ids: Vec<i64>) -> ValidBatch {
        ids.sort_unstable();
        ids.dedup();
        self.ids = ids;
        self
    }

    /// The fields to write; never empty.
    pub fn fields(&self) -> FieldSet {
        self.fields
    }

    /// Normalized values for the [`ValidBatch::fields`] written with an absolute value (the others are in
    /// [`ValidBatch::ops`]).
    pub fn values(&self) -> &Patch {
        &self.values
    }

    /// Fields the body carried but update_fields did not name.
    pub fn ignored(&self) -> FieldSet {
        self.ignored
    }

    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}

/// One failed rule. `field` is the JSON path ("ids", `"ids[3]"`, "update_fields", "allow_ips", "body").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub problem: Problem,
}

impl Violation {
    pub fn new(field: impl Into<String>, problem: Problem) -> Self {
        Violation {
            field: field.into(),
            problem,
        }
    }

    /// Stable code, e.g. "ids.empty", "expired_time.milliseconds".
    pub fn code(&self) -> &'static str {
        self.problem.code()
    }

    /// A full sentence naming the field and the reason.
    pub fn message(&self, lang: Lang) -> String {
        self.problem.message(&self.field, lang)
    }
}

/// Something the caller should know that does not stop the batch (e.g. an expiry in the past).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub field: String,
    pub problem: Problem,
}

impl Warning {
    pub fn code(&self) -> &'static str {
        self.problem.code()
    }

    pub fn message(&self, lang: Lang) -> String {
        self.problem.message(&self.field, lang)
    }
}

/// JSONC text (comments, trailing commas, CRLF, BOM) -> typed input. Shape errors only (types, ids forms,
/// update_fields names, unknown/duplicate keys). All violations found are returned, not just the first. A
/// body applying a plan is no batch input (as in [`check_parsed`]).
pub fn parse_body(text: &str) -> Result<BatchInput, Vec<Violation>> {
    let read = body::read_body(text)?;
    let mut violations = read.reported.violations;
    if read.options.plan_body && violations.is_empty() {
        violations.push(Violation::new(
            "plan_id",
            Problem::Plan(PlanProblem::NotABatch),
        ));
    }
    if violations.is_empty() {
        Ok(read.input)
    } else {
        Err(violations)
    }
}

/// Same, from bytes (invalid UTF-8 is a violation `body.invalid_utf8`).
pub fn parse_body_bytes(bytes: &[u8]) -> Result<BatchInput, Vec<Violation>> {
    parse_body(body::utf8_body(bytes)?)
}

/// Reads a JSONC body. Err only when nothing can be read (empty, too large, not JSON, not an object).
pub fn read_body(text: &str) -> Result<ParsedBody, Vec<Violation>> {
    let read = body::read_body(text)?;
    Ok(ParsedBody {
        input: read.input,
        reported: read.reported,
        options: read.options,
    })
}

/// [`read_body`] from bytes (invalid UTF-8 is a violation `body.invalid_utf8`).
pub fn read_body_bytes(bytes: &[u8]) -> Result<ParsedBody, Vec<Violation>> {
    read_body(body::utf8_body(bytes)?)
}

/// Every rule on a read request: its shape problems and every value rule, in one list.
/// A body applying a plan is no batch: it gets its shape problems, or `plan.not_a_batch` when it has none
/// (see [`ParsedBody::plan_id`]).
pub fn check_parsed(parsed: ParsedBody, ctx: &Context) -> Result<ValidBatch, Vec<Violation>> {
    if parsed.options.plan_body {
        let mut violations = parsed.reported.violations;
        if violations.is_empty() {
            let problem = Problem::Plan(PlanProblem::NotABatch);
            violations.push(Violation::new("plan_id", problem));
        }
        return Err(violations);
    }
    checks::check(parsed.input, ctx, parsed.reported)
}

/// Every value rule of docs/SPEC.md §2-3 on an input (from the JSON body or from gRPC).
pub fn check_input(input: BatchInput, ctx: &Context) -> Result<ValidBatch, Vec<Violation>> {
    checks::check(input, ctx, body::Reported::default())
}

/// parse_body then check_input: what the browser calls; the server runs the same two steps. Unlike
/// calling them in turn, a body with shape errors still gets its other values checked, so the caller sees
/// every problem at once.
pub fn check_body(text: &str, ctx: &Context) -> Result<ValidBatch, Vec<Violation>> {
    check_parsed(read_body(text)?, ctx)
}

/// check_body from bytes (invalid UTF-8 is a violation `body.invalid_utf8`).
pub fn check_body_bytes(bytes: &[u8], ctx: &Context) -> Result<ValidBatch, Vec<Violation>> {
    check_body(body::utf8_body(bytes)?, ctx)
}

/// One field alone, for as-you-type feedback: value is the JSON text of that field's value.
pub fn check_field(field: &str, json_value: &str, ctx: &Context) -> Vec<Violation> {
    checks::check_field(field, json_value, ctx).0
}

/// check_field plus the warnings a valid value raises (e.g. an expiry in the past).
pub fn check_field_with_warnings(
    field: &str,
    json_value: &str,
    ctx: &Context,
) -> (Vec<Violation>, Vec<Warning>) {
    checks::check_field(field, json_value, ctx)
}

/// Renders several violations as one line (full sentences joined by a space), for the envelope's `message`.
pub fn join_messages(violations: &[Violation], lang: Lang) -> String {
    let messages: Vec<String> = violations.iter().map(|v| v.message(lang)).collect();
    messages.join(" ")
}

/// Renders warnings as one line, the way [`join_messages`] renders violations.
pub fn join_warnings(warnings: &[Warning], lang: Lang) -> String {
    let messages: Vec<String> = warnings.iter().map(|w| w.message(lang)).collect();
    messages.join(" ")
}
