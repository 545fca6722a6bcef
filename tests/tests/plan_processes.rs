//! A plan made by one `tokenbatch serve` process is applied by another on the same database (docs/SPEC.md
//! §10: "usable from any instance on a shared database"), on every engine: two real processes of the
//! shipped binary, each with its own pools and no state shared but the database.

use std::process::Stdio;

use serde_json::json;
use tokenbatch_e2e::{body, on_every_engine, Engine, TestServer};
use tokenbatch_store::Location;
use tokenbatch_testkit::process;
use tokio::process::{Child, Command};

use crate::plans::{apply_at, put_at};
use crate::SERVER_BINARY;

/// `tokenbatch serve` on the test's database, on a port of its own: the child (killed when dropped) and its
/// base URL.
async fn serve(location: &Location) -> (Child, String) {
    let (name, value) = match location {
        Location::SqliteFile(path) => ("SQLITE_PATH", path.display().to_string()),
        Location::Postgres(url) | Location::MySql(url) => ("SQL_DSN", url.clone()),
    };
    let mut child = Command::new(SERVER_BINARY)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env_remove("SQL_DSN")
        .env_remove("SQLITE_PATH")
        .env(name, value)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("serve starts");
    let ready = process::ready(&mut child)
        .await
        .expect("the process is ready");
    let base = format!("http://{}", ready.address);
    ready.drain();
    (child, base)
}

async fn a_plan_previewed_by_one_process_is_applied_by_another(engine: Engine) {
    let server = TestServer::start_on(engine).await;
    let (_first, first) = serve(&server.db.location).await;
    let (_second, second) = serve(&server.db.location).await;
    let http = reqwest::Client::new();
    let text = body(&[1, 2, 3], r#""remain_quota":{"add":7}"#, &["remain_quota"]);
    let mut quotas = Vec::new();
    for id in [1, 2, 3] {
        quotas.push(server.row(id).await.remain_quota);
    }
    let (status, _, preview, raw) =
        put_at(&http, &first, &server.alice, &text, "?dry_run=true").await;
    assert_eq!((status, &preview["success"]), (200, &json!(true)), "{raw}");
    let plan_id = preview["plan"]["plan_id"].as_str().expect(&raw).to_owned();
    let (_, replayed, applied, raw) = apply_at(&http, &second, &server.alice, &plan_id).await;
    assert_eq!(
        (applied["data"].clone(), replayed),
        (json!(3), false),
        "{raw}"
    );
    for (id, quota) in [1, 2, 3].into_iter().zip(quotas) {
        assert_eq!(server.row(id).await.remain_quota, quota + 7, "token {id}");
    }
    // The first process sees the plan applied: a second apply there replays, writing nothing.
    let (_, replayed, again, raw) = apply_at(&http, &first, &server.alice, &plan_id).await;
    assert_eq!((again["data"].clone(), replayed), (json!(3), true), "{raw}");
    server.stop().await;
}

on_every_engine!(a_plan_previewed_by_one_process_is_applied_by_another);
