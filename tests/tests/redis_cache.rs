//! new-api's Redis token cache: entries of changed tokens are deleted after commit; Redis being down or the
//! secret missing never fails or rolls back a committed batch, and says so.

use serde_json::json;
use tokenbatch::serve::ServeOptions;
use tokenbatch::token_cache::{cache_key, TokenCache};
use tokenbatch_e2e::{body, random_secret, Engine, TestDatabase, TestServer};

const REDIS_URL: &str = "redis://127.0.0.1:6379";

async fn redis() -> redis::aio::MultiplexedConnection {
    redis::Client::open(REDIS_URL)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|e| {
            panic!("Redis at {REDIS_URL} is unreachable ({e}); start it (see .ci/run)")
        })
}

async fn exists(connection: &mut redis::aio::MultiplexedConnection, key: &str) -> bool {
    redis::cmd("EXISTS")
        .arg(key)
        .query_async::<i64>(connection)
        .await
        .unwrap()
        == 1
}

async fn server_with_cache(url: &str, secret: Option<String>) -> TestServer {
    let db = TestDatabase::create(Engine::Sqlite).await;
    let location = db.location.clone();
    let options = ServeOptions {
        token_cache: Some(TokenCache::new(url, secret).unwrap()),
        ..Default::default()
    };
    TestServer::start_with(db, &location, options).await
}

#[tokio::test]
async fn changed_tokens_leave_new_apis_cache_and_others_stay() {
    let secret = random_secret();
    let server = server_with_cache(REDIS_URL, Some(secret.clone())).await;
    let mut connection = redis().await;
    let mut cached = Vec::new();
    for id in [1, 2, 3] {
        let key = cache_key(secret.as_bytes(), &server.db.token_key(id).await);
        // The shape new-api's RedisHSetObj writes; only the key name matters here.
        redis::cmd("HSET")
            .arg(&key)
            .arg("Id")
            .arg(id)
            .arg("Group")
            .arg("default")
            .query_async::<i64>(&mut connection)
            .await
            .unwrap();
        redis::cmd("EXPIRE")
            .arg(&key)
            .arg(600)
            .query_async::<i64>(&mut connection)
            .await
            .unwrap();
        cached.push(key);
    }

    let (_, response, raw) = server
        .put_batch(
            &server.alice,
            &body(&[1, 2], r#""group":"vip""#, &["group"]),
        )
        .await;
    assert_eq!(response["data"], json!(2), "{raw}");
    assert_eq!(response["warnings"], json!([]), "{raw}");
    assert!(
        !exists(&mut connection, &cached[0]).await,
        "token 1's cache entry is gone"
    );
    assert!(
        !exists(&mut connection, &cached[1]).await,
        "token 2's cache entry is gone"
    );
    assert!(
        exists(&mut connection, &cached[2]).await,
        "token 3 was not in the batch"
    );
    redis::cmd("DEL")
        .arg(&cached[2])
        .query_async::<i64>(&mut connection)
        .await
        .unwrap();
    server.stop().await;
}

/// Caches `ids`' entries as new-api does (the key name is what matters) and answers their key names.
async fn cache_entries(
    server: &TestServer,
    connection: &mut redis::aio::MultiplexedConnection,
    secret: &str,
    ids: &[i64],
) -> Vec<String> {
    let mut keys = Vec::new();
    for id in ids {
        let key = cache_key(secret.as_bytes(), &server.db.token_key(*id).await);
        redis::cmd("HSET")
            .arg(&key)
            .arg("Id")
            .arg(*id)
            .query_async::<i64>(&mut *connection)
            .await
            .unwrap();
        keys.push(key);
    }
    keys
}

/// Root's batch across users (docs/SPEC.md §13) drops every owner's cached copies, and so does a revert
/// (§12): both go through the same invalidation as any batch.
#[tokio::test]
async fn roots_batches_and_reverts_leave_the_cache_too() {
    let secret = random_secret();
    let server = server_with_cache(REDIS_URL, Some(secret.clone())).await;
    let root = crate::root_lists::add_user(&server, "root", "default", 100).await;
    let mut connection = redis().await;
    let ids = [1, 900];
    let keys = cache_entries(&server, &mut connection, &secret, &ids).await;
    let text = json!({"ids": ids, "scope": "all_users", "update_fields": ["remain_quota"],
        "remain_quota": 4242})
    .to_string();
    let (_, applied, raw) = server.put_batch(&root, &text).await;
    assert_eq!(
        (&applied["data"], &applied["warnings"]),
        (&json!(2), &json!([])),
        "{raw}"
    );
    for key in &keys {
        assert!(
            !exists(&mut connection, key).await,
            "alice's and bob's entries are gone"
        );
    }

    let keys = cache_entries(&server, &mut connection, &secret, &ids).await;
    let change_id = applied["change_id"].as_i64().expect(&raw);
    let (status, reverted, raw) =
        crate::history_revert::revert(&server, &root, change_id, "").await;
    assert_eq!((status, &reverted["data"]), (200, &json!(2)), "{raw}");
    for key in &keys {
        assert!(
            !exists(&mut connection, key).await,
            "the revert dropped them again"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn redis_down_keeps_the_batch_and_warns() {
    let server = server_with_cache("redis://127.0.0.1:1", Some(random_secret())).await;
    let (status, response, raw) = server
        .put_batch(
            &server.alice,
            &body(&[1, 2], r#""remain_quota":7"#, &["remain_quota"]),
        )
        .await;
    assert_eq!((status, &response["success"]), (200, &json!(true)), "{raw}");
    assert_eq!(response["data"], json!(2));
    assert_eq!(
        response["warnings"][0]["code"],
        json!("cache.not_invalidated"),
        "{raw}"
    );
    assert!(
        response["message"].as_str().unwrap().contains("Redis"),
        "{raw}"
    );
    assert_eq!(
        server.row(1).await.remain_quota,
        7,
        "committed all the same"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_missing_secret_is_reported() {
    let server = server_with_cache(REDIS_URL, None).await;
    let (_, response, raw) = server
        .put_batch(
            &server.alice,
            &body(&[1], r#""remain_quota":9"#, &["remain_quota"]),
        )
        .await;
    assert_eq!(response["data"], json!(1), "{raw}");
    assert_eq!(
        response["warnings"][0]["code"],
        json!("cache.secret_missing"),
        "{raw}"
    );
    server.stop().await;
}
