//! The history over gRPC (docs/SPEC.md §12), on every engine: every batch answers its change set's id,
//! `ListChanges` and `GetChange` answer what HTTP does (each token's recorded values typed, absent where not
//! recorded), and `RevertChange` previews (with its per-column counts), refuses under `strict`, skips a
//! deleted token, reverts once only and answers `NOT_FOUND` to anyone but the change set's maker.

use tokenbatch_e2e::{body, on_every_engine, Engine, TestServer};
use tokenbatch_proto::token_v1 as pb;
use tonic::Code;

use crate::history_revert::put_ok;

/// ListChanges and GetChange with typed recorded values, RevertChange with its dry run,
/// its refusals as status codes, and the revert's own change set.
async fn the_history_over_grpc(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let (alice, bob) = (&server.alice, &server.bob);
    server
        .execute("UPDATE tokens SET remain_quota = 1000 WHERE id IN (1, 2)")
        .await;
    put_ok(
        &server,
        alice,
        &body(&[1, 2], r#""remain_quota":3000"#, &["remain_quota"]),
    )
    .await;
    let mut client = server.grpc().await;
    let message = pb::BatchUpdateTokensRequest {
        ids: vec![3],
        patch: Some(pb::TokenPatch {
            remain_quota: Some(9),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["remain_quota".into()],
        }),
        ..Default::default()
    };
    let applied = client
        .batch_update_tokens(server.grpc_request(alice, message))
        .await
        .expect("a gRPC batch")
        .into_inner();
    let grpc_change = applied.change_id.expect("the batch names its change set");
    // The counts view answers no per-token results.
    let revert_grpc = pb::RevertChangeRequest {
        id: grpc_change,
        view: pb::BatchResultView::Counts as i32,
        ..Default::default()
    };
    let reverted = client
        .revert_change(server.grpc_request(alice, revert_grpc))
        .await
        .expect("its revert")
        .into_inner();
    assert_eq!((reverted.restored, reverted.results.len()), (1, 0));
    let list = client
        .list_changes(server.grpc_request(
            alice,
            pb::ListChangesRequest {
                page: 1,
                page_size: 10,
            },
        ))
        .await
        .expect("ListChanges")
        .into_inner();
    assert_eq!((list.total, list.items.len()), (3, 3));
    let change = &list.items[2];
    assert_eq!(
        (
            change.user_id,
            change.source.as_str(),
            change.changed,
            change.reverted_by
        ),
        (alice.id, "http", 2, None)
    );
    let request = pb::GetChangeRequest {
        id: change.id,
        page: 1,
        page_size: 1,
    };
    let detail = client
        .get_change(server.grpc_request(alice, request))
        .await
        .expect("GetChange")
        .into_inner();
    assert_eq!((detail.total, detail.items.len()), (2, 1));
    let token = &detail.items[0];
    let (before, after) = (token.before.clone().unwrap(), token.after.clone().unwrap());
    assert_eq!(
        (token.id, before.remain_quota, after.remain_quota),
        (1, Some(1000), Some(3000))
    );
    assert_eq!(
        (before.group.as_deref(), after.status),
        (None, Some(1)),
        "only what was recorded"
    );

    let revert = |dry_run, strict| pb::RevertChangeRequest {
        id: change.id,
        dry_run,
        strict,
        ..Default::default()
    };
    let status = client
        .revert_change(server.grpc_request(bob, revert(false, false)))
        .await
        .expect_err("bob did not make it");
    assert_eq!(status.code(), Code::NotFound);
    let preview = client
        .revert_change(server.grpc_request(alice, revert(true, false)))
        .await
        .expect("a dry run")
        .into_inner();
    assert_eq!(
        (preview.restored, preview.revert_id, preview.dry_run),
        (2, None, true)
    );
    // The dry run's per-column counts over every token it would restore, as HTTP's `summary`.
    assert_eq!(
        preview.changed_by_column,
        [("remain_quota".to_owned(), 2)].into(),
        "{preview:?}"
    );
    assert!(
        preview.status_after.is_empty(),
        "no status changes: {preview:?}"
    );
    server.execute("DELETE FROM tokens WHERE id = 2").await;
    let status = client
        .revert_change(server.grpc_request(alice, revert(false, true)))
        .await
        .expect_err("strict, with a token gone");
    assert_eq!(status.code(), Code::Aborted, "{status:?}");
    let done = client
        .revert_change(server.grpc_request(alice, revert(false, false)))
        .await
        .expect("the revert")
        .into_inner();
    assert_eq!(done.restored, 1);
    assert_eq!(
        done.skipped,
        vec![pb::SkippedToken {
            id: 2,
            reason: "deleted".into()
        }]
    );
    assert_eq!(done.results[0].after.as_ref().unwrap().remain_quota, 1000);
    assert!(
        done.changed_by_column.is_empty() && done.status_after.is_empty(),
        "counts only in a dry run"
    );
    assert!(done.revert_id.is_some());
    let status = client
        .revert_change(server.grpc_request(alice, revert(false, false)))
        .await
        .expect_err("once only");
    assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
    assert!(status
        .message()
        .contains(&done.revert_id.unwrap().to_string()));
    server.stop().await;
}

on_every_engine!(the_history_over_grpc);
