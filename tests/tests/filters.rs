//! Selection by filter on list and search (docs/SPEC.md §9): the query parameters select, on every engine,
//! exactly the tokens the rules crate's model (`TokenFilter::matches`) selects from the same rows; soft-deleted
//! and other users' tokens never; bad parameters are refused with the rules' codes; `user_id` is root's only.
//! Batches by filter and the store's selection limit, on the same tokens: filter_batches.rs.

use serde_json::{json, Value};
use tokenbatch_e2e::{on_every_engine, Engine, TestServer};
use tokenbatch_proto::token_v1 as pb;
use tokenbatch_rules::apply::TokenState;
use tokenbatch_rules::filter::{read_filter_query, FilterKey, FilterRow, TextPattern};
use tokenbatch_store::{NewToken, Store};
use tokenbatch_testkit::seed::{self, User};
use tonic::Code;
use tonic_types::StatusExt;

const FIRST_ID: i64 = 5_001;
const COUNT: i64 = 60;
/// Tokens soft-deleted after seeding: they match many filters and must never be selected.
const DELETED: [i64; 3] = [5_002, 5_013, 5_030];

/// A spread of every column a filter reads, from the token's index.
fn varied_token(user_id: i64, index: i64) -> NewToken {
    let id = FIRST_ID + index;
    let pick = |options: &[&str], by: i64| options[(by as usize) % options.len()].to_owned();
    NewToken {
        id: Some(id),
        user_id,
        key: format!(
            "{}k{index:03}{}",
            pick(&["Ab", "ab", "CD"], index),
            "x".repeat(40)
        ),
        name: format!("{}-{index}", pick(&["Web", "web", "api"], index)),
        created_time: 1_700_000_000 + index * 100,
        used_quota: 0,
        state: TokenState {
            status: 1 + index % 4,
            group: pick(&["default", "vip", "svip", "default,vip", ""], index),
            expired_time: [-1, 1_700_000_000 + index * 1_000, 1_800_000_000 + index]
                [(index % 3) as usize],
            remain_quota: index * 10_000,
            unlimited_quota: index % 6 == 0,
            model_limits: pick(&["", "gpt-4o", "gpt-4o,gpt-4.1", "gpt-4o-mini"], index / 2),
            ..TokenState::default()
        },
    }
}

pub(crate) struct Seeded {
    pub(crate) server: TestServer,
    pub(crate) carol: User,
    tokens: Vec<NewToken>,
    like_ignores_case: bool,
}

pub(crate) async fn seeded(engine: Engine) -> Seeded {
    let server = TestServer::start_on(engine).await;
    let store = Store::open(&server.db.location).await.expect("open store");
    let carol = seed::add_user(&store, "carol", "default")
        .await
        .expect("carol");
    let tokens: Vec<NewToken> = (0..COUNT)
        .map(|index| varied_token(carol.id, index))
        .collect();
    store.insert_tokens(&tokens).await.expect("carol's tokens");
    store.close().await;
    let deleted: Vec<String> = DELETED.iter().map(i64::to_string).collect();
    server
        .db
        .execute(&format!(
            "UPDATE tokens SET deleted_at = CURRENT_TIMESTAMP WHERE id IN ({})",
            deleted.join(", ")
        ))
        .await;
    Seeded {
        server,
        carol,
        tokens,
        like_ignores_case: engine != Engine::Postgres,
    }
}

/// The query string as (name, value) pairs, percent-decoding only what these tests use.
fn params(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (
                name.to_owned(),
                value.replace("%25", "%").replace("%2C", ","),
            )
        })
        .collect()
}

/// What the model selects for `query` on `route` ("" or "search").
pub(crate) fn expected_ids(seeded: &Seeded, route: &str, query: &str) -> Vec<i64> {
    let params = params(query);
    let pairs = params
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()));
    let mut filter = read_filter_query(pairs).expect("the test's filter is valid");
    if route == "search" {
        for (name, value) in &params {
            match name.as_str() {
                "keyword" => filter.name = Some(TextPattern::new(value, FilterKey::Name).unwrap()),
                "token" => filter.key = Some(TextPattern::new(value, FilterKey::Key).unwrap()),
                _ => {}
            }
        }
    }
    let mut ids: Vec<i64> = seeded
        .tokens
        .iter()
        .filter(|token| !DELETED.contains(&token.id.unwrap()))
        .filter(|token| {
            let row = FilterRow {
                user_id: token.user_id,
                name: &token.name,
                key: &token.key,
                status: token.state.status,
                group: &token.state.group,
                model_limits: &token.state.model_limits,
                expired_time: token.state.expired_time,
                accessed_time: token.created_time,
                created_time: token.created_time,
                remain_quota: token.state.remain_quota,
                unlimited_quota: token.state.unlimited_quota,
            };
            filter.matches(&row, seeded.carol.id, seeded.like_ignores_case)
        })
        .map(|token| token.id.unwrap())
        .collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids
}

pub(crate) async fn served_ids(seeded: &Seeded, route: &str, query: &str) -> (Vec<i64>, Value) {
    let path = format!("/api/token/{route}?{query}&size=100");
    let (status, answer, raw) = seeded.server.get(&seeded.carol, &path).await;
    assert_eq!(status, 200, "{path}: {raw}");
    assert_eq!(answer["success"], json!(true), "{path}: {raw}");
    let ids = answer["data"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["id"].as_i64().expect("id"))
        .collect();
    (ids, answer["data"]["total"].clone())
}

async fn list_and_search_select_what_the_model_selects(engine: Engine) {
    let seeded = seeded(engine).await;
    let cases = [
        ("", ""),
        ("", "status=1%2C3"),
        ("", "status=enabled"),
        ("", "group=vip"),
        ("", "group="),
        ("", "model=gpt-4o"),
        ("", "expires_before=1750000000"),
        ("", "expires_after=1750000000"),
        ("", "never_expires=true"),
        ("", "created_after=1700002000&created_before=1700004000"),
        ("", "accessed_before=1700003000"),
        ("", "remain_quota_below=200000&unlimited_quota=false"),
        ("", "remain_quota_at_least=300000"),
        ("", "name=web%25"),
        ("", "key=sk-ab%25"),
        ("", "status=1&group=default&never_expires=false"),
        ("search", "keyword=web%25"),
        ("search", "keyword=api%25&status=2%2C4"),
        ("search", "token=CD%25&group=svip"),
    ];
    let mut selected_somewhere = 0;
    for (route, query) in cases {
        let expected = expected_ids(&seeded, route, query);
        let (ids, total) = served_ids(&seeded, route, query).await;
        assert_eq!(ids, expected, "{route}?{query} on {engine:?}");
        assert_eq!(total, json!(expected.len()), "{route}?{query} total");
        assert!(
            ids.iter().all(|id| !DELETED.contains(id)),
            "{route}?{query}"
        );
        if !ids.is_empty() && ids.len() < (COUNT as usize - DELETED.len()) {
            selected_somewhere += 1;
        }
    }
    // The cases narrow the selection, so a filter that selected all or nothing would be noticed.
    assert!(
        selected_somewhere >= 15,
        "only {selected_somewhere} cases selected a strict subset"
    );
    seeded.server.stop().await;
}

async fn bad_filters_are_refused_with_the_rules_codes(engine: Engine) {
    let seeded = seeded(engine).await;
    for (path, code) in [
        ("/api/token/?status=9&lang=en", "filter.status_invalid"),
        (
            "/api/token/?expires_before=1790000000000",
            "filter.time_range",
        ),
        ("/api/token/?never_expires=yes", "filter.type"),
        ("/api/token/?group=a%2Cb", "filter.entry_invalid"),
        (
            "/api/token/search?keyword=web&name=api",
            "body.duplicate_key",
        ),
        (
            "/api/token/search?name=%25%25ab",
            "search.consecutive_wildcards",
        ),
    ] {
        let (status, answer, raw) = seeded.server.get(&seeded.carol, path).await;
        assert_eq!(status, 200, "{path}: {raw}");
        assert_eq!(answer["success"], json!(false), "{path}: {raw}");
        assert_eq!(answer["code"], json!(code), "{path}: {raw}");
    }
    let (_, answer, _) = seeded
        .server
        .get(&seeded.carol, "/api/token/?status=9&lang=en")
        .await;
    assert_eq!(
        answer["message"],
        json!("\"9\" in filter.status is not a token status: use 1-4 or \"enabled\", \"disabled\", \"expired\", \"exhausted\".")
    );
    seeded.server.stop().await;
}

async fn user_id_is_roots_only(engine: Engine) {
    let seeded = seeded(engine).await;
    let own = format!("/api/token/?user_id={}", seeded.carol.id);
    for path in [
        own.as_str(),
        "/api/token/?user_id=*",
        "/api/token/search?user_id=1&keyword=x",
    ] {
        let (status, answer, raw) = seeded.server.get(&seeded.carol, path).await;
        assert_eq!(status, 403, "{path}: {raw}");
        assert_eq!(answer["success"], json!(false), "{path}: {raw}");
        assert_eq!(
            answer["code"],
            json!("AUTH_INSUFFICIENT_PRIVILEGE"),
            "{path}: {raw}"
        );
        assert!(
            answer.get("data").is_none_or(|data| !data.is_object()),
            "{path}: nothing revealed: {raw}"
        );
    }
    seeded.server.stop().await;
}

async fn grpc_lists_and_searches_with_the_same_filter(engine: Engine) {
    let seeded = seeded(engine).await;
    let mut client = seeded.server.grpc().await;
    let vip_with_expiry = pb::TokenFilter {
        group: Some("vip".into()),
        never_expires: Some(false),
        ..pb::TokenFilter::default()
    };
    let request = pb::ListTokensRequest {
        page: 1,
        page_size: 100,
        filter: Some(vip_with_expiry.clone()),
        ..Default::default()
    };
    let page = client
        .list_tokens(seeded.server.grpc_request(&seeded.carol, request))
        .await
        .expect("listed")
        .into_inner();
    let ids: Vec<i64> = page.items.iter().map(|token| token.id).collect();
    let expected = expected_ids(&seeded, "", "group=vip&never_expires=false");
    assert!(!expected.is_empty());
    assert_eq!((ids, page.total), (expected.clone(), expected.len() as i64));

    let request = pb::SearchTokensRequest {
        keyword: "web%".into(),
        token: String::new(),
        page: 1,
        page_size: 100,
        filter: Some(pb::TokenFilter {
            status: vec!["enabled".into(), "2".into()],
            ..pb::TokenFilter::default()
        }),
        ..Default::default()
    };
    let page = client
        .search_tokens(seeded.server.grpc_request(&seeded.carol, request))
        .await
        .expect("searched")
        .into_inner();
    let ids: Vec<i64> = page.items.iter().map(|token| token.id).collect();
    assert_eq!(
        ids,
        expected_ids(&seeded, "search", "keyword=web%25&status=1%2C2")
    );

    let refused = pb::ListTokensRequest {
        page: 1,
        page_size: 10,
        filter: Some(pb::TokenFilter {
            status: vec!["9".into()],
            ..pb::TokenFilter::default()
        }),
        ..Default::default()
    };
    let status = client
        .list_tokens(seeded.server.grpc_request(&seeded.carol, refused))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let violations = status
        .get_details_bad_request()
        .expect("field violations")
        .field_violations;
    assert_eq!(violations[0].field, "filter.status");
    assert_eq!(violations[0].reason, "filter.status_invalid");

    let everyone = pb::ListTokensRequest {
        page: 1,
        page_size: 10,
        filter: Some(pb::TokenFilter {
            user_id: Some("*".into()),
            ..pb::TokenFilter::default()
        }),
        ..Default::default()
    };
    let status = client
        .list_tokens(seeded.server.grpc_request(&seeded.carol, everyone))
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    seeded.server.stop().await;
}

on_every_engine!(
    list_and_search_select_what_the_model_selects,
    bad_filters_are_refused_with_the_rules_codes,
    user_id_is_roots_only,
    grpc_lists_and_searches_with_the_same_filter,
);
