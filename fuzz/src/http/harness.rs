//! The service under test and its database: one per process, seeded once, its tokens put back after every
//! input that changed them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use sqlx::sqlite::SqlitePool;
use sqlx::Row;
use tokenbatch::app::App;
use tokenbatch::cors::CorsPolicy;
use tokenbatch_store::{Location, NewToken, Store};
use tokenbatch_testkit::seed;

use super::snapshot::{Snapshot, TOKEN_COLUMNS};

pub(super) struct Harness {
    pub(super) runtime: tokio::runtime::Runtime,
    pub(super) router: axum::Router,
    /// A connection of its own, to read and restore the rows independently of the service.
    pub(super) raw: SqlitePool,
    /// A store of its own, to put the tokens back.
    store: Store,
    pub(super) users: Vec<seed::User>,
    /// The tokens as seeded (the same keys each time, so every input starts from the same rows).
    tokens: Vec<NewToken>,
    pub(super) initial: Snapshot,
}

pub(super) fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(Harness::new)
}

impl Harness {
    fn new() -> Harness {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let path = database_path();
        let (router, raw, store, users) = runtime.block_on(async {
            let store = Store::open(&Location::SqliteFile(path.clone()))
                .await
                .expect("open the store");
            let mut users = Vec::new();
            for (name, group) in [("alice", "default"), ("bob", "vip"), ("carol", "default")] {
                users.push(
                    seed::add_user(&store, name, group)
                        .await
                        .expect("seed a user"),
                );
            }
            let url = format!("sqlite://{}", path.display());
            let raw = SqlitePool::connect(&url).await.expect("raw connection");
            sqlx::query(&format!(
                "UPDATE users SET status = 2 WHERE id = {}",
                users[2].id
            ))
            .execute(&raw)
            .await
            .expect("disable carol");
            let health = tonic_health::server::HealthReporter::new();
            let router =
                tokenbatch::serve::router(App::new(store.clone()), health, &CorsPolicy::Off)
                    .expect("router");
            (router, raw, store, users)
        });
        let tokens = seeded_tokens(&users);
        let mut harness = Harness {
            runtime,
            router,
            raw,
            store,
            users,
            tokens,
            initial: Snapshot {
                tokens: BTreeMap::new(),
                users: Vec::new(),
            },
        };
        harness.runtime.block_on(harness.seed_tokens());
        harness.initial = harness.runtime.block_on(harness.snapshot());
        harness
    }

    /// Puts the tokens back as seeded (soft-deleting token 20, which a store never does).
    pub(super) async fn seed_tokens(&self) {
        sqlx::query("DELETE FROM tokens")
            .execute(&self.raw)
            .await
            .expect("clear tokens");
        self.store
            .insert_tokens(&self.tokens)
            .await
            .expect("seed the tokens");
        sqlx::query("UPDATE tokens SET deleted_at = '2026-01-01 00:00:00' WHERE id = 20")
            .execute(&self.raw)
            .await
            .expect("soft-delete token 20");
    }

    pub(super) async fn snapshot(&self) -> Snapshot {
        let columns: Vec<String> = TOKEN_COLUMNS
            .iter()
            .map(|c| format!("quote(\"{c}\")"))
            .collect();
        let sql = format!("SELECT {} FROM tokens ORDER BY id", columns.join(", "));
        let rows = sqlx::query(&sql)
            .fetch_all(&self.raw)
            .await
            .expect("read tokens");
        let tokens = rows
            .iter()
            .map(|row| {
                let values: Vec<String> = (0..TOKEN_COLUMNS.len()).map(|i| row.get(i)).collect();
                (values[0].parse().expect("integer id"), values)
            })
            .collect();
        let users = sqlx::query(
            "SELECT quote(id) || '|' || quote(status) || '|' || quote(access_token) || '|' || \
             quote(\"group\") || '|' || quote(deleted_at) FROM users ORDER BY id",
        )
        .fetch_all(&self.raw)
        .await
        .expect("read users")
        .iter()
        .map(|row| row.get(0))
        .collect();
        Snapshot { tokens, users }
    }
}

/// alice: 1..=20 and 869, 873 (1-5 enabled, 6 expired, 7 exhausted, 8 disabled, 20 soft-deleted);
/// bob: 900..=904; carol: 950.
fn seeded_tokens(users: &[seed::User]) -> Vec<NewToken> {
    let mut ids: Vec<(i64, i64)> = (1..=20).map(|id| (id, users[0].id)).collect();
    ids.extend([(869, users[0].id), (873, users[0].id)]);
    ids.extend((900..=904).map(|id| (id, users[1].id)));
    ids.push((950, users[2].id));
    ids.into_iter()
        .map(|(id, user_id)| {
            let mut token = seed::token(user_id, id, "token");
            token.key = format!("fuzzkey{id:0>41}");
            let state = &mut token.state;
            match id {
                6 => {
                    (state.status, state.expired_time, state.remain_quota) = (3, 1_600_000_000, 100)
                }
                7 => (state.status, state.remain_quota) = (4, 0),
                8 => (state.status, state.remain_quota) = (2, 100),
                _ => {}
            }
            token
        })
        .collect()
}

/// A SQLite file in shared memory where there is one (no disk writes while fuzzing), in a folder named after
/// this process; folders of processes that have ended are removed first.
fn database_path() -> PathBuf {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    if let Ok(entries) = std::fs::read_dir(&base) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(pid) = name.strip_prefix("tokenbatch-fuzz-") else {
                continue;
            };
            if !Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = base.join(format!("tokenbatch-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("database folder");
    let path = dir.join("tokenbatch.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}
