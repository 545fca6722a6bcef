//! gRPC's `BatchUpdateTokensRequest` in the rules' terms: ids or a filter, the patch's values, its
//! operations (`*_operation`, docs/SPEC.md §11) and status, the update mask's names. The rules then check
//! the typed request exactly as a body, so both faces refuse with the same codes and words.

use tokenbatch_proto::token_v1 as pb;
use tokenbatch_rules::operation::{Operation, Operations};
use tokenbatch_rules::{BatchInput, Field, ParsedBody};

use crate::error::ApiError;
use crate::grpc::patch_from_proto;
use crate::grpc_filter::token_filter;

/// The request as the rules read it. Mask paths may carry a `patch.` prefix (AIP-161 style). Err only for a
/// filter the rules refuse (its violations, named `filter.<key>`).
pub fn parsed_request(request: &pb::BatchUpdateTokensRequest) -> Result<ParsedBody, ApiError> {
    let patch = request.patch.clone().unwrap_or_default();
    let names: Option<Vec<&str>> = request.update_mask.as_ref().map(|mask| {
        mask.paths
            .iter()
            .map(|path| path.strip_prefix("patch.").unwrap_or(path))
            .collect()
    });
    let filter = match &request.filter {
        Some(filter) => Some(token_filter(Some(filter.clone()))?),
        None => None,
    };
    let input = BatchInput {
        ids: request.ids.clone(),
        ops: operations(&patch),
        status: patch.status.map(i64::from),
        patch: patch_from_proto(patch),
        filter,
        expected_count: request.expected_count,
        scope: request.scope.clone(),
        ..BatchInput::default()
    };
    Ok(ParsedBody::typed(input, names.as_deref()))
}

/// The patch's operation messages. A `QuotaOperation` with neither `add` nor `subtract` is an empty
/// operation, which the rules refuse (`remain_quota.operation_empty`), as an empty list operation.
fn operations(patch: &pb::TokenPatch) -> Operations {
    let mut ops = Operations::default();
    if let Some(quota) = &patch.remain_quota_operation {
        let operation = match quota.change {
            Some(pb::quota_operation::Change::Add(amount)) => Operation::Quota {
                subtract: false,
                amount,
            },
            Some(pb::quota_operation::Change::Subtract(amount)) => Operation::Quota {
                subtract: true,
                amount,
            },
            None => Operation::list(Field::RemainQuota, "", "", ""),
        };
        ops.set(Field::RemainQuota, operation);
    }
    if let Some(expiry) = &patch.expired_time_operation {
        let seconds = expiry.extend;
        ops.set(Field::ExpiredTime, Operation::Extend { seconds });
    }
    let lists = [
        (Field::ModelLimits, &patch.model_limits_operation),
        (Field::AllowIps, &patch.allow_ips_operation),
        (Field::Group, &patch.group_operation),
    ];
    for (field, list) in lists {
        if let Some(list) = list {
            let operation = Operation::list(field, &list.add, &list.remove, &list.prepend);
            ops.set(field, operation);
        }
    }
    ops
}

/// The plan a request applies (`plan_id`, docs/SPEC.md §10), if any. Beside it only `view` may be set (and
/// `request_id`, which a plan makes needless): anything else is refused as the body's `plan.exclusive`,
/// naming the fields.
pub fn plan_to_apply(request: &pb::BatchUpdateTokensRequest) -> Result<Option<&str>, ApiError> {
    if request.plan_id.is_empty() {
        return Ok(None);
    }
    let set = [
        ("ids", !request.ids.is_empty()),
        ("patch", request.patch.is_some()),
        ("update_mask", request.update_mask.is_some()),
        ("validate_only", request.validate_only),
        ("filter", request.filter.is_some()),
        ("expected_count", request.expected_count.is_some()),
        ("scope", request.scope.is_some()),
    ];
    let extra: Vec<&str> = set
        .iter()
        .filter(|(_, present)| *present)
        .map(|(name, _)| *name)
        .collect();
    match extra.is_empty() {
        true => Ok(Some(&request.plan_id)),
        false => Err(ApiError::Invalid(vec![
            tokenbatch_rules::plan::exclusive_with(&extra),
        ])),
    }
}
