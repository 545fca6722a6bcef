//! The two options that decide a user's usable groups (`UserUsableGroups` and the special usable groups,
//! crate::groups), which every batch writing a group needs, kept for a moment instead of read for every
//! request.
//!
//! Why: a 10-id batch makes four round trips to the database (the user, these options, the ownership count,
//! the UPDATE), and on SQLite each is a hand-over to sqlx's worker thread; dropping one of four measured about
//! +6 % requests per second (docs/BENCHMARKS.md, "Margins"). Why it is safe: new-api itself keeps its options
//! in memory and, on a multi-node setup, reads them again only every `SYNC_FREQUENCY` seconds (60 by default),
//! so another node already sees an option change that late; a second (`--options-cache-ms`, default 1 000)
//! is well inside that. The user's own row is never kept (a revoked access token or a disabled user must be
//! refused at once), and `GET /api/user/self/groups` reads its four options every time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokenbatch_store::{Store, UserRecord};

use crate::error::ApiError;
use crate::groups::{resolve, SPECIAL_USABLE_GROUPS_OPTION, USABLE_GROUPS_OPTION};

/// The default of `--options-cache-ms`.
pub const DEFAULT_OPTIONS_TTL: Duration = Duration::from_secs(1);

/// The options as last read, for at most `ttl`; with a zero `ttl`, read for every request.
#[derive(Debug)]
pub struct GroupOptions {
    ttl: Duration,
    kept: Mutex<Option<Kept>>,
}

#[derive(Clone, Debug)]
struct Kept {
    read_at: Instant,
    usable: Option<String>,
    special: Option<String>,
}

impl GroupOptions {
    pub fn new(ttl: Duration) -> GroupOptions {
        GroupOptions {
            ttl,
            kept: Mutex::new(None),
        }
    }

    /// The groups `user` may put on tokens (crate::groups::resolve), from options at most `ttl` old.
    pub async fn usable_groups(
        &self,
        store: &Store,
        user: &UserRecord,
    ) -> Result<Vec<String>, ApiError> {
        let kept = self.read(store).await?;
        Ok(resolve(
            kept.usable.as_deref(),
            kept.special.as_deref(),
            &user.group,
        ))
    }

    /// The groups the users of each of `user_groups` may put on tokens, by user group: the options read once
    /// for all of them, each distinct user group resolved once (root's batches across users, docs/SPEC.md
    /// §13, check every owner's).
    pub async fn usable_groups_by_user_group<'g>(
        &self,
        store: &Store,
        user_groups: impl IntoIterator<Item = &'g str>,
    ) -> Result<HashMap<&'g str, Vec<String>>, ApiError> {
        let kept = self.read(store).await?;
        let mut usable = HashMap::new();
        for user_group in user_groups {
            usable.entry(user_group).or_insert_with(|| {
                resolve(kept.usable.as_deref(), kept.special.as_deref(), user_group)
            });
        }
        Ok(usable)
    }

    async fn read(&self, store: &Store) -> Result<Kept, ApiError> {
        if !self.ttl.is_zero() {
            let kept = self
                .kept
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(kept) = kept
                .as_ref()
                .filter(|kept| kept.read_at.elapsed() < self.ttl)
            {
                return Ok(kept.clone());
            }
        }
        // One round trip for both options. Requests that miss together each read; the last one keeps its.
        let read_at = Instant::now();
        let mut options = store
            .options(&[USABLE_GROUPS_OPTION, SPECIAL_USABLE_GROUPS_OPTION])
            .await?
            .into_iter();
        let fresh = Kept {
            read_at,
            usable: options.next().flatten(),
            special: options.next().flatten(),
        };
        if !self.ttl.is_zero() {
            *self
                .kept
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(fresh.clone());
        }
        Ok(fresh)
    }
}
