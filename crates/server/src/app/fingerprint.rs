//! A batch's fingerprint: what a request id (docs/SPEC.md §6) is bound to, so a retry replays and another
//! batch under the same id is refused.

use sha2::{Digest, Sha256};
use tokenbatch_rules::{ValidBatch, Value};

/// Equal for two requests asking for the same batch however they spell it (JSONC or JSON, ids as strings
/// or in another order, field order), different for any difference in ids, fields, values, operations or
/// status.
pub(super) fn fingerprint(batch: &ValidBatch) -> String {
    let mut hasher = Sha256::new();
    for id in batch.ids() {
        hasher.update(id.to_string());
        hasher.update(b",");
    }
    for field in batch.fields().iter() {
        // The JSON of the value, as serde_json writes it (a validated batch has one for every field).
        let value = match batch.values().get(field) {
            Some(Value::Text(text)) => serde_json::to_string(text),
            Some(Value::Integer(integer)) => serde_json::to_string(&integer),
            Some(Value::Boolean(boolean)) => serde_json::to_string(&boolean),
            None => serde_json::to_string(&()),
        }
        .expect("plain values always serialize");
        hasher.update(b"\n");
        hasher.update(field.name());
        hasher.update(b"=");
        hasher.update(value);
    }
    // Relative operations and the status (docs/SPEC.md §11) have no value above: the normalized request
    // spells them. Batches of absolute values only keep the fingerprint they always had, so that a retry
    // across an upgrade still replays.
    if !batch.ops().is_empty() || batch.status().is_some() {
        hasher.update(b"\nrequest=");
        hasher.update(batch.request_json());
    }
    // Root's ids batch across users (docs/SPEC.md §13) is another request than the same ids owner-only.
    if batch.all_users() {
        hasher.update(b"\nscope=all_users");
    }
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
