//! The gRPC face of the application: `newapi.token.v1.TokenService`.

use std::collections::HashMap;

use crate::grpc_filter::token_filter;
use crate::grpc_request::{parsed_request, plan_to_apply};
use tokenbatch_proto::token_v1 as pb;
use tokenbatch_proto::token_v1::token_service_server::TokenService;
use tokenbatch_rules::apply::TokenState;
use tokenbatch_rules::{Lang, Patch, RULES_VERSION};
use tokenbatch_store::{BatchChange, PlanSummary, TokenOrder, TokenRecord, UserRecord};
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

use crate::app::{
    mask_key, pick_lang, App, BatchOptions, BatchOutcome, ChangeSummary, Notice, PageRequest,
    TokenPage,
};
use crate::auth::Credentials;
use crate::error::ApiError;
use crate::grpc_history;
use crate::grpc_status::{IntoStatus, ViewInvalid};
use crate::request_id::RequestId;
use crate::sort::read_order;

#[derive(Clone)]
pub struct GrpcService {
    app: App,
}

impl GrpcService {
    pub fn new(app: App) -> GrpcService {
        GrpcService { app }
    }

    async fn caller(&self, metadata: &MetadataMap) -> Result<(UserRecord, Lang), Status> {
        let lang = lang_of(metadata);
        let credentials = Credentials {
            authorization: text(metadata, "authorization"),
            user_id: text(metadata, "new-api-user"),
        };
        match self.app.authenticate(&credentials).await {
            Ok(user) => Ok((user, lang)),
            Err(error) => Err(error.into_status(lang)),
        }
    }
}

fn text(metadata: &MetadataMap, key: &str) -> Option<String> {
    metadata
        .get(key)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

fn lang_of(metadata: &MetadataMap) -> Lang {
    pick_lang(
        text(metadata, "lang").as_deref(),
        text(metadata, "accept-language").as_deref(),
    )
}

#[tonic::async_trait]
impl TokenService for GrpcService {
    async fn batch_update_tokens(
        &self,
        request: Request<pb::BatchUpdateTokensRequest>,
    ) -> Result<Response<pb::BatchUpdateTokensResponse>, Status> {
        let (user, lang) = self.caller(request.metadata()).await?;
        let request = request.into_inner();
        let full = full_view(request.view, lang)?;
        let options = BatchOptions {
            validate_only: request.validate_only,
            // The full answer lists every token's values before and after.
            details: full,
            request_id: RequestId::parse(&request.request_id).map_err(|e| e.into_status(lang))?,
            source: tokenbatch_store::ChangeSource::Grpc,
        };
        let outcome = match plan_to_apply(&request).map_err(|e| e.into_status(lang))? {
            Some(plan_id) => self.app.apply_plan(&user, plan_id, options).await,
            None => {
                let request_body = parsed_request(&request).map_err(|e| e.into_status(lang))?;
                self.app.batch_update(&user, request_body, options).await
            }
        }
        .map_err(|e| e.into_status(lang))?;
        Ok(Response::new(batch_response(&outcome, full, lang)))
    }

    async fn get_plan(
        &self,
        request: Request<pb::GetPlanRequest>,
    ) -> Result<Response<pb::PlanPage>, Status> {
        let (user, lang) = self.caller(request.metadata()).await?;
        let request = request.into_inner();
        let page = PageRequest {
            page: request.page.into(),
            page_size: request.page_size.into(),
        };
        let found = self
            .app
            .plan_results(&user, &request.plan_id, page)
            .await
            .map_err(|e| e.into_status(lang))?;
        Ok(Response::new(pb::PlanPage {
            plan: Some(plan_message(&found.plan)),
            results: found.items.iter().map(token_result).collect(),
            total: found.total,
            page: found.page as i32,
            page_size: found.page_size as i32,
        }))
    }

    async fn list_changes(
        &self,
        request: Request<pb::ListChangesRequest>,
    ) -> Result<Response<pb::ChangePage>, Status> {
        let (user, lang) = self.caller(request.metadata()).await?;
        let page = grpc_history::list_changes(&self.app, &user, lang, request.into_inner()).await?;
        Ok(Response::new(page))
    }

    async fn get_change(
        &self,
        request: Request<pb::GetChangeRequest>,
    ) -> Result<Response<pb::ChangeDetail>, Status> {
        let (user, lang) = self.caller(request.metadata()).await?;
        let detail = grpc_history::get_change(&self.app, &user, lang, request.into_inner()).await?;
        Ok(Response::new(detail))
    }

    async fn revert_change(
        &self,
        request: Request<pb::RevertChangeRequest>,
    ) -> Result<Response<pb::RevertChangeResponse>, Status> {
        let (user, lang) = self.caller(request.metadata()).await?;
        let reverted =
            grpc_history::revert_change(&self.app, &user, lang, request.into_inner()).await?;
        Ok(Response::new(reverted))
    }

    async fn list_tokens(
        &self,
        request: Request<pb::ListTokensRequest>,
    ) -> Result<Response<pb::TokenPage>, Status> {
        let (user, lang) = self.caller(request.metadata()).await?;
        let request = request.into_inner();
        let page = PageRequest {
            page: request.page.into(),
            page_size: request.page_size.into(),
        };
        let filter = token_filter(request.filter).map_err(|e| e.into_status(lang))?;
        let order = request_order(&request.sort, &request.order, lang)?;
        let page = self
            .app
            .list_tokens(&user, &filter, order, page)
            .await
            .map_err(|e| e.into_status(lang))?;
        Ok(Response::new(token_page(page)))
    }

    async fn search_tokens(
        &self,
        request: Request<pb::SearchTokensRequest>,
    ) -> Result<Response<pb::TokenPage>, Status> {
        let (user, lang) = self.caller(request.metadata()).await?;
        let request = request.into_inner();
        let page = PageRequest {
            page: request.page.into(),
            page_size: request.page_size.into(),
        };
        let filter = token_filter(request.filter.clone()).map_err(|e| e.into_status(lang))?;
        let order = request_order(&request.sort, &request.order, lang)?;
        let page = self
            .app
            .search_tokens(
                &user,
                &request.keyword,
                &request.token,
                &filter,
                order,
                page,
            )
            .await
            .map_err(|e| e.into_status(lang))?;
        Ok(Response::new(token_page(page)))
    }

    async fn get_token(
        &self,
        request: Request<pb::GetTokenRequest>,
    ) -> Result<Response<pb::Token>, Status> {
        let (user, lang) = self.caller(request.metadata()).await?;
        let token = self
            .app
            .get_token(&user, request.get_ref().id)
            .await
            .map_err(|e| e.into_status(lang))?;
        Ok(Response::new(token_message(token)))
    }
}

/// A list's order from its `sort` and `order` fields, read as the HTTP query parameters are (crate::sort).
fn request_order(sort: &str, order: &str, lang: Lang) -> Result<TokenOrder, Status> {
    read_order(sort, order).map_err(|refusal| ApiError::InvalidSort(refusal).into_status(lang))
}

/// Whether a request's `view` asks for every token's values (the default) or counts only.
pub(crate) fn full_view(view: i32, lang: Lang) -> Result<bool, Status> {
    match pb::BatchResultView::try_from(view) {
        Ok(pb::BatchResultView::Counts) => Ok(false),
        Ok(pb::BatchResultView::Unspecified | pb::BatchResultView::Full) => Ok(true),
        Err(_) => Err(ViewInvalid(view).into_status(lang)),
    }
}

/// A result per token with `full`, none without.
pub(crate) fn token_results(changes: &[BatchChange], full: bool) -> Vec<pb::TokenResult> {
    match full {
        true => changes.iter().map(token_result).collect(),
        false => Vec::new(),
    }
}

/// The answer; with `full`, a result per token with its values before and after.
fn batch_response(outcome: &BatchOutcome, full: bool, lang: Lang) -> pb::BatchUpdateTokensResponse {
    pb::BatchUpdateTokensResponse {
        changed: outcome.changed() as i64,
        unchanged: outcome.unchanged() as i64,
        results: token_results(&outcome.changes, full),
        warnings: notices(outcome, lang),
        validate_only: outcome.validate_only,
        rules_version: RULES_VERSION.to_owned(),
        replayed: outcome.replayed,
        plan: outcome.plan.as_ref().map(plan_message),
        change_id: outcome.change_id,
        changed_by_column: changed_by_column(outcome.summary.as_ref()),
        status_after: status_after(outcome.summary.as_ref()),
    }
}

/// A dry run's per-column counts ([`ChangeSummary`]) as the answers' `changed_by_column`; empty without one.
pub(crate) fn changed_by_column(summary: Option<&ChangeSummary>) -> HashMap<String, i64> {
    summary
        .iter()
        .flat_map(|summary| &summary.fields)
        .map(|(name, count)| ((*name).to_owned(), *count as i64))
        .collect()
}

/// A dry run's per-status counts as the answers' `status_after`; empty without one.
pub(crate) fn status_after(summary: Option<&ChangeSummary>) -> HashMap<i32, i64> {
    summary
        .iter()
        .flat_map(|summary| &summary.statuses)
        .map(|(status, count)| (*status as i32, *count as i64))
        .collect()
}

pub(crate) fn token_result(change: &BatchChange) -> pb::TokenResult {
    pb::TokenResult {
        id: change.id,
        outcome: if change.changed() {
            pb::Outcome::Updated
        } else {
            pb::Outcome::Unchanged
        } as i32,
        before: Some(token_values(&change.before)),
        after: Some(token_values(&change.after)),
    }
}

fn plan_message(plan: &PlanSummary) -> pb::Plan {
    pb::Plan {
        plan_id: plan.plan_id.clone(),
        count: plan.count as i64,
        changed: plan.changed as i64,
        expires_at: plan.expires_at,
        applied: plan.applied,
    }
}

fn notices(outcome: &BatchOutcome, lang: Lang) -> Vec<pb::Notice> {
    notice_messages(outcome.notices(lang))
}

pub(crate) fn notice_messages(notices: Vec<Notice>) -> Vec<pb::Notice> {
    notices
        .into_iter()
        .map(|notice| pb::Notice {
            field: notice.field,
            code: notice.code.to_owned(),
            message: notice.message,
        })
        .collect()
}

fn token_page(page: TokenPage) -> pb::TokenPage {
    pb::TokenPage {
        items: page.items.into_iter().map(token_message).collect(),
        total: page.total,
        page: page.page as i32,
        page_size: page.page_size as i32,
    }
}

/// The conversions between the proto messages and the rules' types, one Rust field per row of the field
/// table (`tokenbatch_rules::field_table!`): each proto message names the writable fields as the table does.
macro_rules! proto_conversions {
    ($($variant:ident $name:ident: $type:ty = $null:expr,)*) => {
        pub(crate) fn patch_from_proto(patch: pb::TokenPatch) -> Patch {
            Patch {
                $($name: patch.$name,)*
            }
        }

        fn token_values(state: &TokenState) -> pb::TokenValues {
            pb::TokenValues {
                status: state.status as i32,
                $($name: state.$name.clone(),)*
            }
        }

        fn token_message(token: TokenRecord) -> pb::Token {
            let state = token.state;
            pb::Token {
                id: token.id,
                user_id: token.user_id,
                key: mask_key(&token.key),
                status: state.status as i32,
                name: token.name,
                created_time: token.created_time,
                accessed_time: token.accessed_time,
                used_quota: token.used_quota,
                cross_group_retry: token.cross_group_retry,
                owner_username: token.owner_username,
                $($name: state.$name,)*
            }
        }
    };
}

tokenbatch_rules::field_table!(proto_conversions);
