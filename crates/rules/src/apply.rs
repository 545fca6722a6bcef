//! What a validated patch does to one token: the new values and the status that follows from them.
//!
//! Pure so that the server, a dry run and the browser's preview all compute the same "after".

use crate::{Field, FieldSet, Patch};

pub const STATUS_ENABLED: i64 = 1;
pub const STATUS_DISABLED: i64 = 2;
pub const STATUS_EXPIRED: i64 = 3;
pub const STATUS_EXHAUSTED: i64 = 4;

/// The columns of a token that a batch can read or write.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenState {
    pub status: i64,
    pub group: String,
    pub expired_time: i64,
    pub remain_quota: i64,
    pub unlimited_quota: bool,
    pub model_limits: String,
    pub model_limits_enabled: bool,
    pub allow_ips: String,
    pub mj_image_mode: String,
    pub mj_custom_proxy: String,
}

impl TokenState {
    /// The token after writing `values` for `fields` at time `now` (unix seconds).
    pub fn apply(&self, fields: FieldSet, values: &Patch, now: i64) -> TokenState {
        let mut after = self.clone();
        for field in fields.iter() {
            match field {
                Field::Group => set(&mut after.group, &values.group),
                Field::ExpiredTime => set(&mut after.expired_time, &values.expired_time),
                Field::RemainQuota => set(&mut after.remain_quota, &values.remain_quota),
                Field::UnlimitedQuota => set(&mut after.unlimited_quota, &values.unlimited_quota),
                Field::ModelLimits => set(&mut after.model_limits, &values.model_limits),
                Field::ModelLimitsEnabled => set(
                    &mut after.model_limits_enabled,
                    &values.model_limits_enabled,
                ),
                Field::AllowIps => set(&mut after.allow_ips, &values.allow_ips),
                Field::MjImageMode => set(&mut after.mj_image_mode, &values.mj_image_mode),
                Field::MjCustomProxy => set(&mut after.mj_custom_proxy, &values.mj_custom_proxy),
            }
        }
        after.status = next_status(self.status, &after, fields, now);
        after
    }

    pub fn is_expired_at(&self, now: i64) -> bool {
        self.expired_time != -1 && self.expired_time <= now
    }

    pub fn is_exhausted(&self) -> bool {
        !self.unlimited_quota && self.remain_quota <= 0
    }
}

fn set<T: Clone>(slot: &mut T, value: &Option<T>) {
    if let Some(value) = value {
        *slot = value.clone();
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
