//! The tokens a plan pins, each with its owner and a fingerprint of the columns only operators change among
//! those a batch writes, and the check an apply makes on the rows it has just locked.

use sha2::{Digest, Sha256};
use tokenbatch_rules::apply::TokenState;
use tokenbatch_rules::{Field, Value};

use crate::batch::LockedRow;
use crate::json_text;
use crate::packed::PackedReader;
use crate::StoreError;

/// The fingerprinted columns (docs/SPEC.md §10). `remain_quota` and the status are left out: new-api's own
/// traffic changes them on every relayed request, and a plan over an active token must not go stale by use.
/// Listed, not derived, so that a field added later (the status among them) is left out until it is named
/// here.
pub(crate) const FINGERPRINTED: [Field; 8] = [
    Field::Group,
    Field::ExpiredTime,
    Field::UnlimitedQuota,
    Field::ModelLimits,
    Field::ModelLimitsEnabled,
    Field::AllowIps,
    Field::MjImageMode,
    Field::MjCustomProxy,
];

/// A token as the preview read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PinnedToken {
    pub id: i64,
    pub owner: i64,
    /// The first 128 bits of a SHA-256 over the fingerprinted columns' values.
    pub fingerprint: u128,
}

/// The fingerprint of a token's fingerprinted columns. Each value is tagged by its field and, for texts,
/// length-prefixed, so no two different states hash the same input.
pub(crate) fn fingerprint(state: &TokenState) -> u128 {
    // Written out first and hashed in one call: the same bytes as one update per value, in a third of the
    // time for the 10 000 tokens of a preview.
    let mut input = Vec::with_capacity(160);
    for field in FINGERPRINTED {
        input.extend_from_slice(field.name().as_bytes());
        match state.get(field) {
            Value::Text(text) => {
                input.extend_from_slice(b":t");
                input.extend_from_slice(&(text.len() as u64).to_be_bytes());
                input.extend_from_slice(text.as_bytes());
            }
            Value::Integer(integer) => {
                input.extend_from_slice(b":i");
                input.extend_from_slice(&integer.to_be_bytes());
            }
            Value::Boolean(boolean) => input.extend_from_slice(&[b':', b'b', u8::from(boolean)]),
        }
    }
    let digest = Sha256::digest(&input);
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    u128::from_be_bytes(first)
}

/// The rows a dry run pins: every live row of an owner the batch may write (`owns`), in the rows' (ascending
/// id) order (a batch with any other is refused anyway).
pub(crate) fn pinned_rows(
    rows: &[LockedRow],
    owns: impl Fn(i64) -> bool,
) -> impl Iterator<Item = &LockedRow> {
    rows.iter().filter(move |row| owns(row.user_id) && row.live)
}

/// The pins of the rows a dry run read ([`pinned_rows`]).
pub(crate) fn pins_of(rows: &[LockedRow], owns: impl Fn(i64) -> bool) -> Vec<PinnedToken> {
    pinned_rows(rows, owns)
        .map(|row| PinnedToken {
            id: row.id,
            owner: row.user_id,
            fingerprint: fingerprint(&row.state),
        })
        .collect()
}

/// How many pinned tokens differ from the locked rows: gone, soft-deleted, another owner, or a fingerprinted
/// column changed. Both lists are ascending by id.
pub(crate) fn stale_count(pinned: &[PinnedToken], rows: &[LockedRow]) -> usize {
    let mut rows = rows.iter().peekable();
    let mut stale = 0;
    for pin in pinned {
        while rows.next_if(|row| row.id < pin.id).is_some() {}
        let same = rows.next_if(|row| row.id == pin.id).is_some_and(|row| {
            row.live && row.user_id == pin.owner && fingerprint(&row.state) == pin.fingerprint
        });
        if !same {
            stale += 1;
        }
    }
    stale
}

/// One pin as stored in a chunk: `[id, owner, "fingerprint in hex"]`.
pub(crate) fn write_pin(out: &mut String, pin: &PinnedToken) {
    out.push('[');
    json_text::push_integer(out, pin.id);
    out.push(',');
    json_text::push_integer(out, pin.owner);
    out.push(',');
    json_text::push_hex_u128(out, pin.fingerprint);
    out.push(']');
}

/// One chunk's pins, as [`write_pin`] wrote them in a JSON array. Every apply reads all of a plan's pins
/// (10 000 for a full batch), so they are read by the store's reader for plain JSON arrays rather than
/// through serde_json's values.
pub(crate) fn decode(text: &str) -> Result<Vec<PinnedToken>, StoreError> {
    let unreadable = |what: String| StoreError::Data(format!("unreadable plan pins: {what}"));
    let mut reader = PackedReader::new(text);
    let mut pins = Vec::with_capacity(text.len() / 48);
    reader.expect(b'[')?;
    let mut more = !reader.eat(b']');
    while more {
        reader.expect(b'[')?;
        let id = reader.integer()?;
        reader.expect(b',')?;
        let owner = reader.integer()?;
        reader.expect(b',')?;
        let hex = reader.string()?;
        reader.expect(b']')?;
        let fingerprint = match hex.len() == 32 {
            true => u128::from_str_radix(&hex, 16).ok(),
            false => None,
        };
        let fingerprint = fingerprint.ok_or_else(|| unreadable(format!("fingerprint {hex:?}")))?;
        pins.push(PinnedToken {
            id,
            owner,
            fingerprint,
        });
        more = reader.eat(b',');
        if !more {
            reader.expect(b']')?;
        }
    }
    reader.finish()?;
    Ok(pins)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, user_id: i64, live: bool, state: TokenState) -> LockedRow {
        LockedRow {
            id,
            user_id,
            live,
            key: String::new(),
            auto_settings: false,
            state,
        }
    }

    /// Only the columns operators change count; owner, liveness and presence do too.
    #[test]
    fn a_pin_goes_stale_by_operators_changes_only() {
        let state = TokenState {
            status: 1,
            group: "vip".into(),
            expired_time: -1,
            remain_quota: 10,
            ..TokenState::default()
        };
        let pinned = pins_of(
            &[
                row(1, 7, true, state.clone()),
                row(2, 7, true, state.clone()),
                row(3, 7, true, state.clone()),
            ],
            |owner| owner == 7,
        );
        assert_eq!(pinned.len(), 3);
        let used = TokenState {
            status: 4,
            remain_quota: 0,
            ..state.clone()
        };
        let now = [row(1, 7, true, used.clone()), row(2, 7, true, used.clone())];
        assert_eq!(stale_count(&pinned, &now), 1, "token 3 is gone");
        let changed = [
            row(1, 7, true, used.clone()),
            row(2, 8, true, used.clone()),
            row(3, 7, false, used.clone()),
        ];
        assert_eq!(stale_count(&pinned, &changed), 2);
        for field in FINGERPRINTED {
            let mut other = state.clone();
            let value = match field.null_value() {
                Value::Text(_) => Value::Text("x y"),
                Value::Integer(_) => Value::Integer(5),
                Value::Boolean(_) => Value::Boolean(true),
            };
            assert!(other.set(field, value));
            assert_ne!(fingerprint(&other), fingerprint(&state), "{field:?}");
        }
        // A text's length keeps neighbouring values apart.
        let a = TokenState {
            group: "ab".into(),
            model_limits: "c".into(),
            ..state.clone()
        };
        let b = TokenState {
            group: "a".into(),
            model_limits: "bc".into(),
            ..state
        };
        assert_ne!(fingerprint(&a), fingerprint(&b));
        let text = crate::plans::sql::chunks(&pinned, write_pin)
            .into_iter()
            .map(|chunk| chunk.json)
            .collect::<String>();
        assert_eq!(decode(&text).unwrap(), pinned);
        // As serde_json reads it: the format of the plans stored before this writer.
        let read: Vec<(i64, i64, String)> = serde_json::from_str(&text).unwrap();
        assert_eq!(read[2], (3, 7, format!("{:032x}", pinned[2].fingerprint)));
        assert!(decode("[]").unwrap().is_empty());
        // What plans stored by earlier versions hold for this state (computed apart, with Python's hashlib):
        // the fingerprint's input never changes.
        assert_eq!(
            format!("{:032x}", fingerprint(&a)),
            "42caa804df764f0ea4c85f3212a40590"
        );
        for broken in ["[[1,7,\"00\"]]", "[[1,7]]", "[[1,7,\"x\"]", "{}"] {
            assert!(decode(broken).is_err(), "{broken}");
        }
    }
}
