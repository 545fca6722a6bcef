//! Search patterns with control characters: refused with `search.control_char` over HTTP and gRPC on every
//! engine (PostgreSQL cannot receive a NUL in a text parameter: before the rule it answered 500 / INTERNAL).

use serde_json::json;
use tokenbatch_e2e::{on_every_engine, Engine, TestServer};
use tokenbatch_proto::token_v1 as pb;
use tonic::Code;
use tonic_types::StatusExt;

async fn http_search_refuses_control_characters(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    for query in [
        "keyword=%00",
        "keyword=ab%00",
        "keyword=a%00b%25",
        "token=%00",
        "token=sk-ab%00",
        "keyword=token-1&token=a%0Ab",
        "keyword=a%1Fb",
    ] {
        let path = format!("/api/token/search?{query}&lang=en");
        let (status, answer, raw) = server.get(&server.alice, &path).await;
        assert_eq!(status, 200, "{query}: {raw}");
        assert_eq!(answer["success"], json!(false), "{query}: {raw}");
        assert_eq!(
            answer["code"],
            json!("search.control_char"),
            "{query}: {raw}"
        );
        let message = answer["message"].as_str().unwrap();
        assert!(
            message.contains("control character U+00"),
            "{query}: {message}"
        );
    }
    let (_, chinese, raw) = server
        .get(&server.alice, "/api/token/search?keyword=%00")
        .await;
    assert_eq!(
        chinese["message"],
        json!(
            "搜索内容含有控制字符 U+0000（如 NUL、换行）：令牌名称和密钥中没有这类字符，请删除它"
        ),
        "{raw}"
    );
    // The same search without the control character still works.
    let (_, found, raw) = server
        .get(&server.alice, "/api/token/search?keyword=token-873")
        .await;
    assert_eq!(found["data"]["total"], json!(1), "{raw}");
    server.stop().await;
}

/// Alice's gRPC search for `keyword` and `token`, its refusals asked in English.
pub(crate) fn search_in_english(
    server: &TestServer,
    keyword: &str,
    token: &str,
) -> tonic::Request<pb::SearchTokensRequest> {
    let mut request = server.grpc_request(
        &server.alice,
        pb::SearchTokensRequest {
            keyword: keyword.into(),
            token: token.into(),
            page: 1,
            page_size: 10,
            filter: None,
            ..Default::default()
        },
    );
    request
        .metadata_mut()
        .insert("accept-language", "en".parse().unwrap());
    request
}

async fn grpc_search_refuses_control_characters(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let mut client = server.grpc().await;
    for (keyword, token, field) in [
        ("a\0b", "", "keyword"),
        ("\0", "", "keyword"),
        ("", "ab\0", "token"),
        ("token-1", "sk-a\nb", "token"),
    ] {
        let request = search_in_english(&server, keyword, token);
        let status = client.search_tokens(request).await.expect_err("refused");
        assert_eq!(
            status.code(),
            Code::InvalidArgument,
            "{keyword:?} {token:?}: {status:?}"
        );
        let details = status.get_error_details();
        let violations = &details.bad_request().expect("BadRequest").field_violations;
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].field, field);
        assert_eq!(violations[0].reason, "search.control_char");
        assert!(status.message().contains("control character"), "{status:?}");
    }
    server.stop().await;
}

on_every_engine!(
    http_search_refuses_control_characters,
    grpc_search_refuses_control_characters,
);
