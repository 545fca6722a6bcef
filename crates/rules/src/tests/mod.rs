//! Unit tests of the rules crate. Kept out of the source files so editing a test does not change
//! RULES_VERSION (which hashes the sources).

mod body;
mod checks;
mod example;
mod filter;
mod json;
mod lang_time;
mod limits;
mod messages;
mod operation;
mod plan;
mod robustness;
mod scope;
mod search;

use crate::{check_body, check_field, Context, Violation};

pub(crate) const NOW: i64 = 1_800_000_000;

pub(crate) fn ctx() -> Context {
    Context {
        now: NOW,
        allowed_groups: None,
        column_limits: Vec::new(),
    }
}

pub(crate) fn codes(violations: &[Violation]) -> Vec<&'static str> {
    violations.iter().map(Violation::code).collect()
}

pub(crate) fn paths(violations: &[Violation]) -> Vec<&str> {
    violations.iter().map(|v| v.field.as_str()).collect()
}

/// Codes check_body reports for a body that must fail.
pub(crate) fn body_codes(text: &str) -> Vec<&'static str> {
    match check_body(text, &ctx()) {
        Ok(batch) => panic!("expected violations, got {batch:?}"),
        Err(violations) => codes(&violations),
    }
}

/// A body with ids [1] writing exactly the members given (`"group": "x", ...`).
pub(crate) fn writing(members: &str, update_fields: &str) -> String {
    format!(r#"{{"ids": [1], {members}, "update_fields": {update_fields}}}"#)
}

/// Codes check_field reports for one field's JSON text.
pub(crate) fn field_codes(field: &str, json: &str) -> Vec<&'static str> {
    codes(&check_field(field, json, &ctx()))
}

/// A small reproducible random source for the tests that generate input.
pub(crate) struct XorShift(pub(crate) u64);

impl XorShift {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub(crate) fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}
