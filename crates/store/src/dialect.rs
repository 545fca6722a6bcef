//! The SQL that differs between engines.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    Sqlite,
}

impl Dialect {
    /// Quotes an identifier; `group` and `key` are reserved words on every engine new-api runs on.
    pub(crate) fn quote(self, identifier: &str) -> String {
        match self {
            Dialect::Sqlite => format!("\"{identifier}\""),
        }
    }
}
