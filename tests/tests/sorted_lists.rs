//! Sorted token lists (`sort` and `order` on `GET /api/token/`, `GET /api/token/search` and gRPC's
//! `ListTokens` / `SearchTokens`), on every engine: each key in both directions is the order this file computes
//! in Rust from the rows (never-expiring last ascending, names by their UTF-8 bytes, equal values by id in the
//! same direction, NULLs as new-api's defaults), pages are consecutive and disjoint slices of it, filters,
//! search and root's `user_id` keep it, and bad values are refused with 400 / INVALID_ARGUMENT naming the
//! parameter and the allowed values, in both languages.

use serde_json::json;
use tokenbatch_e2e::{on_every_engine, Engine};
use tokenbatch_proto::token_v1 as pb;
use tonic::Code;
use tonic_types::StatusExt;

use crate::root_lists::add_user;

mod fixture;
use fixture::{direction, model_order, page, seeded, Row, Seeded, COUNT, KEYS};

async fn every_key_sorts_both_ways_like_the_model(engine: Engine) {
    let Seeded { server, dora, rows } = seeded(engine).await;
    let by_id: Vec<i64> = rows.iter().map(|row| row.id).collect();
    for key in KEYS {
        // The fixture can tell: ties to break, and an order other than the ids' (but for `id` itself).
        let ascending_order = model_order(&rows, key, true);
        if key != "id" {
            assert_ne!(
                ascending_order, by_id,
                "{key}: the fixture sorts like its ids"
            );
            let values_repeat = rows
                .iter()
                .enumerate()
                .any(|(i, a)| rows[i + 1..].iter().any(|b| a.compare(b, key).is_eq()));
            assert!(values_repeat, "{key}: no tie to break");
        }
        for ascending in [true, false] {
            let expected = model_order(&rows, key, ascending);
            let order = direction(ascending);
            let path = format!("/api/token/?sort={key}&order={order}&size=100");
            let (ids, total, _) = page(&server, &dora, &path).await;
            assert_eq!(ids, expected, "{path} on {engine:?}");
            assert_eq!(total, COUNT, "{path}");

            let first = format!("/api/token/?sort={key}&order={order}&p=1&size=7");
            let second = format!("/api/token/?sort={key}&order={order}&p=2&size=7");
            let (mut paged, _, _) = page(&server, &dora, &first).await;
            let (next, total, _) = page(&server, &dora, &second).await;
            assert!(
                next.iter().all(|id| !paged.contains(id)),
                "{second}: overlaps page 1"
            );
            paged.extend(next);
            assert_eq!(paged, expected[..14], "{first} then p=2");
            assert_eq!(total, COUNT, "{second}");
        }
        // Without `order`: descending, new-api's default direction.
        let path = format!("/api/token/?sort={key}&size=100");
        let (ids, _, _) = page(&server, &dora, &path).await;
        assert_eq!(ids, model_order(&rows, key, false), "{path}");
    }
    let (_, _, items) = page(&server, &dora, "/api/token/?sort=expired_time&size=3").await;
    assert_eq!(
        items[0]["expired_time"],
        json!(-1),
        "never expiring first descending"
    );

    // Absent, empty and `id desc` answer the same bytes: new-api's newest first.
    let mut answers = Vec::new();
    for query in ["", "&sort=&order=", "&sort=id&order=desc", "&order=desc"] {
        let (_, _, raw) = server
            .get(&dora, &format!("/api/token/?p=2&size=6{query}"))
            .await;
        answers.push(raw);
    }
    assert!(answers.iter().all(|raw| *raw == answers[0]), "{answers:#?}");
    let (ids, _, _) = page(&server, &dora, "/api/token/?p=1&size=100").await;
    assert_eq!(ids, model_order(&rows, "id", false));
    let (ids, _, _) = page(&server, &dora, "/api/token/?order=asc&size=100").await;
    assert_eq!(ids, by_id, "order alone sorts by id");
    server.stop().await;
}

async fn filters_search_and_roots_scope_keep_the_order(engine: Engine) {
    let Seeded { server, dora, rows } = seeded(engine).await;
    let keep = |pick: &dyn Fn(&Row) -> bool| -> Vec<Row> {
        rows.iter().filter(|row| pick(row)).cloned().collect()
    };
    let enabled_or_disabled = keep(&|row| row.status <= 2);
    let path = "/api/token/?status=1%2C2&sort=remain_quota&order=asc&size=100";
    let (ids, total, _) = page(&server, &dora, path).await;
    assert_eq!(
        ids,
        model_order(&enabled_or_disabled, "remain_quota", true),
        "{path}"
    );
    assert_eq!(total, enabled_or_disabled.len() as i64);
    assert!(total > 5 && total < COUNT, "the filter narrows: {total}");

    let srt = keep(&|row| row.key.starts_with("srt"));
    let expected = model_order(&srt, "name", false);
    let path = "/api/token/search?token=srt%25&sort=name&order=desc&size=100";
    let (ids, total, _) = page(&server, &dora, path).await;
    assert_eq!((ids, total), (expected.clone(), srt.len() as i64), "{path}");
    let path = "/api/token/search?token=srt%25&sort=name&order=desc&p=2&size=5";
    let (ids, _, _) = page(&server, &dora, path).await;
    assert_eq!(ids, expected[5..10], "{path}");

    // Root over every user: the order of the rows the unsorted list shows, each with its owner's name.
    let root = add_user(&server, "root", "default", 100).await;
    let (_, everyone_total, items) = page(&server, &root, "/api/token/?user_id=*&size=100").await;
    let everyone: Vec<Row> = items.iter().map(Row::from_json).collect();
    assert_eq!(everyone_total, everyone.len() as i64);
    assert!(
        everyone.len() > COUNT as usize,
        "alice's and bob's tokens too"
    );
    for (key, ascending) in [
        ("expired_time", false),
        ("name", true),
        ("used_quota", true),
    ] {
        let order = direction(ascending);
        let path = format!("/api/token/?user_id=*&sort={key}&order={order}&size=100");
        let (ids, total, items) = page(&server, &root, &path).await;
        assert_eq!(
            ids,
            model_order(&everyone, key, ascending),
            "{path} on {engine:?}"
        );
        assert_eq!(total, everyone_total, "{path}");
        assert!(
            items.iter().all(|item| item["username"].is_string()),
            "{path}"
        );
    }
    let path = format!(
        "/api/token/search?user_id={}&token=srt%25&sort=status&order=asc&size=100",
        dora.id
    );
    let (ids, _, _) = page(&server, &root, &path).await;
    assert_eq!(ids, model_order(&srt, "status", true), "{path}");
    server.stop().await;
}

async fn grpc_sorts_and_refuses_with_the_same_words(engine: Engine) {
    let Seeded { server, dora, rows } = seeded(engine).await;
    let mut client = server.grpc().await;
    let list = |sort: &str, order: &str| pb::ListTokensRequest {
        page: 1,
        page_size: 100,
        sort: sort.into(),
        order: order.into(),
        ..Default::default()
    };
    let listed = client
        .list_tokens(server.grpc_request(&dora, list("used_quota", "asc")))
        .await
        .expect("listed")
        .into_inner();
    let ids: Vec<i64> = listed.items.iter().map(|token| token.id).collect();
    assert_eq!(ids, model_order(&rows, "used_quota", true));
    assert_eq!(listed.total, COUNT);

    let srt: Vec<Row> = rows
        .iter()
        .filter(|row| row.key.starts_with("srt"))
        .cloned()
        .collect();
    let search = pb::SearchTokensRequest {
        token: "srt%".into(),
        page: 2,
        page_size: 5,
        sort: "accessed_time".into(),
        ..Default::default()
    };
    let found = client
        .search_tokens(server.grpc_request(&dora, search))
        .await
        .expect("searched")
        .into_inner();
    let ids: Vec<i64> = found.items.iter().map(|token| token.id).collect();
    assert_eq!(ids, model_order(&srt, "accessed_time", false)[5..10]);

    for (sort, order, field, reason) in [
        ("bogus", "", "sort", "sort.invalid"),
        ("name", "up", "order", "order.invalid"),
    ] {
        for lang in ["en", "zh-CN"] {
            let mut request = server.grpc_request(&dora, list(sort, order));
            request.metadata_mut().insert("lang", lang.parse().unwrap());
            let refused = client.list_tokens(request).await.expect_err("refused");
            assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
            let violations = refused
                .get_details_bad_request()
                .expect("violations")
                .field_violations;
            assert_eq!(
                (violations[0].field.as_str(), violations[0].reason.as_str()),
                (field, reason)
            );
            let path = format!("/api/token/?sort={sort}&order={order}&lang={lang}");
            let (_, answer, _) = server.get(&dora, &path).await;
            assert_eq!(
                json!(refused.message()),
                answer["message"],
                "{lang}: the same words"
            );
        }
    }
    server.stop().await;
}

async fn bad_values_are_refused_naming_the_parameter(engine: Engine) {
    let Seeded { server, dora, .. } = seeded(engine).await;
    for (path, code, parameter, value) in [
        ("/api/token/?sort=bogus", "sort.invalid", "sort", "bogus"),
        (
            "/api/token/?sort=NAME&order=asc",
            "sort.invalid",
            "sort",
            "NAME",
        ),
        (
            "/api/token/?sort=name&order=up",
            "order.invalid",
            "order",
            "up",
        ),
        ("/api/token/?order=ASC", "order.invalid", "order", "ASC"),
        (
            "/api/token/?status=1&sort=key",
            "sort.invalid",
            "sort",
            "key",
        ),
        (
            "/api/token/search?keyword=a%25&sort=group",
            "sort.invalid",
            "sort",
            "group",
        ),
        (
            "/api/token/search?token=srt%25&sort=id&order=random",
            "order.invalid",
            "order",
            "random",
        ),
    ] {
        let allowed: Vec<&str> = match parameter {
            "sort" => KEYS.to_vec(),
            _ => vec!["asc", "desc"],
        };
        let mut messages = Vec::new();
        for lang in ["", "&lang=en"] {
            let path = format!("{path}{lang}");
            let (status, answer, raw) = server.get(&dora, &path).await;
            assert_eq!(status, 400, "{path}: {raw}");
            assert_eq!(answer["success"], json!(false), "{path}: {raw}");
            assert_eq!(answer["code"], json!(code), "{path}: {raw}");
            assert!(
                answer["data"].is_null() && !raw.contains("items"),
                "{path}: {raw}"
            );
            let message = answer["message"].as_str().expect(&raw).to_owned();
            assert!(message.starts_with(parameter), "{path}: {message}");
            assert!(
                message.contains(&format!("\"{value}\"")),
                "{path}: {message}"
            );
            for allowed in &allowed {
                assert!(
                    message.contains(allowed),
                    "{path}: {allowed} unnamed: {message}"
                );
            }
            messages.push(message);
        }
        assert!(
            messages[0].contains("不是"),
            "Chinese by default: {}",
            messages[0]
        );
        assert!(
            messages[1].contains(" is not "),
            "English with lang=en: {}",
            messages[1]
        );
    }
    server.stop().await;
}

on_every_engine!(
    every_key_sorts_both_ways_like_the_model,
    filters_search_and_roots_scope_keep_the_order,
    grpc_sorts_and_refuses_with_the_same_words,
    bad_values_are_refused_naming_the_parameter
);
