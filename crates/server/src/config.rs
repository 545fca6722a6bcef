//! Command line and environment, named as new-api names them (`PORT`, `SQLITE_PATH`, `SQL_DSN`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use tokenbatch_store::Location;

#[derive(Debug, Parser)]
#[command(
    name = "tokenbatch",
    version,
    about = "Bulk editing of new-api gateway tokens: gRPC and PUT /api/token/batch on one port"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve gRPC and HTTP on one port.
    Serve(ServeArgs),
    /// Manage users (new-api's `users` table).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Seed a demo user with ~50 varied tokens (ids 840-889, so the documented example's 873 and 869 exist).
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// SQLite database file, created on first start; used when no DSN is given. new-api style values such as
    /// `one-api.db?_busy_timeout=30000` are accepted (the query part is ignored).
    #[arg(long = "sqlite", env = "SQLITE_PATH", default_value = "tokenbatch.db")]
    pub sqlite_path: String,
    /// The database new-api uses, read the way new-api reads it: `postgres://…` / `postgresql://…` for
    /// PostgreSQL; `mysql://…` or Go's `user:pass@tcp(host:port)/db?parseTime=true` for MySQL / MariaDB;
    /// `local` (or unset) for the SQLite file.
    #[arg(long = "sql-dsn", env = "SQL_DSN", hide_env_values = true)]
    pub sql_dsn: Option<String>,
    /// Seconds one database operation (a whole batch transaction included) may take before the request
    /// answers 503 and its connection is closed, never reused (docs/operations.md, "Database timeouts").
    #[arg(long, env = "TOKENBATCH_DB_TIMEOUT_SECS", default_value_t = 30)]
    pub db_timeout_secs: u64,
    /// Seconds one statement may run on the database server (PostgreSQL statement_timeout, MariaDB
    /// max_statement_time, MySQL max_execution_time).
    #[arg(
        long,
        env = "TOKENBATCH_DB_STATEMENT_TIMEOUT_SECS",
        default_value_t = 20
    )]
    pub db_statement_timeout_secs: u64,
    /// Seconds a batch waits for a row lock another transaction holds (PostgreSQL lock_timeout, MySQL
    /// innodb_lock_wait_timeout).
    #[arg(long, env = "TOKENBATCH_DB_LOCK_TIMEOUT_SECS", default_value_t = 10)]
    pub db_lock_timeout_secs: u64,
    /// Seconds the database server keeps a session that sits idle inside a transaction (its client stalled
    /// or gone) before ending it and releasing its locks (PostgreSQL idle_in_transaction_session_timeout,
    /// MariaDB idle_transaction_timeout, MySQL wait_timeout).
    #[arg(
        long,
        env = "TOKENBATCH_DB_IDLE_IN_TRANSACTION_TIMEOUT_SECS",
        default_value_t = 10
    )]
    pub db_idle_in_transaction_timeout_secs: u64,
    /// Seconds of silence after which PostgreSQL probes tokenbatch's connection with TCP keepalives.
    #[arg(long, env = "TOKENBATCH_DB_KEEPALIVE_SECS", default_value_t = 30)]
    pub db_keepalive_secs: u64,
}

impl DatabaseArgs {
    pub fn limits(&self) -> tokenbatch_store::DatabaseLimits {
        let secs = |value: u64| std::time::Duration::from_secs(value.max(1));
        tokenbatch_store::DatabaseLimits {
            operation_timeout: secs(self.db_timeout_secs),
            statement_timeout: secs(self.db_statement_timeout_secs),
            lock_timeout: secs(self.db_lock_timeout_secs),
            idle_in_transaction_timeout: secs(self.db_idle_in_transaction_timeout_secs),
            keepalive: secs(self.db_keepalive_secs),
        }
    }

    pub fn location(&self) -> Result<Location, String> {
        let sqlite_path = self.sqlite_path.split('?').next().unwrap_or_default();
        if let Some(dsn) = self.sql_dsn.as_deref().filter(|dsn| !dsn.trim().is_empty()) {
            return Location::from_dsn(dsn, PathBuf::from(sqlite_path)).map_err(|e| e.to_string());
        }
        if sqlite_path.is_empty() {
            return Err("the SQLite path (--sqlite / SQLITE_PATH) is empty".to_owned());
        }
        Ok(Location::SqliteFile(PathBuf::from(sqlite_path)))
    }
}

/// new-api's Redis token cache, invalidated after every committed batch.
#[derive(Debug, Args)]
pub struct CacheArgs {
    /// new-api's Redis (`redis://…`); when set, the cache entries of changed tokens are deleted after commit.
    #[arg(long = "redis", env = "REDIS_CONN_STRING", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// The secret new-api hashes token keys with for its cache keys.
    #[arg(long, env = "CRYPTO_SECRET", hide_env_values = true)]
    pub crypto_secret: Option<String>,
    /// new-api's fallback when CRYPTO_SECRET is unset.
    #[arg(long, env = "SESSION_SECRET", hide_env_values = true)]
    pub session_secret: Option<String>,
}

impl CacheArgs {
    /// The secret new-api would use: CRYPTO_SECRET, else SESSION_SECRET.
    pub fn secret(&self) -> Option<String> {
        [&self.crypto_secret, &self.session_secret]
            .into_iter()
            .flatten()
            .find(|secret| !secret.is_empty())
            .cloned()
    }
}

/// Bounds on concurrent work and slow clients.
#[derive(Debug, Args)]
pub struct LimitArgs {
    /// Requests served at once; more are refused with HTTP 503 / gRPC RESOURCE_EXHAUSTED.
    #[arg(long, env = "TOKENBATCH_MAX_IN_FLIGHT", default_value_t = 512)]
    pub max_in_flight: usize,
    /// Seconds a client may take to send a request body (HTTP 408 after that).
    #[arg(long, env = "TOKENBATCH_BODY_TIMEOUT_SECS", default_value_t = 30)]
    pub body_timeout_secs: u64,
    /// Connections open at once; at the cap the longest-idle one is closed to admit a new one. 0: the soft
    /// RLIMIT_NOFILE minus 256 (768 under the usual 1 024), at most 10 000.
    #[arg(long, env = "TOKENBATCH_MAX_CONNECTIONS", default_value_t = 0)]
    pub max_connections: usize,
    /// Seconds a new connection has to start its first request, and an HTTP/1 client to send a whole
    /// request head (on HTTP/1 this also bounds the idle time between keep-alive requests).
    #[arg(
        long,
        env = "TOKENBATCH_HEADER_READ_TIMEOUT_SECS",
        default_value_t = 10
    )]
    pub header_read_timeout_secs: u64,
    /// Seconds a connection may stay open with no request in flight (HTTP/2 gets a GOAWAY).
    #[arg(long, env = "TOKENBATCH_IDLE_TIMEOUT_SECS", default_value_t = 60)]
    pub idle_timeout_secs: u64,
    /// Seconds between HTTP/2 keep-alive pings.
    #[arg(
        long,
        env = "TOKENBATCH_HTTP2_KEEPALIVE_INTERVAL_SECS",
        default_value_t = 20
    )]
    pub http2_keepalive_interval_secs: u64,
    /// Seconds an HTTP/2 ping may go unanswered before the connection is closed.
    #[arg(
        long,
        env = "TOKENBATCH_HTTP2_KEEPALIVE_TIMEOUT_SECS",
        default_value_t = 20
    )]
    pub http2_keepalive_timeout_secs: u64,
}

impl LimitArgs {
    pub fn limits(&self) -> crate::limits::Limits {
        let secs = |value: u64| std::time::Duration::from_secs(value.max(1));
        crate::limits::Limits {
            max_in_flight: self.max_in_flight,
            body_timeout: secs(self.body_timeout_secs),
            max_connections: match self.max_connections {
                0 => crate::limits::default_max_connections(),
                max => max,
            },
            header_read_timeout: secs(self.header_read_timeout_secs),
            idle_timeout: secs(self.idle_timeout_secs),
            http2_keep_alive_interval: secs(self.http2_keepalive_interval_secs),
            http2_keep_alive_timeout: secs(self.http2_keepalive_timeout_secs),
        }
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    #[command(flatten)]
    pub cors: crate::cors::CorsArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Address to listen on: a port (all interfaces, like new-api's PORT) or host:port. Port 0 picks a free one.
    #[arg(long, env = "PORT", default_value = "3000", value_parser = parse_listen)]
    pub listen: SocketAddr,
    /// Seconds a dry run's plan may be applied by its `plan_id` (docs/api.md, "Plans"); at least 1. A plan is
    /// kept in the database at least this long and at least 24 hours, like an Idempotency-Key.
    #[arg(long, env = "TOKENBATCH_PLAN_TTL_SECS", default_value_t = 3600)]
    pub plan_ttl_secs: u64,
    /// Milliseconds the usable-group options (`UserUsableGroups`, the special usable groups) are kept between
    /// batches instead of read for each; 0 reads them every time. new-api's own nodes re-read their options
    /// every SYNC_FREQUENCY seconds (docs/operations.md).
    #[arg(long, env = "TOKENBATCH_OPTIONS_CACHE_MS", default_value_t = crate::group_options::DEFAULT_OPTIONS_TTL.as_millis() as u64)]
    pub options_cache_ms: u64,
    /// Days the history of applied batches is kept (docs/api.md, "History"); older change sets are purged
    /// in the background, in small chunks. 0 keeps it forever.
    #[arg(long, env = "TOKENBATCH_HISTORY_DAYS", default_value_t = crate::retention::DEFAULT_HISTORY_DAYS)]
    pub history_days: u32,
}

impl ServeArgs {
    pub fn plan_ttl(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.plan_ttl_secs.max(1))
    }

    pub fn options_ttl(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.options_cache_ms)
    }
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user and print its id and system access token.
    Add(UserAddArgs),
}

#[derive(Debug, Args)]
pub struct UserAddArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[arg(long)]
    pub username: String,
    /// The user's own group (new-api's users.group).
    #[arg(long, default_value = "default")]
    pub group: String,
    #[arg(long, value_enum, default_value_t = Role::Common)]
    pub role: Role,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Role {
    Common,
    Admin,
    Root,
}

impl Role {
    /// new-api's `common.Role*User` values.
    pub fn value(self) -> i64 {
        match self {
            Role::Common => 1,
            Role::Admin => 10,
            Role::Root => 100,
        }
    }
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub cache: CacheArgs,
    /// Serve right after seeding.
    #[arg(long)]
    pub serve: bool,
    /// Where to serve with --serve (see `serve --listen`).
    #[arg(long, env = "PORT", default_value = "3000", value_parser = parse_listen)]
    pub listen: SocketAddr,
}

fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::from(([0, 0, 0, 0], port)));
    }
    text.parse::<SocketAddr>()
        .map_err(|_| format!("`{text}` is neither a port nor a host:port address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_takes_a_port_or_an_address() {
        assert_eq!(
            parse_listen("3000").unwrap(),
            "0.0.0.0:3000".parse().unwrap()
        );
        assert_eq!(
            parse_listen("127.0.0.1:0").unwrap(),
            "127.0.0.1:0".parse().unwrap()
        );
        assert!(parse_listen("localhost").is_err());
    }

    /// `DatabaseArgs` as clap fills it from `args` (defaults for the rest).
    fn database_args(args: &[&str]) -> DatabaseArgs {
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            database: DatabaseArgs,
        }
        Wrapper::parse_from(std::iter::once("tokenbatch").chain(args.iter().copied())).database
    }

    #[test]
    fn new_api_sqlite_path_query_is_ignored() {
        let args = database_args(&["--sqlite", "one-api.db?_busy_timeout=30000"]);
        assert_eq!(
            args.location().unwrap(),
            Location::SqliteFile("one-api.db".into())
        );
    }

    #[test]
    fn database_limits_default_to_the_stores_and_follow_the_flags() {
        assert_eq!(
            database_args(&[]).limits(),
            tokenbatch_store::DatabaseLimits::default()
        );
        let limits =
            database_args(&["--db-timeout-secs", "7", "--db-lock-timeout-secs", "0"]).limits();
        assert_eq!(limits.operation_timeout, std::time::Duration::from_secs(7));
        // 0 would switch a timeout off: the smallest bound is kept instead.
        assert_eq!(limits.lock_timeout, std::time::Duration::from_secs(1));
    }

    #[test]
    fn crypto_secret_falls_back_to_session_secret() {
        let cache = |crypto: Option<&str>, session: Option<&str>| CacheArgs {
            redis_url: None,
            crypto_secret: crypto.map(str::to_owned),
            session_secret: session.map(str::to_owned),
        };
        assert_eq!(cache(Some("c"), Some("s")).secret().as_deref(), Some("c"));
        assert_eq!(cache(Some(""), Some("s")).secret().as_deref(), Some("s"));
        assert_eq!(cache(None, None).secret(), None);
    }

    #[test]
    fn a_dsn_picks_the_engine_like_new_api() {
        let args = |dsn: &str| database_args(&["--sqlite", "x.db", "--sql-dsn", dsn]);
        assert!(matches!(
            args("postgres://u@h/d").location(),
            Ok(Location::Postgres(_))
        ));
        assert!(matches!(
            args("root:@tcp(h:3306)/d").location(),
            Ok(Location::MySql(_))
        ));
        assert_eq!(
            args("local").location().unwrap(),
            Location::SqliteFile("x.db".into())
        );
        assert_eq!(
            args("  ").location().unwrap(),
            Location::SqliteFile("x.db".into())
        );
        assert!(args("nonsense").location().unwrap_err().contains("SQL_DSN"));
    }
}
