//! What the sorted-list tests start from and compare with: dora's tokens, spread over every sorted column with
//! ties and NULLs, and the model: the order computed in Rust from the rows, independently of any SQL.

use std::cmp::Ordering;

use serde_json::{json, Value};
use tokenbatch_e2e::{Engine, TestServer, User};
use tokenbatch_store::{NewToken, Store};
use tokenbatch_testkit::seed::{self, initial_state};

pub(super) const KEYS: [&str; 8] = [
    "id",
    "name",
    "status",
    "remain_quota",
    "used_quota",
    "expired_time",
    "created_time",
    "accessed_time",
];
const FIRST_ID: i64 = 7_001;
pub(super) const COUNT: i64 = 40;
/// Mixed case, accents, CJK, an empty name and repeats (ties broken by id).
const NAMES: [&str; 11] = [
    "apple", "Apple", "banana", "Banana", "éclair", "Zebra", "zebra", "中文", "", "a b", "ä",
];
/// Tokens whose `name` and `expired_time` are set to NULL after seeding: read as '' and never (-1).
const NULL_NAME: i64 = FIRST_ID + 3;
const NULL_EXPIRY: i64 = FIRST_ID + 6;

/// A token as the model sorts it.
#[derive(Clone, Debug)]
pub(super) struct Row {
    pub(super) id: i64,
    pub(super) name: String,
    pub(super) key: String,
    pub(super) status: i64,
    pub(super) remain_quota: i64,
    pub(super) used_quota: i64,
    pub(super) expired_time: i64,
    pub(super) created_time: i64,
    pub(super) accessed_time: i64,
}

impl Row {
    /// A token object of a list answer.
    pub(super) fn from_json(item: &Value) -> Row {
        let number = |name: &str| {
            item[name]
                .as_i64()
                .unwrap_or_else(|| panic!("{name}: {item}"))
        };
        Row {
            id: number("id"),
            name: item["name"].as_str().expect("name").to_owned(),
            key: String::new(),
            status: number("status"),
            remain_quota: number("remain_quota"),
            used_quota: number("used_quota"),
            expired_time: number("expired_time"),
            created_time: number("created_time"),
            accessed_time: number("accessed_time"),
        }
    }

    pub(super) fn compare(&self, other: &Row, key: &str) -> Ordering {
        // Never expiring (-1) is later than every date.
        let expiry = |row: &Row| (row.expired_time == -1, row.expired_time);
        match key {
            "id" => Ordering::Equal,
            "name" => self.name.as_bytes().cmp(other.name.as_bytes()),
            "status" => self.status.cmp(&other.status),
            "remain_quota" => self.remain_quota.cmp(&other.remain_quota),
            "used_quota" => self.used_quota.cmp(&other.used_quota),
            "expired_time" => expiry(self).cmp(&expiry(other)),
            "created_time" => self.created_time.cmp(&other.created_time),
            "accessed_time" => self.accessed_time.cmp(&other.accessed_time),
            _ => panic!("no sort key {key}"),
        }
    }
}

/// The ids of `rows` sorted by `key`, ties by id, all reversed when descending.
pub(super) fn model_order(rows: &[Row], key: &str, ascending: bool) -> Vec<i64> {
    let mut rows = rows.to_vec();
    rows.sort_by(|a, b| a.compare(b, key).then(a.id.cmp(&b.id)));
    if !ascending {
        rows.reverse();
    }
    rows.iter().map(|row| row.id).collect()
}

pub(super) fn direction(ascending: bool) -> &'static str {
    if ascending {
        "asc"
    } else {
        "desc"
    }
}

pub(super) struct Seeded {
    pub(super) server: TestServer,
    pub(super) dora: User,
    pub(super) rows: Vec<Row>,
}

/// dora's tokens: every sorted column spread with ties, keys starting `srt` or `oth` (lower case, so a key
/// search selects the same on every engine), two NULL columns, `accessed_time` apart from `created_time`.
pub(super) async fn seeded(engine: Engine) -> Seeded {
    let server = TestServer::start_on(engine).await;
    let store = Store::open(&server.db.location).await.expect("open store");
    let dora = seed::add_user(&store, "dora", "default")
        .await
        .expect("dora");
    let tokens: Vec<NewToken> = (0..COUNT)
        .map(|index| NewToken {
            id: Some(FIRST_ID + index),
            user_id: dora.id,
            key: format!(
                "{}{index:03}{}",
                ["srt", "oth"][(index % 2) as usize],
                "k".repeat(40)
            ),
            name: NAMES[(index as usize * 7) % NAMES.len()].to_owned(),
            created_time: 1_700_000_000 + (index % 5) * 1_000,
            used_quota: (index * 7) % 4 * 100,
            state: tokenbatch_rules::apply::TokenState {
                status: 1 + (index * 3) % 4,
                expired_time: [-1, 1_800_000_000, 1_750_000_000, -1, 1_760_000_000 + index]
                    [(index % 5) as usize],
                remain_quota: (index % 6) * 50_000,
                ..initial_state()
            },
        })
        .collect();
    store.insert_tokens(&tokens).await.expect("dora's tokens");
    store.close().await;
    if engine == Engine::Postgres {
        // A linguistic collation, as a database created with an en_US locale gives its text columns (the
        // test database's is C.UTF-8, already byte order): the order of names must not depend on it.
        server
            .execute(r#"ALTER TABLE tokens ALTER COLUMN name TYPE text COLLATE "und-x-icu""#)
            .await;
    }
    let accessed = "created_time + (id % 7) * 10";
    server
        .execute(&format!(
            "UPDATE tokens SET accessed_time = {accessed} WHERE user_id = {}",
            dora.id
        ))
        .await;
    server
        .execute(&format!(
            "UPDATE tokens SET name = NULL WHERE id = {NULL_NAME}"
        ))
        .await;
    server
        .execute(&format!(
            "UPDATE tokens SET expired_time = NULL WHERE id = {NULL_EXPIRY}"
        ))
        .await;
    let rows = tokens
        .iter()
        .map(|token| {
            let id = token.id.unwrap();
            Row {
                id,
                name: if id == NULL_NAME {
                    String::new()
                } else {
                    token.name.clone()
                },
                key: token.key.clone(),
                status: token.state.status,
                remain_quota: token.state.remain_quota,
                used_quota: token.used_quota,
                expired_time: if id == NULL_EXPIRY {
                    -1
                } else {
                    token.state.expired_time
                },
                created_time: token.created_time,
                accessed_time: token.created_time + (id % 7) * 10,
            }
        })
        .collect();
    Seeded { server, dora, rows }
}

/// The items' ids, the total and the items of a successful page answer.
pub(super) async fn page(
    server: &TestServer,
    user: &User,
    path: &str,
) -> (Vec<i64>, i64, Vec<Value>) {
    let (status, answer, raw) = server.get(user, path).await;
    assert_eq!(status, 200, "{path}: {raw}");
    assert_eq!(answer["success"], json!(true), "{path}: {raw}");
    let items = answer["data"]["items"].as_array().expect(&raw).clone();
    let ids = items
        .iter()
        .map(|item| item["id"].as_i64().unwrap())
        .collect();
    (ids, answer["data"]["total"].as_i64().expect(&raw), items)
}
