//! Overlapping batches from many clients at once: no deadlock error, no lost or torn update, and a final state
//! that some serial order of the batches explains.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;
use tokenbatch_e2e::{alice_ids, on_every_engine, Engine, Random, TestServer};

const TASKS: u64 = 8;
const BATCHES_PER_TASK: u64 = 200;
const IDS_PER_BATCH: usize = 8;

async fn overlapping_batches_serialize(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let ids = alice_ids();
    let mut batches: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    let mut workers = Vec::new();
    for task in 0..TASKS {
        let mut random = Random(0x9E37_79B9_7F4A_7C15 ^ (task + 1));
        let plan: Vec<(i64, Vec<i64>)> = (0..BATCHES_PER_TASK)
            .map(|n| {
                (
                    (task * 1_000 + n + 1) as i64,
                    random.pick(&ids, IDS_PER_BATCH),
                )
            })
            .collect();
        batches.extend(plan.iter().cloned());
        let http = server.http.clone();
        let url = format!("{}/api/token/batch", server.base_url);
        let alice = server.alice.clone();
        workers.push(tokio::spawn(async move {
            for (marker, batch_ids) in plan {
                // Two columns carry the same marker: a row holding two different markers is a torn write.
                let body = json!({
                    "ids": batch_ids,
                    "remain_quota": marker,
                    "model_limits": format!("m{marker}"),
                    "update_fields": ["remain_quota", "model_limits"],
                });
                let response = http
                    .put(&url)
                    .header("Authorization", &alice.access_token)
                    .header("New-Api-User", alice.id.to_string())
                    .body(body.to_string())
                    .send()
                    .await
                    .expect("request sent");
                let status = response.status().as_u16();
                let text = response.text().await.unwrap();
                assert_eq!(status, 200, "batch {marker}: {text}");
                assert!(
                    text.starts_with(r#"{"success":true"#),
                    "batch {marker}: {text}"
                );
            }
        }));
    }
    for worker in workers {
        worker
            .await
            .expect("worker finished without a failed batch");
    }

    // The last batch to touch each token, by the stored marker; every other batch touching it came before.
    let mut must_precede: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for id in &ids {
        let row = server.row(*id).await;
        let marker = row.remain_quota;
        assert_eq!(
            row.model_limits,
            format!("m{marker}"),
            "token {id} holds two batches' values"
        );
        let touching: Vec<i64> = batches
            .iter()
            .filter(|(_, batch_ids)| batch_ids.contains(id))
            .map(|(m, _)| *m)
            .collect();
        assert!(
            touching.contains(&marker),
            "token {id} holds marker {marker} of a batch that never named it"
        );
        for earlier in touching.into_iter().filter(|m| *m != marker) {
            must_precede.entry(earlier).or_default().insert(marker);
        }
    }
    assert!(
        is_acyclic(&must_precede),
        "no serial order of the batches explains the final state"
    );
    server.stop().await;
}

/// Kahn's algorithm over "a must precede b" edges.
fn is_acyclic(edges: &BTreeMap<i64, BTreeSet<i64>>) -> bool {
    let mut incoming: BTreeMap<i64, usize> = BTreeMap::new();
    for (from, targets) in edges {
        incoming.entry(*from).or_default();
        for to in targets {
            *incoming.entry(*to).or_default() += 1;
        }
    }
    let mut ready: Vec<i64> = incoming
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(k, _)| *k)
        .collect();
    let mut seen = 0;
    while let Some(node) = ready.pop() {
        seen += 1;
        for to in edges.get(&node).into_iter().flatten() {
            let n = incoming.get_mut(to).unwrap();
            *n -= 1;
            if *n == 0 {
                ready.push(*to);
            }
        }
    }
    seen == incoming.len()
}

#[test]
fn cycle_detection_detects_cycles() {
    let edges = |pairs: &[(i64, i64)]| {
        let mut map: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        for (a, b) in pairs {
            map.entry(*a).or_default().insert(*b);
        }
        map
    };
    assert!(is_acyclic(&edges(&[(1, 2), (2, 3), (1, 3)])));
    assert!(!is_acyclic(&edges(&[(1, 2), (2, 3), (3, 1)])));
}

on_every_engine!(overlapping_batches_serialize);
