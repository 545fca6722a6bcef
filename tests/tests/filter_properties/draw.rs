//! What the filter property draws: token rows over the values where filters go wrong (look-alike list
//! entries, `%`, `_` and `!` in names and keys, mixed case, times and quotas at the edges, NULLs), and filters
//! built from those rows' own values so that they often select something.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, subsequence, Index};
use serde_json::{json, Map, Value};
use tokenbatch_e2e::Engine;
use tokenbatch_rules::filter::{FilterKey, FilterRow, TextPattern};

/// Filters asked of each drawn token set.
pub(super) const FILTERS_PER_CASE: usize = 8;
/// The clock the times are drawn around: filters and tokens meet at `NOW - 1`, `NOW`, `NOW + 1`.
const NOW: i64 = 1_800_000_000;
/// Expiries on either side of `NOW` and new-api's "never" (-1); other times on either side of `NOW`.
const EXPIRY_EDGES: [i64; 5] = [-1, 0, NOW - 1, NOW, NOW + 1];
const TIME_EDGES: [i64; 4] = [0, NOW - 1, NOW, NOW + 1];

const NAME_PIECES: [&str; 15] = [
    "Web", "web", "WEB", "api", "Api", "a_b", "a%b", "x!y", "!", "_", "%", "中文", "-", "7", " ",
];
const KEY_PIECES: [&str; 9] = ["Ab", "aB", "cd", "CD", "x_y", "p%q", "k!z", "sk-", "9"];
/// Whole entries and their look-alikes: `vip` in a list, `svip`, `VIP`, a space after the comma, an empty
/// entry inside a list.
const GROUPS: [&str; 11] = [
    "",
    "default",
    "vip",
    "svip",
    "VIP",
    "default,vip",
    "svip,default",
    "vip,svip",
    "default, vip",
    "a,,b",
    "vip-x",
];
const MODELS: [&str; 8] = [
    "",
    "gpt-4o",
    "gpt-4o-mini",
    "gpt-4o,gpt-4.1",
    "gpt-4.1,gpt-4o-mini",
    "GPT-4O",
    "o1,gpt-4o",
    "gpt-4o,",
];
const FILTER_GROUPS: [&str; 7] = ["", "default", "vip", "svip", "VIP", "a", "b"];
const FILTER_MODELS: [&str; 5] = ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "o1", "GPT-4O"];

/// A column a row may hold as NULL, and the value the store and the model read for it (new-api's default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Null {
    Name,
    Key,
    Status,
    Group,
    ModelLimits,
    ExpiredTime,
    AccessedTime,
    CreatedTime,
    RemainQuota,
    UnlimitedQuota,
}

pub(super) const NULLS: [Null; 10] = [
    Null::Name,
    Null::Key,
    Null::Status,
    Null::Group,
    Null::ModelLimits,
    Null::ExpiredTime,
    Null::AccessedTime,
    Null::CreatedTime,
    Null::RemainQuota,
    Null::UnlimitedQuota,
];

impl Null {
    pub(super) fn column(self, engine: Engine) -> &'static str {
        match self {
            Null::Name => "name",
            Null::Key if engine == Engine::MySql => "`key`",
            Null::Key => "\"key\"",
            Null::Status => "status",
            Null::Group if engine == Engine::MySql => "`group`",
            Null::Group => "\"group\"",
            Null::ModelLimits => "model_limits",
            Null::ExpiredTime => "expired_time",
            Null::AccessedTime => "accessed_time",
            Null::CreatedTime => "created_time",
            Null::RemainQuota => "remain_quota",
            Null::UnlimitedQuota => "unlimited_quota",
        }
    }
}

/// One token as drawn; its id is its place in the case plus one.
#[derive(Clone, Debug)]
pub(super) struct Row {
    /// Else the other user's.
    pub(super) owned: bool,
    pub(super) deleted: bool,
    pub(super) name: String,
    pub(super) key: String,
    pub(super) status: i64,
    pub(super) group: &'static str,
    pub(super) model_limits: &'static str,
    pub(super) expired_time: i64,
    pub(super) accessed_time: i64,
    pub(super) created_time: i64,
    pub(super) remain_quota: i64,
    pub(super) unlimited_quota: bool,
    pub(super) nulls: Vec<Null>,
}

impl Row {
    /// What the filter sees: NULL columns read as new-api's defaults, as the store documents.
    pub(super) fn filter_row(&self, owner: i64, other: i64) -> FilterRow<'_> {
        let null = |column| self.nulls.contains(&column);
        let pick = |column, value: i64, default: i64| if null(column) { default } else { value };
        FilterRow {
            user_id: if self.owned { owner } else { other },
            name: if null(Null::Name) { "" } else { &self.name },
            key: if null(Null::Key) { "" } else { &self.key },
            status: pick(Null::Status, self.status, 1),
            group: if null(Null::Group) { "" } else { self.group },
            model_limits: if null(Null::ModelLimits) {
                ""
            } else {
                self.model_limits
            },
            expired_time: pick(Null::ExpiredTime, self.expired_time, -1),
            accessed_time: pick(Null::AccessedTime, self.accessed_time, 0),
            created_time: pick(Null::CreatedTime, self.created_time, 0),
            remain_quota: pick(Null::RemainQuota, self.remain_quota, 0),
            unlimited_quota: !null(Null::UnlimitedQuota) && self.unlimited_quota,
        }
    }
}

fn pieces(
    alphabet: &'static [&'static str],
    count: std::ops::Range<usize>,
) -> BoxedStrategy<String> {
    vec(select(alphabet), count)
        .prop_map(|pieces| pieces.concat())
        .boxed()
}

fn time_near_now(edges: &'static [i64]) -> BoxedStrategy<i64> {
    prop_oneof![select(edges), 0..2 * NOW].boxed()
}

fn row() -> impl Strategy<Value = Row> {
    let who = (prop::bool::weighted(0.85), prop::bool::weighted(0.12));
    let text = (pieces(&NAME_PIECES, 0..4), pieces(&KEY_PIECES, 0..3));
    let lists = (1..=4i64, select(&GROUPS[..]), select(&MODELS[..]));
    let times = (
        time_near_now(&EXPIRY_EDGES),
        time_near_now(&TIME_EDGES),
        time_near_now(&TIME_EDGES),
    );
    let quota = (
        prop_oneof![
            select(&[-5i64, -1, 0, 1, 500_000, 1_000_000][..]),
            -1000..10_000_000i64
        ],
        any::<bool>(),
    );
    // NULL names and keys more often than the rest: only the empty pattern meets them.
    let nulls = (
        prop_oneof![4 => Just(Vec::new()), 1 => subsequence(NULLS.to_vec(), 1..3)],
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.06),
    )
        .prop_map(|(mut nulls, name, key)| {
            for (null, column) in [(name, Null::Name), (key, Null::Key)] {
                if null && !nulls.contains(&column) {
                    nulls.push(column);
                }
            }
            nulls
        });
    (who, text, lists, times, quota, nulls).prop_map(
        |((owned, deleted), (name, key), (status, group, model_limits), times, quota, nulls)| Row {
            owned,
            deleted,
            name,
            key,
            status,
            group,
            model_limits,
            expired_time: times.0,
            accessed_time: times.1,
            created_time: times.2,
            remain_quota: quota.0,
            unlimited_quota: quota.1,
            nulls,
        },
    )
}

/// A pattern made from a value the rows hold (so that it often matches): the whole of it, a prefix, a suffix,
/// an infix or both ends around `%`, pieces of the alphabet, or nothing; often with its ASCII case flipped. None when
/// new-api's rules refuse it (more than 2 `%`, `%%`, too short): such filters are the reader's tests' business.
/// Key patterns start with new-api's `sk-` now and then.
fn pattern(
    values: Vec<String>,
    alphabet: &'static [&'static str],
    key: FilterKey,
) -> impl Strategy<Value = Option<String>> {
    let shape = (
        any::<Index>(),
        0..7u8,
        any::<Index>(),
        any::<Index>(),
        any::<bool>(),
    );
    let sk = prop::bool::weighted(if key == FilterKey::Key { 0.3 } else { 0.0 });
    (shape, pieces(alphabet, 1..4), sk).prop_map(move |((which, form, a, b, flip), random, sk)| {
        let source = match values.is_empty() {
            true => "",
            false => which.get(&values).as_str(),
        };
        let chars: Vec<char> = source.chars().collect();
        let (a, b) = (a.index(chars.len() + 1), b.index(chars.len() + 1));
        let (from, to) = (a.min(b), a.max(b));
        let part = |range: std::ops::Range<usize>| chars[range].iter().collect::<String>();
        let text = match form {
            0 => part(0..chars.len()),
            1 => format!("{}%", part(0..from)),
            2 => format!("%{}", part(from..chars.len())),
            3 => format!("%{}%", part(from..to)),
            4 => format!("{}%{}", part(0..from), part(to..chars.len())),
            5 => random,
            // Exactly empty: the one pattern a NULL name or key (read as '') meets.
            _ => String::new(),
        };
        let text = match flip {
            true => text
                .chars()
                .map(|c| match c.is_ascii_uppercase() {
                    true => c.to_ascii_lowercase(),
                    false => c.to_ascii_uppercase(),
                })
                .collect(),
            false => text,
        };
        // new-api's `sk-` prefix, which key patterns drop before anything else.
        let text = if sk { format!("sk-{text}") } else { text };
        TextPattern::new(&text, key).is_ok().then_some(text)
    })
}

/// A filter object over the rows' values. Every key is drawn, then kept with one chance for the whole filter
/// (sparse filters select more, so case and NULLs decide more answers; dense ones combine more conditions).
fn filter(rows: &[Row]) -> impl Strategy<Value = Value> {
    let names: Vec<String> = rows.iter().map(|row| row.name.clone()).collect();
    let keys: Vec<String> = rows.iter().map(|row| row.key.clone()).collect();
    let text = (
        pattern(names, &NAME_PIECES, FilterKey::Name),
        pattern(keys, &KEY_PIECES, FilterKey::Key),
    );
    let status = (
        subsequence(vec![1i64, 2, 3, 4], 1..=4),
        vec(any::<bool>(), 4),
    );
    let entries = (select(&FILTER_GROUPS[..]), select(&FILTER_MODELS[..]));
    let time = || time_near_now(&TIME_EDGES);
    let times = (time(), time(), time(), time(), time());
    let quota = || prop_oneof![select(&[0i64, 1, 500_000, 1_000_000][..]), 0..10_000_000i64];
    let keep = (select(&[0.1f64, 0.25, 0.45][..]), vec(0.0..1.0f64, 14));
    (
        text,
        status,
        entries,
        times,
        (quota(), quota()),
        any::<(bool, bool)>(),
        keep,
    )
        .prop_map(
            |(text, (statuses, by_name), entries, times, quotas, flags, (chance, rolls))| {
                let named = ["enabled", "disabled", "expired", "exhausted"];
                let statuses: Vec<Value> = statuses
                    .iter()
                    .zip(by_name)
                    .map(|(&status, by_name)| match by_name {
                        true => json!(named[status as usize - 1]),
                        false => json!(status),
                    })
                    .collect();
                let (a, b, c, d, e) = times;
                let drawn = [
                    ("name", text.0.map(Value::from)),
                    ("key", text.1.map(Value::from)),
                    ("status", Some(Value::Array(statuses))),
                    ("group", Some(json!(entries.0))),
                    ("model", Some(json!(entries.1))),
                    ("expires_before", Some(json!(a))),
                    ("expires_after", Some(json!(b))),
                    ("accessed_before", Some(json!(c))),
                    ("created_before", Some(json!(d))),
                    ("created_after", Some(json!(e))),
                    ("remain_quota_below", Some(json!(quotas.0))),
                    ("remain_quota_at_least", Some(json!(quotas.1))),
                    ("never_expires", Some(json!(flags.0))),
                    ("unlimited_quota", Some(json!(flags.1))),
                ];
                let filter: Map<String, Value> = drawn
                    .into_iter()
                    .zip(rolls)
                    .enumerate()
                    // Name and key (first) at least half the time: case and NULLs decide through them.
                    .filter(|(index, (_, roll))| {
                        *roll < if *index < 2 { chance.max(0.5) } else { chance }
                    })
                    .map(|(_, pair)| pair)
                    .filter_map(|((key, value), _)| Some((key.to_owned(), value?)))
                    .collect();
                Value::Object(filter)
            },
        )
}

/// One filter and how it is asked: `select_token_ids` with a limit just below, at or above what it selects,
/// and one page of `find_tokens`.
#[derive(Clone, Debug)]
pub(super) struct Probe {
    pub(super) filter: Value,
    pub(super) limit_shift: i64,
    pub(super) page: (Index, Index),
}

#[derive(Clone, Debug)]
pub(super) struct Case {
    pub(super) rows: Vec<Row>,
    pub(super) probes: Vec<Probe>,
}

pub(super) fn case() -> impl Strategy<Value = Case> {
    vec(row(), 0..28).prop_map(numbered).prop_flat_map(|rows| {
        let probe = (filter(&rows), -1..=1i64, any::<(Index, Index)>()).prop_map(
            |(filter, limit_shift, page)| Probe {
                filter,
                limit_shift,
                page,
            },
        );
        (Just(rows), vec(probe, FILTERS_PER_CASE)).prop_map(|(rows, probes)| Case { rows, probes })
    })
}

/// Ends every key with its row's id (the row's place plus one), so keys stay unique under any collation.
fn numbered(mut rows: Vec<Row>) -> Vec<Row> {
    for (index, row) in rows.iter_mut().enumerate() {
        row.key = format!("{}{:03}", row.key, index + 1);
    }
    rows
}
