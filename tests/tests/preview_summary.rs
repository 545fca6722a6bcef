//! A preview's per-column summary (`summary` of a dry run's answer, gRPC `changed_by_column` and
//! `status_after`), on every engine: counted over every token of the plan, not only the answered page, and
//! equal both to what the plan's own pages show token by token and to what the rows say.

use std::collections::BTreeMap;

use serde_json::json;
use tokenbatch_e2e::{on_every_engine, Engine, TestServer};
use tokenbatch_proto::token_v1 as pb;
use tokenbatch_rules::apply::STATUS_DISABLED;
use tokenbatch_store::Store;
use tokenbatch_testkit::seed;

use crate::plans::put_at;

const FIRST: i64 = 20_001;
/// Over two of the plan's 1 000-result pages.
const COUNT: i64 = 2_300;

async fn a_preview_counts_its_changes_per_column_over_all_its_tokens(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let store = Store::open(&server.db.location).await.expect("open store");
    let dora = seed::add_user_with_tokens(&store, "dora", "default", FIRST..FIRST + COUNT, "d")
        .await
        .expect("dora and her tokens");
    store.close().await;
    let last = FIRST + COUNT - 1;
    // 150 tokens already without quota, 40 already disabled (30 of them among those 150).
    server
        .execute(&format!(
            "UPDATE tokens SET remain_quota = 0 WHERE id BETWEEN {FIRST} AND {}",
            FIRST + 149
        ))
        .await;
    server
        .execute(&format!(
            "UPDATE tokens SET status = {STATUS_DISABLED} WHERE id BETWEEN {} AND {}",
            FIRST + 120,
            FIRST + 159
        ))
        .await;
    let text = r#"{"filter": {"name": "d-%"}, "update_fields": ["remain_quota", "status"],
                   "remain_quota": 0, "status": "disabled"}"#;
    let (status, _, answer, raw) = put_at(
        &server.http,
        &server.base_url,
        &dora,
        text,
        "?dry_run=true&size=10",
    )
    .await;
    assert_eq!((status, &answer["success"]), (200, &json!(true)), "{raw}");
    assert_eq!(
        answer["results"].as_array().map(Vec::len),
        Some(10),
        "{raw}"
    );
    let summary = &answer["summary"];
    // From the rows: who gets another quota, who gets disabled.
    let expected = json!({
        "fields": {"status": COUNT - 40, "remain_quota": COUNT - 150},
        "statuses": {STATUS_DISABLED.to_string(): COUNT - 40},
    });
    assert_eq!(summary, &expected, "{raw}");
    let keys: Vec<&String> = summary["fields"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["status", "remain_quota"], "the field table's order");

    // The same counts from the plan's pages, token by token.
    let plan_id = answer["plan"]["plan_id"].as_str().expect(&raw);
    let mut fields: BTreeMap<String, i64> = BTreeMap::new();
    let mut statuses: BTreeMap<String, i64> = BTreeMap::new();
    let mut seen = 0;
    for page in 1.. {
        let path = format!("/api/token/batch/plans/{plan_id}?p={page}&size=1000");
        let (status, body, raw) = server.get(&dora, &path).await;
        assert_eq!(status, 200, "{raw}");
        let items = body["data"]["items"].as_array().expect(&raw).clone();
        if items.is_empty() {
            break;
        }
        for item in &items {
            seen += 1;
            let (before, after) = (&item["before"], &item["after"]);
            for (name, value) in before.as_object().unwrap() {
                if after[name] != *value {
                    *fields.entry(name.clone()).or_default() += 1;
                }
            }
            if before["status"] != after["status"] {
                *statuses.entry(after["status"].to_string()).or_default() += 1;
            }
        }
    }
    assert_eq!(seen, COUNT);
    assert_eq!(
        json!(fields),
        json!({"remain_quota": COUNT - 150, "status": COUNT - 40})
    );
    assert_eq!(json!(statuses), expected["statuses"]);
    assert_eq!(
        server.get(&dora, &format!("/api/token/{last}")).await.1["data"]["status"],
        json!(1)
    );

    // gRPC: the same counts; an applied batch (or a replay) has none.
    let mut client = server.grpc().await;
    let request = |validate_only| pb::BatchUpdateTokensRequest {
        ids: (FIRST..=last).collect(),
        patch: Some(pb::TokenPatch {
            remain_quota: Some(0),
            status: Some(STATUS_DISABLED as i32),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["remain_quota".into(), "status".into()],
        }),
        validate_only,
        ..Default::default()
    };
    let preview = client
        .batch_update_tokens(server.grpc_request(&dora, request(true)))
        .await
        .expect("a preview")
        .into_inner();
    let by_column: BTreeMap<String, i64> = preview.changed_by_column.into_iter().collect();
    assert_eq!(json!(by_column), json!(fields));
    let after: Vec<(i32, i64)> = preview.status_after.into_iter().collect();
    assert_eq!(after, vec![(STATUS_DISABLED as i32, COUNT - 40)]);
    let applied = client
        .batch_update_tokens(server.grpc_request(&dora, request(false)))
        .await
        .expect("the batch")
        .into_inner();
    // Every token but the 30 already without quota and disabled.
    assert_eq!(applied.changed, COUNT - 30);
    assert!(applied.changed_by_column.is_empty() && applied.status_after.is_empty());
    let (_, _, answer, raw) = put_at(&server.http, &server.base_url, &dora, text, "").await;
    assert_eq!(
        answer["success"],
        json!(false),
        "a filter batch needs its count: {raw}"
    );
    let ids =
        json!({"ids": [FIRST], "update_fields": ["remain_quota"], "remain_quota": 5}).to_string();
    let (_, _, answer, raw) = put_at(&server.http, &server.base_url, &dora, &ids, "").await;
    assert_eq!(answer["data"], json!(1), "{raw}");
    assert!(
        answer.get("summary").is_none(),
        "only a preview has one: {raw}"
    );
}

on_every_engine!(a_preview_counts_its_changes_per_column_over_all_its_tokens);
