//! What a validated patch does to one token: the new values and the status that follows from them.
//!
//! Pure so that the server, a dry run and the browser's preview all compute the same "after".

use crate::field::FieldType;
use crate::operation::apply::{expiry_after, list_after, quota_after};
use crate::operation::{Operation, TokenOutcome, STATUS_ENABLE};
use crate::{Field, FieldSet, Patch, ValidBatch, Value};

pub const STATUS_ENABLED: i64 = 1;
pub const STATUS_DISABLED: i64 = 2;
pub const STATUS_EXPIRED: i64 = 3;
pub const STATUS_EXHAUSTED: i64 = 4;

/// [`TokenState`] from the field table ([`crate::field_table!`]): the status, then one member per field.
macro_rules! define_token_state {
    ($($variant:ident $name:ident: $type:ty = $null:expr,)*) => {
        /// The columns of a token that a batch can read or write.
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct TokenState {
            pub status: i64,
            $(pub $name: $type,)*
        }

        impl TokenState {
            /// The value of `field`.
            pub fn get(&self, field: Field) -> Value<'_> {
                match field {
                    $(Field::$variant => self.$name.value(),)*
                }
            }

            /// Stores a value; false (and nothing stored) when it is of another kind than the field.
            pub fn set(&mut self, field: Field, value: Value<'_>) -> bool {
                match field {
                    $(Field::$variant => match FieldType::from_value(value) {
                        Some(value) => {
                            self.$name = value;
                            true
                        }
                        None => false,
                    },)*
                }
            }

            /// [`TokenState::set`] for a text read from the database, without copying it.
            pub fn set_text(&mut self, field: Field, text: String) -> bool {
                match field {
                    $(Field::$variant => match FieldType::from_text(text) {
                        Some(value) => {
                            self.$name = value;
                            true
                        }
                        None => false,
                    },)*
                }
            }
        }
    };
}

crate::field_table!(define_token_state);

/// The fields new-api's status follows (`next_status` below): the store reads them even when a batch does
/// not write them, since the status it writes depends on them.
pub fn status_inputs() -> FieldSet {
    [
        Field::ExpiredTime,
        Field::RemainQuota,
        Field::UnlimitedQuota,
    ]
    .into_iter()
    .collect()
}

impl TokenState {
    /// The token after the whole batch at time `now` (unix seconds): absolute values, operations (§11),
    /// then the status, written or following the values. Err when this token's result is out of bounds;
    /// the store refuses the batch then, naming how many tokens are.
    pub fn edit(&self, batch: &ValidBatch, now: i64) -> Result<TokenState, TokenOutcome> {
        let mut after = self.clone();
        for field in batch.fields().iter() {
            match (batch.ops().get(field), batch.values().get(field)) {
                (Some(operation), _) => after.operate(field, operation, batch, now)?,
                (None, Some(value)) => {
                    after.set(field, value);
                }
                (None, None) => {}
            }
        }
        after.status = match batch.status() {
            None => next_status(self.status, &after, batch.fields(), now),
            Some(STATUS_ENABLE) if after.is_expired_at(now) => {
                return Err(TokenOutcome::CannotEnableExpired)
            }
            Some(STATUS_ENABLE) if after.is_exhausted() => {
                return Err(TokenOutcome::CannotEnableExhausted)
            }
            Some(status) => status,
        };
        Ok(after)
    }

    fn operate(
        &mut self,
        field: Field,
        operation: &Operation,
        batch: &ValidBatch,
        now: i64,
    ) -> Result<(), TokenOutcome> {
        match operation {
            Operation::Quota { .. } => {
                let delta = operation.quota_delta().unwrap_or(0);
                self.remain_quota = quota_after(self.remain_quota, delta)?;
            }
            Operation::Extend { seconds } => {
                self.expired_time = expiry_after(self.expired_time, *seconds, now)?;
            }
            Operation::List { .. } => {
                let Value::Text(current) = self.get(field) else {
                    return Ok(());
                };
                let after = list_after(field, current, operation, batch.column_limit(field))?;
                self.set_text(field, after);
            }
        }
        Ok(())
    }

    /// The token after writing `values` for `fields` at time `now` (unix seconds).
    pub fn apply(&self, fields: FieldSet, values: &Patch, now: i64) -> TokenState {
        let mut after = self.clone();
        for field in fields.iter() {
            if let Some(value) = values.get(field) {
                after.set(field, value);
            }
        }
        after.status = next_status(self.status, &after, fields, now);
        after
    }

    /// The status a token with these values gets when its status was `status` and `fields` were just
    /// written (new-api's rules, as a batch applies them): a revert restores a status, then lets it follow
    /// the restored values (docs/SPEC.md §12).
    pub fn status_following(&self, status: i64, fields: FieldSet, now: i64) -> i64 {
        next_status(status, self, fields, now)
    }

    pub fn is_expired_at(&self, now: i64) -> bool {
        self.expired_time != -1 && self.expired_time <= now
    }

    pub fn is_exhausted(&self) -> bool {
        !self.unlimited_quota && self.remain_quota <= 0
    }
}

/// new-api's status follows the values it guards, but only through the fields a batch writes: changing the
/// group of an enabled token that happens to have no quota left must not flip it to exhausted.
/// Disabled (and any status this tool does not know) is the operator's decision and is never changed.
fn next_status(current: i64, after: &TokenState, fields: FieldSet, now: i64) -> i64 {
    let expiry_written = fields.contains(Field::ExpiredTime);
    let quota_written =
        fields.contains(Field::RemainQuota) || fields.contains(Field::UnlimitedQuota);
    let expired = after.is_expired_at(now);
    match current {
        STATUS_ENABLED if expiry_written && expired => STATUS_EXPIRED,
        STATUS_EXPIRED if expiry_written && !expired => {
            if after.is_exhausted() {
                STATUS_EXHAUSTED
            } else {
                STATUS_ENABLED
            }
        }
        STATUS_EXHAUSTED if quota_written && !after.is_exhausted() => {
            if expired {
                STATUS_EXPIRED
            } else {
                STATUS_ENABLED
            }
        }
        STATUS_EXHAUSTED if expiry_written && expired => STATUS_EXPIRED,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn token(status: i64) -> TokenState {
        TokenState {
            status,
            expired_time: -1,
            remain_quota: 100,
            ..TokenState::default()
        }
    }

    fn patch_expiry(at: i64) -> (FieldSet, Patch) {
        let fields = [Field::ExpiredTime].into_iter().collect();
        let patch = Patch {
            expired_time: Some(at),
            ..Patch::default()
        };
        (fields, patch)
    }

    #[test]
    fn enabled_token_given_past_expiry_becomes_expired() {
        let (fields, patch) = patch_expiry(NOW - 1);
        assert_eq!(
            token(STATUS_ENABLED).apply(fields, &patch, NOW).status,
            STATUS_EXPIRED
        );
    }

    #[test]
    fn expired_token_given_future_or_never_expiry_is_enabled_again() {
        for at in [NOW + 60, -1] {
            let (fields, patch) = patch_expiry(at);
            let after = token(STATUS_EXPIRED).apply(fields, &patch, NOW);
            assert_eq!(after.status, STATUS_ENABLED, "expiry {at}");
            assert_eq!(after.expired_time, at);
        }
    }

    #[test]
    fn expired_token_without_quota_given_future_expiry_becomes_exhausted() {
        let mut before = token(STATUS_EXPIRED);
        before.remain_quota = 0;
        let (fields, patch) = patch_expiry(-1);
        assert_eq!(before.apply(fields, &patch, NOW).status, STATUS_EXHAUSTED);
    }

    #[test]
    fn exhausted_token_given_quota_or_unlimited_is_enabled_again() {
        let mut before = token(STATUS_EXHAUSTED);
        before.remain_quota = 0;
        let quota = Patch {
            remain_quota: Some(500_000),
            ..Patch::default()
        };
        let after = before.apply([Field::RemainQuota].into_iter().collect(), &quota, NOW);
        assert_eq!(after.status, STATUS_ENABLED);
        let unlimited = Patch {
            unlimited_quota: Some(true),
            ..Patch::default()
        };
        let after = before.apply(
            [Field::UnlimitedQuota].into_iter().collect(),
            &unlimited,
            NOW,
        );
        assert_eq!(after.status, STATUS_ENABLED);
    }

    #[test]
    fn exhausted_token_given_zero_quota_stays_exhausted() {
        let mut before = token(STATUS_EXHAUSTED);
        before.remain_quota = 0;
        let zero = Patch {
            remain_quota: Some(0),
            ..Patch::default()
        };
        let after = before.apply([Field::RemainQuota].into_iter().collect(), &zero, NOW);
        assert_eq!(after.status, STATUS_EXHAUSTED);
    }

    #[test]
    fn disabled_token_stays_disabled_whatever_is_written() {
        let (fields, patch) = patch_expiry(NOW - 1);
        assert_eq!(
            token(STATUS_DISABLED).apply(fields, &patch, NOW).status,
            STATUS_DISABLED
        );
        let (fields, patch) = patch_expiry(-1);
        assert_eq!(
            token(STATUS_DISABLED).apply(fields, &patch, NOW).status,
            STATUS_DISABLED
        );
    }

    #[test]
    fn unrelated_fields_never_change_status() {
        let mut before = token(STATUS_ENABLED);
        before.remain_quota = 0;
        before.expired_time = NOW - 10;
        let group = Patch {
            group: Some("vip".into()),
            ..Patch::default()
        };
        let after = before.apply([Field::Group].into_iter().collect(), &group, NOW);
        assert_eq!(after.status, STATUS_ENABLED);
        assert_eq!(after.group, "vip");
    }
}
