//! Batches by filter (docs/SPEC.md §9) on every engine, over the varied tokens of filters.rs: applied only with
//! the count the filter selects right now, and then to exactly the tokens the rules' model selects; refusals
//! write nothing; the store pins at most its limit of ids.

use serde_json::json;
use tokenbatch_e2e::{on_every_engine, Engine};
use tokenbatch_rules::filter::read_filter_query;
use tokenbatch_store::Store;

use crate::filters::{expected_ids, seeded, served_ids};

/// `PUT /api/token/batch` with a `filter` (docs/SPEC.md §9): applied only with the count the filter selects
/// right now, and then to exactly those tokens; refusals write nothing.
async fn a_batch_by_filter_needs_the_count_and_writes_exactly_the_selection(engine: Engine) {
    let seeded = seeded(engine).await;
    let (server, carol) = (&seeded.server, &seeded.carol);
    let body = |extra: &str| {
        format!(
            r#"{{"filter": {{"group": "vip", "never_expires": false}}, {extra}
                "update_fields": ["model_limits"], "model_limits": "gpt-5"}}"#
        )
    };
    let selected = expected_ids(&seeded, "", "group=vip&never_expires=false");
    let count = selected.len();
    assert!(count >= 3, "the filter selects a few tokens: {count}");
    let written = || served_ids(&seeded, "", "model=gpt-5");

    let (_, answer, raw) = server.put_batch_with(carol, &body(""), "?lang=en").await;
    assert_eq!(answer["code"], json!("filter.count_required"), "{raw}");
    let hint = format!("\"expected_count\": {count}");
    assert!(answer["message"].as_str().unwrap().contains(&hint), "{raw}");
    let wrong = body(&format!(r#""expected_count": {},"#, count + 1));
    let (_, answer, raw) = server.put_batch(carol, &wrong).await;
    assert_eq!(answer["code"], json!("filter.count_mismatch"), "{raw}");
    assert!(written().await.0.is_empty(), "refusals write nothing");

    let (_, preview, raw) = server
        .put_batch_with(carol, &body(""), "?validate_only=true")
        .await;
    assert_eq!(
        preview["success"],
        json!(true),
        "a dry run needs no count: {raw}"
    );
    assert_eq!(preview["data"], json!(count), "{raw}");
    assert!(written().await.0.is_empty(), "a dry run writes nothing");

    let right = body(&format!(r#""expected_count": {count},"#));
    let (_, applied, raw) = server.put_batch(carol, &right).await;
    assert_eq!(applied["success"], json!(true), "{raw}");
    assert_eq!(applied["data"], json!(count), "{raw}");
    assert_eq!(
        written().await.0,
        selected,
        "exactly the selection, on {engine:?}"
    );

    let nothing = r#"{"filter": {"group": "no-such-group"}, "expected_count": 0,
                      "update_fields": ["model_limits"], "model_limits": "x"}"#;
    let (_, answer, raw) = server.put_batch(carol, nothing).await;
    assert_eq!(
        (answer["success"].clone(), answer["data"].clone()),
        (json!(true), json!(0)),
        "{raw}"
    );

    for (body, code, status) in [
        (
            r#"{"ids": [5001], "filter": {}, "update_fields": ["model_limits"], "model_limits": "x"}"#,
            "selection.ambiguous",
            200,
        ),
        (
            r#"{"filter": {"user_id": "*"}, "expected_count": 1, "update_fields": ["model_limits"], "model_limits": "x"}"#,
            "AUTH_INSUFFICIENT_PRIVILEGE",
            403,
        ),
        (
            r#"{"ids": [5001], "expected_count": 1, "update_fields": ["model_limits"], "model_limits": "x"}"#,
            "expected_count.without_filter",
            200,
        ),
    ] {
        let (code_seen, answer, raw) = server.put_batch(carol, body).await;
        assert_eq!(
            (code_seen, answer["code"].clone()),
            (status, json!(code)),
            "{raw}"
        );
    }
    assert_eq!(
        written().await.0,
        selected,
        "and the refusals after it wrote nothing either"
    );
    seeded.server.stop().await;
}

/// The store pins at most its limit of ids; past it, it says how many the filter selects and pins none
/// (the application's `filter.too_many`, whose real limit of 100 000 this exercises with a small one).
async fn the_selection_limit_counts_what_it_refuses(engine: Engine) {
    let seeded = seeded(engine).await;
    let store = Store::open(&seeded.server.db.location)
        .await
        .expect("open store");
    let every = read_filter_query([]).expect("the empty filter");
    let live = expected_ids(&seeded, "", "");
    let (ids, count) = store
        .select_token_ids(seeded.carol.id, &every, live.len())
        .await
        .unwrap();
    let mut ascending = live.clone();
    ascending.sort_unstable();
    assert_eq!((ids, count), (ascending, live.len()));
    let (ids, count) = store
        .select_token_ids(seeded.carol.id, &every, live.len() - 1)
        .await
        .unwrap();
    assert_eq!(
        (ids.len(), count),
        (0, live.len()),
        "over the limit: counted, none pinned"
    );
    store.close().await;
    seeded.server.stop().await;
}

on_every_engine!(
    a_batch_by_filter_needs_the_count_and_writes_exactly_the_selection,
    the_selection_limit_counts_what_it_refuses,
);
