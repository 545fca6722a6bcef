//! The body of a revert (docs/SPEC.md §12, `POST /api/token/batch/changes/{id}/revert`): optional, an object
//! of `dry_run` (compute and answer, write nothing), `strict` (refuse the whole revert when any token would
//! be skipped) and `lang`. Read with the batch body's parser and words, so a mistyped key or value is refused
//! naming it, as in a batch.

use std::collections::BTreeSet;

use crate::body::{describe, members, parse_object};
use crate::json::Value;
use crate::problem::quote;
use crate::{Lang, OptionKey, PlanProblem, Problem, Violation};

/// What a revert's body asks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RevertOptions {
    pub dry_run: bool,
    pub strict: bool,
    pub lang: Option<Lang>,
}

/// [`read_revert_body`] from bytes (invalid UTF-8 is a violation `body.invalid_utf8`).
pub fn read_revert_body_bytes(bytes: &[u8]) -> Result<RevertOptions, Vec<Violation>> {
    read_revert_body(crate::body::utf8_body(bytes)?)
}

/// Reads a revert's body; an empty body asks for the defaults (apply, not strict).
pub fn read_revert_body(text: &str) -> Result<RevertOptions, Vec<Violation>> {
    let Some((text, root)) = parse_object(text)? else {
        return Ok(RevertOptions::default());
    };
    let mut options = RevertOptions::default();
    let mut violations = Vec::new();
    let mut seen = BTreeSet::new();
    for (key, node) in members(&root) {
        let key = key.as_ref();
        if !seen.insert(key) {
            let problem = Problem::DuplicateKey { key: quote(key) };
            violations.push(Violation::new(key, problem));
            continue;
        }
        let refuse = |option: OptionKey| {
            let value = describe(node, text);
            let problem = Problem::Plan(PlanProblem::OptionType { key: option, value });
            Violation::new(option.name(), problem)
        };
        match (key, &node.value) {
            ("dry_run", Value::Bool(flag)) => options.dry_run = *flag,
            ("strict", Value::Bool(flag)) => options.strict = *flag,
            ("dry_run", _) => violations.push(refuse(OptionKey::DryRun)),
            ("strict", _) => violations.push(refuse(OptionKey::Strict)),
            ("lang", value) => match value {
                Value::String(tag) if Lang::from_tag(tag).is_some() => {
                    options.lang = Lang::from_tag(tag);
                }
                _ => violations.push(refuse(OptionKey::Lang)),
            },
            _ => {
                let problem = Problem::UnknownField { key: quote(key) };
                violations.push(Violation::new(key, problem));
            }
        }
    }
    match violations.is_empty() {
        true => Ok(options),
        false => Err(violations),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_body_asks_for_the_defaults() {
        assert_eq!(read_revert_body(""), Ok(RevertOptions::default()));
        assert_eq!(read_revert_body(" \r\n"), Ok(RevertOptions::default()));
        assert_eq!(read_revert_body("{}"), Ok(RevertOptions::default()));
    }

    #[test]
    fn each_key_is_read() {
        let options =
            read_revert_body(r#"{"dry_run": true, "strict": true, "lang": "en"}"#).unwrap();
        assert_eq!(
            options,
            RevertOptions {
                dry_run: true,
                strict: true,
                lang: Some(Lang::En)
            }
        );
    }

    #[test]
    fn wrong_values_and_keys_are_refused_naming_them() {
        let codes = |text: &str| -> Vec<(String, &'static str)> {
            read_revert_body(text)
                .unwrap_err()
                .into_iter()
                .map(|violation| (violation.field.clone(), violation.code()))
                .collect()
        };
        assert_eq!(
            codes(r#"{"strict": "yes", "dryrun": true}"#),
            vec![
                ("strict".to_owned(), "strict.type"),
                ("dryrun".to_owned(), "body.unknown_field")
            ]
        );
        assert_eq!(codes("[1]"), vec![("body".to_owned(), "body.not_object")]);
        assert_eq!(codes("{"), vec![("body".to_owned(), "body.invalid_json")]);
        assert_eq!(
            codes(r#"{"strict": true, "strict": false}"#),
            vec![("strict".to_owned(), "body.duplicate_key")]
        );
        let message = read_revert_body(r#"{"strict": 1}"#).unwrap_err()[0].message(Lang::En);
        assert!(
            message.contains("strict") && message.contains("true or false"),
            "{message}"
        );
    }
}
