//! How long tokenbatch and the database may keep each other waiting.
//!
//! A batch holds row locks (`FOR UPDATE`) on tokens that new-api itself updates on every relayed request. If
//! the network between tokenbatch and the database fails in the middle of a batch, two things must still
//! hold: tokenbatch answers within a bounded time and never puts a connection in an unknown state back into
//! its pool, and the database never keeps the batch's transaction (and its locks) open for a client that is
//! gone. The first is enforced here, on the client side: a deadline on every store operation, and a
//! connection that failed or ran out of time is closed instead of being returned to the pool (sqlx would
//! otherwise test it with a ping that has no timeout of its own, holding a pool slot for good on a silent
//! connection). The second is asked of the database server as session settings, sent with every new
//! connection: PostgreSQL's `idle_in_transaction_session_timeout`, `lock_timeout`, `statement_timeout`,
//! TCP keepalives and (14+) `client_connection_check_interval`; MariaDB's `idle_transaction_timeout`,
//! `innodb_lock_wait_timeout` and `max_statement_time` (MySQL: `wait_timeout`, which is all it has for a
//! silent session, and `max_execution_time`, which bounds reads only).

use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::Database;

use crate::StoreError;

/// Bounds on one store operation and on the database sessions it uses. The defaults suit a batch of up to
/// 10 000 tokens on a healthy database by a wide margin (such a batch takes well under a second) while
/// freeing new-api's rows within seconds of a network failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DatabaseLimits {
    /// Deadline on one store operation as a whole, a batch's transaction and its retries included. Past it
    /// the caller gets [`StoreError::Unavailable`] and the connection is closed, not returned to the pool.
    pub operation_timeout: Duration,
    /// One statement on the server (PostgreSQL `statement_timeout`, MariaDB `max_statement_time`).
    pub statement_timeout: Duration,
    /// Waiting for another transaction's row lock (PostgreSQL `lock_timeout`, MySQL
    /// `innodb_lock_wait_timeout`, in whole seconds there).
    pub lock_timeout: Duration,
    /// A session idle inside an open transaction, its client stalled or gone, is ended by the server and
    /// its locks released (PostgreSQL `idle_in_transaction_session_timeout`, MariaDB
    /// `idle_transaction_timeout`, MySQL `wait_timeout`).
    pub idle_in_transaction_timeout: Duration,
    /// The server probes a silent client connection after this long (PostgreSQL `tcp_keepalives_idle`, with
    /// probes every third of it, three times), so a client machine that vanished is noticed.
    pub keepalive: Duration,
}

impl Default for DatabaseLimits {
    fn default() -> Self {
        DatabaseLimits {
            operation_timeout: Duration::from_secs(30),
            statement_timeout: Duration::from_secs(20),
            lock_timeout: Duration::from_secs(10),
            idle_in_transaction_timeout: Duration::from_secs(10),
            keepalive: Duration::from_secs(30),
        }
    }
}

impl DatabaseLimits {
    /// PostgreSQL session settings, sent in the startup packet's `options` (no round trip of their own).
    pub(crate) fn postgres_settings(&self) -> Vec<(&'static str, String)> {
        let millis = |duration: Duration| duration.as_millis().max(1).to_string();
        let seconds = |duration: Duration| duration.as_secs().max(1).to_string();
        vec![
            ("statement_timeout", millis(self.statement_timeout)),
            ("lock_timeout", millis(self.lock_timeout)),
            (
                "idle_in_transaction_session_timeout",
                millis(self.idle_in_transaction_timeout),
            ),
            ("tcp_keepalives_idle", seconds(self.keepalive)),
            ("tcp_keepalives_interval", seconds(self.keepalive / 3)),
            ("tcp_keepalives_count", "3".to_owned()),
        ]
    }

    /// The MySQL / MariaDB `SET SESSION` statement run on every new connection, by server kind.
    pub(crate) fn mysql_settings(&self, mariadb: bool) -> String {
        let seconds = |duration: Duration| duration.as_secs().max(1);
        let lock = format!("innodb_lock_wait_timeout = {}", seconds(self.lock_timeout));
        if mariadb {
            format!(
                "SET SESSION {lock}, idle_transaction_timeout = {idle}, max_statement_time = {statement}",
                idle = seconds(self.idle_in_transaction_timeout),
                statement = self.statement_timeout.as_secs_f64().max(0.001),
            )
        } else {
            // MySQL has no timeout for idle transactions alone: `wait_timeout` ends any silent session (the pool
            // closes its idle connections before that, see `idle_timeout`).
            format!(
                "SET SESSION {lock}, wait_timeout = {idle}, max_execution_time = {statement}",
                idle = seconds(self.idle_in_transaction_timeout),
                statement = self.statement_timeout.as_millis().max(1),
            )
        }
    }
}

impl DatabaseLimits {
    /// What every MySQL and MariaDB version knows, for servers older than either statement above.
    pub(crate) fn mysql_settings_everywhere(&self) -> String {
        let seconds = |duration: Duration| duration.as_secs().max(1);
        format!(
            "SET SESSION innodb_lock_wait_timeout = {}, wait_timeout = {}",
            seconds(self.lock_timeout),
            seconds(self.idle_in_transaction_timeout).max(seconds(self.operation_timeout)),
        )
    }
}

/// PostgreSQL 14+: a backend running a statement notices within a second that its client closed the
/// connection, instead of finishing the statement first. Set after connecting, since older servers refuse an
/// unknown setting in the startup packet (and with it the connection).
pub(crate) const POSTGRES_CONNECTION_CHECK: &str = "SET client_connection_check_interval = 1000";
pub(crate) const POSTGRES_CONNECTION_CHECK_SINCE: u32 = 140_000;

/// The error a caller gets when the database did not answer within the operation's deadline.
pub(crate) fn timed_out(deadline: Duration) -> StoreError {
    StoreError::Unavailable(sqlx::Error::Io(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!(
            "no answer from the database within {} s",
            deadline.as_secs_f64()
        ),
    )))
}

/// Ends an operation run on `connection`: its result, or the deadline's error. A connection whose operation
/// ran out of time, or failed in a way that may leave it mid-protocol or mid-transaction, is closed when
/// dropped instead of going back to the pool.
pub(crate) fn settle<DB: Database, T>(
    connection: &mut PoolConnection<DB>,
    outcome: Result<Result<T, StoreError>, tokio::time::error::Elapsed>,
    deadline: Duration,
) -> Result<T, StoreError> {
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => {
            if error.spoils_connection() {
                connection.close_on_drop();
            }
            Err(error)
        }
        Err(_) => {
            connection.close_on_drop();
            Err(timed_out(deadline))
        }
    }
}

/// Runs `$body` with `$conn` bound to a connection of `$pool` (`&mut DB::Connection`), within `$deadline`
/// (a [`tokio::time::Instant`]); see [`settle`] for what happens to the connection afterwards.
macro_rules! on_connection {
    ($pool:expr, $deadline:expr, $budget:expr, |$conn:ident| $body:expr) => {{
        match tokio::time::timeout_at($deadline, $pool.acquire()).await {
            Ok(acquired) => {
                let mut connection = acquired.map_err($crate::StoreError::from)?;
                let outcome = tokio::time::timeout_at($deadline, async {
                    let $conn = &mut *connection;
                    $body
                })
                .await;
                $crate::session::settle(&mut connection, outcome, $budget)
            }
            Err(_) => Err($crate::session::timed_out($budget)),
        }
    }};
}
pub(crate) use on_connection;

/// [`on_connection!`] on the store's own pool, whichever engine it is, within the store's operation
/// deadline.
macro_rules! with_connection {
    ($store:expr, |$conn:ident| $body:expr) => {{
        let budget = $store.limits.operation_timeout;
        let deadline = tokio::time::Instant::now() + budget;
        $crate::on_pool!($store, |pool| $crate::session::on_connection!(
            pool,
            deadline,
            budget,
            |$conn| $body
        ))
    }};
}
pub(crate) use with_connection;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_settings_are_in_milliseconds_and_never_zero() {
        let limits = DatabaseLimits {
            statement_timeout: Duration::from_millis(1500),
            lock_timeout: Duration::ZERO,
            ..DatabaseLimits::default()
        };
        let settings = limits.postgres_settings();
        assert!(settings.contains(&("statement_timeout", "1500".to_owned())));
        // 0 would switch the timeout off: the smallest bound is kept instead.
        assert!(settings.contains(&("lock_timeout", "1".to_owned())));
    }

    #[test]
    fn mysql_settings_name_each_servers_own_variables() {
        let limits = DatabaseLimits::default();
        let mariadb = limits.mysql_settings(true);
        assert!(
            mariadb.contains("idle_transaction_timeout = 10"),
            "{mariadb}"
        );
        assert!(mariadb.contains("max_statement_time = 20"), "{mariadb}");
        let mysql = limits.mysql_settings(false);
        assert!(mysql.contains("wait_timeout = 10"), "{mysql}");
        assert!(mysql.contains("max_execution_time = 20000"), "{mysql}");
    }
}
