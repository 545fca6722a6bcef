//! Idempotent retries: a batch that carries a client-chosen request id is recorded, in the transaction
//! that writes it, with a fingerprint of the request and the changes it made. A retry with the same id
//! finds the record and gets the first answer back instead of applying the batch again; a different
//! request under the same id is refused. Because the record commits with the batch, this holds across
//! crashes and restarts and between several instances of the service on one database.

use tokenbatch_rules::apply::TokenState;
use tokenbatch_rules::{Field, Value};

use crate::change::BatchChange;
use crate::dialect::Dialect;
use crate::json_text;
use crate::StoreError;

/// The table tokenbatch adds beside new-api's (created when missing; new-api never reads it).
pub(crate) const TABLE: &str = "tokenbatch_requests";

/// How long a request id is remembered. A retry comes within minutes; a day covers a client that retries
/// after an outage, and keeps the table small.
pub const REQUEST_ID_RETENTION_SECS: i64 = 24 * 60 * 60;

/// The longest request id accepted (the column's width).
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// A batch's request id and the fingerprint of what it asks, both chosen by the caller of the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestKey<'a> {
    pub request_id: &'a str,
    /// Equal for equal requests (same ids, fields and values), different otherwise.
    pub fingerprint: &'a str,
}

/// What an earlier batch under the same request id recorded.
pub(crate) struct Recorded {
    pub(crate) fingerprint: String,
    pub(crate) changes: String,
}

/// The record of a request id still remembered: bound as user, id, the oldest creation kept, now. A plan's
/// row (crate::plans) is remembered at least until it expires too, as [`forget_statement`] keeps it.
pub(crate) fn find_statement(d: Dialect) -> String {
    d.sql(&format!(
        "SELECT fingerprint, changes FROM {TABLE} WHERE user_id = ? AND request_id = ? \
         AND (created_time >= ? OR expires_time >= ?)"
    ))
}

/// Forgets what is past the retention: bound as the oldest creation kept, then now. A request id is kept
/// for [`REQUEST_ID_RETENTION_SECS`], a plan as long and at least until it expires (the longer of the
/// two), whatever ttl the instance that made it had.
pub(crate) fn forget_statement(d: Dialect) -> String {
    d.sql(&format!(
        "DELETE FROM {TABLE} WHERE created_time < ? AND (expires_time IS NULL OR expires_time < ?)"
    ))
}

pub(crate) fn record_statement(d: Dialect) -> String {
    d.sql(&format!(
        "INSERT INTO {TABLE} (user_id, request_id, fingerprint, created_time, changes) VALUES (?, ?, ?, ?, ?)"
    ))
}

/// Two transactions recording the same request id at once: the loser is rolled back and retried by
/// [`crate::Store::apply_batch`], and then finds the winner's record.
pub(crate) fn insert_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(error),
        _ => StoreError::from(error),
    }
}

/// The earlier answer, or [`StoreError::RequestIdReused`] when the id came with a different request.
pub(crate) fn replay(
    recorded: Recorded,
    request: RequestKey<'_>,
) -> Result<Vec<BatchChange>, StoreError> {
    if recorded.fingerprint != request.fingerprint {
        return Err(StoreError::RequestIdReused);
    }
    decode_changes(&recorded.changes)
}

/// One stored token state: the status, then every field in [`Field::ALL`] order, as a JSON array.
fn write_state(out: &mut String, state: &TokenState) {
    out.push('[');
    json_text::push_integer(out, state.status);
    for field in Field::ALL {
        out.push(',');
        match state.get(field) {
            Value::Text(text) => json_text::push_string(out, text),
            Value::Integer(integer) => json_text::push_integer(out, integer),
            Value::Boolean(boolean) => json_text::push_boolean(out, boolean),
        }
    }
    out.push(']');
}

/// [`write_state`] read back. A field missing at the end (a record written before the field existed) reads
/// as its [`Field::null_value`]; a value of the wrong type is an error.
fn state_from_json(json: &serde_json::Value) -> Option<TokenState> {
    let values = json.as_array()?;
    let mut state = TokenState {
        status: values.first()?.as_i64()?,
        ..TokenState::default()
    };
    for (index, field) in Field::ALL.into_iter().enumerate() {
        let value = match (values.get(index + 1), field.null_value()) {
            (None, null) => null,
            (Some(json), Value::Text(_)) => Value::Text(json.as_str()?),
            (Some(json), Value::Integer(_)) => Value::Integer(json.as_i64()?),
            (Some(json), Value::Boolean(_)) => Value::Boolean(json.as_bool()?),
        };
        state.set(field, value);
    }
    Some(state)
}

/// The changes as stored: ids with their values before and after, never the tokens' keys. A change that
/// cleared the token's auto-only settings ([`BatchChange::cleared_auto_settings`]) carries a fourth element,
/// `true`; the others keep the three of records written before that flag existed.
pub(crate) fn encode_changes(changes: &[BatchChange]) -> String {
    let mut out = String::with_capacity(changes.len() * 128 + 2);
    out.push('[');
    for (index, change) in changes.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_change(&mut out, change);
    }
    out.push(']');
    out
}

/// One change as [`encode_changes`] stores it (plans store their chunks of changes the same way).
pub(crate) fn write_change(out: &mut String, change: &BatchChange) {
    out.push('[');
    json_text::push_integer(out, change.id);
    out.push(',');
    write_state(out, &change.before);
    out.push(',');
    write_state(out, &change.after);
    if change.cleared_auto_settings {
        out.push_str(",true");
    }
    out.push(']');
}

pub(crate) fn decode_changes(text: &str) -> Result<Vec<BatchChange>, StoreError> {
    let unreadable =
        |error: String| StoreError::Data(format!("unreadable recorded request: {error}"));
    let rows: Vec<Vec<serde_json::Value>> =
        serde_json::from_str(text).map_err(|error| unreadable(error.to_string()))?;
    let mut changes = Vec::with_capacity(rows.len());
    for mut row in rows {
        let cleared_auto_settings = match row.len() {
            4 => row.pop().and_then(|flag| flag.as_bool()).unwrap_or(false),
            _ => false,
        };
        let change = match row.as_slice() {
            [id, before, after] => id
                .as_i64()
                .zip(state_from_json(before))
                .zip(state_from_json(after)),
            _ => None,
        };
        let Some(((id, before), after)) = change else {
            return Err(unreadable(format!("{row:?}")));
        };
        changes.push(BatchChange {
            id,
            key: String::new(),
            before,
            after,
            cleared_auto_settings,
        });
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_read_back_as_written_without_keys() {
        let before = TokenState {
            status: 3,
            group: "vip,默认".into(),
            expired_time: 1,
            remain_quota: 9_007_199_254_740_991,
            unlimited_quota: true,
            model_limits: "gpt-4o,\"quoted\"".into(),
            model_limits_enabled: true,
            allow_ips: "10.0.0.0/8\n::1".into(),
            mj_image_mode: "proxy".into(),
            mj_custom_proxy: "https://p.example/".into(),
        };
        let after = TokenState {
            status: 1,
            expired_time: -1,
            ..before.clone()
        };
        let change = BatchChange {
            id: 873,
            key: "secret-key".into(),
            before,
            after,
            cleared_auto_settings: false,
        };
        let cleared = BatchChange {
            id: 874,
            before: change.after.clone(),
            cleared_auto_settings: true,
            ..change.clone()
        };
        let text = encode_changes(&[change.clone(), cleared.clone()]);
        assert!(!text.contains("secret-key"));
        let request = RequestKey {
            request_id: "r1",
            fingerprint: "f",
        };
        let recorded = |fingerprint: &str| Recorded {
            fingerprint: fingerprint.into(),
            changes: text.clone(),
        };
        let replayed = replay(recorded("f"), request).unwrap();
        let without_key = |change: BatchChange| BatchChange {
            key: String::new(),
            ..change
        };
        assert_eq!(replayed, vec![without_key(change), without_key(cleared)]);
        assert!(matches!(
            replay(recorded("g"), request),
            Err(StoreError::RequestIdReused)
        ));
    }
}

#[cfg(test)]
mod store_tests {
    use tokenbatch_rules::apply::TokenState;
    use tokenbatch_rules::Patch;

    use super::{RequestKey, REQUEST_ID_RETENTION_SECS};
    use crate::test_support::{sqlite_store_with_tokens, valid};
    use crate::{BatchChange, BatchPlan, StoreError};

    /// A request id makes a batch happen once: retries, even many at once through the writer's groups, get
    /// the first answer and write nothing; another request under the id is refused; after the retention the
    /// id is free again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_request_id_applies_its_batch_once() {
        let state = TokenState {
            status: 1,
            ..TokenState::default()
        };
        let (_dir, store, user_id) = sqlite_store_with_tokens(1..=3, state).await;
        let ids = [1, 2, 3];
        let quota = |value| Patch {
            remain_quota: Some(value),
            ..Patch::default()
        };
        let (first_values, other_values) = (valid(&ids, quota(500)), valid(&ids, quota(9)));
        let plan = |batch, fingerprint, request_id: Option<&'static str>, now| BatchPlan {
            user_id,
            owners: crate::Owners::Caller,
            batch,
            now,
            dry_run: false,
            keys: true,
            full_states: false,
            request: request_id.map(|request_id| RequestKey {
                request_id,
                fingerprint,
            }),
            plan: None,
            history: None,
        };
        let now = 1_800_000_000;
        let first = store
            .apply_batch(&plan(&first_values, "f500", Some("r-1"), now))
            .await
            .unwrap();
        assert!(!first.replayed);
        assert!(first.changes.iter().all(BatchChange::changed));
        // Someone else changes the tokens; a late retry must not overwrite that.
        store
            .apply_batch(&plan(&other_values, "", None, now))
            .await
            .unwrap();
        let mut retries = Vec::new();
        for _ in 0..20 {
            let store = store.clone();
            let valid_batch = first_values.clone();
            retries.push(tokio::spawn(async move {
                let plan = BatchPlan {
                    user_id,
                    owners: crate::Owners::Caller,
                    batch: &valid_batch,
                    now: now + 60,
                    dry_run: false,
                    keys: true,
                    full_states: false,
                    request: Some(RequestKey {
                        request_id: "r-1",
                        fingerprint: "f500",
                    }),
                    plan: None,
                    history: None,
                };
                store.apply_batch(&plan).await
            }));
        }
        for retry in retries {
            let retry = retry.await.unwrap().unwrap();
            assert!(retry.replayed);
            let expected: Vec<BatchChange> = first
                .changes
                .iter()
                .map(|change| BatchChange {
                    key: String::new(),
                    ..change.clone()
                })
                .collect();
            assert_eq!(retry.changes, expected);
        }
        let reused = store
            .apply_batch(&plan(&other_values, "f9", Some("r-1"), now))
            .await;
        assert!(
            matches!(reused, Err(StoreError::RequestIdReused)),
            "{reused:?}"
        );
        // Another id is another batch.
        let fresh = store
            .apply_batch(&plan(&first_values, "f500", Some("r-2"), now))
            .await
            .unwrap();
        assert!(!fresh.replayed);
        for id in ids {
            let token = store.get_token(user_id, id).await.unwrap().unwrap();
            assert_eq!(token.state.remain_quota, 500, "token {id}");
        }
        let later = now + REQUEST_ID_RETENTION_SECS + 1;
        let expired = store
            .apply_batch(&plan(&other_values, "f9", Some("r-1"), later))
            .await
            .unwrap();
        assert!(!expired.replayed, "an id past its retention is free again");
        store.close().await;
    }
}
