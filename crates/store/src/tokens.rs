//! Queries of new-api's `tokens` table (the batch update itself is [`crate::batch`]).

use sqlx::Row;

use tokenbatch_rules::filter::TokenFilter;
use tokenbatch_rules::Field;

use crate::dialect::Dialect;
use crate::filter::{bind_filter, filter_sql, FilterSql};
use crate::records::bind_value;
use crate::session::with_connection;
use crate::sort::{order_by, TokenOrder};
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

    /// A page of the live tokens `filter` selects for `caller` (docs/SPEC.md §9) in `order` (new-api's newest
    /// first by default), and how many it selects in all: new-api's list and search, and any filter of part
    /// two. The filter becomes one `WHERE` per engine (filter.rs), the order one `ORDER BY` (sort.rs); who may
    /// widen the scope with `user_id` is the caller's check.
    pub async fn find_tokens(
        &self,
        caller: i64,
        filter: &TokenFilter,
        order: TokenOrder,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<TokenRecord>, i64), StoreError> {
        let d = self.dialect();
        let FilterSql { condition, binds } = filter_sql(d, filter, caller);
        let count_sql = d.sql(&format!(
            "SELECT {} FROM tokens WHERE {condition}",
            d.integer("COUNT(*)", 0)
        ));
        // Over other users' tokens (root's `user_id`, docs/SPEC.md §13), each token's owner is named too: a
        // subquery per row of the page (at most 100) by the users' primary key, after every token column.
        let owners = filter.user_id.is_some();
        let owner_column = match owners {
            true => format!(
                ", (SELECT {} FROM users AS owner WHERE owner.id = tokens.user_id)",
                d.text("owner.username")
            ),
            false => String::new(),
        };
        let page_sql = d.sql(&format!(
            "SELECT {columns}{owner_column} FROM tokens WHERE {condition} ORDER BY {order} LIMIT ? OFFSET ?",
            columns = records::token_columns(d),
            order = order_by(d, order),
        ));
        with_connection!(self, |conn| {
            let count = bind_filter!(sqlx::query(&count_sql), &binds);
            let total: i64 = count.fetch_one(&mut *conn).await?.try_get(0)?;
            let page = bind_filter!(sqlx::query(&page_sql), &binds);
            let rows = page.bind(limit).bind(offset).fetch_all(&mut *conn).await?;
            let mut tokens = Vec::with_capacity(rows.len());
            for row in &rows {
                let mut token = TokenRecord::from_row(row)?;
                if owners {
                    let column = records::TOKEN_COLUMNS;
                    token.owner_username = Some(
                        row.try_get::<Option<String>, _>(column)?
                            .unwrap_or_default(),
                    );
                }
                tokens.push(token);
            }
            Ok((tokens, total))
        })
    }

    /// How many live tokens `filter` selects for `caller` and, when that is at most `limit`, their ids in
    /// ascending order (otherwise none): what a batch by filter then writes as a batch by ids. One statement
    /// reads at most `limit + 1` ids; only a selection over the limit is counted, for the refusal's message.
    pub async fn select_token_ids(
        &self,
        caller: i64,
        filter: &TokenFilter,
        limit: usize,
    ) -> Result<(Vec<i64>, usize), StoreError> {
        let d = self.dialect();
        let FilterSql { condition, binds } = filter_sql(d, filter, caller);
        let ids_sql = d.sql(&format!(
            "SELECT {} AS id FROM tokens WHERE {condition} ORDER BY id LIMIT ?",
            d.integer("id", 0)
        ));
        let count_sql = d.sql(&format!(
            "SELECT {} FROM tokens WHERE {condition}",
            d.integer("COUNT(*)", 0)
        ));
        // sqlx hands SQLite's rows over one at a time from the connection's worker thread: for 10 000 ids
        // that cost as much as the batch's own UPDATE (docs/BENCHMARKS.md, figure 6), so SQLite packs them
        // into one JSON array. Sorted again after parsing: the aggregate's order is not promised by SQL.
        let ids_sql = match d {
            Dialect::Sqlite => format!("SELECT json_group_array(id) FROM ({ids_sql})"),
            _ => ids_sql,
        };
        let read_limit = i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1;
        with_connection!(self, |conn| {
            let select = bind_filter!(sqlx::query(&ids_sql), &binds).bind(read_limit);
            let rows = select.fetch_all(&mut *conn).await?;
            let ids = match d {
                Dialect::Sqlite => packed_ids(&rows)?,
                _ => rows
                    .iter()
                    .map(|row| row.try_get::<i64, _>(0))
                    .collect::<Result<Vec<i64>, _>>()?,
            };
            if ids.len() <= limit {
                let count = ids.len();
                return Ok((ids, count));
            }
            let count = bind_filter!(sqlx::query(&count_sql), &binds);
            let total: i64 = count.fetch_one(&mut *conn).await?.try_get(0)?;
            Ok((Vec::new(), usize::try_from(total).unwrap_or(usize::MAX)))
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

/// The ids of SQLite's one-row `SELECT json_group_array(id) …`, ascending.
fn packed_ids<R: Row>(rows: &[R]) -> Result<Vec<i64>, StoreError>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let Some(row) = rows.first() else {
        return Ok(Vec::new());
    };
    let packed: String = row.try_get(0)?;
    let mut ids: Vec<i64> = serde_json::from_str(&packed)
        .map_err(|error| StoreError::Data(format!("the selected ids: {error}")))?;
    ids.sort_unstable();
    Ok(ids)
}
