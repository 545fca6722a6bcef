//! The history of applied batches as callers read it (docs/SPEC.md §12): the change sets a user made or
//! that touched their tokens, and one change set's per-token values before and after. The recording is the
//! store's, in each batch's transaction; a batch records its request as a plan stores it
//! (`ValidBatch::stored_request_json`: any `filter.key` pattern masked, so that no key is ever recorded).

use tokenbatch_store::{ChangeSet, ChangedToken, UserRecord};

use super::{App, PageRequest};
use crate::error::ApiError;

/// The largest page of change sets or of a change set's tokens.
pub const MAX_HISTORY_PAGE_SIZE: i64 = 1_000;

/// A page of the caller's change sets, newest first.
#[derive(Debug)]
pub struct ChangeList {
    pub items: Vec<ChangeSet>,
    pub total: usize,
    pub page: i64,
    pub page_size: i64,
}

/// One change set and a page of its tokens, those the caller may see.
#[derive(Debug)]
pub struct ChangeDetail {
    pub change: ChangeSet,
    pub items: Vec<ChangedToken>,
    pub total: usize,
    pub page: i64,
    pub page_size: i64,
}

fn offset_and_limit(page: i64, page_size: i64) -> (usize, usize) {
    let offset = usize::try_from((page - 1).saturating_mul(page_size)).unwrap_or(usize::MAX);
    (offset, usize::try_from(page_size).unwrap_or(0))
}

impl App {
    /// The change sets the caller made or that changed the caller's tokens, newest first.
    pub async fn list_changes(
        &self,
        user: &UserRecord,
        page: PageRequest,
    ) -> Result<ChangeList, ApiError> {
        let (page, page_size) = page.resolve_up_to(MAX_HISTORY_PAGE_SIZE);
        let (offset, limit) = offset_and_limit(page, page_size);
        let (items, total) = self.store.list_changes(user.id, offset, limit).await?;
        Ok(ChangeList {
            items,
            total,
            page,
            page_size,
        })
    }

    /// One change set with a page of its tokens: all of them for the user who made it, only their own for
    /// an owner of some; `change.not_found` for anyone else and an unknown id alike.
    pub async fn change_detail(
        &self,
        user: &UserRecord,
        change_id: i64,
        page: PageRequest,
    ) -> Result<ChangeDetail, ApiError> {
        let (page, page_size) = page.resolve_up_to(MAX_HISTORY_PAGE_SIZE);
        let (offset, limit) = offset_and_limit(page, page_size);
        let found = self
            .store
            .change_page(user.id, change_id, offset, limit)
            .await?
            .ok_or(ApiError::ChangeNotFound)?;
        Ok(ChangeDetail {
            change: found.change,
            items: found.tokens,
            total: found.total,
            page,
            page_size,
        })
    }
}
