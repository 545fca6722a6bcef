//! Every problem's message in en ([`Problem::message`]).

use super::*;

impl Problem {
    pub(super) fn message_en(&self, path: &str) -> String {
        use Problem::*;
        match self {
            BodyEmpty => {
                "The request body is empty: send a JSON object with at least ids and update_fields."
                    .into()
            }
            BodyTooLarge => format!(
                "The request body exceeds the 1 MiB limit: send fewer ids per request (at most {MAX_IDS})."
            ),
            InvalidUtf8 { line, column } => format!(
                "The request body is not valid UTF-8 text: invalid bytes at line {line}, column {column}."
            ),
            InvalidJson {
                line,
                column,
                reason,
            } => {
                let subject = if path == "body" {
                    "The request body".to_string()
                } else {
                    format!("The value of {path}")
                };
                let reason = json_reason_en(*reason);
                format!("{subject} is not valid JSON: line {line}, column {column}: {reason}.")
            }
            NotObject { value } => {
                format!("The request body must be a JSON object ({{ ... }}), got {value}.")
            }
            DuplicateKey { key } => format!("Field {key} appears more than once: keep only one."),
            UnknownField { key } => {
                format!("Unknown field {key}: valid fields are {}.", valid_keys())
            }
            IdsMissing => format!(
                "ids is missing: list the ids of the tokens to change, e.g. {ID_EXAMPLE}."
            ),
            IdsType { value } => format!(
                "ids must be an array of ids (e.g. [873, 869]) or a comma-separated string (e.g. \"873,869\"), got {value}."
            ),
            IdsInvalid { entry } if path == "ids" => format!(
                "ids entry {entry} is not a valid token id: ids must be positive integers."
            ),
            IdsInvalid { entry } => format!(
                "{path} ({entry}) is not a valid token id: ids must be positive integers."
            ),
            IdsEmptyEntry { position } => {
                format!("ids entry {position} is empty: remove the extra comma.")
            }
            IdsEmpty => "ids must not be empty: give at least one token id.".into(),
            IdsTooMany { count } => format!(
                "ids may list at most {MAX_IDS} tokens (after removing duplicates), got {count}: split the batch."
            ),
            UpdateFieldsMissing { present } => {
                let carried = if present.is_empty() {
                    "the body carries no writable field".to_string()
                } else {
                    format!("the body carries: {}", present.names())
                };
                format!(
                    "update_fields is required: list the fields to write, e.g. \"update_fields\": {} ({carried}).",
                    update_fields_example(*present)
                )
            }
            UpdateFieldsType { value } if path == "update_fields" => format!(
                "update_fields must be an array of field names (e.g. [\"group\",\"expired_time\"]) or a comma-separated string, got {value}."
            ),
            UpdateFieldsType { value } => {
                format!("{path} must be a field name string, got {value}.")
            }
            UpdateFieldsUnknown { name } => format!(
                "update_fields names {name}, which is not a writable field: writable fields are {}.",
                FieldSet::all().names()
            ),
            UpdateFieldsEmpty => {
                "update_fields must not be empty: list at least one field to write.".into()
            }
            TooLongForColumn { field, chars, max } => format!(
                "{} is {chars} characters long, more than the database column holds ({max}): shorten it.",
                field.name()
            ),
            NotInColumnCharset {
                field,
                character,
                charset,
            } => format!(
                "{} contains {}, which the database column's character set ({charset}) cannot store: remove it, or convert the column to utf8mb4.",
                field.name(),
                quote_char(*character)
            ),
            FieldMissing { field } => {
                let name = field.name();
                format!(
                    "update_fields lists {name} but the body has no {name} value: give a value or remove it from update_fields."
                )
            }
            WrongType { field, value } => {
                let expected = match field.kind() {
                    Kind::Text => "a string",
                    Kind::Integer => "a JSON integer (no quotes, no decimal point or exponent)",
                    Kind::Boolean => "a JSON boolean true or false (no quotes)",
                };
                format!("{} must be {expected}, got {value}.", field.name())
            }
            GroupEmpty => {
                "group must not be empty or contain an empty group name (extra comma).".into()
            }
            GroupDuplicate { name } => format!("group lists {name} more than once."),
            GroupNotAllowed { name, allowed } => format!(
                "group {name} is not available to you: available groups are {}.",
                allowed.join(", ")
            ),
            GroupControlChar { name } => {
                format!("group name {name} contains a control character.")
            }
            ExpiredTimeRange { value } => format!(
                "expired_time {value} is out of range: use -1 (never expires) or unix seconds from 1 to {MAX_EXPIRED_TIME}."
            ),
            ExpiredTimeMilliseconds { value, seconds } => format!(
                "expired_time {value} looks like unix milliseconds, but seconds are expected: send {seconds} ({}) instead.",
                format_utc(*seconds)
            ),
            ExpiredTimePast { value } => format!(
                "expired_time {value} ({}) is in the past: the tokens will be expired immediately.",
                format_utc(*value)
            ),
            FieldsIgnored { fields } => format!(
                "{} in the body not written: not listed in update_fields.",
                fields.names()
            ),
            RemainQuotaRange { value } => format!(
                "remain_quota {value} is out of range: use an integer from 0 to {MAX_REMAIN_QUOTA}."
            ),
            RemainQuotaTooLarge { value } => format!(
                "remain_quota {value} is over the maximum of {MAX_REMAIN_QUOTA} ({} USD), the largest quota new-api accepts for a token: for no limit, turn on unlimited_quota.",
                MAX_REMAIN_QUOTA / QUOTA_PER_USD
            ),
            ModelLimitsEmptyEntry { position } => {
                format!("model_limits entry {position} is empty: remove the extra comma.")
            }
            ModelLimitsTooLong { entry, chars } => format!(
                "model_limits entry {entry} is too long: {chars} characters, the limit is {MAX_MODEL_NAME_CHARS}."
            ),
            ModelLimitsControlChar { entry } => {
                format!("model_limits entry {entry} contains a control character.")
            }
            ModelLimitsTotalTooLong { chars } => format!(
                "model_limits is {chars} characters long after normalization, over the {MAX_MODEL_LIMITS_CHARS}-character limit."
            ),
            AllowIpsInvalid {
                line,
                text,
                has_comma,
            } => {
                let hint = if *has_comma {
                    " Put one entry per line instead of separating them with commas."
                } else {
                    ""
                };
                format!(
                    "allow_ips line {line} ({text}) is not a valid IP address or CIDR range.{hint}"
                )
            }
            AllowIpsTooMany { count } => format!(
                "allow_ips lists {count} entries, over the limit of {MAX_ALLOW_IPS_ENTRIES}: merge neighbouring addresses into CIDR ranges."
            ),
            AllowIpsTotalTooLong { chars } => format!(
                "allow_ips is {chars} characters long after normalization, over the {MAX_ALLOW_IPS_CHARS}-character limit: merge neighbouring addresses into CIDR ranges."
            ),
            MjImageModeInvalid { value } => format!(
                "mj_image_mode {value} is invalid: use \"origin\" or \"proxy\" (case-sensitive)."
            ),
            MjCustomProxyInvalidUrl { value } => format!(
                "mj_custom_proxy {value} is not a valid address: leave it empty or give an absolute http:// or https:// URL with a host and no whitespace."
            ),
            MjCustomProxyTooLong { chars } => format!(
                "mj_custom_proxy is {chars} characters long, over the limit of {MAX_MJ_CUSTOM_PROXY_CHARS}: give a shorter proxy address."
            ),
            MjCustomProxyModeConflict => "mj_custom_proxy sets a proxy address while mj_image_mode is set to \"origin\" in the same request: the proxy only applies in \"proxy\" mode, so use \"proxy\" or clear the proxy address.".into(),
            Filter(problem) => problem.message(Lang::En),
            Scope(problem) => problem.message(Lang::En),
            Operation(problem) => problem.message(Lang::En),
            Plan(problem) => problem.message(Lang::En),
        }
    }
}

fn json_reason_en(reason: JsonErrorKind) -> String {
    use JsonErrorKind::*;
    match reason {
        UnexpectedEnd => "unexpected end of input".into(),
        UnexpectedChar { found, expected } => {
            let expected = match expected {
                JsonExpected::Value => "a value",
                JsonExpected::CommaOrCloseBracket => "a comma or ]",
                JsonExpected::CommaOrCloseBrace => "a comma or }",
                JsonExpected::Colon => "a colon",
                JsonExpected::Key => "a field name in double quotes",
                JsonExpected::EndOfInput => "the end of input",
            };
            format!(
                "unexpected character {}, expected {expected}",
                quote_char(found)
            )
        }
        InvalidNumber => "malformed number".into(),
        InvalidEscape => "invalid escape sequence in a string".into(),
        LoneSurrogate => "unpaired UTF-16 surrogate (\\u escape) in a string".into(),
        ControlCharInString => "unescaped control character in a string".into(),
        UnterminatedString => "string without its closing double quote".into(),
        UnterminatedComment => "comment without its closing */".into(),
        TooDeep => format!("nesting deeper than {} levels", crate::json::MAX_DEPTH),
    }
}
