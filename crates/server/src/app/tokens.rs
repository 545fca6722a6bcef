//! The token reads: new-api's list, search and single token, with the filters of docs/SPEC.md §9.

use tokenbatch_rules::filter::{with_search, SearchRefusal, TokenFilter};
use tokenbatch_store::{TokenOrder, TokenRecord, UserRecord};

use super::{check_scope, App, PageRequest};
use crate::error::ApiError;

/// A page of tokens, in new-api's paging terms.
#[derive(Debug)]
pub struct TokenPage {
    pub items: Vec<TokenRecord>,
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
}

impl App {
    /// A page of the tokens `filter` selects, in `order` (crate::sort), with how many it selects in all.
    pub async fn list_tokens(
        &self,
        user: &UserRecord,
        filter: &TokenFilter,
        order: TokenOrder,
        page: PageRequest,
    ) -> Result<TokenPage, ApiError> {
        check_scope(user, filter)?;
        let (page, page_size) = page.resolve();
        let offset = (page - 1).saturating_mul(page_size);
        let (items, total) = self
            .store
            .find_tokens(user.id, filter, order, offset, page_size)
            .await?;
        Ok(TokenPage {
            items,
            total,
            page,
            page_size,
        })
    }

    /// new-api's search: `keyword` matches names, `token` matches keys, on top of any other filter key (the
    /// rules' [`with_search`] joins them).
    pub async fn search_tokens(
        &self,
        user: &UserRecord,
        keyword: &str,
        token: &str,
        filter: &TokenFilter,
        order: TokenOrder,
        page: PageRequest,
    ) -> Result<TokenPage, ApiError> {
        let filter =
            with_search(filter.clone(), keyword, token).map_err(|refusal| match refusal {
                SearchRefusal::Repeated(violation) => ApiError::Invalid(vec![violation]),
                SearchRefusal::Pattern { field, error } => ApiError::InvalidSearch { field, error },
            })?;
        self.list_tokens(user, &filter, order, page).await
    }

    pub async fn get_token(&self, user: &UserRecord, id: i64) -> Result<TokenRecord, ApiError> {
        self.store
            .get_token(user.id, id)
            .await?
            .ok_or(ApiError::TokenNotFound)
    }
}
