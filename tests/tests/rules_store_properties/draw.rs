//! What the property draws: requests with values for any of the fields (well-formed ones, ones on the rules'
//! edges and the columns' limits, arbitrary Unicode) and an `update_fields` that sometimes names absent
//! fields; and status cases, whose few values sit on either side of the status rules.

use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use tokenbatch_rules::{Field, MAX_EXPIRED_TIME, MAX_REMAIN_QUOTA};

use super::{group_pool, IDS, STORE_NOW};

/// One generated request: values for some fields (as JSON) and the names listed in update_fields.
#[derive(Clone, Debug)]
pub(super) struct Case {
    ids: Vec<i64>,
    values: Vec<(Field, Value)>,
    update_fields: Vec<Field>,
}

impl Case {
    pub(super) fn body(&self) -> String {
        let mut body = Map::new();
        body.insert("ids".into(), json!(self.ids));
        for (field, value) in &self.values {
            body.insert(field.name().into(), value.clone());
        }
        let names: Vec<&str> = self.update_fields.iter().map(|f| f.name()).collect();
        body.insert("update_fields".into(), json!(names));
        Value::Object(body).to_string()
    }
}

/// Text that is neither well-formed nor random noise: pieces that sit on the rules' edges.
fn tricky_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just(",".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just(" ".to_string()),
        Just("\t".to_string()),
        Just("\u{3000}".to_string()),
        Just("\u{0}".to_string()),
        Just("\u{7f}".to_string()),
        Just("😀".to_string()),
        Just("中".to_string()),
        Just("é€Ÿ".to_string()),
        Just("'".to_string()),
        Just("\\".to_string()),
        Just("%".to_string()),
        "[a-z0-9./:-]{1,12}",
    ];
    vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

/// `count` copies of a character, often just below or above a limit (128, 191, 1 024, 2 048).
fn long_text() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just('a'), Just('中'), Just('😀')],
        prop_oneof![
            120..136usize,
            185..200usize,
            1015..1030usize,
            2040..2060usize
        ],
    )
        .prop_map(|(c, count)| std::iter::repeat_n(c, count).collect())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![tricky_text(), "\\PC{0,40}", long_text()]
}

/// An address, with a CIDR prefix now and then; one entry in 60 has a prefix too wide for its address.
fn ip_entry() -> impl Strategy<Value = String> {
    let v4 = (any::<[u8; 4]>(), 0u32..=32)
        .prop_map(|([a, b, c, d], bits)| (format!("{a}.{b}.{c}.{d}"), bits));
    let v6 = (any::<[u16; 8]>(), 0u32..=128).prop_map(|(p, bits)| {
        let address = std::net::Ipv6Addr::new(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
        (address.to_string(), bits)
    });
    let prefix = prop_oneof![30 => Just(None), 29 => Just(Some(false)), 1 => Just(Some(true))];
    (prop_oneof![v4, v6], prefix, "[ ]{0,2}").prop_map(
        |((address, bits), prefix, pad)| match prefix {
            None => format!("{pad}{address}{pad}"),
            Some(false) => format!("{pad}{address}/{bits}{pad}"),
            Some(true) => format!("{pad}{address}/{}{pad}", bits + 129),
        },
    )
}

fn text_value(field: Field) -> BoxedStrategy<String> {
    let groups = group_pool();
    let well_formed: BoxedStrategy<String> = match field {
        Field::Group => vec(
            (proptest::sample::select(groups), "[ ]{0,1}")
                .prop_map(|(group, pad)| format!("{pad}{group}{pad}")),
            1..5,
        )
        .prop_map(|names| names.join(","))
        .boxed(),
        Field::ModelLimits => vec(
            prop_oneof!["[a-z0-9.-]{1,24}", "[a-z]{120,135}", "模型[a-z0-9]{0,8}"],
            0..50,
        )
        .prop_map(|names| names.join(","))
        .boxed(),
        Field::AllowIps => (
            vec(ip_entry(), 0..40),
            prop_oneof![Just("\n"), Just("\n\n")],
        )
            .prop_map(|(lines, separator)| lines.join(separator))
            .boxed(),
        Field::MjImageMode => {
            prop_oneof![Just("origin".to_string()), Just("proxy".to_string())].boxed()
        }
        _ => prop_oneof![
            Just(String::new()),
            "https?://[a-z0-9.]{1,20}(:[0-9]{1,5})?(/[a-zA-Z0-9_%~-]{0,30})?",
            "https://[中文a-z]{1,8}\\.example/[😀a-z]{0,8}",
            (2000..2100usize).prop_map(|n| format!("https://p.example/{}", "x".repeat(n))),
        ]
        .boxed(),
    };
    prop_oneof![8 => well_formed, 1 => any_text()].boxed()
}

/// The values on either side of a status rule: expired when the expiry is at or before now (never with −1),
/// exhausted when the quota is 0.
const EXPIRY_EDGES: [i64; 4] = [-1, STORE_NOW - 1, STORE_NOW, STORE_NOW + 1];
const QUOTA_EDGES: [i64; 2] = [0, 1];

fn integer_value(field: Field) -> BoxedStrategy<i64> {
    let well_formed = match field {
        Field::ExpiredTime => prop_oneof![Just(-1i64), 1..=MAX_EXPIRED_TIME].boxed(),
        _ => (0..=MAX_REMAIN_QUOTA).boxed(),
    };
    let status_edges = match field {
        Field::ExpiredTime => proptest::sample::select(&EXPIRY_EDGES[..]),
        _ => proptest::sample::select(&QUOTA_EDGES[..]),
    };
    let edges = proptest::sample::select(vec![
        0,
        -1,
        -2,
        MAX_EXPIRED_TIME,
        MAX_EXPIRED_TIME + 1,
        MAX_REMAIN_QUOTA,
        MAX_REMAIN_QUOTA + 1,
        i64::MAX,
        i64::MIN,
        1_776_410_923_000,
    ]);
    prop_oneof![5 => well_formed, 3 => status_edges, 1 => edges, 1 => any::<i64>()].boxed()
}

fn field_value(field: Field) -> BoxedStrategy<Value> {
    match field {
        Field::ExpiredTime | Field::RemainQuota => {
            integer_value(field).prop_map(Value::from).boxed()
        }
        Field::UnlimitedQuota | Field::ModelLimitsEnabled => {
            any::<bool>().prop_map(Value::from).boxed()
        }
        _ => text_value(field).prop_map(Value::from).boxed(),
    }
}

/// A case of well-formed values on either side of the status rules only (expiry, quota, unlimited), so that
/// status changes, which need the whole batch to be accepted, come often.
fn status_case() -> impl Strategy<Value = Case> {
    (
        proptest::sample::subsequence(IDS.to_vec(), 1..=IDS.len()),
        proptest::option::of(proptest::sample::select(&EXPIRY_EDGES[..])),
        proptest::option::of(proptest::sample::select(&QUOTA_EDGES[..])),
        proptest::option::of(any::<bool>()),
    )
        .prop_filter("at least one field", |(_, expiry, quota, unlimited)| {
            expiry.is_some() || quota.is_some() || unlimited.is_some()
        })
        .prop_map(|(ids, expiry, quota, unlimited)| {
            let values: Vec<(Field, Value)> = [
                (Field::ExpiredTime, expiry.map(Value::from)),
                (Field::RemainQuota, quota.map(Value::from)),
                (Field::UnlimitedQuota, unlimited.map(Value::from)),
            ]
            .into_iter()
            .filter_map(|(field, value)| value.map(|value| (field, value)))
            .collect();
            Case {
                ids,
                update_fields: values.iter().map(|(field, _)| *field).collect(),
                values,
            }
        })
}

pub(super) fn case() -> impl Strategy<Value = Case> {
    prop_oneof![3 => any_case(), 1 => status_case()]
}

fn any_case() -> impl Strategy<Value = Case> {
    let per_field: Vec<_> = Field::ALL
        .into_iter()
        .map(|field| {
            (
                proptest::option::weighted(0.4, field_value(field)),
                0u8..100,
            )
        })
        .collect();
    (
        proptest::sample::subsequence(IDS.to_vec(), 1..=IDS.len()),
        per_field,
    )
        .prop_map(|(ids, per_field)| {
            let mut values = Vec::new();
            let mut update_fields = Vec::new();
            for (field, (value, roll)) in Field::ALL.into_iter().zip(per_field) {
                // Present fields are usually written; an absent one is now and then named too.
                let named = if value.is_some() { roll < 85 } else { roll < 2 };
                if let Some(value) = value {
                    values.push((field, value));
                }
                if named {
                    update_fields.push(field);
                }
            }
            Case {
                ids,
                values,
                update_fields,
            }
        })
}
