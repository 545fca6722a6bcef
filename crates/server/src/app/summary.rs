//! A preview's per-field summary: how many tokens get another value of each column, and the statuses the
//! changed ones end in. The page's preview shows it ("Quota: 2 900 tokens change", "Status: 12 become
//! disabled") and its Apply confirmation repeats it. Computed from every token's before → after while the
//! dry run still holds all of them: a dry run answers at most its first page of results, and counting 100 000
//! results through the plan's pages took a browser tens of seconds.

use tokenbatch_rules::Field;
use tokenbatch_store::BatchChange;

/// Per column (the field table's order, status first), the tokens whose value changes; per status a
/// changed status becomes, how many tokens become it. Columns and statuses no token changes are left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeSummary {
    pub fields: Vec<(&'static str, usize)>,
    pub statuses: Vec<(i64, usize)>,
}

impl ChangeSummary {
    pub fn of(changes: &[BatchChange]) -> ChangeSummary {
        let mut fields = vec![0usize; Field::ALL.len()];
        let mut status_changes = 0;
        let mut statuses: std::collections::BTreeMap<i64, usize> = Default::default();
        for change in changes {
            let (before, after) = (&change.before, &change.after);
            if before.status != after.status {
                status_changes += 1;
                *statuses.entry(after.status).or_default() += 1;
            }
            for (count, field) in fields.iter_mut().zip(Field::ALL) {
                if before.get(field) != after.get(field) {
                    *count += 1;
                }
            }
        }
        let columns = Field::ALL
            .iter()
            .zip(fields)
            .filter(|(_, count)| *count > 0)
            .map(|(field, count)| (field.name(), count));
        ChangeSummary {
            fields: (status_changes > 0)
                .then_some(("status", status_changes))
                .into_iter()
                .chain(columns)
                .collect(),
            statuses: statuses.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use tokenbatch_rules::apply::TokenState;

    use super::*;

    fn change(id: i64, before: TokenState, after: TokenState) -> BatchChange {
        BatchChange {
            id,
            key: String::new(),
            before,
            after,
            cleared_auto_settings: false,
        }
    }

    #[test]
    fn counts_each_changed_column_and_each_status_reached() {
        let base = TokenState {
            status: 1,
            remain_quota: 10,
            group: "default".into(),
            ..TokenState::default()
        };
        let quota = TokenState {
            remain_quota: 20,
            ..base.clone()
        };
        let exhausted = TokenState {
            remain_quota: 0,
            status: 4,
            ..base.clone()
        };
        let disabled = TokenState {
            status: 2,
            group: "vip".into(),
            ..base.clone()
        };
        let summary = ChangeSummary::of(&[
            change(1, base.clone(), quota.clone()),
            change(2, base.clone(), exhausted),
            change(3, base.clone(), disabled),
            change(4, base.clone(), base.clone()),
        ]);
        assert_eq!(
            summary.fields,
            vec![("status", 2), ("group", 1), ("remain_quota", 2)]
        );
        assert_eq!(summary.statuses, vec![(2, 1), (4, 1)]);
        assert_eq!(ChangeSummary::of(&[]), ChangeSummary::default());
    }
}
