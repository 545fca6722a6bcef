//! newapi.token.v1.TokenService through a tonic client against the real server: batches with their per-token
//! results, the counts view, answers past 4 MiB, dry runs, list, search and get. Refusals: grpc_refusals.rs.

use prost_types::FieldMask;
use tokenbatch_e2e::{alice_ids, on_every_engine, Engine, TestServer, BOB_IDS};
use tokenbatch_proto::token_v1 as pb;
use tokenbatch_proto::token_v1::token_service_client::TokenServiceClient;
use tokenbatch_rules::apply::STATUS_EXPIRED;
use tonic::transport::Channel;
use tonic::Code;
use tonic_types::StatusExt;

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| p.to_string()).collect(),
    })
}

pub(crate) fn request(
    ids: &[i64],
    patch: pb::TokenPatch,
    paths: &[&str],
) -> pb::BatchUpdateTokensRequest {
    pb::BatchUpdateTokensRequest {
        ids: ids.to_vec(),
        patch: Some(patch),
        update_mask: mask(paths),
        ..Default::default()
    }
}

/// Sends `message` as alice and returns the answer of a batch that must succeed.
async fn batch_as_alice(
    client: &mut TokenServiceClient<Channel>,
    server: &TestServer,
    message: pb::BatchUpdateTokensRequest,
) -> pb::BatchUpdateTokensResponse {
    client
        .batch_update_tokens(server.grpc_request(&server.alice, message))
        .await
        .expect("batch succeeds")
        .into_inner()
}

async fn batch_update_returns_counts_and_before_after_per_id(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let mut client = server.grpc().await;
    let patch = pb::TokenPatch {
        group: Some("vip".into()),
        expired_time: Some(1_776_410_923),
        remain_quota: Some(0),
        ..Default::default()
    };
    let message = request(&[2, 1, 1], patch, &["group", "patch.expired_time"]);
    let response = batch_as_alice(&mut client, &server, message).await;
    assert_eq!(response.changed, 2);
    assert_eq!(response.unchanged, 0);
    let ids: Vec<i64> = response.results.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![1, 2], "distinct ids, ascending");
    let first = &response.results[0];
    assert_eq!(first.outcome, pb::Outcome::Updated as i32);
    assert_eq!(first.before.as_ref().unwrap().group, "default");
    assert_eq!(first.after.as_ref().unwrap().group, "vip");
    assert_eq!(first.after.as_ref().unwrap().status, STATUS_EXPIRED as i32);
    assert!(response
        .warnings
        .iter()
        .any(|w| w.code == "expired_time.past"));
    assert!(
        response
            .warnings
            .iter()
            .any(|w| w.code == "update_fields.ignored"),
        "remain_quota was set but not masked"
    );
    assert!(!response.rules_version.is_empty());
    assert_eq!(server.row(1).await.group, "vip");
    assert_eq!(
        server.row(1).await.remain_quota,
        1_000_000,
        "unmasked field not written"
    );
    server.stop().await;
}

/// BATCH_RESULT_VIEW_COUNTS: the same batch, the same counts and warnings, no per-token results; the rows
/// are written exactly as with the full view. An unknown view is refused before anything is written.
async fn the_counts_view_answers_counts_only_and_writes_the_same(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let mut client = server.grpc().await;
    let patch = |quota: i64| pb::TokenPatch {
        group: Some("vip".into()),
        expired_time: Some(1_776_410_923),
        remain_quota: Some(quota),
        ..Default::default()
    };
    let fields = ["group", "expired_time", "remain_quota"];
    let mut counts = request(&[1, 2, 3], patch(7), &fields);
    counts.view = pb::BatchResultView::Counts as i32;
    let answer = batch_as_alice(&mut client, &server, counts.clone()).await;
    assert_eq!((answer.changed, answer.unchanged), (3, 0));
    assert!(answer.results.is_empty(), "{:?}", answer.results);
    assert!(answer
        .warnings
        .iter()
        .any(|w| w.code == "expired_time.past"));
    let counted = server.snapshot().await;

    // The same batch again: nothing changes now, and the counts say so.
    let again = batch_as_alice(&mut client, &server, counts).await;
    assert_eq!((again.changed, again.unchanged), (0, 3));

    // The full view (asked for, then unset) writes what the counts view wrote: another quota, then back.
    let full = batch_as_alice(&mut client, &server, request(&[1, 2, 3], patch(8), &fields)).await;
    assert_eq!(full.results.len(), 3);
    let back = batch_as_alice(&mut client, &server, request(&[1, 2, 3], patch(7), &fields)).await;
    assert_eq!(back.results.len(), 3, "unset is the full view");
    assert_eq!(server.snapshot().await, counted);

    let mut unknown = request(&[1], patch(9), &["remain_quota"]);
    unknown.view = 7;
    let status = client
        .batch_update_tokens(server.grpc_request(&server.alice, unknown))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    let violations = status.get_details_bad_request().unwrap().field_violations;
    assert_eq!(violations[0].field, "view");
    assert_eq!(violations[0].reason, "view.invalid");
    assert!(status.message().contains('7'), "{}", status.message());
    assert_eq!(server.snapshot().await, counted, "nothing written");
    server.stop().await;
}

/// A full answer past gRPC clients' default 4 MiB (docs/api.md, "gRPC"): a client with the default limit refuses the
/// answer of a batch that was applied; the counts view, or a raised limit, gets it.
#[tokio::test]
async fn a_full_answer_past_four_mib_needs_the_counts_view_or_a_raised_client_limit() {
    const BULK: std::ops::RangeInclusive<i64> = 10_001..=15_000;
    let server = TestServer::start().await;
    server
        .execute(&format!(
            "WITH RECURSIVE n(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM n WHERE i < {last}) \
             INSERT INTO tokens (id, user_id, key, status, name, created_time, accessed_time, expired_time, \
             remain_quota, unlimited_quota, model_limits_enabled, model_limits, allow_ips, used_quota, \"group\") \
             SELECT i, {alice}, 'bulkkey' || i, 1, 'bulk-' || i, 1700000000, 1700000000, -1, 0, 0, 0, '', '', 0, \
             'default' FROM n",
            first = BULK.start(),
            last = BULK.end(),
            alice = server.alice.id,
        ))
        .await;
    let ids: Vec<i64> = BULK.collect();
    // 5 000 tokens × a 1 000-character model list after the change: about 5 MB of results.
    let models = |model: &str| {
        let mut list = Vec::new();
        for n in 0.. {
            let name = format!("{model}-{n:04}");
            if list.iter().map(|m: &String| m.len() + 1).sum::<usize>() + name.len() > 1_000 {
                break;
            }
            list.push(name);
        }
        list.join(",")
    };
    let batch = |model: &str, view: pb::BatchResultView| {
        let mut message = request(
            &ids,
            pb::TokenPatch {
                model_limits: Some(models(model)),
                ..Default::default()
            },
            &["model_limits"],
        );
        message.view = view as i32;
        message
    };

    let mut default_limit = server.grpc().await;
    let refused = default_limit
        .batch_update_tokens(
            server.grpc_request(&server.alice, batch("a", pb::BatchResultView::Full)),
        )
        .await
        .expect_err("an answer past 4 MiB");
    assert!(
        refused.message().contains("too large"),
        "{:?}: {}",
        refused.code(),
        refused.message()
    );
    assert_eq!(
        server.row(10_001).await.model_limits,
        models("a"),
        "yet the batch was applied"
    );

    let counts = batch_as_alice(
        &mut default_limit,
        &server,
        batch("b", pb::BatchResultView::Counts),
    )
    .await;
    assert_eq!(counts.changed, 5_000);

    let mut raised = server.grpc().await.max_decoding_message_size(64 << 20);
    let full = batch_as_alice(&mut raised, &server, batch("c", pb::BatchResultView::Full)).await;
    assert_eq!(full.results.len(), 5_000);
    assert_eq!(
        full.results[0].after.as_ref().unwrap().model_limits,
        models("c")
    );
    server.stop().await;
}

async fn validate_only_computes_everything_and_writes_nothing(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let before = server.snapshot().await;
    let mut client = server.grpc().await;
    let patch = pb::TokenPatch {
        remain_quota: Some(42),
        ..Default::default()
    };
    let mut message = request(&[3, 4], patch, &["remain_quota"]);
    message.validate_only = true;
    let response = client
        .batch_update_tokens(server.grpc_request(&server.alice, message))
        .await
        .expect("dry run succeeds")
        .into_inner();
    assert!(response.validate_only);
    assert_eq!(response.changed, 2);
    assert_eq!(response.results[0].after.as_ref().unwrap().remain_quota, 42);
    assert_eq!(server.snapshot().await, before);

    let mut foreign = request(
        &[3, BOB_IDS[0]],
        pb::TokenPatch {
            remain_quota: Some(1),
            ..Default::default()
        },
        &["remain_quota"],
    );
    foreign.validate_only = true;
    let status = client
        .batch_update_tokens(server.grpc_request(&server.alice, foreign))
        .await
        .expect_err("ownership is checked in a dry run too");
    assert_eq!(status.code(), Code::NotFound);
    server.stop().await;
}

async fn list_search_and_get(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let mut client = server.grpc().await;
    let page = client
        .list_tokens(server.grpc_request(
            &server.alice,
            pb::ListTokensRequest {
                page: 0,
                page_size: 3,
                filter: None,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.total, alice_ids().len() as i64);
    assert_eq!(
        page.items.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![873, 869, 20]
    );
    assert!(page
        .items
        .iter()
        .all(|t| t.key.contains("**********") && t.key.len() == 18));

    let found = client
        .search_tokens(server.grpc_request(
            &server.alice,
            pb::SearchTokensRequest {
                keyword: "token-2%".into(),
                token: String::new(),
                page: 1,
                page_size: 10,
                filter: None,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        found.items.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![20, 2]
    );

    let token = client
        .get_token(server.grpc_request(&server.alice, pb::GetTokenRequest { id: 869 }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(token.name, "token-869");
    let status = client
        .get_token(server.grpc_request(&server.alice, pb::GetTokenRequest { id: BOB_IDS[0] }))
        .await
        .expect_err("not alice's");
    assert_eq!(status.code(), Code::NotFound);
    server.stop().await;
}

on_every_engine!(
    batch_update_returns_counts_and_before_after_per_id,
    the_counts_view_answers_counts_only_and_writes_the_same,
    validate_only_computes_everything_and_writes_nothing,
    list_search_and_get,
);
