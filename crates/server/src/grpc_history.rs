//! The history's RPCs (docs/SPEC.md §12): `ListChanges`, `GetChange` and `RevertChange`, the same
//! application calls as `GET /api/token/batch/changes[/{id}]` and `POST …/{id}/revert`.

use serde_json::Value;
use tokenbatch_proto::token_v1 as pb;
use tokenbatch_rules::Lang;
use tokenbatch_store::{ChangeSet, ChangedToken, UserRecord};
use tonic::Status;

use crate::app::{App, ChangeSummary, PageRequest};
use crate::grpc::{changed_by_column, full_view, notice_messages, status_after, token_results};
use crate::grpc_status::IntoStatus;

pub(crate) async fn list_changes(
    app: &App,
    user: &UserRecord,
    lang: Lang,
    request: pb::ListChangesRequest,
) -> Result<pb::ChangePage, Status> {
    let page = PageRequest {
        page: request.page.into(),
        page_size: request.page_size.into(),
    };
    let list = app
        .list_changes(user, page)
        .await
        .map_err(|e| e.into_status(lang))?;
    Ok(pb::ChangePage {
        items: list.items.iter().map(change_message).collect(),
        total: list.total as i64,
        page: list.page as i32,
        page_size: list.page_size as i32,
    })
}

pub(crate) async fn get_change(
    app: &App,
    user: &UserRecord,
    lang: Lang,
    request: pb::GetChangeRequest,
) -> Result<pb::ChangeDetail, Status> {
    let page = PageRequest {
        page: request.page.into(),
        page_size: request.page_size.into(),
    };
    let detail = app
        .change_detail(user, request.id, page)
        .await
        .map_err(|e| e.into_status(lang))?;
    Ok(pb::ChangeDetail {
        change: Some(change_message(&detail.change)),
        items: detail.items.iter().map(changed_token).collect(),
        total: detail.total as i64,
        page: detail.page as i32,
        page_size: detail.page_size as i32,
    })
}

pub(crate) async fn revert_change(
    app: &App,
    user: &UserRecord,
    lang: Lang,
    request: pb::RevertChangeRequest,
) -> Result<pb::RevertChangeResponse, Status> {
    let full = full_view(request.view, lang)?;
    let result = app
        .revert_change(user, request.id, request.dry_run, request.strict)
        .await
        .map_err(|e| e.into_status(lang))?;
    let outcome = &result.outcome;
    let skipped = outcome.skipped.iter().map(|token| pb::SkippedToken {
        id: token.token_id,
        reason: token.reason.as_str().to_owned(),
    });
    let notices = result.warnings.iter().map(|warning| warning.notice(lang));
    // Counted over every token to restore, as HTTP's dry run answers its `summary` (http/changes.rs).
    let summary = result.dry_run.then(|| ChangeSummary::of(&outcome.changes));
    Ok(pb::RevertChangeResponse {
        change_id: outcome.change_id,
        revert_id: outcome.revert_id,
        restored: outcome.changes.len() as i64,
        unchanged: outcome.unchanged as i64,
        skipped: skipped.collect(),
        results: token_results(&outcome.changes, full),
        warnings: notice_messages(notices.collect()),
        dry_run: result.dry_run,
        changed_by_column: changed_by_column(summary.as_ref()),
        status_after: status_after(summary.as_ref()),
    })
}

fn change_message(change: &ChangeSet) -> pb::ChangeSet {
    pb::ChangeSet {
        id: change.id,
        user_id: change.user_id,
        created_time: change.created_time,
        source: change.source.clone(),
        request_json: change.request.clone(),
        changed: change.changed as i64,
        unchanged: change.unchanged as i64,
        reverts: change.reverts,
        reverted_by: change.reverted_by,
    }
}

fn changed_token(token: &ChangedToken) -> pb::ChangedToken {
    pb::ChangedToken {
        id: token.token_id,
        owner_id: token.owner_id,
        before: Some(recorded_values(&token.before)),
        after: Some(recorded_values(&token.after)),
    }
}

/// A recorded JSON object (the store's `values_json`) as the typed message; absent keys stay absent.
fn recorded_values(text: &str) -> pb::RecordedValues {
    let object: serde_json::Map<String, Value> = serde_json::from_str(text).unwrap_or_default();
    let integer = |key: &str| object.get(key).and_then(Value::as_i64);
    let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_owned);
    let flag = |key: &str| object.get(key).and_then(Value::as_bool);
    pb::RecordedValues {
        status: integer("status").and_then(|status| i32::try_from(status).ok()),
        group: text("group"),
        expired_time: integer("expired_time"),
        remain_quota: integer("remain_quota"),
        unlimited_quota: flag("unlimited_quota"),
        model_limits: text("model_limits"),
        model_limits_enabled: flag("model_limits_enabled"),
        allow_ips: text("allow_ips"),
        mj_image_mode: text("mj_image_mode"),
        mj_custom_proxy: text("mj_custom_proxy"),
        cross_group_retry: flag("cross_group_retry"),
        auto_groups: text("auto_groups"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_values_keep_absent_keys_absent() {
        let values = recorded_values(r#"{"status":1,"group":"vip","unlimited_quota":true}"#);
        assert_eq!(
            values,
            pb::RecordedValues {
                status: Some(1),
                group: Some("vip".into()),
                unlimited_quota: Some(true),
                ..Default::default()
            }
        );
    }
}
