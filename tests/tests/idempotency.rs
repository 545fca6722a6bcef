//! Idempotent retries (docs/SPEC.md §6 `request_id`; HTTP `Idempotency-Key`): a batch sent again with the same id
//! is answered with the first answer and writes nothing, whichever face or instance of the service the retry
//! reaches and however many retries race; the same id with another request is refused.

use serde_json::{json, Value};
use tokenbatch::serve::ServeOptions;
use tokenbatch_e2e::{body, on_every_engine, send, Engine, TestServer, User};
use tokenbatch_proto::token_v1 as pb;
use tonic::Code;
use tonic_types::StatusExt;

/// `PUT {url}` (the batch route and its query) with an `Idempotency-Key`; returns status, the replay
/// header, and the body.
async fn put_keyed(
    http: &reqwest::Client,
    url: &str,
    user: &User,
    key: &str,
    text: &str,
) -> (u16, Option<String>, Value) {
    let response = http
        .put(url)
        .header("Authorization", format!("Bearer {}", user.access_token))
        .header("New-Api-User", user.id.to_string())
        .header("Idempotency-Key", key)
        .body(text.to_owned())
        .send()
        .await
        .expect("request sent");
    let status = response.status().as_u16();
    let replayed = response
        .headers()
        .get("idempotent-replayed")
        .map(|value| value.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    (status, replayed, serde_json::from_str(&text).unwrap())
}

fn batch_url(base: &str) -> String {
    format!("{base}/api/token/batch?lang=en")
}

fn grpc_batch(ids: &[i64], remain_quota: i64, request_id: &str) -> pb::BatchUpdateTokensRequest {
    pb::BatchUpdateTokensRequest {
        ids: ids.to_vec(),
        patch: Some(pb::TokenPatch {
            remain_quota: Some(remain_quota),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["remain_quota".into()],
        }),
        request_id: request_id.to_owned(),
        ..Default::default()
    }
}

async fn a_retry_gets_the_first_answer_and_writes_nothing(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = server.alice.clone();
    let url = batch_url(&server.base_url);
    let http = &server.http;
    let first_body = body(&[1, 2], r#""remain_quota":4242"#, &["remain_quota"]);
    let (status, replayed, first) = put_keyed(http, &url, &alice, "retry-1", &first_body).await;
    assert_eq!(
        (status, &first["success"], &first["data"]),
        (200, &json!(true), &json!(2)),
        "{first}"
    );
    assert_eq!(replayed, None);
    assert_eq!(first.get("replayed"), None, "{first}");

    // Someone changes the tokens before the retry arrives: the retry must not undo that.
    let (_, changed, raw) = server
        .put_batch(
            &alice,
            &body(&[1, 2], r#""remain_quota":7"#, &["remain_quota"]),
        )
        .await;
    assert_eq!(changed["data"], json!(2), "{raw}");

    // The same request spelled otherwise (JSONC, ids as strings in another order) is the same request.
    let respelled = "{\r\n  // retry\r\n  \"update_fields\": \"remain_quota\",\r\n  \"ids\": [\"2\", 1, 2],\r\n  \"remain_quota\": 4242,\r\n}";
    let (status, replayed, retry) = put_keyed(http, &url, &alice, "retry-1", respelled).await;
    assert_eq!(status, 200);
    assert_eq!(replayed.as_deref(), Some("true"));
    assert_eq!(retry["replayed"], json!(true), "{retry}");
    assert_eq!(retry["data"], first["data"], "the first answer: {retry}");
    assert_eq!(server.row(1).await.remain_quota, 7);
    assert_eq!(server.row(2).await.remain_quota, 7);

    // gRPC shares the ids with HTTP: `request_id` is the same key.
    let mut client = server.grpc().await;
    let response = client
        .batch_update_tokens(server.grpc_request(&alice, grpc_batch(&[1, 2], 4242, "retry-1")))
        .await
        .expect("replayed")
        .into_inner();
    assert!(response.replayed);
    assert_eq!(response.changed, 2);
    assert_eq!(
        response.results[0].after.as_ref().unwrap().remain_quota,
        4242
    );
    assert_eq!(
        response.results[0].before.as_ref().unwrap().remain_quota,
        1_000_000
    );
    assert_eq!(server.row(1).await.remain_quota, 7);

    // The same id with another request is refused, on both faces, and writes nothing.
    let before = server.snapshot().await;
    let other = body(&[1, 2], r#""remain_quota":5"#, &["remain_quota"]);
    let (status, replayed, refused) = put_keyed(http, &url, &alice, "retry-1", &other).await;
    assert_eq!((status, replayed), (200, None));
    assert_eq!(refused["success"], json!(false));
    assert_eq!(refused["code"], json!("request_id.reused"), "{refused}");
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.starts_with("request_id (Idempotency-Key): "),
        "{message}"
    );
    let status = client
        .batch_update_tokens(server.grpc_request(&alice, grpc_batch(&[1, 3], 4242, "retry-1")))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    let violations = status
        .get_details_bad_request()
        .expect("BadRequest")
        .field_violations;
    assert_eq!(violations[0].field, "request_id");
    assert_eq!(violations[0].reason, "request_id.reused");
    assert_eq!(server.snapshot().await, before);

    // A dry run ignores the id; a real run with another id is a new batch.
    let dry_url = format!("{url}&validate_only=true");
    let (_, replayed, dry) = put_keyed(http, &dry_url, &alice, "retry-1", &other).await;
    assert_eq!((replayed, &dry["data"]), (None, &json!(2)), "{dry}");
    let (_, replayed, fresh) = put_keyed(http, &url, &alice, "retry-2", &first_body).await;
    assert_eq!((replayed, &fresh["data"]), (None, &json!(2)), "{fresh}");

    // Ids are per user: bob's "retry-1" is his own.
    let bob = server.bob.clone();
    let bob_body = body(&[900], r#""remain_quota":4242"#, &["remain_quota"]);
    let (_, replayed, own) = put_keyed(http, &url, &bob, "retry-1", &bob_body).await;
    assert_eq!(
        (replayed, &own["success"], &own["data"]),
        (None, &json!(true), &json!(1)),
        "{own}"
    );
    server.stop().await;
}

async fn malformed_ids_are_refused_naming_the_field(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = server.alice.clone();
    let base = server.base_url.clone();
    let before = server.snapshot().await;
    let text = body(&[1], r#""remain_quota":1"#, &["remain_quota"]);
    let too_long = "k".repeat(129);
    for key in ["with space", too_long.as_str(), "ключ"] {
        let request = server
            .http
            .put(format!("{base}/api/token/batch"))
            .header("Authorization", alice.access_token.clone())
            .header("New-Api-User", alice.id.to_string())
            .header("Idempotency-Key", key.as_bytes())
            .body(text.clone());
        let (status, refused, raw) = send(request).await;
        assert_eq!(status, 200, "{raw}");
        assert_eq!(refused["code"], json!("request_id.invalid"), "{key}: {raw}");
        assert!(
            refused["message"]
                .as_str()
                .unwrap()
                .starts_with("request_id（Idempotency-Key）"),
            "{raw}"
        );
    }
    let mut client = server.grpc().await;
    let status = client
        .batch_update_tokens(server.grpc_request(&alice, grpc_batch(&[1], 1, "a b")))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(server.snapshot().await, before);
    // 128 visible characters are fine.
    let url = batch_url(&base);
    let (_, _, accepted) = put_keyed(&server.http, &url, &alice, &"k".repeat(128), &text).await;
    assert_eq!(accepted["success"], json!(true), "{accepted}");
    server.stop().await;
}

/// Retries racing each other, half of them through a second instance of the service on the same database:
/// exactly one applies the batch, every other gets its answer.
async fn racing_retries_apply_once_across_instances(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let second = tokenbatch::serve::start_with(
        "127.0.0.1:0".parse().unwrap(),
        &server.db.location,
        ServeOptions::default(),
    )
    .await
    .expect("a second instance starts");
    let second_url = format!("http://{}", second.addr);
    let ids = tokenbatch_e2e::alice_ids();
    let text = body(&ids, r#""remain_quota":31337"#, &["remain_quota"]);
    let mut racing = Vec::new();
    for attempt in 0..12 {
        let url = batch_url(match attempt % 2 {
            0 => &server.base_url,
            _ => &second_url,
        });
        let (http, alice, text) = (server.http.clone(), server.alice.clone(), text.clone());
        racing.push(tokio::spawn(async move {
            put_keyed(&http, &url, &alice, "race", &text).await
        }));
    }
    let mut answers = Vec::new();
    for answer in racing {
        answers.push(answer.await.unwrap());
    }
    let mut applied = 0;
    for (status, replayed, answer) in &answers {
        assert_eq!(*status, 200, "{answer}");
        assert_eq!(
            answer["data"],
            json!(ids.len()),
            "every answer is the first one: {answer}"
        );
        match replayed {
            None => applied += 1,
            Some(_) => assert_eq!(answer["replayed"], json!(true)),
        }
    }
    assert_eq!(applied, 1, "{answers:?}");
    second.stop().await.expect("second instance stops");
    server.stop().await;
}

/// The request a key is bound to includes relative operations and the status (docs/SPEC.md §11), not only
/// absolute values: the same key with another operand, another operation or another status is refused,
/// writes nothing, and the first request still replays.
async fn a_key_binds_operations_and_status_too(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = server.alice.clone();
    let (http, url) = (&server.http, batch_url(&server.base_url));
    let first = body(&[1, 2], r#""remain_quota":{"add":10}"#, &["remain_quota"]);
    let (status, replayed, answer) = put_keyed(http, &url, &alice, "ops-1", &first).await;
    assert_eq!(
        (status, replayed, &answer["success"]),
        (200, None, &json!(true)),
        "{answer}"
    );
    let after_first = server.snapshot().await;
    for other in [
        body(&[1, 2], r#""remain_quota":{"add":20}"#, &["remain_quota"]),
        body(
            &[1, 2],
            r#""remain_quota":{"subtract":10}"#,
            &["remain_quota"],
        ),
        body(&[1, 2], r#""remain_quota":10"#, &["remain_quota"]),
    ] {
        let (status, replayed, refused) = put_keyed(http, &url, &alice, "ops-1", &other).await;
        assert_eq!((status, replayed), (200, None), "{other}");
        assert_eq!(
            refused["code"],
            json!("request_id.reused"),
            "{other}: {refused}"
        );
    }
    let (_, replayed, answer) = put_keyed(http, &url, &alice, "ops-1", &first).await;
    assert_eq!(
        (replayed.as_deref(), &answer["success"]),
        (Some("true"), &json!(true)),
        "{answer}"
    );

    let disable = body(&[3], r#""status":2"#, &["status"]);
    let (_, _, answer) = put_keyed(http, &url, &alice, "status-1", &disable).await;
    assert_eq!(answer["success"], json!(true), "{answer}");
    let enable = body(&[3], r#""status":1"#, &["status"]);
    let (_, _, refused) = put_keyed(http, &url, &alice, "status-1", &enable).await;
    assert_eq!(refused["code"], json!("request_id.reused"), "{refused}");
    assert_eq!(server.row(3).await.status, 2);
    let mut expected = after_first;
    for (id, state) in &mut expected {
        if *id == 3 {
            state.status = 2;
        }
    }
    assert_eq!(server.snapshot().await, expected);
    server.stop().await;
}

on_every_engine!(
    a_key_binds_operations_and_status_too,
    a_retry_gets_the_first_answer_and_writes_nothing,
    malformed_ids_are_refused_naming_the_field,
    racing_retries_apply_once_across_instances
);
