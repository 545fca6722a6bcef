//! A plan's per-token results as its chunks store them. A 10 000-token preview is stored whole (its pages
//! are read from it), in the same transaction that answers the dry run, so its size is paid in the commit
//! and in every checkpoint of SQLite's log after it. Tokens changed by one batch mostly hold the same values,
//! and a batch changes a few fields of each: so, within a chunk, a change's `before` is written as what
//! differs from the `before` of the change preceding it, and its `after` as what differs from its own
//! `before` (objects from positions to values, read by [`crate::requests::decode_changes`]). The first
//! change of a chunk is written whole, so that each chunk reads alone (a page reads one or two).

use tokenbatch_rules::apply::TokenState;
use tokenbatch_rules::Field;

use crate::json_text;
use crate::requests::{write_state, write_value};
use crate::BatchChange;

/// One change of a chunk, after `previous` (None for a chunk's first): `[id, before, after]`, with a fourth
/// element `true` when the change cleared the token's auto-only settings, as request records have it.
pub(crate) fn write_item(out: &mut String, change: &BatchChange, previous: Option<&BatchChange>) {
    out.push('[');
    json_text::push_integer(out, change.id);
    out.push(',');
    match previous {
        Some(previous) => write_difference(out, &previous.before, &change.before),
        None => write_state(out, &change.before),
    }
    out.push(',');
    write_difference(out, &change.before, &change.after);
    if change.cleared_auto_settings {
        out.push_str(",true");
    }
    out.push(']');
}

/// What differs in `state` from `base`: `{"position": value, …}`, `{}` when nothing does.
fn write_difference(out: &mut String, base: &TokenState, state: &TokenState) {
    out.push('{');
    let mut first = true;
    let mut member = |out: &mut String, position: &str| {
        if !std::mem::take(&mut first) {
            out.push(',');
        }
        out.push('"');
        out.push_str(position);
        out.push_str("\":");
    };
    if base.status != state.status {
        member(out, "0");
        json_text::push_integer(out, state.status);
    }
    for (index, field) in Field::ALL.into_iter().enumerate() {
        let value = state.get(field);
        if base.get(field) != value {
            member(out, itoa::Buffer::new().format(index + 1));
            write_value(out, value);
        }
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plans::sql::chunks;
    use crate::requests::decode_changes;

    /// Changes written as differences read back whole, chunk by chunk, whatever differs from what.
    #[test]
    fn chunks_of_differences_read_back_whole() {
        let base = TokenState {
            status: 1,
            group: "vip,默认".into(),
            expired_time: 1_800_000_000,
            remain_quota: 500,
            allow_ips: "10.0.0.0/8\n::1".into(),
            ..TokenState::default()
        };
        let changes: Vec<BatchChange> = (0..2_500)
            .map(|id: i64| {
                let mut before = base.clone();
                if id % 3 == 0 {
                    before.remain_quota = id;
                    before.model_limits = format!("m{id} \"q\"");
                }
                if id % 7 == 0 {
                    before.status = 2;
                    before.unlimited_quota = true;
                }
                let mut after = before.clone();
                if id % 5 != 0 {
                    after.group = "default".into();
                    after.status = 1;
                    after.model_limits_enabled = id % 2 == 0;
                }
                BatchChange {
                    id,
                    key: String::new(),
                    before,
                    after,
                    cleared_auto_settings: id % 11 == 0,
                }
            })
            .collect();
        let stored = chunks(&changes, write_item);
        assert_eq!(stored.len(), 3);
        let mut read = Vec::new();
        for chunk in &stored {
            read.extend(decode_changes(&chunk.json).unwrap());
        }
        assert_eq!(read, changes);
        // Unchanged values cost nothing: a change equal to the one before it is its id and two `{}`.
        let same = [changes[1].clone(), changes[1].clone()];
        let mut out = String::new();
        write_item(&mut out, &same[1], Some(&same[0]));
        assert_eq!(out, r#"[1,{},{"1":"default"}]"#);
        // A difference without a change before it is unreadable, not guessed.
        assert!(decode_changes(r#"[[1,{},{}]]"#).is_err());
    }
}
