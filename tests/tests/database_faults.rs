//! The network to the database fails in the middle of a 10 000-token batch: reset, black hole, half-close,
//! at five points of the batch's transaction, on PostgreSQL and MariaDB. Whatever happens, the batch answers
//! within a bounded time, it is applied whole or not at all, no database session keeps the batch's row locks
//! (new-api's own `UPDATE tokens … WHERE id = …` goes through at once), the pool is whole again, and the
//! service goes on serving (docs/RELIABILITY.md, "The database's network fails mid-batch").

use std::time::{Duration, Instant};

use serde_json::json;
use tokenbatch::serve::ServeOptions;
use tokenbatch_e2e::proxy::{Fault, Trigger};
use tokenbatch_e2e::{body, server_behind_proxy, Engine, RawDb, TestServer};
use tokenbatch_store::DatabaseLimits;

/// Short bounds, so that a test case takes seconds; production defaults are in `DatabaseLimits::default`.
const LIMITS: DatabaseLimits = DatabaseLimits {
    operation_timeout: Duration::from_secs(3),
    statement_timeout: Duration::from_secs(2),
    lock_timeout: Duration::from_secs(1),
    idle_in_transaction_timeout: Duration::from_secs(1),
    keepalive: Duration::from_secs(30),
};

const BULK_FIRST_ID: i64 = 10_001;
const BULK_COUNT: i64 = 10_000;

/// Where in the batch's conversation the connection breaks: what the client sends last, and whether that
/// still reaches the server.
struct CutPoint {
    name: &'static str,
    /// In the statement's text; see [`CutPoint::pattern`].
    statement: &'static str,
    after_forwarding: bool,
    /// The COMMIT was on its way: the client cannot know whether it landed.
    outcome_unknown: bool,
}

const CUT_POINTS: &[CutPoint] = &[
    CutPoint {
        name: "before BEGIN reaches the server",
        statement: "BEGIN",
        after_forwarding: false,
        outcome_unknown: false,
    },
    CutPoint {
        name: "as the lock statement is sent",
        statement: "FOR UPDATE",
        after_forwarding: true,
        outcome_unknown: false,
    },
    CutPoint {
        name: "right after the UPDATE was sent",
        statement: "UPDATE tokens",
        after_forwarding: true,
        outcome_unknown: false,
    },
    CutPoint {
        name: "before COMMIT reaches the server (locks held)",
        statement: "COMMIT",
        after_forwarding: false,
        outcome_unknown: true,
    },
    CutPoint {
        name: "right after COMMIT was sent",
        statement: "COMMIT",
        after_forwarding: true,
        outcome_unknown: true,
    },
];

impl CutPoint {
    /// The bytes that carry the statement on the wire. BEGIN and COMMIT go as plain queries, framed so that
    /// nothing else matches (a MySQL connection's setup says READ COMMITTED): PostgreSQL ends a Query
    /// message's text with NUL, MySQL starts a COM_QUERY packet's with 0x03.
    fn pattern(&self, engine: Engine) -> Vec<u8> {
        let text = self.statement.as_bytes();
        match (self.statement, engine) {
            ("BEGIN" | "COMMIT", Engine::MySql) => [&b"\x03"[..], text].concat(),
            ("BEGIN" | "COMMIT", _) => [text, &b"\0"[..]].concat(),
            _ => text.to_vec(),
        }
    }
}

/// Adds alice's 10 000 bulk tokens in one statement (ids 10 001 ..= 20 000).
async fn seed_bulk_tokens(server: &TestServer) {
    let digits = "(SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 \
                  UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";
    let (q, key, no) = match server.db.engine {
        Engine::MySql => ("`", "CONCAT('bulk-key-', s.n)", "0"),
        _ => ("\"", "'bulk-key-' || CAST(s.n AS TEXT)", "false"),
    };
    server
        .execute(&format!(
            "INSERT INTO tokens (id, user_id, {q}key{q}, status, name, created_time, accessed_time, expired_time, \
             remain_quota, unlimited_quota, model_limits_enabled, model_limits, allow_ips, used_quota, \
             {q}group{q}, cross_group_retry, mj_image_mode, mj_custom_proxy) \
             SELECT s.n, {alice}, {key}, 1, 'bulk', 1, 1, -1, 100, {no}, {no}, '', '', 0, 'default', {no}, '', '' \
             FROM (SELECT {BULK_FIRST_ID} + a.n + 10 * b.n + 100 * c.n + 1000 * d.n AS n \
                   FROM {digits} a, {digits} b, {digits} c, {digits} d) s",
            alice = server.alice.id,
        ))
        .await;
}

fn bulk_ids() -> Vec<i64> {
    (BULK_FIRST_ID..BULK_FIRST_ID + BULK_COUNT).collect()
}

/// How many bulk tokens hold `remain_quota`, read past the proxy.
async fn holding_quota(server: &TestServer, quota: i64) -> i64 {
    let sql = format!(
        "SELECT CAST(COUNT(*) AS {int}) FROM tokens WHERE id >= {BULK_FIRST_ID} AND remain_quota = {quota}",
        int = if server.db.engine == Engine::MySql {
            "SIGNED"
        } else {
            "BIGINT"
        }
    );
    match &server.db.raw {
        RawDb::Postgres(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await,
        RawDb::MySql(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await,
        RawDb::Sqlite(_) => unreachable!(),
    }
    .expect("count")
}

/// new-api's own write on a token the batch had locked, past the proxy, waiting at most 2 s for a lock:
/// how long it took, or the database's refusal.
async fn newapi_update(server: &TestServer, id: i64) -> Result<Duration, String> {
    let started = Instant::now();
    let update = format!("UPDATE tokens SET used_quota = used_quota + 1 WHERE id = {id}");
    let result = match &server.db.raw {
        RawDb::Postgres(pool) => async {
            let mut tx = pool.begin().await?;
            sqlx::query("SET LOCAL lock_timeout = '2s'")
                .execute(&mut *tx)
                .await?;
            sqlx::query(&update).execute(&mut *tx).await?;
            tx.commit().await
        }
        .await
        .map_err(|e| e.to_string()),
        RawDb::MySql(pool) => async {
            let mut connection = pool.acquire().await?;
            sqlx::query("SET SESSION innodb_lock_wait_timeout = 2")
                .execute(&mut *connection)
                .await?;
            sqlx::query(&update).execute(&mut *connection).await?;
            Ok::<_, sqlx::Error>(())
        }
        .await
        .map_err(|e| e.to_string()),
        RawDb::Sqlite(_) => unreachable!(),
    };
    result.map(|()| started.elapsed())
}

/// Connections the server's pool has handed out and not got back.
fn connections_in_use(server: &TestServer) -> usize {
    let (size, idle) = server.server.store.pool_state();
    (size as usize).saturating_sub(idle)
}

async fn one_cut(engine: Engine, fault: Fault, point: &CutPoint) {
    let options = ServeOptions {
        database: LIMITS,
        ..ServeOptions::default()
    };
    let (server, proxy) = server_behind_proxy(engine, options).await;
    seed_bulk_tokens(&server).await;
    let case = format!("{engine:?}, {fault:?} {}", point.name);

    proxy.arm(Trigger {
        pattern: point.pattern(engine),
        after_forwarding: point.after_forwarding,
        fault,
    });
    let started = Instant::now();
    let batch = body(&bulk_ids(), r#""remain_quota":7777"#, &["remain_quota"]);
    let answer = tokio::time::timeout(
        Duration::from_secs(20),
        server.put_batch(&server.alice, &batch),
    )
    .await;
    let elapsed = started.elapsed();
    let Ok((status, response, raw)) = answer else {
        // What this test found before tokenbatch had deadlines and session timeouts (docs/RELIABILITY.md).
        panic!("{case}: the batch never answered (still waiting after 20 s)");
    };
    assert!(
        proxy.fired(),
        "{case}: the cut point was never reached: {raw}"
    );
    // The deadline, plus the time to notice it and answer.
    assert!(
        elapsed <= LIMITS.operation_timeout + Duration::from_secs(2),
        "{case}: answered after {elapsed:?}"
    );
    assert_eq!(status, 503, "{case}: {raw}");
    let code = if point.outcome_unknown {
        "database.outcome_unknown"
    } else {
        "database.unavailable"
    };
    assert_eq!(response["code"], json!(code), "{case}: {raw}");

    // No session keeps the batch's locks: new-api's own update of a locked token goes through at once.
    let waited = newapi_update(&server, BULK_FIRST_ID + BULK_COUNT - 1)
        .await
        .unwrap_or_else(|error| panic!("{case}: new-api's UPDATE is blocked: {error}"));
    assert!(
        waited < Duration::from_secs(2),
        "{case}: new-api's UPDATE waited {waited:?}"
    );

    // All or nothing, and nothing at all where the COMMIT never left.
    let applied = holding_quota(&server, 7777).await;
    assert!(
        applied == 0 || applied == BULK_COUNT,
        "{case}: {applied} of {BULK_COUNT} tokens changed"
    );
    if !point.outcome_unknown {
        assert_eq!(
            applied, 0,
            "{case}: applied although it failed before COMMIT"
        );
    }

    // The failed connection was closed, not kept: the pool is whole again.
    let until = Instant::now() + Duration::from_secs(8);
    while connections_in_use(&server) > 0 && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        connections_in_use(&server),
        0,
        "{case}: a connection is still held"
    );

    // And the service goes on: the same batch through the same (now healthy) proxy.
    let (again, response, raw) = server.put_batch(&server.alice, &batch).await;
    assert_eq!(again, 200, "{case}: after the cut: {raw}");
    assert_eq!(response["success"], json!(true), "{case}: {raw}");
    assert_eq!(holding_quota(&server, 7777).await, BULK_COUNT, "{case}");
    eprintln!(
        "{case}: answered 503 {code} after {elapsed:?}; new-api's UPDATE waited {waited:?}; applied {applied}"
    );
    server.stop().await;
}

async fn no_cut_wedges_anything(engine: Engine, fault: Fault) {
    for point in CUT_POINTS {
        one_cut(engine, fault, point).await;
    }
}

mod postgres {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reset() {
        no_cut_wedges_anything(Engine::Postgres, Fault::Reset).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn blackhole() {
        no_cut_wedges_anything(Engine::Postgres, Fault::Blackhole).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn half_close() {
        no_cut_wedges_anything(Engine::Postgres, Fault::HalfClose).await;
    }
}

mod mysql {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reset() {
        no_cut_wedges_anything(Engine::MySql, Fault::Reset).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn blackhole() {
        no_cut_wedges_anything(Engine::MySql, Fault::Blackhole).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn half_close() {
        no_cut_wedges_anything(Engine::MySql, Fault::HalfClose).await;
    }
}
