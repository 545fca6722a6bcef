//! check_input / check_body / check_field: the value rules, one code at a time. The tests are in the
//! submodules by topic; the helpers below are shared by them.

mod group_expiry_quota;
mod lists_and_proxies;
mod request;

use super::{codes, ctx, writing};
use crate::{check_body, Field, FieldSet};

fn set(fields: &[Field]) -> FieldSet {
    fields.iter().copied().collect()
}

/// Normalized value of one string field written alone, or the codes it fails with.
fn normalized(field: &str, json: &str) -> Result<Option<String>, Vec<&'static str>> {
    let text = writing(&format!(r#""{field}": {json}"#), &format!(r#"["{field}"]"#));
    match check_body(&text, &ctx()) {
        Ok(batch) => Ok(batch
            .values
            .text(Field::from_name(field).unwrap())
            .map(String::from)),
        Err(violations) => Err(codes(&violations)),
    }
}

fn text_ok(field: &str, json: &str) -> String {
    normalized(field, json)
        .unwrap_or_else(|codes| panic!("{field}={json}: {codes:?}"))
        .unwrap()
}

fn text_err(field: &str, json: &str) -> Vec<&'static str> {
    normalized(field, json).expect_err(json)
}
