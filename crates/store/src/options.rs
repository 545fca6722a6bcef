//! Queries of new-api's `options` table.

use sqlx::Row;

use crate::session::with_connection;
use crate::{on_pool, Store, StoreError};

impl Store {
    /// A value of new-api's `options` table.
    pub async fn option(&self, key: &str) -> Result<Option<String>, StoreError> {
        let d = self.dialect();
        let sql = d.sql(&format!(
            "SELECT value FROM options WHERE {} = ?",
            d.quote("key")
        ));
        with_connection!(self, |conn| {
            let row = sqlx::query(&sql).bind(key).fetch_optional(conn).await?;
            Ok(match row {
                Some(row) => row.try_get::<Option<String>, _>(0)?,
                None => None,
            })
        })
    }

    /// Several values of new-api's `options` table in one round trip, in the order of `keys`.
    pub async fn options(&self, keys: &[&str]) -> Result<Vec<Option<String>>, StoreError> {
        let d = self.dialect();
        let placeholders = vec!["?"; keys.len()].join(", ");
        let sql = d.sql(&format!(
            "SELECT {key}, value FROM options WHERE {key} IN ({placeholders})",
            key = d.quote("key")
        ));
        let mut values = vec![None; keys.len()];
        if keys.is_empty() {
            return Ok(values);
        }
        with_connection!(self, |conn| {
            let mut query = sqlx::query(&sql);
            for key in keys {
                query = query.bind(*key);
            }
            for row in query.fetch_all(conn).await? {
                let key: String = row.try_get(0)?;
                if let Some(index) = keys.iter().position(|wanted| *wanted == key) {
                    values[index] = row.try_get::<Option<String>, _>(1)?;
                }
            }
            Ok(values)
        })
    }

    /// Sets a value of new-api's `options` table (tests and operators' scripts).
    pub async fn set_option(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let d = self.dialect();
        let delete = d.sql(&format!("DELETE FROM options WHERE {} = ?", d.quote("key")));
        let insert = d.sql(&format!(
            "INSERT INTO options ({}, value) VALUES (?, ?)",
            d.quote("key")
        ));
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(&delete).bind(key).execute(&mut *tx).await?;
            sqlx::query(&insert)
                .bind(key)
                .bind(value)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::{Location, Store};

    #[tokio::test]
    async fn options_reads_several_keys_in_the_order_asked() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&Location::SqliteFile(dir.path().join("options.db")))
            .await
            .unwrap();
        store.set_option("b", "two").await.unwrap();
        store.set_option("a", "one").await.unwrap();
        assert_eq!(
            store.options(&["a", "missing", "b"]).await.unwrap(),
            [Some("one".to_owned()), None, Some("two".to_owned())]
        );
        assert_eq!(
            store.options(&[]).await.unwrap(),
            Vec::<Option<String>>::new()
        );
        assert_eq!(store.option("b").await.unwrap().as_deref(), Some("two"));
        store.close().await;
    }
}
