//! Queries of new-api's `users` table.

use sqlx::Row;

use crate::dialect::Dialect;
use crate::session::with_connection;
use crate::{NewUser, Pool, Store, StoreError, UserRecord};

impl Store {
    /// The user with this id, unless soft-deleted.
    pub async fn find_user(&self, id: i64) -> Result<Option<UserRecord>, StoreError> {
        let sql = self.user_select("id = ?");
        with_connection!(self, |conn| {
            let row = sqlx::query(&sql).bind(id).fetch_optional(conn).await?;
            row.map(|row| UserRecord::from_row(&row)).transpose()
        })
    }

    /// The user with this username, unless soft-deleted.
    pub async fn find_user_by_username(
        &self,
        username: &str,
    ) -> Result<Option<UserRecord>, StoreError> {
        let sql = self.user_select("username = ?");
        with_connection!(self, |conn| {
            let row = sqlx::query(&sql)
                .bind(username)
                .fetch_optional(conn)
                .await?;
            row.map(|row| UserRecord::from_row(&row)).transpose()
        })
    }

    fn user_select(&self, condition: &str) -> String {
        let d = self.dialect();
        d.sql(&format!(
            "SELECT {id}, {username}, {status}, {role}, {group}, access_token FROM users \
             WHERE {condition} AND deleted_at IS NULL",
            id = d.integer("id", 0),
            username = d.text("username"),
            status = d.integer("status", 1),
            role = d.integer("role", 1),
            group = d.text(&d.quote("group")),
        ))
    }

    /// Inserts a user and returns its id.
    pub async fn insert_user(&self, user: &NewUser) -> Result<i64, StoreError> {
        let d = self.dialect();
        let returning = if d == Dialect::Postgres {
            " RETURNING id"
        } else {
            ""
        };
        let sql = d.sql(&format!(
            "INSERT INTO users (username, password, display_name, role, status, access_token, {group}, \
             aff_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?){returning}",
            group = d.quote("group"),
        ));
        macro_rules! insert {
            () => {
                sqlx::query(&sql)
                    .bind(&user.username)
                    .bind(&user.password_hash)
                    .bind(&user.username)
                    .bind(user.role)
                    .bind(user.status)
                    .bind(&user.access_token)
                    .bind(&user.group)
                    .bind(&user.aff_code)
            };
        }
        Ok(match &self.pool {
            Pool::Sqlite(pool) => insert!().execute(pool).await?.last_insert_rowid(),
            Pool::Postgres(pool) => insert!().fetch_one(pool).await?.try_get::<i64, _>(0)?,
            Pool::MySql(pool) => insert!().execute(pool).await?.last_insert_id() as i64,
        })
    }
}
