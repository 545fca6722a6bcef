//! One digest over all of a plan's pinned tokens, so that SQLite's apply can check its pins without reading
//! the tokens out of SQLite (docs/BENCHMARKS.md, figure 9).
//!
//! The preview computes the digest in Rust, over the rows it has read, of the text SQLite's
//! [`sqlite_aggregate`] makes of the same rows: a JSON array holding, per pinned token in id order, its id
//! and its fingerprinted columns ([`FINGERPRINTED`]). The apply has SQLite make that text for the tokens as
//! they are now, in the same statement that counts them, and compares the two digests. Equal texts are two
//! JSON encodings of the same values, so an equal digest means no pinned token changed in a fingerprinted
//! column. Anything else (a token changed, or a value SQLite renders otherwise than [`rendering`] does)
//! only sends the apply down the path that reads every pinned token and counts the stale ones
//! ([`super::stale_count`]): the digest can make an apply slower, never wrong.

use sha2::{Digest, Sha256};
use tokenbatch_rules::Value;

use super::pins::{pinned_rows, FINGERPRINTED};
use crate::batch::LockedRow;
use crate::dialect::Dialect;
use crate::json_text;
use crate::records::field_column;

/// SQLite's text of the pinned rows (`t.`), an aggregate over the rows of the statement it is put in, which
/// must visit them in ascending id order. Booleans as `0`/`1`, as [`rendering`] writes them.
pub(crate) fn sqlite_aggregate() -> String {
    let d = Dialect::Sqlite;
    let mut values = vec!["t.id".to_owned()];
    for field in FINGERPRINTED {
        let column = field_column(d, field, "t.");
        values.push(match field.null_value() {
            Value::Boolean(_) => format!("({column} <> 0)"),
            _ => column,
        });
    }
    format!("json_group_array(json_array({}))", values.join(", "))
}

/// What [`sqlite_aggregate`] makes of `rows` when they are exactly the rows it aggregates: the rows the
/// preview pins ([`pinned_rows`]).
pub(crate) fn rendering(rows: &[LockedRow], owner: i64) -> String {
    let mut out = String::with_capacity(rows.len() * 64 + 2);
    out.push('[');
    for (index, row) in pinned_rows(rows, |user| user == owner).enumerate() {
        if index > 0 {
            out.push(',');
        }
        out.push('[');
        json_text::push_integer(&mut out, row.id);
        for field in FINGERPRINTED {
            out.push(',');
            match row.state.get(field) {
                Value::Text(text) => json_text::push_string(&mut out, text),
                Value::Integer(integer) => json_text::push_integer(&mut out, integer),
                Value::Boolean(boolean) => out.push(if boolean { '1' } else { '0' }),
            }
        }
        out.push(']');
    }
    out.push(']');
    out
}

/// The first 128 bits of the text's SHA-256.
pub(crate) fn of_text(text: &str) -> u128 {
    let digest = Sha256::digest(text.as_bytes());
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    u128::from_be_bytes(first)
}

/// The digest of the pins of `rows` (see [`rendering`]).
pub(crate) fn of_rows(rows: &[LockedRow], owner: i64) -> u128 {
    of_text(&rendering(rows, owner))
}

#[cfg(test)]
mod tests {
    use sqlx::Row;
    use tokenbatch_rules::apply::TokenState;

    use super::*;
    use crate::test_support::{new_token, sqlite_store_with_user};
    use crate::Pool;

    /// SQLite renders the pinned rows exactly as [`rendering`] does, whatever characters their texts hold,
    /// in id order and without the rows of other owners or soft-deleted ones: so an apply of an unchanged
    /// plan takes the counted path. A row changed in any fingerprinted column changes the text.
    #[tokio::test]
    async fn sqlite_renders_the_pins_as_rust_does() {
        let (_dir, store, user_id) = sqlite_store_with_user().await;
        let odd = TokenState {
            status: 4,
            group: "vip,默认 \"quoted\" back\\slash".into(),
            expired_time: i64::MAX,
            remain_quota: i64::MIN,
            unlimited_quota: true,
            model_limits: "\u{0}\u{1}\u{1f}\u{7f} tab\t cr\r\u{8}\u{c}".into(),
            model_limits_enabled: true,
            allow_ips: "10.0.0.0/8\n::1\n".into(),
            mj_image_mode: "🚀\u{10ffff}".into(),
            mj_custom_proxy: "https://例え.example/a?b=\"c\"&d=/e".into(),
        };
        let plain = TokenState {
            expired_time: -1,
            ..TokenState::default()
        };
        let states = [odd.clone(), plain.clone(), odd, plain];
        let mut tokens: Vec<_> = (1..=4)
            .zip(&states)
            .map(|(id, state)| new_token(user_id, id, state.clone()))
            .collect();
        tokens[2].user_id = user_id + 1;
        store.insert_tokens(&tokens).await.unwrap();
        let Pool::Sqlite(pool) = &store.pool else {
            unreachable!()
        };
        sqlx::query("UPDATE tokens SET deleted_at = '2026-01-01' WHERE id = 4")
            .execute(pool)
            .await
            .unwrap();
        let sql = format!(
            "SELECT {} FROM json_each(?) AS j CROSS JOIN tokens AS t ON t.id = j.value \
             WHERE t.user_id = ? AND t.deleted_at IS NULL",
            sqlite_aggregate()
        );
        let rendered = || async {
            let row = sqlx::query(&sql)
                .bind("[1,2,3,4]")
                .bind(user_id)
                .fetch_one(pool)
                .await
                .unwrap();
            row.try_get::<String, _>(0).unwrap()
        };
        let rows: Vec<LockedRow> = tokens
            .iter()
            .map(|token| LockedRow {
                id: token.id.unwrap(),
                user_id: token.user_id,
                live: token.id != Some(4),
                key: String::new(),
                auto_settings: false,
                state: token.state.clone(),
            })
            .collect();
        let text = rendering(&rows, user_id);
        assert_eq!(rendered().await, text);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap()[1][0],
            2
        );
        assert_eq!(of_rows(&rows, user_id), of_text(&text));
        // Token 2 (plain) changed and changed back: what new-api's traffic changes leaves the text as it was.
        let owner = user_id.to_string();
        let changes = [
            ("mj_custom_proxy", "'x'", "''", false),
            ("unlimited_quota", "1", "0", false),
            ("expired_time", "5", "-1", false),
            ("user_id", "99", owner.as_str(), false),
            ("deleted_at", "'2026-01-01'", "NULL", false),
            ("remain_quota", "5", "0", true),
            ("status", "2", "1", true),
        ];
        for (column, changed, original, same) in changes {
            let set = |value: &str| format!("UPDATE tokens SET {column} = {value} WHERE id = 2");
            sqlx::query(&set(changed)).execute(pool).await.unwrap();
            assert_eq!(rendered().await == text, same, "{column}");
            sqlx::query(&set(original)).execute(pool).await.unwrap();
            assert_eq!(rendered().await, text, "{column} back");
        }
        store.close().await;
    }
}
