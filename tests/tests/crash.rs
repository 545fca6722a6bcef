//! Crash atomicity: the real binary is killed with SIGKILL at random moments while it applies batches of
//! 1 000–10 000 tokens. After every kill and restart each batch is either wholly applied or not at all, the
//! database is sound, the history agrees with the tokens (a change set and a row per token exactly when the
//! batch was applied), and the service answers again.

use std::process::Stdio;
use std::time::Duration;

use sqlx::Row;
use tokenbatch_store::{Location, Store};
use tokenbatch_testkit::{process, seed, Engine, Random, RawDb, TestDatabase};
use tokio::process::{Child, Command};

use crate::SERVER_BINARY as BINARY;

const TOKENS: i64 = 10_000;
const KILLS: u64 = 50;

/// Creates the user and 10 000 tokens; returns the user's id and access token.
async fn seed_database(location: &Location) -> (i64, String) {
    let store = Store::open(location).await.expect("open store");
    let user = seed::add_user_with_tokens(&store, "crash", "default", 1..=TOKENS, "crash")
        .await
        .expect("user and tokens");
    store.close().await;
    (user.id, user.access_token)
}

/// Starts `tokenbatch serve` with `env` and waits for its ready line.
async fn start(env: &[(&str, String)]) -> (Child, String) {
    let mut command = Command::new(BINARY);
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("serve starts");
    let (address, _) = process::ready_within(&mut child, Duration::from_secs(20)).await;
    (child, address)
}

/// What holds batch `marker`'s values: tokens, counted per column, and the history's rows of its tokens and
/// change sets (docs/SPEC.md §12). One statement, so that every count comes from the same snapshot: two
/// statements could straddle a commit that lands between them.
#[derive(Debug)]
struct Marked {
    by_quota: i64,
    by_models: i64,
    history_tokens: i64,
    change_sets: i64,
}

async fn rows_with_marker<'e, E>(executor: E, marker: i64, postgres: bool) -> Marked
where
    E: sqlx::Executor<'e>,
    for<'r> i64: sqlx::Decode<'r, E::Database> + sqlx::Type<E::Database>,
    for<'q> <E::Database as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, E::Database>,
    usize: sqlx::ColumnIndex<<E::Database as sqlx::Database>::Row>,
{
    let cast = if postgres { "BIGINT" } else { "INTEGER" };
    // The marker's model_limits as the recorded request (JSON) spells it, quotes included ("m12", never
    // "m123"); the recorded tokens hold it in a column of its own.
    let recorded = format!("'%\"m{marker}\"%'");
    let counts = format!(
        "SELECT CAST(COALESCE(SUM(CASE WHEN remain_quota = {marker} THEN 1 ELSE 0 END), 0) AS {cast}), \
         CAST(COALESCE(SUM(CASE WHEN model_limits = 'm{marker}' THEN 1 ELSE 0 END), 0) AS {cast}), \
         (SELECT CAST(COUNT(*) AS {cast}) FROM tokenbatch_change_tokens WHERE after_model_limits = 'm{marker}'), \
         (SELECT CAST(COUNT(*) AS {cast}) FROM tokenbatch_changes WHERE request LIKE {recorded}) FROM tokens"
    );
    let row = sqlx::query(&counts).fetch_one(executor).await.unwrap();
    Marked {
        by_quota: row.get(0),
        by_models: row.get(1),
        history_tokens: row.get(2),
        change_sets: row.get(3),
    }
}

/// A batch writing `marker` to tokens `first..first + size`.
fn marked_batch(
    client: &reqwest::Client,
    address: &str,
    user: &(i64, String),
    marker: i64,
    first: i64,
    size: i64,
) -> reqwest::RequestBuilder {
    let ids: Vec<i64> = (first..first + size).collect();
    let body = serde_json::json!({
        "ids": ids,
        "remain_quota": marker,
        "model_limits": format!("m{marker}"),
        "update_fields": ["remain_quota", "model_limits"],
    })
    .to_string();
    client
        .put(format!("http://{address}/api/token/batch"))
        .header("Authorization", &user.1)
        .header("New-Api-User", user.0.to_string())
        .body(body)
}

/// How long the largest batch takes here, from sending to the answer: the window the kills are spread over.
async fn time_largest_batch(env: &[(&str, String)], user: &(i64, String)) -> Duration {
    let (mut child, address) = start(env).await;
    let client = reqwest::Client::new();
    let mut slowest = Duration::ZERO;
    for marker in [1_000_001, 1_000_002, 1_000_003] {
        let started = std::time::Instant::now();
        let response = marked_batch(&client, &address, user, marker, 1, TOKENS)
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status().as_u16(), 200);
        slowest = slowest.max(started.elapsed());
    }
    child.kill().await.expect("SIGKILL");
    slowest
}

/// Fires a batch, kills the server at a random moment, restarts it, and checks the batch was all or nothing.
async fn kill_during_batches<F, Fut>(
    env: Vec<(&str, String)>,
    user: (i64, String),
    count_marker: F,
) -> (u64, u64)
where
    F: Fn(i64) -> Fut,
    Fut: std::future::Future<Output = Marked>,
{
    // Kills spread over the time a batch takes land before, during and after commits, whatever the build
    // and the machine's speed.
    let window = time_largest_batch(&env, &user).await;
    eprintln!("a 10 000-token batch takes up to {window:?} here; kills land within that");
    let mut random = Random(0x5EED_0FC0_FFEE);
    let (mut applied, mut not_applied) = (0, 0);
    let client = reqwest::Client::new();
    for kill in 0..KILLS {
        let (mut child, address) = start(&env).await;
        let marker = 1 + kill as i64;
        let size = 1_000 + random.below(9_001) as i64;
        let first = 1 + random.below((TOKENS - size + 1) as u64) as i64;
        let request = marked_batch(&client, &address, &user, marker, first, size).send();
        let in_flight = tokio::spawn(request);
        let wait = random.below(window.as_micros() as u64);
        tokio::time::sleep(Duration::from_micros(wait)).await;
        child.kill().await.expect("SIGKILL");
        let _ = in_flight.await;

        let marked = count_marker(marker).await;
        let (by_quota, by_models) = (marked.by_quota, marked.by_models);
        assert_eq!(
            by_quota, by_models,
            "kill {kill}: a row holds half of batch {marker}"
        );
        // The history agrees with the tokens: one change set and a row per token exactly when applied.
        assert_eq!(
            (marked.history_tokens, marked.change_sets),
            (by_quota, i64::from(by_quota > 0)),
            "kill {kill}: the history of batch {marker} disagrees with the tokens: {marked:?}"
        );
        assert!(
            by_quota == 0 || by_quota == size,
            "kill {kill}: batch {marker} of {size} tokens applied to {by_quota} only"
        );
        if by_quota == size {
            applied += 1;
        } else {
            not_applied += 1;
        }
    }
    // The service answers again after the last kill.
    let (mut child, address) = start(&env).await;
    let response = client
        .get(format!("http://{address}/api/token/?p=1"))
        .header("Authorization", &user.1)
        .header("New-Api-User", user.0.to_string())
        .send()
        .await
        .expect("answers after restart");
    assert_eq!(response.status().as_u16(), 200);
    child.kill().await.unwrap();
    (applied, not_applied)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_batches_survive_sigkill_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let user = seed_database(&Location::SqliteFile(path.clone())).await;
    let env = vec![("SQLITE_PATH", path.display().to_string())];
    let url = format!("sqlite://{}", path.display());
    let (applied, not_applied) = kill_during_batches(env, user, |marker| {
        let url = url.clone();
        async move {
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            let counts = rows_with_marker(&pool, marker, false).await;
            pool.close().await;
            counts
        }
    })
    .await;
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let integrity: String = sqlx::query("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(integrity, "ok");
    eprintln!("sqlite: {applied} batches applied, {not_applied} not applied, {KILLS} kills");
    assert!(
        applied > 0 && not_applied > 0,
        "kills should land both before and after commits"
    );
}

/// Waits until no PostgreSQL backend serves a connection named `application_name`.
async fn wait_for_backends_to_end(checker: &sqlx::PgPool, application_name: &str) {
    for _ in 0..300 {
        let backends: i64 = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM pg_stat_activity WHERE application_name = $1",
        )
        .bind(application_name)
        .fetch_one(checker)
        .await
        .unwrap()
        .get(0);
        if backends == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("backends of a killed server still run after 30 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_batches_survive_sigkill_whole_or_not_at_all() {
    let db = TestDatabase::create(Engine::Postgres).await;
    let (RawDb::Postgres(checker), Location::Postgres(url)) = (&db.raw, &db.location) else {
        unreachable!("a PostgreSQL database")
    };
    let schema = db.namespace().expect("a schema").to_owned();
    let user = seed_database(&db.location).await;
    // The server's connections carry the schema's name, so the checker can tell when the backends serving a
    // killed server are gone: a backend finishes the statement it is running after its client dies, and may
    // still commit a transaction whose COMMIT had reached it.
    let env = vec![("SQL_DSN", format!("{url}&application_name={schema}"))];
    let (applied, not_applied) = kill_during_batches(env, user, |marker| {
        let schema = &schema;
        async move {
            wait_for_backends_to_end(checker, schema).await;
            rows_with_marker(checker, marker, true).await
        }
    })
    .await;
    // No transaction of a killed server lingers holding locks on the tokens.
    let mut lingering = 1;
    for _ in 0..50 {
        let sql = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM pg_locks l JOIN pg_class c ON l.relation = c.oid \
             JOIN pg_namespace n ON c.relnamespace = n.oid WHERE n.nspname = '{schema}' AND l.pid <> pg_backend_pid()"
        );
        lingering = sqlx::query(&sql)
            .fetch_one(checker)
            .await
            .unwrap()
            .get::<i64, _>(0);
        if lingering == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        lingering, 0,
        "locks of killed servers' transactions are still held"
    );
    let prepared: i64 = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) FROM pg_prepared_xacts")
        .fetch_one(checker)
        .await
        .unwrap()
        .get(0);
    assert_eq!(prepared, 0, "no orphaned prepared transactions");
    eprintln!("postgres: {applied} batches applied, {not_applied} not applied, {KILLS} kills");
    assert!(
        applied > 0 && not_applied > 0,
        "kills should land both before and after commits"
    );
}
