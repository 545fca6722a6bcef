//! Plans (docs/SPEC.md §10) by filter, their pages and several instances, on every engine: a filter preview
//! pins what it selected and its apply needs no `expected_count`; the apply writes exactly the pinned tokens
//! (not those the filter selects only since); `GET /api/token/batch/plans/{id}` pages the preview's results
//! across the store's chunks; a plan made on one instance is read and applied on another, and racing applies
//! apply it once; a preview's `size` bounds its first page, and an apply answering counts replays counts.

use serde_json::{json, Value};
use tokenbatch::serve::ServeOptions;
use tokenbatch_e2e::{on_every_engine, Engine, TestServer};
use tokenbatch_rules::apply::{STATUS_DISABLED, STATUS_ENABLED};
use tokenbatch_store::Store;
use tokenbatch_testkit::seed;

use crate::plans::{apply, apply_at, preview, put_at};

const FIRST: i64 = 10_001;
/// Over two of the store's 1 000-result chunks.
const COUNT: i64 = 2_100;

fn ids_of(results: &Value) -> Vec<i64> {
    let items = results.as_array().expect("an array of results");
    items
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect()
}

async fn a_filter_plan_pages_its_results_and_writes_what_it_pinned(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let store = Store::open(&server.db.location).await.expect("open store");
    let carol = seed::add_user_with_tokens(&store, "carol", "default", FIRST..FIRST + COUNT, "c")
        .await
        .expect("carol and her tokens");
    store.close().await;
    let last = FIRST + COUNT - 1;
    let set_status =
        |id: i64, status: i64| format!("UPDATE tokens SET status = {status} WHERE id = {id}");
    server.execute(&set_status(last, STATUS_DISABLED)).await;

    let text = r#"{"filter": {"status": ["enabled"]}, "update_fields": ["model_limits"], "model_limits": "gpt-5"}"#;
    let (answer, plan_id) = preview(&server, &carol, text).await;
    let pinned = (COUNT - 1) as usize;
    assert_eq!(answer["plan"]["count"], json!(pinned), "{}", answer["plan"]);
    let results = ids_of(&answer["results"]);
    assert_eq!(results, (FIRST..last).collect::<Vec<_>>());

    let page = |query: String| {
        let (server, carol, plan_id) = (&server, &carol, &plan_id);
        async move {
            let path = format!("/api/token/batch/plans/{plan_id}?{query}");
            let (status, page, raw) = server.get(carol, &path).await;
            assert_eq!((status, &page["success"]), (200, &json!(true)), "{raw}");
            page
        }
    };
    let first = page("p=1&size=5".into()).await;
    assert_eq!(first["data"]["total"], json!(pinned));
    assert_eq!(
        first["data"]["items"],
        json!(answer["results"].as_array().unwrap()[..5])
    );
    assert_eq!(first["plan"]["applied"], json!(false));
    assert_eq!(first["plan"]["plan_id"], answer["plan"]["plan_id"]);
    // Across the boundary of the first chunk of 1 000, and the last, short page.
    let across = page("p=7&size=150".into()).await;
    assert_eq!(
        across["data"]["items"],
        json!(answer["results"].as_array().unwrap()[900..1050])
    );
    let tail = page("p=14&size=150".into()).await;
    assert_eq!(
        ids_of(&tail["data"]["items"]),
        (FIRST + 1950..last).collect::<Vec<_>>()
    );
    let past = page("p=15&size=150".into()).await;
    assert_eq!(past["data"]["items"], json!([]));
    let capped = page("page=0&size=5000".into()).await;
    assert_eq!(capped["data"]["page_size"], json!(1000));
    assert_eq!(capped["data"]["items"].as_array().unwrap().len(), 1000);

    // Since the preview: one pinned token no longer matches (status is new-api's, not fingerprinted), one
    // unpinned token matches now. The plan writes the pinned ones, without any expected_count.
    server.execute(&set_status(FIRST, STATUS_DISABLED)).await;
    server.execute(&set_status(last, STATUS_ENABLED)).await;
    let (status, _, applied, raw) = apply(&server, &carol, &plan_id).await;
    assert_eq!((status, &applied["data"]), (200, &json!(pinned)), "{raw}");
    assert_eq!(server.row(FIRST).await.model_limits, "gpt-5");
    assert_eq!(
        server.row(last).await.model_limits,
        "",
        "not pinned, not touched"
    );
    let read_back = page("p=1&size=1".into()).await;
    assert_eq!(read_back["plan"]["applied"], json!(true));

    // A filter selecting nothing keeps a plan of nothing, which applies to nothing.
    let none =
        r#"{"filter": {"group": "none"}, "update_fields": ["model_limits"], "model_limits": "x"}"#;
    let (answer, empty) = preview(&server, &carol, none).await;
    assert_eq!(
        (&answer["plan"]["count"], &answer["data"]),
        (&json!(0), &json!(0))
    );
    let (status, _, applied, raw) = apply(&server, &carol, &empty).await;
    assert_eq!((status, &applied["data"]), (200, &json!(0)), "{raw}");
    let (_, replayed, _, raw) = apply(&server, &carol, &empty).await;
    assert!(replayed, "{raw}");
    server.stop().await;
}

/// A plan made on one instance is paged and applied on another one on the same database; applies racing
/// on both apply it once, every other answering the same result as a replay.
async fn plans_are_shared_by_instances(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let second = tokenbatch::serve::start_with(
        "127.0.0.1:0".parse().unwrap(),
        &server.db.location,
        ServeOptions::default(),
    )
    .await
    .expect("a second instance starts");
    let second_url = format!("http://{}", second.addr);
    let alice = server.alice.clone();
    let ids = tokenbatch_e2e::alice_ids();
    let text = tokenbatch_e2e::body(&ids, r#""allow_ips":"192.168.0.0/16""#, &["allow_ips"]);
    let (answer, plan_id) = preview(&server, &alice, &text).await;
    let path = format!("{second_url}/api/token/batch/plans/{plan_id}?size=100");
    let request = server
        .http
        .get(path)
        .header("Authorization", &alice.access_token)
        .header("New-Api-User", alice.id.to_string());
    let (status, page, raw) = tokenbatch_e2e::send(request).await;
    assert_eq!(status, 200, "{raw}");
    assert_eq!(
        page["data"]["items"], answer["results"],
        "the same preview on the other instance"
    );

    let mut racing = Vec::new();
    for attempt in 0..8 {
        let base = match attempt % 2 {
            0 => server.base_url.clone(),
            _ => second_url.clone(),
        };
        let (http, alice, plan_id) = (server.http.clone(), alice.clone(), plan_id.clone());
        racing.push(tokio::spawn(async move {
            apply_at(&http, &base, &alice, &plan_id).await
        }));
    }
    let mut answers = Vec::new();
    for answer in racing {
        answers.push(answer.await.expect("an apply"));
    }
    let applied = answers
        .iter()
        .filter(|(_, replayed, _, _)| !replayed)
        .count();
    assert_eq!(applied, 1, "{answers:?}");
    for (status, _, answer, raw) in &answers {
        assert_eq!(*status, 200, "{raw}");
        assert_eq!(answer["data"], json!(ids.len()), "{raw}");
        assert_eq!(answer["results"], answers[0].2["results"], "{raw}");
    }
    for id in ids {
        assert_eq!(
            server.row(id).await.allow_ips,
            "192.168.0.0/16",
            "token {id}"
        );
    }
    second.stop().await.expect("second instance stops");
    server.stop().await;
}

/// A plan keeps its request, never a key: a `filter.key` pattern is stored masked as listed keys are, and
/// the plan still applies (to the tokens it pinned).
async fn a_plan_stores_no_key(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let key = server.db.token_key(3).await;
    let text = format!(
        r#"{{"filter": {{"key": "{key}"}}, "update_fields": ["model_limits"], "model_limits": "gpt-5"}}"#
    );
    let (answer, plan_id) = preview(&server, &server.alice, &text).await;
    assert_eq!(answer["plan"]["count"], json!(1), "{answer}");
    for table in ["tokenbatch_requests", "tokenbatch_plan_items"] {
        let columns = match table {
            "tokenbatch_requests" => "COALESCE(plan_request, '')",
            _ => "items",
        };
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE {columns} LIKE '%{key}%'");
        assert_eq!(server.db.integer(&sql).await, 0, "{table} holds the key");
    }
    let (_, _, applied, raw) = apply(&server, &server.alice, &plan_id).await;
    assert_eq!(applied["data"], json!(1), "{raw}");
    assert_eq!(server.row(3).await.model_limits, "gpt-5");
    server.stop().await;
}

/// `?size=N` makes a preview answer the first N results only (the rest are the plan's pages); without it, as
/// before pages, all of them. An apply without `details` answers counts, and so does its replay (the plan
/// keeps no per-token result for it); an apply with `details` replays its results (plans.rs).
async fn answers_carry_what_was_asked(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let alice = &server.alice;
    let ids = tokenbatch_e2e::alice_ids();
    let text = tokenbatch_e2e::body(&ids, r#""model_limits":"gpt-5""#, &["model_limits"]);
    let (all, _) = preview(&server, alice, &text).await;
    assert_eq!(all["results"].as_array().unwrap().len(), ids.len());
    let (http, base) = (&server.http, server.base_url.as_str());
    let (status, _, first, raw) = put_at(http, base, alice, &text, "?dry_run=true&size=2").await;
    assert_eq!((status, &first["data"]), (200, &json!(ids.len())), "{raw}");
    assert_eq!(
        first["results"],
        json!(all["results"].as_array().unwrap()[..2])
    );
    assert_eq!(first["plan"]["count"], json!(ids.len()));
    let plan_id = first["plan"]["plan_id"].as_str().unwrap();
    let path = format!("/api/token/batch/plans/{plan_id}?size=100");
    let (_, page, raw) = server.get(alice, &path).await;
    assert_eq!(page["data"]["items"], all["results"], "{raw}");
    let (_, _, none, raw) = put_at(http, base, alice, &text, "?dry_run=true&size=0").await;
    assert_eq!(
        (&none["results"], &none["data"]),
        (&json!([]), &json!(ids.len())),
        "{raw}"
    );

    let plan = json!({ "plan_id": plan_id }).to_string();
    let (status, replayed, applied, raw) = put_at(http, base, alice, &plan, "").await;
    assert_eq!((status, replayed), (200, false), "{raw}");
    assert_eq!(applied["data"], json!(ids.len()), "{raw}");
    assert!(applied.get("results").is_none(), "{raw}");
    server
        .execute("UPDATE tokens SET model_limits = 'later'")
        .await;
    let later = server.snapshot().await;
    let (status, replayed, again, raw) = apply(&server, alice, plan_id).await;
    assert_eq!((status, replayed), (200, true), "{raw}");
    assert_eq!(
        (&again["data"], &again["unchanged"]),
        (&applied["data"], &applied["unchanged"])
    );
    assert_eq!(
        again["results"],
        json!([]),
        "no per-token result was kept: {raw}"
    );
    assert_eq!(server.snapshot().await, later, "a replay writes nothing");
    server.stop().await;
}

on_every_engine!(
    answers_carry_what_was_asked,
    a_plan_stores_no_key,
    a_filter_plan_pages_its_results_and_writes_what_it_pinned,
    plans_are_shared_by_instances,
);
