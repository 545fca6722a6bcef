//! Inputs the fuzzers (`fuzz/`, docs/RELIABILITY.md "Fuzzing") found to break the service, kept as tests of the
//! normal suite so they stay fixed on every engine.

use serde_json::json;
use tokenbatch_e2e::{on_every_engine, Engine, TestServer};

/// `http_handler`: a page number near i64::MAX made the offset `(page - 1) * size` overflow, a panic (debug
/// builds) or a wrapped, negative OFFSET the database refuses (release builds). A page past the end is empty.
async fn a_huge_page_number_is_an_empty_page(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let before = server.snapshot().await;
    for path in [
        "/api/token/?p=9223372036854775807&size=100",
        "/api/token/?p=92233720368547758&size=100",
        "/api/token/search?keyword=token-1%25&p=9223372036854775807&size=7",
        "/api/token/?page=9223372036854775807",
    ] {
        let (status, response, raw) = server.get(&server.alice, path).await;
        assert_eq!(status, 200, "{path}: {raw}");
        assert_eq!(response["success"], json!(true), "{path}: {raw}");
        assert_eq!(response["data"]["items"], json!([]), "{path}: {raw}");
        assert!(response["data"]["total"].as_i64().unwrap() > 0, "{raw}");
    }
    let (_, first, raw) = server
        .get(&server.alice, "/api/token/?p=-9223372036854775808")
        .await;
    assert_eq!(first["data"]["page"], json!(1), "{raw}");
    assert_eq!(server.snapshot().await, before);
    server.stop().await;
}

on_every_engine!(a_huge_page_number_is_an_empty_page);
