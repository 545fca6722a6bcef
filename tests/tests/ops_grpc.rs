//! The gRPC surface for tools, against the real server: reflection v1 and v1alpha, gRPC-Web over HTTP/1.1,
//! and `INVALID_ARGUMENT` details on every invalid request.

use prost::Message;
use tokenbatch_e2e::TestServer;
use tokenbatch_proto::token_v1 as pb;
use tonic::Code;
use tonic_types::StatusExt;

use crate::ops::{channel, TOKEN_SERVICE};
use crate::search_patterns::search_in_english;

#[tokio::test]
async fn reflection_v1_and_v1alpha_list_the_services_and_describe_them() {
    use tonic_reflection::pb::{v1, v1alpha};
    let server = TestServer::start().await;

    let mut client =
        v1::server_reflection_client::ServerReflectionClient::new(channel(&server).await);
    let requests = [
        v1::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
                String::new(),
            )),
        },
        v1::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(
                v1::server_reflection_request::MessageRequest::FileContainingSymbol(
                    TOKEN_SERVICE.to_owned(),
                ),
            ),
        },
    ];
    let mut answers = client
        .server_reflection_info(tokio_stream_of(requests.to_vec()))
        .await
        .unwrap()
        .into_inner();
    let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        answers.message().await.unwrap().unwrap().message_response
    else {
        panic!("not a service list")
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        TOKEN_SERVICE,
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    let Some(v1::server_reflection_response::MessageResponse::FileDescriptorResponse(files)) =
        answers.message().await.unwrap().unwrap().message_response
    else {
        panic!("not a file descriptor answer")
    };
    let files: Vec<prost_types::FileDescriptorProto> = files
        .file_descriptor_proto
        .iter()
        .map(|bytes| prost_types::FileDescriptorProto::decode(bytes.as_slice()).unwrap())
        .collect();
    let service_file = files
        .iter()
        .find(|f| f.name() == "newapi/token/v1/token.proto")
        .expect("the service's own file");
    assert!(
        service_file
            .dependency
            .contains(&"google/api/annotations.proto".to_owned()),
        "{:?}",
        service_file.dependency
    );
    // A client fetches the imports by name, as grpcurl does.
    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1::server_reflection_request::MessageRequest::FileByFilename(
                "google/api/annotations.proto".to_owned(),
            ),
        ),
    };
    let mut answers = client
        .server_reflection_info(tokio_stream_of(vec![request]))
        .await
        .unwrap()
        .into_inner();
    let Some(v1::server_reflection_response::MessageResponse::FileDescriptorResponse(files)) =
        answers.message().await.unwrap().unwrap().message_response
    else {
        panic!("annotations.proto is not served")
    };
    assert!(!files.file_descriptor_proto.is_empty());

    let mut alpha =
        v1alpha::server_reflection_client::ServerReflectionClient::new(channel(&server).await);
    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::ListServices(String::new()),
        ),
    };
    let mut answers = alpha
        .server_reflection_info(tokio_stream_of(vec![request]))
        .await
        .unwrap()
        .into_inner();
    let Some(v1alpha::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        answers.message().await.unwrap().unwrap().message_response
    else {
        panic!("not a service list")
    };
    assert!(list.service.iter().any(|s| s.name == TOKEN_SERVICE));
    server.stop().await;
}

/// A finite request stream without pulling in tokio-stream: every item at once, then the end.
fn tokio_stream_of<T: Send + 'static>(
    items: Vec<T>,
) -> impl tonic::codegen::tokio_stream::Stream<Item = T> + Send + 'static {
    tonic::codegen::tokio_stream::iter(items)
}

/// One gRPC-Web message frame (flag 0 = data) around an encoded protobuf message.
fn grpc_web_frame(message: &impl Message) -> Vec<u8> {
    let payload = message.encode_to_vec();
    let mut frame = vec![0u8];
    frame.extend((payload.len() as u32).to_be_bytes());
    frame.extend(payload);
    frame
}

/// Splits a gRPC-Web response body into its data messages and its trailer frame's text.
fn grpc_web_frames(body: &[u8]) -> (Vec<Vec<u8>>, String) {
    let mut messages = Vec::new();
    let mut trailers = String::new();
    let mut rest = body;
    while rest.len() >= 5 {
        let flag = rest[0];
        let length = u32::from_be_bytes(rest[1..5].try_into().unwrap()) as usize;
        let payload = &rest[5..5 + length];
        if flag & 0x80 != 0 {
            trailers.push_str(&String::from_utf8_lossy(payload));
        } else {
            messages.push(payload.to_vec());
        }
        rest = &rest[5 + length..];
    }
    assert!(rest.is_empty(), "trailing bytes in a gRPC-Web body");
    (messages, trailers)
}

#[tokio::test]
async fn grpc_web_over_http1_lists_tokens_and_reports_errors() {
    let server = TestServer::start().await;
    let call = |method: &str, frame: Vec<u8>| {
        server
            .http
            .post(format!("{}/{TOKEN_SERVICE}/{method}", server.base_url))
            .header("content-type", "application/grpc-web+proto")
            .header("x-grpc-web", "1")
            .header(
                "authorization",
                format!("Bearer {}", server.alice.access_token),
            )
            .header("new-api-user", server.alice.id.to_string())
            .body(frame)
            .send()
    };
    let response = call(
        "ListTokens",
        grpc_web_frame(&pb::ListTokensRequest {
            page: 1,
            page_size: 3,
            filter: None,
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_11);
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/grpc-web"));
    let (messages, trailers) = grpc_web_frames(&response.bytes().await.unwrap());
    assert!(trailers.contains("grpc-status:0"), "{trailers}");
    let page = pb::TokenPage::decode(messages[0].as_slice()).unwrap();
    assert_eq!(page.items.len(), 3);
    assert_eq!(page.total, 22);

    let response = call("GetToken", grpc_web_frame(&pb::GetTokenRequest { id: 900 }))
        .await
        .unwrap();
    let status = response.headers()["grpc-status"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(status, (Code::NotFound as i32).to_string(), "bob's token");
    server.stop().await;
}

#[tokio::test]
async fn every_invalid_argument_names_its_fields_with_bad_request_and_error_info() {
    let server = TestServer::start().await;
    let mut client = server.grpc().await;
    for (keyword, token, field) in [("%%ab", "", "keyword"), ("", "%a%b%c", "token")] {
        let request = search_in_english(&server, keyword, token);
        let status = client.search_tokens(request).await.expect_err("refused");
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let violations = &details.bad_request().expect("BadRequest").field_violations;
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].field, field);
        assert!(violations[0].reason.starts_with("search."));
        assert_eq!(
            violations[0].localized_message.as_ref().unwrap().locale,
            "en"
        );
        let info = details.error_info().expect("ErrorInfo");
        assert_eq!(info.domain, "tokenbatch");
        assert_eq!(info.reason, violations[0].reason);
    }

    let message = pb::BatchUpdateTokensRequest {
        ids: vec![],
        patch: Some(pb::TokenPatch {
            mj_image_mode: Some("sideways".into()),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["mj_image_mode".into()],
        }),
        ..Default::default()
    };
    let status = client
        .batch_update_tokens(server.grpc_request(&server.alice, message))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument);
    let details = status.get_error_details();
    let violations = &details.bad_request().unwrap().field_violations;
    let reasons: Vec<&str> = violations.iter().map(|v| v.reason.as_str()).collect();
    assert!(reasons.contains(&"ids.empty"), "{reasons:?}");
    assert!(
        violations.iter().any(|v| v.field == "mj_image_mode"),
        "{violations:?}"
    );
    assert_eq!(
        violations[0].localized_message.as_ref().unwrap().locale,
        "zh-CN",
        "Chinese by default"
    );
    assert_eq!(details.error_info().unwrap().reason, reasons[0]);
    server.stop().await;
}
