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
    /// Some tokens' results would be out of bounds (docs/SPEC.md §11: a quota below zero, a list too long,
    /// enabling an expired token…), each kind with how many tokens; nothing was written.
    #[error("the batch would put tokens out of bounds: {0:?}")]
    OutOfBounds(Vec<(tokenbatch_rules::operation::TokenOutcome, usize)>),
    /// The batch's request id was recorded earlier with a different request; nothing was written.
    #[error("the request id was already used for a different request")]
    RequestIdReused,
    /// The plan to apply is not (or no longer) stored for this user; nothing was written.
    #[error("no such plan")]
    PlanNotFound,
    /// `count` of the plan's `total` pinned tokens changed since its preview (docs/SPEC.md §10); nothing was
    /// written.
    #[error("{count} of the plan's {total} tokens changed since the preview")]
    PlanStale { count: usize, total: usize },
    /// No change set with that id was made by the caller (an unknown id and another user's alike).
    #[error("no such change set")]
    ChangeNotFound,
    /// The change set was reverted already, by change set `revert_id`; nothing was written.
    #[error("the change set was already reverted by change set {revert_id}")]
    ChangeAlreadyReverted { revert_id: i64 },
    /// A strict revert would skip `skipped` tokens (changed since, deleted, another owner); nothing was
    /// written.
    #[error("{skipped} tokens changed since the change set")]
    RevertConflict { skipped: usize },
    /// The connection failed, or the operation's deadline passed, while the batch's COMMIT was on its way: the
    /// batch may or may not have been applied (all of it or none of it). Only a retry with the same request
    /// id, or a look at the tokens, tells.
    #[error("the outcome of the commit is unknown: {0}")]
    OutcomeUnknown(#[source] sqlx::Error),
    /// The database's disk (or table) is full: nothing was written, and nothing will be until space is made.
    #[error("the database's disk is full: {0}")]
    Full(#[source] sqlx::Error),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl StoreError {
    /// Whether the connection that produced this error may be mid-protocol or mid-transaction (a broken or
    /// silent network, a transaction the engine could not end cleanly, as SQLite's on a full disk): such a
    /// connection is closed rather than returned to the pool. Refusals and statement errors leave it usable.
    pub(crate) fn spoils_connection(&self) -> bool {
        match self {
            StoreError::Unavailable(_) | StoreError::Full(_) | StoreError::OutcomeUnknown(_) => {
                true
            }
            StoreError::Database(error) => !matches!(error, sqlx::Error::Database(_)),
            StoreError::TokensNotFound { .. }
            | StoreError::Data(_)
            | StoreError::Conflict(_)
            | StoreError::NotInCharset { .. }
            | StoreError::OutOfBounds(_)
            | StoreError::RequestIdReused
            | StoreError::PlanNotFound
            | StoreError::PlanStale { .. }
            | StoreError::ChangeNotFound
            | StoreError::ChangeAlreadyReverted { .. }
            | StoreError::RevertConflict { .. } => false,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if is_full(&error) {
            StoreError::Full(error)
        } else if is_unavailable(&error) {
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
                || is_missing_database(db.as_ref())
        }
        _ => false,
    }
}

/// The database, its schema or new-api's tables are not there (dropped, renamed, or a new empty database
/// behind the same name): the service cannot work until they are back, which is an outage (503), not an
/// internal error. PostgreSQL: invalid_catalog_name, invalid_schema_name, undefined_table; MySQL: unknown
/// database (1049), no database selected (1046), no such table (1146); SQLite: "no such table".
fn is_missing_database(db: &dyn sqlx::error::DatabaseError) -> bool {
    if let Some(mysql) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        return matches!(mysql.number(), 1046 | 1049 | 1146);
    }
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        return db.message().starts_with("no such table");
    }
    matches!(db.code().as_deref(), Some("3D000" | "3F000" | "42P01"))
}

/// SQLite's SQLITE_FULL (13), PostgreSQL's disk_full (53100), MySQL's "table is full" (1114) and "disk
/// full" (1021).
fn is_full(error: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = error else {
        return false;
    };
    if let Some(mysql) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        return matches!(mysql.number(), 1021 | 1114);
    }
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        return db.code().as_deref() == Some("13");
    }
    db.code().as_deref() == Some("53100")
}

/// Deadlock victims and serialization failures (SQLSTATE 40001 on PostgreSQL and MySQL, 40P01 on
/// PostgreSQL) and MySQL's lock wait timeout: the transaction was rolled back and may simply be run again.
fn is_conflict(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            // 55P03: PostgreSQL's lock_timeout (DatabaseLimits::lock_timeout), MySQL's counterpart below.
            matches!(db.code().as_deref(), Some("40001" | "40P01" | "55P03"))
                || db.message().contains("Lock wait timeout exceeded")
        }
        _ => false,
    }
}
