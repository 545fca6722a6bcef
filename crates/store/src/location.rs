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
    fn passwords_never_reach_debug_or_display() {
        let location = Location::Postgres("postgres://u:hunter2@h/db".into());
        assert!(!format!("{location:?} {location}").contains("hunter2"));
    }
}
