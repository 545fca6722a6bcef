//! What the fuzz targets check, kept out of `fuzz_targets/` so the three targets share one copy.
//!
//! - [`rules`]: the body parser and validator (`read_body_bytes` + `check_parsed`, `check_field`): never a
//!   panic, and every accepted batch satisfies every rule, checked here independently of the rules' code.
//! - [`http`]: the whole router (`tokenbatch::serve::router`) on a seeded SQLite file: never a panic, never a
//!   5xx, and a request that is not a successful batch writes nothing.

pub mod http;
pub mod rules;
