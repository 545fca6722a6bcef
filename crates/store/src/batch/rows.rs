//! Rows as the batch reads them, and SQLite's packed form of them (one JSON value for all rows).

use sqlx::Row;
use tokenbatch_rules::apply::status_inputs;
use tokenbatch_rules::apply::TokenState;
use tokenbatch_rules::{Field, FieldSet, Value};

use crate::dialect::Dialect;
use crate::packed::PackedReader;
use crate::records::{field_column, state_columns, state_from_row};
use crate::StoreError;

use super::sql::{auto_settings_column, key_column};

/// One row as the batch reads it: who owns it, whether it is live, its key and its values.
pub(crate) struct LockedRow {
    pub(crate) id: i64,
    pub(crate) user_id: i64,
    pub(crate) live: bool,
    pub(crate) key: String,
    /// `cross_group_retry` is set or `auto_groups` is not empty (see [`BatchChange::cleared_auto_settings`]).
    pub(crate) auto_settings: bool,
    pub(crate) state: TokenState,
}

impl LockedRow {
    /// A row of [`select_statement`].
    pub(super) fn from_row<R: Row>(row: &R) -> Result<LockedRow, StoreError>
    where
        for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        usize: sqlx::ColumnIndex<R>,
    {
        Ok(LockedRow {
            id: row.try_get(0)?,
            user_id: row.try_get(1)?,
            live: row.try_get::<i64, _>(2)? == 1,
            key: row.try_get(3)?,
            auto_settings: row.try_get::<i64, _>(4)? == 1,
            state: state_from_row(row, 5)?,
        })
    }
}

/// [`select_statement`]'s columns, one JSON array per row, all rows in one JSON array: a single value.
/// Without `full_states`, columns the plan does not write are not read: constants of the same type stand in for
/// them (the layout stays the same), which leaves them equal, hence unchanged, in `before` and `after`. The
/// status follows from the expiry and the quota (`status_inputs`), so those are always read.
pub(super) fn sqlite_select_statement(keys: bool, full_states: bool, written: FieldSet) -> String {
    let d = Dialect::Sqlite;
    let state = match full_states {
        true => state_columns(d),
        false => {
            let read = written.union(status_inputs());
            let mut columns = vec![d.integer("status", 1)];
            columns.extend(Field::ALL.map(|field| {
                match (read.contains(field), field.null_value()) {
                    (true, _) => field_column(d, field, ""),
                    (false, Value::Text(_)) => "''".to_owned(),
                    (false, Value::Integer(null)) => null.to_string(),
                    (false, Value::Boolean(null)) => i64::from(null).to_string(),
                }
            }));
            columns.join(", ")
        }
    };
    // Walking the (ascending) id list and looking each row up by primary key is cheaper than `id IN (…)`,
    // which first builds an index of the list. `t.` because json_each has `id` and `key` columns too.
    // Whether the row holds auto-only settings matters only when the group is written.
    let auto = match written.contains(Field::Group) {
        true => auto_settings_column(d, "t."),
        false => "0".to_owned(),
    };
    format!(
        "SELECT json_group_array(json_array({id}, {user_id}, {live}, {key}, {auto}, {state})) \
         FROM json_each(?) AS j JOIN tokens AS t ON t.id = j.value",
        id = d.integer("t.id", 0),
        user_id = d.integer("t.user_id", 0),
        live = d.integer("CASE WHEN t.deleted_at IS NULL THEN 1 ELSE 0 END", 0),
        key = key_column(d, "t.", keys),
    )
}

/// The rows of [`sqlite_select_statement`]: id, user_id, live, key, auto settings, then [`state_columns`] in
/// order.
pub(super) fn unpack_sqlite_rows(packed: &str) -> Result<Vec<LockedRow>, StoreError> {
    let mut reader = PackedReader::new(packed);
    let mut rows = Vec::with_capacity(packed.len() / 48);
    reader.expect(b'[')?;
    let mut more = !reader.eat(b']');
    while more {
        reader.expect(b'[')?;
        // Every value but the last is followed by a comma.
        let integer = |reader: &mut PackedReader<'_>| {
            let value = reader.integer()?;
            reader.expect(b',')?;
            Ok::<i64, StoreError>(value)
        };
        let text = |reader: &mut PackedReader<'_>| {
            let value = reader.string()?;
            reader.expect(b',')?;
            Ok::<String, StoreError>(value)
        };
        let id = integer(&mut reader)?;
        let user_id = integer(&mut reader)?;
        let live = integer(&mut reader)?;
        let key = text(&mut reader)?;
        let auto_settings = integer(&mut reader)?;
        let mut state = TokenState {
            status: integer(&mut reader)?,
            ..TokenState::default()
        };
        for (index, field) in Field::ALL.into_iter().enumerate() {
            match field.null_value() {
                Value::Text(_) => state.set_text(field, reader.string()?),
                Value::Integer(_) => state.set(field, Value::Integer(reader.integer()?)),
                Value::Boolean(_) => state.set(field, Value::Boolean(reader.integer()? != 0)),
            };
            // Every value but the last is followed by a comma.
            if index + 1 < Field::ALL.len() {
                reader.expect(b',')?;
            }
        }
        reader.expect(b']')?;
        rows.push(LockedRow {
            id,
            user_id,
            live: live == 1,
            key,
            auto_settings: auto_settings == 1,
            state,
        });
        more = reader.eat(b',');
        if !more {
            reader.expect(b']')?;
        }
    }
    reader.finish()?;
    // The engine may visit the ids in any order; changes are reported in id order on every engine.
    rows.sort_unstable_by_key(|row| row.id);
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use tokenbatch_rules::Patch;

    use super::TokenState;
    use crate::test_support::{sqlite_store_with_user, valid};
    use crate::{BatchPlan, NewToken};

    /// SQLite's packed rows (crate::packed) read back every character a column may hold.
    #[tokio::test]
    async fn sqlite_rows_read_back_every_character() {
        let (_dir, store, user_id) = sqlite_store_with_user().await;
        let state = TokenState {
            status: 4,
            group: "vip,默认 \"quoted\" back\\slash".into(),
            expired_time: i64::MAX,
            remain_quota: i64::MIN,
            unlimited_quota: true,
            model_limits: "\u{0}\u{1}\u{1f}\u{7f} tab\t cr\r".into(),
            model_limits_enabled: true,
            allow_ips: "10.0.0.0/8\n::1\n".into(),
            mj_image_mode: "🚀\u{10ffff}".into(),
            mj_custom_proxy: "https://例え.example/a?b=\"c\"&d=/e".into(),
        };
        let token = NewToken {
            id: Some(7),
            user_id,
            key: "k\"e\\y".into(),
            name: "t".into(),
            created_time: 1,
            used_quota: 0,
            state: state.clone(),
        };
        store.insert_tokens(&[token]).await.unwrap();
        let values = Patch {
            remain_quota: Some(5),
            ..Patch::default()
        };
        let valid_batch = valid(&[7], values);
        let plan = BatchPlan {
            user_id,
            owners: crate::Owners::Caller,
            batch: &valid_batch,
            now: 1_800_000_000,
            dry_run: true,
            keys: true,
            full_states: true,
            request: None,
            plan: None,
            history: None,
        };
        let applied = store.apply_batch(&plan).await.unwrap();
        assert_eq!(applied.changes[0].before, state);
        assert_eq!(applied.changes[0].key, "k\"e\\y");
        store.close().await;
    }
}
