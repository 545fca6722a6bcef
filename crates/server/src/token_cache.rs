//! new-api's Redis cache of tokens, and dropping the entries of the tokens a batch changed.
//!
//! new-api (model/token_cache.go) keeps each token as a hash named `token:` + lowercase hex of
//! HMAC-SHA256(secret, key), where the secret is `CRYPTO_SECRET`, falling back to `SESSION_SECRET`. A stale
//! entry would keep enforcing the old group, quota or limits until it expires, so after every committed
//! batch the entries of the changed tokens are deleted, as new-api's own batch delete does.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::Mutex;

/// Keys a single DEL carries; large batches are split so one command never blocks Redis for long.
const KEYS_PER_DEL: usize = 1_000;
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// Why the cache could not be invalidated. The batch itself is committed either way.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("neither CRYPTO_SECRET nor SESSION_SECRET is set, so new-api's cache keys cannot be computed")]
    NoSecret,
    #[error("Redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("Redis did not answer within {0:?}")]
    Timeout(Duration),
}

pub struct TokenCache {
    client: redis::Client,
    secret: Option<Vec<u8>>,
    /// One multiplexed connection shared by all requests, re-opened after a failure.
    connection: Mutex<Option<redis::aio::MultiplexedConnection>>,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// `token:` + hex(HMAC-SHA256(secret, key)): new-api's `common.GenerateHMAC`.
pub fn cache_key(secret: &[u8], token_key: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(token_key.as_bytes());
    let digest = mac.finalize().into_bytes();
    let mut key = String::with_capacity(6 + 64);
    key.push_str("token:");
    for byte in digest {
        key.push_str(&format!("{byte:02x}"));
    }
    key
}

impl TokenCache {
    /// `url` is new-api's `REDIS_CONN_STRING` (`redis://…`); nothing is connected until first use.
    pub fn new(url: &str, secret: Option<String>) -> Result<TokenCache, CacheError> {
        Ok(TokenCache {
            client: redis::Client::open(url)?,
            secret: secret.filter(|s| !s.is_empty()).map(String::into_bytes),
            connection: Mutex::new(None),
        })
    }

    pub fn has_secret(&self) -> bool {
        self.secret.is_some()
    }

    /// Deletes the cache entries of these token keys.
    pub async fn invalidate(&self, token_keys: &[&str]) -> Result<(), CacheError> {
        if token_keys.is_empty() {
            return Ok(());
        }
        let secret = self.secret.as_deref().ok_or(CacheError::NoSecret)?;
        let cache_keys: Vec<String> = token_keys
            .iter()
            .map(|key| cache_key(secret, key))
            .collect();
        let result = tokio::time::timeout(REDIS_TIMEOUT, self.delete(&cache_keys)).await;
        match result {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => {
                self.connection.lock().await.take();
                Err(error.into())
            }
            Err(_) => {
                self.connection.lock().await.take();
                Err(CacheError::Timeout(REDIS_TIMEOUT))
            }
        }
    }

    async fn delete(&self, cache_keys: &[String]) -> Result<(), redis::RedisError> {
        let mut connection = {
            let mut slot = self.connection.lock().await;
            match slot.as_ref() {
                Some(connection) => connection.clone(),
                None => {
                    let connection = self.client.get_multiplexed_async_connection().await?;
                    *slot = Some(connection.clone());
                    connection
                }
            }
        };
        for chunk in cache_keys.chunks(KEYS_PER_DEL) {
            redis::cmd("DEL")
                .arg(chunk)
                .query_async::<i64>(&mut connection)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_key_is_new_apis_hmac() {
        // HMAC-SHA256(key = "key", message = "The quick brown fox jumps over the lazy dog"), a published
        // test vector, so the hex encoding and the key/message order are those of Go's crypto/hmac.
        assert_eq!(
            cache_key(b"key", "The quick brown fox jumps over the lazy dog"),
            "token:f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }
}
