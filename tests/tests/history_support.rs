//! The history tables (docs/SPEC.md §12) read with plain SQL, for the tests of the history: the change sets,
//! the recorded tokens of one with their values before and after (typed as new-api reads them), and every
//! text the tables hold.

use serde_json::{json, Value};
use sqlx::Row;
use tokenbatch_e2e::{Engine, RawDb, TestDatabase};
use tokenbatch_rules::apply::TokenState;
use tokenbatch_rules::{Field, Value as FieldValue};

/// One recorded change set: id, acting user, source, request, changed, unchanged.
pub(crate) type ChangeRow = (i64, i64, String, Value, i64, i64);
/// One recorded token of a change set: token id, owner, before, after.
type TokenRow = (i64, i64, Value, Value);

macro_rules! on_raw {
    ($db:expr, |$pool:ident| $body:expr) => {
        match &$db.raw {
            RawDb::Sqlite($pool) => $body,
            RawDb::Postgres($pool) => $body,
            RawDb::MySql($pool) => $body,
        }
    };
}

fn json_of(text: String) -> Value {
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("recorded JSON {text}: {e}"))
}

/// Every change set, oldest first, read with plain SQL.
pub(crate) async fn change_sets(db: &TestDatabase) -> Vec<ChangeRow> {
    let sql = "SELECT id, user_id, source, request, changed, unchanged FROM tokenbatch_changes ORDER BY id";
    let rows: Vec<(i64, i64, String, String, i64, i64)> =
        on_raw!(db, |pool| sqlx::query_as(sql).fetch_all(pool).await).expect(sql);
    rows.into_iter()
        .map(|(id, user, source, request, changed, unchanged)| {
            (id, user, source, json_of(request), changed, unchanged)
        })
        .collect()
}

/// The values the history records per token, in its columns' order (`before_<name>`, `after_<name>`), each
/// with the JSON value of its kind new-api reads a NULL as (booleans are stored 0 / 1).
fn recorded_columns() -> Vec<(&'static str, FieldValue<'static>)> {
    let mut names = vec![("status", FieldValue::Integer(0))];
    for field in Field::ALL {
        names.push((field.name(), field.null_value()));
    }
    names.extend([
        ("cross_group_retry", FieldValue::Boolean(false)),
        ("auto_groups", FieldValue::Text("")),
    ]);
    names
}

/// One side of a recorded token as a JSON object of its non-NULL columns, read with plain SQL, every value
/// read as text (`CAST(… AS CHAR)` on MySQL, `::text` on PostgreSQL) and typed here.
fn side_sql(db: &TestDatabase, side: &str) -> String {
    let columns: Vec<String> = recorded_columns()
        .iter()
        .map(|(name, _)| match db.engine {
            Engine::MySql => format!("CAST(`{side}_{name}` AS CHAR)"),
            Engine::Postgres => format!("\"{side}_{name}\"::text"),
            Engine::Sqlite => format!("CAST(\"{side}_{name}\" AS TEXT)"),
        })
        .collect();
    columns.join(", ")
}

fn side_json(texts: &[Option<String>]) -> Value {
    let mut object = serde_json::Map::new();
    for ((name, kind), text) in recorded_columns().into_iter().zip(texts) {
        let Some(text) = text else { continue };
        let value = match kind {
            FieldValue::Text(_) => json!(text),
            FieldValue::Integer(_) => json!(text.parse::<i64>().expect(text)),
            FieldValue::Boolean(_) => json!(text.parse::<i64>().expect(text) != 0),
        };
        object.insert(name.to_owned(), value);
    }
    Value::Object(object)
}

/// The recorded tokens of change set `id`, by token id, read with plain SQL.
pub(crate) async fn change_tokens(db: &TestDatabase, id: i64) -> Vec<TokenRow> {
    let sql = format!(
        "SELECT token_id, owner_id, {}, {} FROM tokenbatch_change_tokens WHERE change_id = {id} \
         ORDER BY token_id",
        side_sql(db, "before"),
        side_sql(db, "after")
    );
    let width = recorded_columns().len();
    on_raw!(db, |pool| {
        let rows = sqlx::query(&sql).fetch_all(pool).await.expect(&sql);
        rows.iter()
            .map(|row| {
                let texts: Vec<Option<String>> =
                    (0..2 * width).map(|index| row.get(index + 2)).collect();
                let (before, after) = texts.split_at(width);
                (row.get(0), row.get(1), side_json(before), side_json(after))
            })
            .collect()
    })
}

/// Every text the history tables hold.
pub(crate) async fn history_text(db: &TestDatabase) -> String {
    let changes = "SELECT request FROM tokenbatch_changes";
    let tokens = format!(
        "SELECT {}, {} FROM tokenbatch_change_tokens",
        side_sql(db, "before"),
        side_sql(db, "after")
    );
    let requests: Vec<(String,)> =
        on_raw!(db, |pool| sqlx::query_as(changes).fetch_all(pool).await).expect(changes);
    let mut text: Vec<String> = requests.into_iter().map(|(request,)| request).collect();
    let width = 2 * recorded_columns().len();
    on_raw!(db, |pool| {
        for row in sqlx::query(&tokens).fetch_all(pool).await.expect(&tokens) {
            for index in 0..width {
                text.extend(row.get::<Option<String>, _>(index));
            }
        }
    });
    text.join("\n")
}

/// A token's values as the history records them: the status and `fields`.
pub(crate) fn values(state: &TokenState, fields: &[&str]) -> Value {
    let mut object = serde_json::Map::new();
    object.insert("status".into(), json!(state.status));
    for name in fields {
        let field = Field::from_name(name).expect("a field");
        let value = match state.get(field) {
            FieldValue::Text(text) => json!(text),
            FieldValue::Integer(integer) => json!(integer),
            FieldValue::Boolean(boolean) => json!(boolean),
        };
        object.insert((*name).into(), value);
    }
    Value::Object(object)
}
