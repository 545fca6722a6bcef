//! The history's retention (`--history-days`, docs/SPEC.md §12): a background task that purges change sets
//! older than the retention, at start and then every [`PURGE_INTERVAL`], in bounded chunks
//! ([`Store::purge_history`]). Every instance on a shared database runs one; purges of the same rows by two
//! instances are harmless (the store's purge names each row it deletes by key).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokenbatch_store::Store;
use tokio::task::JoinHandle;

/// How often an instance looks for change sets past the retention.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(3600);

/// Rows deleted per statement: about what one 10-id batch holds SQLite's write lock for, many times over.
pub const PURGE_CHUNK: usize = 2_000;

/// The default `--history-days`.
pub const DEFAULT_HISTORY_DAYS: u32 = 180;

/// Starts the purge task for a retention of `days` (None when `0`: the history is kept forever).
pub fn spawn_purger(store: Store, days: u32) -> Option<JoinHandle<()>> {
    if days == 0 {
        return None;
    }
    let retention = i64::from(days) * 86_400;
    Some(tokio::spawn(async move {
        loop {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |elapsed| {
                    i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
                });
            match store.purge_history(now - retention, PURGE_CHUNK).await {
                Ok(purged) if purged.change_sets > 0 || purged.tokens > 0 => tracing::info!(
                    change_sets = purged.change_sets,
                    tokens = purged.tokens,
                    days,
                    "history past its retention purged"
                ),
                Ok(_) => {}
                // Tried again at the next interval; the database being down is reported by health.
                Err(error) => tracing::warn!(%error, "history purge failed"),
            }
            tokio::time::sleep(PURGE_INTERVAL).await;
        }
    }))
}
