//! The history of applied batches (docs/SPEC.md §12): a change set per batch that changed at least one
//! token, and per changed token its values before and after, written in the batch's own transaction (the
//! macros of `batch/history_steps.rs`) so that the history and the tokens can never disagree. Keys are never
//! recorded: the caller masks any key pattern in the request, and the values hold no key column.
//!
//! Each token's values are recorded in typed columns ([`values`]) and read as JSON objects: `status` and
//! every column the batch wrote, plus `cross_group_retry` and `auto_groups` when the batch cleared them
//! (new-api's side effect of writing a group other than `auto`).

pub(crate) mod purge;
pub(crate) mod restore;
pub(crate) mod revert;
pub(crate) mod sql;
pub(crate) mod values;

use crate::session::with_connection;
use crate::{Store, StoreError};

/// Where a batch came from, as recorded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChangeSource {
    #[default]
    Http,
    Grpc,
    /// The apply of a stored plan (docs/SPEC.md §10), whichever face applied it.
    Plan,
    /// The revert of an earlier change set (its `reverts`).
    Revert,
}

impl ChangeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeSource::Http => "http",
            ChangeSource::Grpc => "grpc",
            ChangeSource::Plan => "plan",
            ChangeSource::Revert => "revert",
        }
    }
}

/// What the history records of a batch besides its changes ([`crate::BatchPlan::history`]).
#[derive(Clone, Copy, Debug)]
pub struct HistoryEntry<'a> {
    pub source: ChangeSource,
    /// The normalized request (JSON), with any key pattern already masked: recorded as given.
    pub request: &'a str,
}

/// One recorded change set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeSet {
    pub id: i64,
    /// The acting user.
    pub user_id: i64,
    pub created_time: i64,
    pub source: String,
    /// The normalized request, JSON.
    pub request: String,
    pub changed: usize,
    pub unchanged: usize,
    /// The change set this one reverts (source `revert`).
    pub reverts: Option<i64>,
    /// The change set that reverted this one.
    pub reverted_by: Option<i64>,
}

/// One changed token of a change set; `before` and `after` are JSON objects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangedToken {
    pub token_id: i64,
    pub owner_id: i64,
    pub before: String,
    pub after: String,
}

/// A page of a change set's tokens, those the reader may see, with how many they are in all.
#[derive(Debug)]
pub struct ChangePage {
    pub change: ChangeSet,
    pub tokens: Vec<ChangedToken>,
    pub total: usize,
}

impl Store {
    /// The change sets `user_id` made or that touched `user_id`'s tokens, newest first: `offset .. offset +
    /// limit` of them, and how many there are.
    pub async fn list_changes(
        &self,
        user_id: i64,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<ChangeSet>, usize), StoreError> {
        let d = self.dialect();
        let (list_sql, count_sql) = (sql::list_statement(d), sql::count_statement(d));
        let as_i64 = |value: usize| i64::try_from(value).unwrap_or(i64::MAX);
        with_connection!(self, |conn| {
            let total: i64 = sqlx::query_scalar(&count_sql)
                .bind(user_id)
                .bind(user_id)
                .fetch_one(&mut *conn)
                .await?;
            let rows = sqlx::query(&list_sql)
                .bind(user_id)
                .bind(user_id)
                .bind(as_i64(limit))
                .bind(as_i64(offset))
                .fetch_all(&mut *conn)
                .await?;
            let changes = rows
                .iter()
                .map(sql::change_from_row)
                .collect::<Result<Vec<_>, _>>()?;
            Ok((changes, usize::try_from(total).unwrap_or(0)))
        })
    }

    /// Change set `change_id` with its tokens `offset .. offset + limit`, as `user_id` may see it: every token
    /// when `user_id` made it, else only `user_id`'s own. None when it is unknown or `user_id` neither made
    /// it nor owns any of its tokens (the same answer, so that an id reveals nothing).
    pub async fn change_page(
        &self,
        user_id: i64,
        change_id: i64,
        offset: usize,
        limit: usize,
    ) -> Result<Option<ChangePage>, StoreError> {
        let d = self.dialect();
        let find_sql = sql::find_statement(d);
        let as_i64 = |value: usize| i64::try_from(value).unwrap_or(i64::MAX);
        with_connection!(self, |conn| {
            let Some(row) = sqlx::query(&find_sql)
                .bind(change_id)
                .fetch_optional(&mut *conn)
                .await?
            else {
                return Ok(None);
            };
            let change = sql::change_from_row(&row)?;
            let everyone = change.user_id == user_id;
            let (count_sql, page_sql) = (
                sql::token_count_statement(d, everyone),
                sql::token_page_statement(d, everyone),
            );
            let mut count = sqlx::query_scalar(&count_sql);
            for _ in 0..sql::change_binds(d) {
                count = count.bind(change_id);
            }
            if !everyone {
                count = count.bind(user_id);
            }
            let total: i64 = count.fetch_one(&mut *conn).await?;
            if !everyone && total == 0 {
                return Ok(None);
            }
            let mut page = sqlx::query(&page_sql);
            for _ in 0..sql::change_binds(d) {
                page = page.bind(change_id);
            }
            if !everyone {
                page = page.bind(user_id);
            }
            let rows = page
                .bind(as_i64(limit))
                .bind(as_i64(offset))
                .fetch_all(&mut *conn)
                .await?;
            let tokens = rows
                .iter()
                .map(sql::token_from_row)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Some(ChangePage {
                change,
                tokens,
                total: usize::try_from(total).unwrap_or(0),
            }))
        })
    }
}
