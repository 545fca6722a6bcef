//! gRPC's part-two fields (docs/SPEC.md §9, §11) on every engine, and clients generated from the proto before
//! part two (tests/fixtures/proto-before-part-two, compiled by tests/build.rs) still served unchanged.

use prost_types::FieldMask;
use tokenbatch_e2e::{alice_ids, on_every_engine, Engine, TestServer};
use tokenbatch_proto::token_v1 as pb;
use tonic::Code;
use tonic_types::StatusExt;

/// The client and messages as generated from the proto before part two.
mod old {
    tonic::include_proto!("newapi.token.v1");
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| p.to_string()).collect(),
    })
}

/// The reasons (rule codes) of an INVALID_ARGUMENT's field violations.
fn reasons(status: &tonic::Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    status
        .get_details_bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .map(|violation| violation.reason.clone())
                .collect()
        })
        .unwrap_or_default()
}

async fn operations_and_status_through_grpc(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let mut client = server.grpc().await;
    let ids = alice_ids()[..4].to_vec();
    server
        .execute("UPDATE tokens SET remain_quota = 1000, model_limits = 'gpt-4o,o3'")
        .await;
    let patch = pb::TokenPatch {
        remain_quota_operation: Some(pb::QuotaOperation {
            change: Some(pb::quota_operation::Change::Add(250)),
        }),
        model_limits_operation: Some(pb::ListOperation {
            add: "gpt-4.1".into(),
            remove: "gpt-4o".into(),
            ..Default::default()
        }),
        status: Some(2),
        ..Default::default()
    };
    let message = pb::BatchUpdateTokensRequest {
        ids: ids.clone(),
        patch: Some(patch),
        update_mask: mask(&["remain_quota", "patch.model_limits", "status"]),
        ..Default::default()
    };
    let answer = client
        .batch_update_tokens(server.grpc_request(&server.alice, message))
        .await
        .expect("batch applies")
        .into_inner();
    assert_eq!(answer.changed, ids.len() as i64);
    for id in &ids {
        let row = server.row(*id).await;
        assert_eq!(
            (row.remain_quota, row.model_limits.as_str(), row.status),
            (1250, "o3,gpt-4.1", 2),
            "token {id}"
        );
    }

    // Refusals with the rules' codes: a value and an operation at once, a status that follows the values,
    // ids and a filter at once, an empty quota operation, one token below zero.
    let cases: [(pb::BatchUpdateTokensRequest, &str); 5] = [
        (
            pb::BatchUpdateTokensRequest {
                ids: ids.clone(),
                patch: Some(pb::TokenPatch {
                    remain_quota: Some(5),
                    remain_quota_operation: Some(pb::QuotaOperation {
                        change: Some(pb::quota_operation::Change::Subtract(5)),
                    }),
                    ..Default::default()
                }),
                update_mask: mask(&["remain_quota"]),
                ..Default::default()
            },
            "remain_quota.operation_with_value",
        ),
        (
            pb::BatchUpdateTokensRequest {
                ids: ids.clone(),
                patch: Some(pb::TokenPatch {
                    status: Some(3),
                    ..Default::default()
                }),
                update_mask: mask(&["status"]),
                ..Default::default()
            },
            "status.invalid",
        ),
        (
            pb::BatchUpdateTokensRequest {
                ids: ids.clone(),
                filter: Some(pb::TokenFilter::default()),
                patch: Some(pb::TokenPatch {
                    status: Some(2),
                    ..Default::default()
                }),
                update_mask: mask(&["status"]),
                ..Default::default()
            },
            "selection.ambiguous",
        ),
        (
            pb::BatchUpdateTokensRequest {
                ids: ids.clone(),
                patch: Some(pb::TokenPatch {
                    remain_quota_operation: Some(pb::QuotaOperation { change: None }),
                    ..Default::default()
                }),
                update_mask: mask(&["remain_quota"]),
                ..Default::default()
            },
            "remain_quota.operation_empty",
        ),
        (
            pb::BatchUpdateTokensRequest {
                ids: ids.clone(),
                patch: Some(pb::TokenPatch {
                    remain_quota_operation: Some(pb::QuotaOperation {
                        change: Some(pb::quota_operation::Change::Subtract(1251)),
                    }),
                    ..Default::default()
                }),
                update_mask: mask(&["remain_quota"]),
                ..Default::default()
            },
            "remain_quota.below_zero",
        ),
    ];
    let before = server.snapshot().await;
    for (message, code) in cases {
        let refused = client
            .batch_update_tokens(server.grpc_request(&server.alice, message))
            .await
            .expect_err(code);
        assert_eq!(reasons(&refused), [code]);
    }
    assert_eq!(server.snapshot().await, before, "refusals write nothing");
    server.stop().await;
}

async fn a_filter_batch_through_grpc_needs_its_count(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let mut client = server.grpc().await;
    let alice = alice_ids();
    let message = |expected_count: Option<i64>| pb::BatchUpdateTokensRequest {
        filter: Some(pb::TokenFilter::default()),
        expected_count,
        patch: Some(pb::TokenPatch {
            expired_time_operation: Some(pb::ExpiryOperation { extend: 3600 }),
            ..Default::default()
        }),
        update_mask: mask(&["expired_time"]),
        view: pb::BatchResultView::Counts as i32,
        ..Default::default()
    };
    let refused = client
        .batch_update_tokens(server.grpc_request(&server.alice, message(None)))
        .await
        .expect_err("a filter batch needs its count");
    assert_eq!(reasons(&refused), ["filter.count_required"]);
    let answer = client
        .batch_update_tokens(server.grpc_request(&server.alice, message(Some(alice.len() as i64))))
        .await
        .expect("the count matches")
        .into_inner();
    // Alice's tokens never expire: extending keeps them so, and nothing changes.
    assert_eq!((answer.changed, answer.unchanged), (0, alice.len() as i64));
    server.stop().await;
}

async fn plans_through_grpc(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let mut client = server.grpc().await;
    let ids = alice_ids()[..5].to_vec();
    let patch = pb::TokenPatch {
        remain_quota_operation: Some(pb::QuotaOperation {
            change: Some(pb::quota_operation::Change::Add(10)),
        }),
        ..Default::default()
    };
    let preview = pb::BatchUpdateTokensRequest {
        ids: ids.clone(),
        patch: Some(patch),
        update_mask: mask(&["remain_quota"]),
        validate_only: true,
        ..Default::default()
    };
    let before = server.snapshot().await;
    let answer = client
        .batch_update_tokens(server.grpc_request(&server.alice, preview))
        .await
        .expect("preview")
        .into_inner();
    let plan = answer.plan.expect("a validate_only batch answers its plan");
    assert_eq!((plan.count, plan.changed, plan.applied), (5, 5, false));
    assert_eq!(server.snapshot().await, before, "a preview writes no token");

    let page = client
        .get_plan(server.grpc_request(
            &server.alice,
            pb::GetPlanRequest {
                plan_id: plan.plan_id.clone(),
                page: 2,
                page_size: 2,
            },
        ))
        .await
        .expect("a page of the plan")
        .into_inner();
    let paged: Vec<i64> = page.results.iter().map(|result| result.id).collect();
    assert_eq!((page.total, paged), (5, ids[2..4].to_vec()));
    // Another user's plan is not found, as an unknown one.
    let hidden = client
        .get_plan(server.grpc_request(
            &server.bob,
            pb::GetPlanRequest {
                plan_id: plan.plan_id.clone(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("bob cannot see alice's plan");
    assert_eq!(hidden.code(), Code::NotFound);

    let apply = pb::BatchUpdateTokensRequest {
        plan_id: plan.plan_id.clone(),
        ..Default::default()
    };
    let mixed = pb::BatchUpdateTokensRequest {
        ids: ids.clone(),
        ..apply.clone()
    };
    let refused = client
        .batch_update_tokens(server.grpc_request(&server.alice, mixed))
        .await
        .expect_err("plan_id takes nothing else");
    assert_eq!(reasons(&refused), ["plan.exclusive"]);
    let applied = client
        .batch_update_tokens(server.grpc_request(&server.alice, apply.clone()))
        .await
        .expect("apply")
        .into_inner();
    assert_eq!((applied.changed, applied.replayed), (5, false));
    let again = client
        .batch_update_tokens(server.grpc_request(&server.alice, apply))
        .await
        .expect("replay")
        .into_inner();
    assert_eq!((again.changed, again.replayed), (5, true));
    for (id, state) in &before {
        let expected = if ids.contains(id) {
            state.remain_quota + 10
        } else {
            state.remain_quota
        };
        assert_eq!(server.row(*id).await.remain_quota, expected, "token {id}");
    }
    server.stop().await;
}

/// A client built from the proto before part two: its batches, lists and answers are unchanged, and what the
/// new service adds to its answers is skipped by it as unknown fields.
async fn clients_of_the_proto_before_part_two_are_served(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let mut client =
        old::token_service_client::TokenServiceClient::connect(server.base_url.clone())
            .await
            .expect("old client connects");
    let ids = alice_ids()[..3].to_vec();
    let message = old::BatchUpdateTokensRequest {
        ids: ids.clone(),
        patch: Some(old::TokenPatch {
            group: Some("vip".into()),
            remain_quota: Some(777),
            ..Default::default()
        }),
        update_mask: mask(&["group", "remain_quota"]),
        ..Default::default()
    };
    let answer = client
        .batch_update_tokens(server.grpc_request(&server.alice, message))
        .await
        .expect("old batch applies")
        .into_inner();
    assert_eq!(answer.changed, 3);
    let first = &answer.results[0];
    assert_eq!(first.id, ids[0]);
    assert_eq!(
        first.after.as_ref().map(|after| after.remain_quota),
        Some(777)
    );
    assert_eq!(server.row(ids[0]).await.group, "vip");
    let page = client
        .list_tokens(server.grpc_request(
            &server.alice,
            old::ListTokensRequest {
                page: 1,
                page_size: 100,
            },
        ))
        .await
        .expect("old list")
        .into_inner();
    assert_eq!(page.total, alice_ids().len() as i64);
    assert!(page
        .items
        .iter()
        .all(|token| token.user_id == server.alice.id));
    server.stop().await;
}

on_every_engine!(
    operations_and_status_through_grpc,
    plans_through_grpc,
    a_filter_batch_through_grpc_needs_its_count,
    clients_of_the_proto_before_part_two_are_served,
);
