//! Where the data lives, read from `SQL_DSN` the way new-api reads it.

use std::path::PathBuf;

/// A database tokenbatch can open.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    SqliteFile(PathBuf),
    /// A `postgres://` / `postgresql://` URL.
    Postgres(String),
    /// A `mysql://` URL (Go DSNs are converted by [`Location::from_dsn`]).
    MySql(String),
}

/// Debug output never shows a password.
impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::SqliteFile(path) => f.debug_tuple("SqliteFile").field(path).finish(),
            Location::Postgres(url) => f.debug_tuple("Postgres").field(&redact(url)).finish(),
            Location::MySql(url) => f.debug_tuple("MySql").field(&redact(url)).finish(),
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::SqliteFile(path) => write!(f, "SQLite file {}", path.display()),
            Location::Postgres(url) => write!(f, "PostgreSQL {}", redact(url)),
            Location::MySql(url) => write!(f, "MySQL {}", redact(url)),
        }
    }
}

/// The URL with any password replaced, for logs and errors.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_owned(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SQL_DSN is not a PostgreSQL URL, a mysql:// URL or a Go MySQL DSN (user:pass@tcp(host:port)/db): {0}")]
pub struct DsnError(String);

impl Location {
    /// new-api's rules: `postgres://` or `postgresql://` is PostgreSQL, `local` is the SQLite file, anything
    /// else is MySQL — a `mysql://` URL or Go's DSN form `user:pass@tcp(host:port)/db?parseTime=true`.
    pub fn from_dsn(dsn: &str, sqlite_path: PathBuf) -> Result<Location, DsnError> {
        let dsn = dsn.trim();
        if dsn.starts_with("postgres://") || dsn.starts_with("postgresql://") {
            return Ok(Location::Postgres(dsn.to_owned()));
        }
        if dsn.starts_with("local") {
            return Ok(Location::SqliteFile(sqlite_path));
        }
        if dsn.starts_with("mysql://") {
            return Ok(Location::MySql(dsn.to_owned()));
        }
        go_mysql_dsn_to_url(dsn)
            .map(Location::MySql)
            .ok_or_else(|| DsnError(redact_go_dsn(dsn)))
    }
}

/// `[user[:password]@][net[(addr)]]/dbname[?params]` → `mysql://user:password@host:port/dbname`. Go driver
/// parameters (`parseTime`, `charset`, `loc`, …) mean nothing to sqlx and are dropped; sqlx speaks utf8mb4.
fn go_mysql_dsn_to_url(dsn: &str) -> Option<String> {
    let (before_db, after_slash) = dsn.rsplit_once('/')?;
    let database = after_slash.split('?').next().unwrap_or_default();
    let (credentials, address) = match before_db.rsplit_once('@') {
        Some((credentials, address)) => (Some(credentials), address),
        None => (None, before_db),
    };
    let mut url = String::from("mysql://");
    if let Some(credentials) = credentials {
        let (user, password) = match credentials.split_once(':') {
            Some((user, password)) => (user, Some(password)),
            None => (credentials, None),
        };
        url.push_str(&percent_encode(user));
        if let Some(password) = password {
            url.push(':');
            url.push_str(&percent_encode(password));
        }
        url.push('@');
    }
    let mut socket = None;
    match address {
        "" => url.push_str("127.0.0.1:3306"),
        _ => {
            let open = address.find('(')?;
            let net = &address[..open];
            let inner = address[open + 1..].strip_suffix(')')?;
            match net {
                "tcp" | "tcp6" | "tcp4" => url.push_str(if inner.is_empty() {
                    "127.0.0.1:3306"
                } else {
                    inner
                }),
                "unix" => {
                    url.push_str("localhost");
                    socket = Some(inner);
                }
                _ => return None,
            }
        }
    }
    url.push('/');
    url.push_str(database);
    if let Some(socket) = socket {
        url.push_str("?socket=");
        url.push_str(&percent_encode(socket));
    }
    Some(url)
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn redact_go_dsn(dsn: &str) -> String {
    match dsn.rsplit_once('@') {
        Some((credentials, rest)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{user}:***@{rest}")
        }
        None => dsn.to_owned(),
    }
}

/// Connection-string keys sqlx itself reads from a PostgreSQL URL.
const SQLX_POSTGRES_KEYS: &[&str] = &[
    "sslmode",
    "ssl-mode",
    "sslrootcert",
    "ssl-root-cert",
    "ssl-ca",
    "sslcert",
    "ssl-cert",
    "sslkey",
    "ssl-key",
    "statement-cache-capacity",
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "application_name",
    "options",
];

/// Keys new-api's driver (pgx) reads for itself and never sends to the server: they configure the client
/// (its timeouts, caches, pool, TLS extras) and mean nothing to tokenbatch, which has its own flags.
const PGX_CLIENT_KEYS: &[&str] = &[
    "connect_timeout",
    "sslpassword",
    "sslsni",
    "sslnegotiation",
    "target_session_attrs",
    "krbsrvname",
    "krbspn",
    "service",
    "servicefile",
    "passfile",
    "statement_cache_capacity",
    "statement_cache_mode",
    "description_cache_capacity",
    "default_query_exec_mode",
    "min_read_buffer_size",
    "pool_max_conns",
    "pool_min_conns",
    "pool_min_idle_conns",
    "pool_max_conn_lifetime",
    "pool_max_conn_lifetime_jitter",
    "pool_max_conn_idle_time",
    "pool_health_check_period",
];

/// Splits a PostgreSQL URL the way new-api's driver reads it: keys sqlx knows stay in the URL; keys that only
/// configure pgx's own client are dropped (with a warning); every other key is a run-time parameter that
/// pgx sends to the server as a session setting (`search_path=newapi` makes new-api use schema `newapi`),
/// returned to be sent the same way. Without this, sqlx would ignore `search_path` and tokenbatch would
/// work on another schema's tables than new-api's.
pub(crate) fn postgres_runtime_parameters(
    url: &str,
) -> Result<(String, Vec<(String, String)>), sqlx::Error> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), Vec::new()));
    };
    let mut kept = Vec::new();
    let mut runtime = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = percent_decode(key).map_err(sqlx::Error::Configuration)?;
        if SQLX_POSTGRES_KEYS.contains(&key.as_str()) {
            kept.push(pair);
        } else if PGX_CLIENT_KEYS.contains(&key.as_str()) {
            tracing::warn!(parameter = %key, "SQL_DSN parameter of new-api's driver ignored: tokenbatch has its own settings");
        } else {
            let value = percent_decode(value).map_err(sqlx::Error::Configuration)?;
            runtime.push((key, value));
        }
    }
    let url = match kept.is_empty() {
        true => base.to_owned(),
        false => format!("{base}?{}", kept.join("&")),
    };
    Ok((url, runtime))
}

/// A value inside PostgreSQL's `options` (`-c name=value`): spaces separate arguments unless escaped.
pub(crate) fn escape_pg_option(value: &str) -> String {
    value.replace('\\', "\\\\").replace(' ', "\\ ")
}

fn percent_decode(text: &str) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'%' => {
                let hex = text
                    .get(index + 1..index + 3)
                    .ok_or("SQL_DSN: a % not followed by two hex digits")?;
                out.push(
                    u8::from_str_radix(hex, 16)
                        .map_err(|_| "SQL_DSN: a % not followed by two hex digits")?,
                );
                index += 3;
            }
            b'+' => {
                out.push(b' ');
                index += 1;
            }
            byte => {
                out.push(byte);
                index += 1;
            }
        }
    }
    Ok(String::from_utf8(out)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(dsn: &str) -> Location {
        Location::from_dsn(dsn, PathBuf::from("x.db")).unwrap()
    }

    #[test]
    fn postgres_urls_are_postgres() {
        assert_eq!(
            from("postgres://u@h/db"),
            Location::Postgres("postgres://u@h/db".into())
        );
        assert_eq!(
            from("postgresql://u@h/db"),
            Location::Postgres("postgresql://u@h/db".into())
        );
    }

    #[test]
    fn go_dsns_become_mysql_urls() {
        assert_eq!(
            from("root:p@ss/w@tcp(127.0.0.1:3306)/oneapi?parseTime=true&charset=utf8mb4"),
            Location::MySql("mysql://root:p%40ss%2Fw@127.0.0.1:3306/oneapi".into())
        );
        assert_eq!(
            from("root@tcp(db:3307)/x"),
            Location::MySql("mysql://root@db:3307/x".into())
        );
        assert_eq!(
            from("root:@/x"),
            Location::MySql("mysql://root:@127.0.0.1:3306/x".into())
        );
        assert_eq!(
            from("u:p@unix(/run/mysqld/mysqld.sock)/x"),
            Location::MySql("mysql://u:p@localhost/x?socket=%2Frun%2Fmysqld%2Fmysqld.sock".into())
        );
        assert_eq!(
            from("mysql://root@h/x"),
            Location::MySql("mysql://root@h/x".into())
        );
    }

    #[test]
    fn local_means_the_sqlite_file() {
        assert_eq!(from("local"), Location::SqliteFile("x.db".into()));
    }

    #[test]
    fn garbage_is_refused_without_echoing_the_password() {
        let error = Location::from_dsn("user:secret@nowhere", PathBuf::new()).unwrap_err();
        assert!(!error.to_string().contains("secret"), "{error}");
    }

    #[test]
    fn postgres_runtime_parameters_are_split_from_what_sqlx_and_pgx_read() {
        let (url, runtime) = postgres_runtime_parameters(
            "postgres://u:p@h/db?sslmode=disable&search_path=newapi%2Cpublic&connect_timeout=5&TimeZone=Asia/Shanghai",
        )
        .unwrap();
        assert_eq!(url, "postgres://u:p@h/db?sslmode=disable");
        assert_eq!(
            runtime,
            vec![
                ("search_path".to_owned(), "newapi,public".to_owned()),
                ("TimeZone".to_owned(), "Asia/Shanghai".to_owned())
            ]
        );
        assert_eq!(
            postgres_runtime_parameters("postgres://h/db").unwrap(),
            ("postgres://h/db".to_owned(), Vec::new())
        );
        assert!(postgres_runtime_parameters("postgres://h/db?search_path=%zz").is_err());
        assert_eq!(escape_pg_option(r"a b\c"), r"a\ b\\c");
    }

    #[test]
    fn passwords_never_reach_debug_or_display() {
        let location = Location::Postgres("postgres://u:hunter2@h/db".into());
        assert!(!format!("{location:?} {location}").contains("hunter2"));
    }
}
