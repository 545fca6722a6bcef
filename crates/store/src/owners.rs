//! The owners of a set of tokens, with what root's batches across users check of them (docs/SPEC.md §13):
//! each owner's username (to name them in a refusal) and user group (deciding the groups they may use).

use sqlx::Row;

use crate::dialect::{Dialect, ID_CHUNK};
use crate::session::with_connection;
use crate::{Store, StoreError};

/// One owner of some of a batch's tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenOwner {
    pub user_id: i64,
    /// Empty when no user row holds the id any more.
    pub username: String,
    /// new-api's user group (`users.group`), empty likewise.
    pub group: String,
}

/// The distinct owners of the live tokens among `count` ids (a list of placeholders on every engine), with
/// their user rows; a token whose user row is gone still names its owner.
fn owners_statement(d: Dialect, count: usize) -> String {
    d.sql(&format!(
        "SELECT {id}, {username}, {group} FROM (SELECT DISTINCT user_id FROM tokens \
         WHERE id IN ({list}) AND deleted_at IS NULL) AS o LEFT JOIN users AS u ON u.id = o.user_id",
        id = d.integer("o.user_id", 0),
        username = d.text("u.username"),
        group = d.text(&format!("u.{}", d.quote("group"))),
        list = vec!["?"; count].join(", "),
    ))
}

impl Store {
    /// The distinct owners of the live tokens among `ids`, ascending by user id. Ids that are no live token
    /// add nothing: the batch then reports them as not found.
    pub async fn token_owners(&self, ids: &[i64]) -> Result<Vec<TokenOwner>, StoreError> {
        let d = self.dialect();
        // One connection for every chunk: a 100 000-token selection is a hundred statements, not a hundred
        // sessions.
        let mut owners: Vec<TokenOwner> = with_connection!(self, |conn| {
            let mut owners = Vec::new();
            for chunk in ids.chunks(ID_CHUNK) {
                let sql = owners_statement(d, chunk.len());
                let mut query = sqlx::query(&sql);
                for id in chunk {
                    query = query.bind(*id);
                }
                for row in query.fetch_all(&mut *conn).await? {
                    owners.push(TokenOwner {
                        user_id: row.try_get(0)?,
                        username: row.try_get(1)?,
                        group: row.try_get(2)?,
                    });
                }
            }
            Ok::<_, StoreError>(owners)
        })?;
        owners.sort_unstable_by_key(|owner| owner.user_id);
        owners.dedup_by_key(|owner| owner.user_id);
        Ok(owners)
    }
}
