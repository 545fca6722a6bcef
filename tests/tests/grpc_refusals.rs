//! What newapi.token.v1.TokenService refuses, against the real server: the validators' field violations as
//! INVALID_ARGUMENT details, unknown and missing update masks, unauthenticated callers and other users'
//! tokens, and malformed protobuf or frames (INVALID_ARGUMENT with an ErrorInfo, over gRPC and gRPC-Web).

use tokenbatch_e2e::{on_every_engine, Engine, TestServer, BOB_IDS};
use tokenbatch_proto::token_v1 as pb;
use tokenbatch_rules::{BatchInput, Context, Lang, Patch};
use tonic::Code;
use tonic_types::StatusExt;

use crate::grpc::request;

async fn invalid_argument_carries_the_validators_field_violations(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let before = server.snapshot().await;
    let mut client = server.grpc().await;
    let patch = pb::TokenPatch {
        expired_time: Some(1_776_410_923_000),
        allow_ips: Some("10.0.0.1\nnot-an-ip".into()),
        ..Default::default()
    };
    let message = request(&[1], patch.clone(), &["expired_time", "allow_ips", "group"]);
    let mut grpc_request = server.grpc_request(&server.alice, message);
    grpc_request
        .metadata_mut()
        .insert("accept-language", "en".parse().unwrap());
    let status = client
        .batch_update_tokens(grpc_request)
        .await
        .expect_err("rejected");
    assert_eq!(status.code(), Code::InvalidArgument);

    let expected = tokenbatch_rules::check_input(
        BatchInput {
            ids: vec![1],
            patch: Patch {
                expired_time: patch.expired_time,
                allow_ips: patch.allow_ips.clone(),
                ..Patch::default()
            },
            update_fields: Some(
                [
                    tokenbatch_rules::Field::ExpiredTime,
                    tokenbatch_rules::Field::AllowIps,
                    tokenbatch_rules::Field::Group,
                ]
                .into_iter()
                .collect(),
            ),
            ..BatchInput::default()
        },
        &Context {
            now: tokenbatch::app::now_unix(),
            allowed_groups: None,
            column_limits: Vec::new(),
        },
    )
    .expect_err("the rules reject it too");
    let bad_request = status
        .get_details_bad_request()
        .expect("BadRequest details");
    let got: Vec<(String, String)> = bad_request
        .field_violations
        .iter()
        .map(|v| (v.field.clone(), v.description.clone()))
        .collect();
    let want: Vec<(String, String)> = expected
        .iter()
        .map(|v| (v.field.clone(), v.message(Lang::En)))
        .collect();
    assert_eq!(got, want);
    let codes: Vec<&str> = expected.iter().map(|v| v.code()).collect();
    assert!(
        codes.contains(&"expired_time.milliseconds")
            && codes.contains(&"allow_ips.invalid")
            && codes.contains(&"group.missing"),
        "{codes:?}"
    );
    let info = status.get_details_error_info().expect("ErrorInfo");
    assert_eq!(info.reason, expected[0].code());
    assert_eq!(info.domain, "tokenbatch");
    assert_eq!(server.snapshot().await, before);
    server.stop().await;
}

async fn unknown_mask_paths_and_missing_masks_are_invalid(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let mut client = server.grpc().await;
    let patch = pb::TokenPatch {
        group: Some("vip".into()),
        ..Default::default()
    };
    let unknown = request(&[1], patch.clone(), &["group", "colour"]);
    let status = client
        .batch_update_tokens(server.grpc_request(&server.alice, unknown))
        .await
        .expect_err("rejected");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        status.get_details_error_info().unwrap().reason,
        "update_fields.unknown"
    );

    let mut no_mask = request(&[1], patch, &[]);
    no_mask.update_mask = None;
    let status = client
        .batch_update_tokens(server.grpc_request(&server.alice, no_mask))
        .await
        .expect_err("rejected");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        status.get_details_error_info().unwrap().reason,
        "update_fields.missing"
    );
    server.stop().await;
}

async fn identity_and_ownership_are_enforced(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let before = server.snapshot().await;
    let mut client = server.grpc().await;
    let patch = pb::TokenPatch {
        group: Some("vip".into()),
        ..Default::default()
    };

    let anonymous = tonic::Request::new(request(&[1], patch.clone(), &["group"]));
    let status = client
        .batch_update_tokens(anonymous)
        .await
        .expect_err("rejected");
    assert_eq!(status.code(), Code::Unauthenticated);

    let mut mismatched =
        server.grpc_request(&server.alice, request(&[1], patch.clone(), &["group"]));
    mismatched
        .metadata_mut()
        .insert("new-api-user", server.bob.id.to_string().parse().unwrap());
    let status = client
        .batch_update_tokens(mismatched)
        .await
        .expect_err("rejected");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(
        status.get_details_error_info().unwrap().reason,
        "AUTH_UNAUTHORIZED"
    );

    let foreign = server.grpc_request(&server.alice, request(&[1, BOB_IDS[1]], patch, &["group"]));
    let status = client
        .batch_update_tokens(foreign)
        .await
        .expect_err("rejected");
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(server.snapshot().await, before);
    server.stop().await;
}

/// One hand-made call to `SearchTokens` as alice: `body` as it goes on the wire, over HTTP/2 without TLS
/// (h2c, like gRPC) or HTTP/1.1 (gRPC-Web); returns the HTTP status and the headers.
async fn raw_call(
    server: &TestServer,
    http2: bool,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, reqwest::header::HeaderMap) {
    let client = if http2 {
        reqwest::Client::builder().http2_prior_knowledge()
    } else {
        reqwest::Client::builder().http1_only()
    };
    let response = client
        .build()
        .unwrap()
        .post(format!(
            "{}/newapi.token.v1.TokenService/SearchTokens",
            server.base_url
        ))
        .header("content-type", content_type)
        .header("te", "trailers")
        .header(
            "authorization",
            format!("Bearer {}", server.alice.access_token),
        )
        .header("new-api-user", server.alice.id.to_string())
        .header("accept-language", "en")
        .body(body)
        .send()
        .await
        .expect("an answer");
    (response.status().as_u16(), response.headers().clone())
}

/// A gRPC message frame: uncompressed, with the length of `message`.
fn frame(message: &[u8]) -> Vec<u8> {
    let mut frame = vec![0];
    frame.extend((message.len() as u32).to_be_bytes());
    frame.extend(message);
    frame
}

/// Broken protobuf and broken frames are the caller's fault: INVALID_ARGUMENT with an ErrorInfo naming
/// which, over gRPC and gRPC-Web alike; a body that is not gRPC at all gets HTTP 415.
#[tokio::test]
async fn malformed_requests_are_invalid_arguments_with_an_error_info() {
    let server = TestServer::start().await;
    let message = "grpc.message_invalid";
    let frame_error = "grpc.frame_invalid";
    // The frame announces 10 bytes; 3 come, then the stream ends.
    let truncated = vec![0, 0, 0, 0, 10, 0x0A, 0x01, b'a'];
    let cases: [(&str, bool, &str, Vec<u8>, &str); 9] = [
        // field 3 (page), a varint whose last byte never comes
        (
            "truncated varint",
            true,
            "application/grpc",
            frame(&[0x18, 0xFF]),
            message,
        ),
        (
            "wire type 7",
            true,
            "application/grpc",
            frame(&[0x0F, 0x00]),
            message,
        ),
        (
            "tag 0",
            true,
            "application/grpc",
            frame(&[0x00, 0x00]),
            message,
        ),
        // keyword = C3 28, not UTF-8
        (
            "invalid UTF-8",
            true,
            "application/grpc+proto",
            frame(&[0x0A, 0x02, 0xC3, 0x28]),
            message,
        ),
        (
            "compression flag 2",
            true,
            "application/grpc",
            vec![2, 0, 0, 0, 0],
            frame_error,
        ),
        (
            "frame cut short",
            true,
            "application/grpc",
            truncated,
            frame_error,
        ),
        (
            "no message",
            true,
            "application/grpc",
            Vec::new(),
            frame_error,
        ),
        (
            "gRPC-Web, bad protobuf",
            false,
            "application/grpc-web+proto",
            frame(&[0x0F]),
            message,
        ),
        (
            "gRPC-Web text, bad base64",
            false,
            "application/grpc-web-text",
            b"*!*!".to_vec(),
            frame_error,
        ),
    ];
    for (case, http2, content_type, body, reason) in cases {
        let (http_status, headers) = raw_call(&server, http2, content_type, body).await;
        assert_eq!(http_status, 200, "{case}");
        let status = tonic::Status::from_header_map(&headers)
            .unwrap_or_else(|| panic!("{case}: no grpc-status in {headers:?}"));
        assert_eq!(status.code(), Code::InvalidArgument, "{case}: {status:?}");
        assert!(
            status.message().contains("nothing was changed"),
            "{case}: {status:?}"
        );
        let info = status.get_error_details().error_info().cloned();
        let info = info.unwrap_or_else(|| panic!("{case}: no ErrorInfo in {status:?}"));
        assert_eq!(
            (info.reason.as_str(), info.domain.as_str()),
            (reason, "tokenbatch"),
            "{case}"
        );
    }

    let (http_status, headers) = raw_call(&server, true, "application/json", b"{}".to_vec()).await;
    assert_eq!(http_status, 415, "JSON over HTTP/2: {headers:?}");
    // A well-formed call still reaches the service.
    let keyword = frame(&[0x0A, 0x01, b'x']);
    let (http_status, headers) = raw_call(&server, true, "application/grpc", keyword).await;
    assert_eq!(http_status, 200);
    assert_eq!(headers.get("grpc-status"), None, "not refused: {headers:?}");
    server.stop().await;
}

on_every_engine!(
    invalid_argument_carries_the_validators_field_violations,
    unknown_mask_paths_and_missing_masks_are_invalid,
    identity_and_ownership_are_enforced,
);
