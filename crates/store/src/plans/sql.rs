//! The statements of plans and the chunks their per-token data is stored in.

use sqlx::Row;

use super::PlanSummary;
use crate::dialect::Dialect;
use crate::requests::{self, TABLE};
use crate::StoreError;

/// The table of a plan's per-token data.
pub(crate) const ITEMS_TABLE: &str = "tokenbatch_plan_items";

/// The preview's per-token results (before and after), paged by `GET …/plans/{id}`.
pub(crate) const PART_PREVIEW: i64 = 0;
/// The pinned tokens with their owners and fingerprints.
pub(crate) const PART_PINNED: i64 = 1;
/// The applied batch's per-token results, answered again to a second apply; only its counts when the apply
/// answered no per-token result ([`write_counts`]).
pub(crate) const PART_RESULT: i64 = 2;

/// A chunk holds at most this many items and, past the first item, at most this many bytes of JSON.
const CHUNK_ITEMS: usize = 1_000;
const CHUNK_BYTES: usize = 1 << 20;

/// What a plan's row holds in the request-id table's `fingerprint`: this prefix, then on SQLite the digest of
/// its pins ([`super::digest`]) as 32 hex digits. No request's fingerprint (64 hex digits) equals it, so a
/// batch that names a plan's id as its request id is refused as a reused id. The prefix alone (PostgreSQL,
/// MySQL, and SQLite plans stored before the digest): the apply checks the pins token by token.
const PLAN_FINGERPRINT: &str = "plan";

/// The plan row's `fingerprint`: with the pins' digest on SQLite, the only engine whose apply uses it.
pub(crate) fn plan_fingerprint(digest: Option<u128>) -> String {
    match digest {
        Some(digest) => format!("{PLAN_FINGERPRINT}:{digest:032x}"),
        None => PLAN_FINGERPRINT.to_owned(),
    }
}

/// The digest of a plan's pins, from its row's `fingerprint`; None for a plan stored without it.
pub(crate) fn digest_of_fingerprint(fingerprint: &str) -> Option<u128> {
    let hex = fingerprint
        .strip_prefix(PLAN_FINGERPRINT)?
        .strip_prefix(':')?;
    match hex.len() == 32 {
        true => u128::from_str_radix(hex, 16).ok(),
        false => None,
    }
}

/// One chunk of a part: the index of its first item in the part, how many it holds, and the JSON array.
pub(crate) struct Chunk {
    pub(crate) first: usize,
    pub(crate) count: usize,
    pub(crate) json: String,
}

/// Splits items, each written as JSON by `write`, into chunks of at most CHUNK_ITEMS items and about
/// CHUNK_BYTES bytes.
pub(crate) fn chunks<T>(
    items: impl IntoIterator<Item = T>,
    write: impl Fn(&mut String, T),
) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut current = Chunk {
        first: 0,
        count: 0,
        json: String::from("["),
    };
    let mut item = String::new();
    for (index, value) in items.into_iter().enumerate() {
        item.clear();
        write(&mut item, value);
        if current.count == CHUNK_ITEMS
            || (current.count > 0 && current.json.len() + item.len() > CHUNK_BYTES)
        {
            current.json.push(']');
            chunks.push(std::mem::replace(
                &mut current,
                Chunk {
                    first: index,
                    count: 0,
                    json: String::from("["),
                },
            ));
        }
        if current.count > 0 {
            current.json.push(',');
        }
        current.json.push_str(&item);
        current.count += 1;
    }
    if current.count > 0 {
        current.json.push(']');
        chunks.push(current);
    }
    chunks
}

pub(crate) fn insert_plan_statement(d: Dialect) -> String {
    d.sql(&format!(
        "INSERT INTO {TABLE} (user_id, request_id, fingerprint, created_time, changes, plan_request, expires_time, \
         plan_count, plan_changed) VALUES (?, ?, ?, ?, '', ?, ?, ?, ?)"
    ))
}

pub(crate) fn insert_chunk_statement(d: Dialect) -> String {
    d.sql(&format!(
        "INSERT INTO {ITEMS_TABLE} (user_id, request_id, part, first_index, item_count, created_time, expires_time, \
         items) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    ))
}

/// A plan's row: request, created, expires, count, changed, applied, fingerprint.
pub(crate) fn find_statement(d: Dialect) -> String {
    d.sql(&format!(
        "SELECT plan_request, created_time, expires_time, plan_count, plan_changed, applied_time, fingerprint \
         FROM {TABLE} \
         WHERE user_id = ? AND request_id = ? AND plan_request IS NOT NULL"
    ))
}

/// Whether a plan is applied, looked up inside the apply's transaction after the rows are locked.
pub(crate) fn applied_statement(d: Dialect) -> String {
    d.sql(&format!(
        "SELECT applied_time FROM {TABLE} WHERE user_id = ? AND request_id = ? AND plan_request IS NOT NULL"
    ))
}

/// Marks a plan applied, only once: a second transaction that got this far finds no row to mark.
pub(crate) fn mark_applied_statement(d: Dialect) -> String {
    d.sql(&format!(
        "UPDATE {TABLE} SET applied_time = ? WHERE user_id = ? AND request_id = ? AND plan_request IS NOT NULL \
         AND applied_time IS NULL"
    ))
}

/// Every chunk of one part, in order.
pub(crate) fn part_statement(d: Dialect) -> String {
    d.sql(&format!(
        "SELECT items FROM {ITEMS_TABLE} WHERE user_id = ? AND request_id = ? AND part = ? ORDER BY first_index"
    ))
}

/// The chunks of one part overlapping `[offset, end)`: bound as end, then offset.
pub(crate) fn page_statement(d: Dialect) -> String {
    d.sql(&format!(
        "SELECT first_index, items FROM {ITEMS_TABLE} WHERE user_id = ? AND request_id = ? AND part = ? \
         AND first_index < ? AND first_index + item_count > ? ORDER BY first_index"
    ))
}

/// Forgets a plan's chunks past the retention: bound as the oldest creation kept, then now. A plan is
/// kept as long as a request id (crate::requests) and at least until it expires.
pub(crate) fn forget_chunks_statement(d: Dialect) -> String {
    d.sql(&format!(
        "DELETE FROM {ITEMS_TABLE} WHERE created_time < ? AND expires_time < ?"
    ))
}

/// A plan's summary and request from a row of [`find_statement`].
pub(crate) fn summary_from_row<R: Row>(
    row: &R,
    plan_id: &str,
    user_id: i64,
) -> Result<(PlanSummary, String), StoreError>
where
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let missing = |column: &str| StoreError::Data(format!("plan {plan_id} has no {column}"));
    let count: Option<i64> = row.try_get(3)?;
    let changed: Option<i64> = row.try_get(4)?;
    let applied: Option<i64> = row.try_get(5)?;
    let expires_at: Option<i64> = row.try_get(2)?;
    let summary = PlanSummary {
        plan_id: plan_id.to_owned(),
        user_id,
        count: usize::try_from(count.ok_or_else(|| missing("count"))?).unwrap_or(0),
        changed: usize::try_from(changed.ok_or_else(|| missing("changed count"))?).unwrap_or(0),
        created_at: row.try_get(1)?,
        expires_at: expires_at.ok_or_else(|| missing("expiry"))?,
        applied: applied.is_some(),
    };
    Ok((summary, row.try_get(0)?))
}

/// The applied result of an apply that answered counts only (no per-token results were asked): one item
/// `{"changed": n, "unchanged": m}` in place of 10 000 recorded changes, which a replay of it never shows.
pub(crate) fn write_counts(out: &mut String, (changed, unchanged): (usize, usize)) {
    out.push_str(&serde_json::json!({ "changed": changed, "unchanged": unchanged }).to_string());
}

/// The applied result recorded for a plan, from its chunks in order, as a replay answers it: the recorded
/// changes, or only the counts when the apply recorded those ([`write_counts`], one chunk of one item).
pub(crate) fn recorded_result(chunks: &[String]) -> Result<crate::AppliedBatch, StoreError> {
    if let [only] = chunks {
        if only.starts_with("[{") {
            let unreadable = || StoreError::Data(format!("unreadable plan result: {only}"));
            let counts: [serde_json::Value; 1] =
                serde_json::from_str(only).map_err(|_| unreadable())?;
            let count = |name: &str| {
                let count = counts[0].get(name).and_then(serde_json::Value::as_u64);
                count.and_then(|count| usize::try_from(count).ok())
            };
            let (Some(changed), Some(unchanged)) = (count("changed"), count("unchanged")) else {
                return Err(unreadable());
            };
            return Ok(crate::AppliedBatch {
                changes: Vec::new(),
                changed,
                unchanged,
                replayed: true,
                change_id: None,
            });
        }
    }
    let mut changes = Vec::new();
    for chunk in chunks {
        changes.extend(requests::decode_changes(chunk)?);
    }
    Ok(crate::AppliedBatch::from_changes(changes, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chunks stop at CHUNK_ITEMS items or at about CHUNK_BYTES, keep every item once in order, and a
    /// single item larger than a chunk still gets one of its own.
    #[test]
    fn chunks_are_bounded_by_items_and_bytes() {
        let print = |out: &mut String, value: serde_json::Value| out.push_str(&value.to_string());
        let small = (0..2_500).map(serde_json::Value::from);
        let counts: Vec<(usize, usize)> = chunks(small, print)
            .iter()
            .map(|chunk| (chunk.first, chunk.count))
            .collect();
        assert_eq!(counts, [(0, 1_000), (1_000, 1_000), (2_000, 500)]);

        let big = |index: usize| serde_json::Value::from(format!("{index}{}", "x".repeat(300_000)));
        let parts = chunks((0..7).map(big), print);
        let counts: Vec<(usize, usize)> = parts.iter().map(|c| (c.first, c.count)).collect();
        assert_eq!(counts, [(0, 3), (3, 3), (6, 1)]);
        assert!(parts.iter().all(|chunk| chunk.json.len() <= CHUNK_BYTES));
        let items: Vec<serde_json::Value> = parts
            .iter()
            .flat_map(|chunk| serde_json::from_str::<Vec<serde_json::Value>>(&chunk.json).unwrap())
            .collect();
        assert_eq!(items, (0..7).map(big).collect::<Vec<_>>());

        let huge = chunks(
            [serde_json::Value::from("y".repeat(CHUNK_BYTES * 2))],
            print,
        );
        assert_eq!(huge.len(), 1);
        assert!(chunks(std::iter::empty(), print).is_empty());
    }
}
