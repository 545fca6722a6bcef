//! Queries of new-api's `tokens` table (the batch update itself is [`crate::batch`]).

use sqlx::Row;

use tokenbatch_rules::Field;

use crate::dialect::Dialect;
use crate::records::bind_value;
use crate::session::with_connection;
use crate::{on_pool, records, NewToken, Store, StoreError, TokenRecord};

impl Store {
    /// Inserts tokens (the demo seed and tests), keeping explicit ids.
    pub async fn insert_tokens(&self, tokens: &[NewToken]) -> Result<(), StoreError> {
        let d = self.dialect();
        // The writable fields' columns come last, in [`Field::ALL`] order.
        let field_columns: Vec<String> = Field::ALL.map(|field| d.quote(field.name())).to_vec();
        let sql = d.sql(&format!(
            "INSERT INTO tokens (id, user_id, {key}, status, name, created_time, accessed_time, used_quota, \
             cross_group_retry, billing_type, {fields}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, {values})",
            key = d.quote("key"),
            fields = field_columns.join(", "),
            values = vec!["?"; field_columns.len()].join(", "),
        ));
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            for token in tokens {
                let mut query = sqlx::query(&sql)
                    .bind(token.id)
                    .bind(token.user_id)
                    .bind(&token.key)
                    .bind(token.state.status)
                    .bind(&token.name)
                    .bind(token.created_time)
                    .bind(token.created_time)
                    .bind(token.used_quota)
                    .bind(false);
                for field in Field::ALL {
                    query = bind_value!(query, token.state.get(field));
                }
                query.execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        if self.dialect() == Dialect::Postgres {
            // Explicit ids leave the bigserial sequence behind; new rows must not collide with them.
            on_pool!(self, |pool| {
                sqlx::query(
                    "SELECT setval(pg_get_serial_sequence('tokens', 'id'), \
                     GREATEST((SELECT COALESCE(MAX(id), 0) FROM tokens), 1))",
                )
                .execute(pool)
                .await?;
            });
        }
        Ok(())
    }

    /// A page of the user's live tokens, newest first, and how many there are in all.
    pub async fn list_tokens(
        &self,
        user_id: i64,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<TokenRecord>, i64), StoreError> {
        self.find_tokens(user_id, None, None, offset, limit).await
    }

    /// new-api's token search: `name_pattern` / `key_pattern` are LIKE patterns from [`tokenbatch_rules::like_pattern`].
    pub async fn search_tokens(
        &self,
        user_id: i64,
        name_pattern: Option<&str>,
        key_pattern: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<TokenRecord>, i64), StoreError> {
        self.find_tokens(user_id, name_pattern, key_pattern, offset, limit)
            .await
    }

    async fn find_tokens(
        &self,
        user_id: i64,
        name_pattern: Option<&str>,
        key_pattern: Option<&str>,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<TokenRecord>, i64), StoreError> {
        let d = self.dialect();
        let mut filter = String::from("user_id = ? AND deleted_at IS NULL");
        if name_pattern.is_some() {
            filter.push_str(" AND name LIKE ? ESCAPE '!'");
        }
        if key_pattern.is_some() {
            filter.push_str(&format!(" AND {} LIKE ? ESCAPE '!'", d.quote("key")));
        }
        let count_sql = d.sql(&format!(
            "SELECT {} FROM tokens WHERE {filter}",
            d.integer("COUNT(*)", 0)
        ));
        let page_sql = d.sql(&format!(
            "SELECT {columns} FROM tokens WHERE {filter} ORDER BY id DESC LIMIT ? OFFSET ?",
            columns = records::token_columns(d),
        ));
        with_connection!(self, |conn| {
            let mut count = sqlx::query(&count_sql).bind(user_id);
            let mut page = sqlx::query(&page_sql).bind(user_id);
            for pattern in [name_pattern, key_pattern].into_iter().flatten() {
                count = count.bind(pattern);
                page = page.bind(pattern);
            }
            let total: i64 = count.fetch_one(&mut *conn).await?.try_get(0)?;
            let rows = page.bind(limit).bind(offset).fetch_all(&mut *conn).await?;
            let tokens = rows
                .iter()
                .map(TokenRecord::from_row)
                .collect::<Result<_, _>>()?;
            Ok((tokens, total))
        })
    }

    /// One of the user's live tokens.
    pub async fn get_token(
        &self,
        user_id: i64,
        id: i64,
    ) -> Result<Option<TokenRecord>, StoreError> {
        let d = self.dialect();
        let sql = d.sql(&format!(
            "SELECT {columns} FROM tokens WHERE id = ? AND user_id = ? AND deleted_at IS NULL",
            columns = records::token_columns(d),
        ));
        with_connection!(self, |conn| {
            let row = sqlx::query(&sql)
                .bind(id)
                .bind(user_id)
                .fetch_optional(conn)
                .await?;
            row.as_ref().map(TokenRecord::from_row).transpose()
        })
    }
}
