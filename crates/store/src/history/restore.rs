//! The writes of a revert (docs/SPEC.md §12): every restored token gets its own values, written set-based
//! ([`crate::per_token`]). Tokens are grouped by which columns they restore (a revert restores the columns
//! its change set recorded, so nearly always one group), then each group is one statement per chunk of ids.

use std::collections::BTreeMap;

use super::values::{Recorded, Stored, TokenRow};

// A restore group's key holds one bit per recorded value.
const _: () = assert!(Recorded::count() <= 64);

/// Restored tokens that write the same columns.
pub(crate) struct RestoreGroup<'a> {
    /// The restored columns, in [`Recorded::all`] order.
    pub(crate) columns: Vec<Recorded>,
    /// Each token's id and its values for `columns`, in order.
    pub(crate) rows: Vec<(i64, Vec<&'a Stored>)>,
}

/// The revert's history rows (before half then restored half, see `revert::split`) grouped by the columns
/// their restored half writes (a NULL is a column the token does not restore).
pub(crate) fn restore_groups(rows: &[TokenRow]) -> Vec<RestoreGroup<'_>> {
    // Keyed by the restored columns as bits (fewer than 64 recorded values), not a list per row: 10 000 rows
    // at a time.
    let mut groups: BTreeMap<u64, RestoreGroup<'_>> = BTreeMap::new();
    for row in rows {
        let restored = &row.values[Recorded::count()..];
        let written = restored
            .iter()
            .enumerate()
            .filter(|(_, value)| **value != Stored::Null)
            .fold(0u64, |bits, (index, _)| bits | 1 << index);
        let group = groups.entry(written).or_insert_with(|| RestoreGroup {
            columns: Recorded::all()
                .enumerate()
                .filter(|(index, _)| written & 1 << index != 0)
                .map(|(_, recorded)| recorded)
                .collect(),
            rows: Vec::new(),
        });
        let values = restored
            .iter()
            .filter(|value| **value != Stored::Null)
            .collect();
        group.rows.push((row.token_id, values));
    }
    groups.into_values().collect()
}

#[cfg(test)]
mod tests {
    use tokenbatch_rules::Field;

    use super::*;
    use crate::per_token::sqlite_rows_json;

    fn row(token_id: i64, restored: &[(usize, Stored)]) -> TokenRow {
        let mut values = vec![Stored::Null; 2 * Recorded::count()];
        for (index, value) in restored {
            values[Recorded::count() + index] = value.clone();
        }
        TokenRow {
            token_id,
            owner_id: 1,
            values,
        }
    }

    #[test]
    fn tokens_are_grouped_by_the_columns_they_restore_not_by_their_values() {
        let quota = 1 + Field::ALL
            .iter()
            .position(|field| *field == Field::RemainQuota)
            .unwrap();
        let rows = [
            row(1, &[(0, Stored::Integer(1)), (quota, Stored::Integer(10))]),
            row(2, &[(0, Stored::Integer(2)), (quota, Stored::Integer(20))]),
            row(3, &[(quota, Stored::Integer(30))]),
        ];
        let groups = restore_groups(&rows);
        assert_eq!(groups.len(), 2);
        let both = groups.iter().find(|group| group.rows.len() == 2).unwrap();
        assert_eq!(
            both.columns,
            [Recorded::Status, Recorded::Field(Field::RemainQuota)]
        );
        assert_eq!(
            sqlite_rows_json(&both.rows),
            "[[1,1,10],[2,2,20]]",
            "each token's own values, in column order"
        );
        let quota_only = groups.iter().find(|group| group.rows.len() == 1).unwrap();
        assert_eq!(quota_only.columns, [Recorded::Field(Field::RemainQuota)]);
    }
}
