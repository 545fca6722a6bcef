//! Plans (docs/SPEC.md §10): a dry run keeps what it read, and a later apply writes the stored request to
//! exactly those tokens, refusing as a whole when any of them changed meanwhile in a way only operators
//! change them. Any instance on the same database can apply a plan another one made.
//!
//! A plan is one mechanism with the request ids of [`crate::requests`]: a row of the same table under the
//! plan's id, found the same way after the batch has locked its rows, and answered like a retry (the first
//! result, `replayed`) once applied. What is per token (the preview's results, the pinned tokens, the
//! applied result, or only its counts when the apply answered counts) is kept beside it in
//! `tokenbatch_plan_items`, in chunks of at most about 1 MiB, so that a 100 000-token plan needs neither one
//! huge value (MySQL's `max_allowed_packet`) nor one row per token, and a page of the preview reads one or
//! two chunks.
//!
//! - this file: what the store's callers see, and reading a plan back;
//! - [`pins`]: the fingerprint, the pinned tokens and the stale check;
//! - [`digest`]: one digest over all pins, SQLite's check without reading the tokens;
//! - [`sql`]: the statements and the chunks.

pub(crate) mod digest;
pub(crate) mod pins;
pub(crate) mod sql;

use sqlx::Row;

use crate::change::BatchChange;
use crate::session::with_connection;
use crate::{Store, StoreError};

pub use pins::PinnedToken;
pub(crate) use pins::{pins_of, stale_count};

/// A dry run's instruction to keep what it read as a plan: the caller chooses the id (unguessable) and the
/// expiry, and gives the request as the rules' canonical JSON ([`tokenbatch_rules::ValidBatch::request_json`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPlan {
    pub plan_id: String,
    pub request: String,
    /// Unix seconds after which the plan is no longer applied.
    pub expires_at: i64,
}

/// A stored plan, read to apply it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredPlan {
    pub summary: PlanSummary,
    /// The normalized request (the rules' canonical JSON).
    pub request: String,
    /// Ascending by id: the tokens the apply writes, each as the preview read it.
    pub pinned: Vec<PinnedToken>,
    /// One digest over every pin ([`digest`]); None for a plan stored before it was kept.
    pub pins_digest: Option<u128>,
}

impl StoredPlan {
    /// The pinned tokens' ids, ascending.
    pub fn ids(&self) -> Vec<i64> {
        self.pinned.iter().map(|pin| pin.id).collect()
    }
}

/// What a plan says of itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanSummary {
    pub plan_id: String,
    pub user_id: i64,
    /// Tokens pinned.
    pub count: usize,
    /// Tokens the preview found would change.
    pub changed: usize,
    pub created_at: i64,
    pub expires_at: i64,
    /// Applied (a later apply answers the recorded result).
    pub applied: bool,
}

/// One page of a plan's preview: per-token results as the dry run computed them.
#[derive(Debug)]
pub struct PlanPage {
    pub summary: PlanSummary,
    pub items: Vec<BatchChange>,
}

/// The plan side of a batch ([`crate::BatchPlan::plan`]).
#[derive(Clone, Copy, Debug)]
pub enum PlanStep<'a> {
    /// A dry run keeping what it read as this plan, in its own transaction.
    Create(&'a NewPlan),
    /// Applying this plan: the batch's ids must be the plan's pinned ids.
    Apply(&'a StoredPlan),
}

/// The caller's plan's row ([`sql::find_statement`], bound as user, plan), or `Ok(None)` returned from the
/// enclosing store call: an unknown id, another user's plan and a forgotten one alike.
macro_rules! plan_row_or_none {
    ($conn:ident, $sql:expr, $user_id:expr, $plan_id:expr) => {{
        let found = sqlx::query($sql)
            .bind($user_id)
            .bind($plan_id)
            .fetch_optional(&mut *$conn)
            .await?;
        match found {
            Some(row) => row,
            None => return Ok(None),
        }
    }};
}

impl Store {
    /// The caller's plan `plan_id` with its pinned tokens; None for an unknown id, another user's plan, or
    /// one already forgotten.
    pub async fn find_plan(
        &self,
        user_id: i64,
        plan_id: &str,
    ) -> Result<Option<StoredPlan>, StoreError> {
        let d = self.dialect();
        let plan_sql = sql::find_statement(d);
        let items_sql = sql::part_statement(d);
        with_connection!(self, |conn| {
            let row = plan_row_or_none!(conn, &plan_sql, user_id, plan_id);
            let (summary, request) = sql::summary_from_row(&row, plan_id, user_id)?;
            let pins_digest = sql::digest_of_fingerprint(&row.try_get::<String, _>(6)?);
            let rows = sqlx::query(&items_sql)
                .bind(user_id)
                .bind(plan_id)
                .bind(sql::PART_PINNED)
                .fetch_all(&mut *conn)
                .await?;
            let mut pinned = Vec::with_capacity(summary.count);
            for row in rows {
                pinned.extend(pins::decode(&row.try_get::<String, _>(0)?)?);
            }
            if pinned.len() != summary.count {
                return Err(StoreError::Data(format!(
                    "plan {plan_id} pins {} tokens but holds {}",
                    summary.count,
                    pinned.len()
                )));
            }
            Ok(Some(StoredPlan {
                summary,
                request,
                pinned,
                pins_digest,
            }))
        })
    }

    /// The preview's results `offset .. offset + limit` of the caller's plan, and what the plan says of
    /// itself; None as [`Store::find_plan`].
    pub async fn plan_page(
        &self,
        user_id: i64,
        plan_id: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Option<PlanPage>, StoreError> {
        let d = self.dialect();
        let plan_sql = sql::find_statement(d);
        let page_sql = sql::page_statement(d);
        let end = offset.saturating_add(limit);
        let as_i64 = |value: usize| i64::try_from(value).unwrap_or(i64::MAX);
        with_connection!(self, |conn| {
            let row = plan_row_or_none!(conn, &plan_sql, user_id, plan_id);
            let (summary, _) = sql::summary_from_row(&row, plan_id, user_id)?;
            let chunks = sqlx::query(&page_sql)
                .bind(user_id)
                .bind(plan_id)
                .bind(sql::PART_PREVIEW)
                .bind(as_i64(end))
                .bind(as_i64(offset))
                .fetch_all(&mut *conn)
                .await?;
            let mut items = Vec::with_capacity(limit.min(summary.count));
            for chunk in chunks {
                let first: i64 = chunk.try_get(0)?;
                let first = usize::try_from(first).unwrap_or(0);
                let changes = crate::requests::decode_changes(&chunk.try_get::<String, _>(1)?)?;
                for (index, change) in (first..).zip(changes) {
                    if (offset..end).contains(&index) {
                        items.push(change);
                    }
                }
            }
            Ok(Some(PlanPage { summary, items }))
        })
    }
}
