//! What validation reports: a [`Violation`] stops the batch, a [`Warning`] does not.

use crate::{Lang, Problem};

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
