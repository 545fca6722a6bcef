use thiserror::Error;

/// What can go wrong in the storage layer.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database cannot be reached or is too busy to answer; retrying later may succeed.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// Some requested tokens do not exist, are deleted, or belong to another user (deliberately not which).
    #[error("{missing} of the requested tokens were not found")]
    TokensNotFound { missing: usize },
    /// A stored value that tokenbatch cannot read (e.g. a NULL where new-api never writes one).
    #[error("unexpected data in the database: {0}")]
    Data(String),
    /// The engine rolled the transaction back to resolve a lock conflict (deadlock, serialization failure).
    #[error("transaction rolled back by a lock conflict: {0}")]
    Conflict(#[source] sqlx::Error),
    /// A value holds a character its MySQL column's character set (latin1, utf8mb3) cannot store; nothing
    /// was written.
    #[error("{} holds {character:?}, which its column's character set {charset} cannot store", field.name())]
    NotInCharset {
        field: tokenbatch_rules::Field,
        character: char,
        charset: String,
    },
    /// The batch's request id was recorded earlier with a different request; nothing was written.
    #[error("the request id was already used for a different request")]
    RequestIdReused,
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if is_unavailable(&error) {
            StoreError::Unavailable(error)
        } else if is_conflict(&error) {
            StoreError::Conflict(error)
        } else {
            StoreError::Database(error)
        }
    }
}

fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => {
            // SQLite: BUSY (5), LOCKED (6), CANTOPEN (14) mean "not now", not "your request is wrong".
            matches!(db.code().as_deref(), Some("5" | "6" | "14" | "517" | "261"))
        }
        _ => false,
    }
}

/// Deadlock victims and serialization failures (SQLSTATE 40001 on PostgreSQL and MySQL, 40P01 on
/// PostgreSQL) and MySQL's lock wait timeout: the transaction was rolled back and may simply be run again.
fn is_conflict(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            matches!(db.code().as_deref(), Some("40001" | "40P01"))
                || db.message().contains("Lock wait timeout exceeded")
        }
        _ => false,
    }
}
