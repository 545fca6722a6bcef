//! An operation applied to one token's value: what the store computes in SQL for numbers, and per distinct
//! stored list for the list fields, with the same bounds, so that a refusal can name how many tokens.

use std::collections::BTreeSet;
use std::net::IpAddr;

use crate::{
    Field, MAX_ALLOW_IPS_CHARS, MAX_ALLOW_IPS_ENTRIES, MAX_EXPIRED_TIME, MAX_MODEL_LIMITS_CHARS,
    MAX_REMAIN_QUOTA,
};

use super::{separator, Operation};

/// Why one token's result is refused; a batch with any such token is refused whole, naming how many.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenOutcome {
    /// `remain_quota.below_zero`
    QuotaBelowZero,
    /// `remain_quota.above_maximum`
    QuotaAboveMaximum,
    /// `expired_time.above_maximum`: an extension past year 9999.
    ExpiryAboveMaximum,
    /// `<field>.result_too_long`: the list would be longer than the field (or its column) holds.
    ListTooLong(Field),
    /// `allow_ips.result_too_many`
    TooManyIps,
    /// `status.cannot_enable_expired`
    CannotEnableExpired,
    /// `status.cannot_enable_exhausted`
    CannotEnableExhausted,
}

impl TokenOutcome {
    pub fn code(self) -> &'static str {
        match self {
            TokenOutcome::QuotaBelowZero => "remain_quota.below_zero",
            TokenOutcome::QuotaAboveMaximum => "remain_quota.above_maximum",
            TokenOutcome::ExpiryAboveMaximum => "expired_time.above_maximum",
            TokenOutcome::ListTooLong(Field::Group) => "group.result_too_long",
            TokenOutcome::ListTooLong(Field::AllowIps) => "allow_ips.result_too_long",
            TokenOutcome::ListTooLong(_) => "model_limits.result_too_long",
            TokenOutcome::TooManyIps => "allow_ips.result_too_many",
            TokenOutcome::CannotEnableExpired => "status.cannot_enable_expired",
            TokenOutcome::CannotEnableExhausted => "status.cannot_enable_exhausted",
        }
    }

    /// The JSON path the refusal is reported on.
    pub fn field(self) -> &'static str {
        match self {
            TokenOutcome::QuotaBelowZero | TokenOutcome::QuotaAboveMaximum => "remain_quota",
            TokenOutcome::ExpiryAboveMaximum => "expired_time",
            TokenOutcome::ListTooLong(field) => field.name(),
            TokenOutcome::TooManyIps => "allow_ips",
            TokenOutcome::CannotEnableExpired | TokenOutcome::CannotEnableExhausted => "status",
        }
    }
}

/// `remain_quota` after adding `delta`, within `0 ..= MAX_REMAIN_QUOTA`.
pub fn quota_after(current: i64, delta: i64) -> Result<i64, TokenOutcome> {
    match current.checked_add(delta) {
        Some(after) if after < 0 => Err(TokenOutcome::QuotaBelowZero),
        Some(after) if after <= MAX_REMAIN_QUOTA => Ok(after),
        Some(_) => Err(TokenOutcome::QuotaAboveMaximum),
        None if delta < 0 => Err(TokenOutcome::QuotaBelowZero),
        None => Err(TokenOutcome::QuotaAboveMaximum),
    }
}

/// `expired_time` extended by `seconds` from the later of the expiry and `now`; never-expiring stays so.
pub fn expiry_after(current: i64, seconds: i64, now: i64) -> Result<i64, TokenOutcome> {
    if current == -1 {
        return Ok(-1);
    }
    match current.max(now).checked_add(seconds) {
        Some(after) if after <= MAX_EXPIRED_TIME => Ok(after),
        _ => Err(TokenOutcome::ExpiryAboveMaximum),
    }
}

/// A list field's value after a list operation: entries removed (compared in canonical form for
/// addresses), then added ones appended unless present, then prepended ones moved or put first. Kept entries
/// stay as stored; `column_limit` is the database's, when narrower than the field's own.
pub fn list_after(
    field: Field,
    current: &str,
    operation: &Operation,
    column_limit: Option<usize>,
) -> Result<String, TokenOutcome> {
    let Operation::List {
        add,
        remove,
        prepend,
    } = operation
    else {
        return Ok(current.to_owned());
    };
    let key = |entry: &str| entry_key(field, entry);
    let removed: BTreeSet<EntryKey> = remove.iter().map(|entry| key(entry)).collect();
    let moved: BTreeSet<EntryKey> = prepend.iter().map(|entry| key(entry)).collect();
    let mut entries: Vec<&str> = Vec::new();
    let mut present = BTreeSet::new();
    for entry in current.split(separator(field)).map(str::trim) {
        let entry_key = key(entry);
        if entry.is_empty() || removed.contains(&entry_key) || moved.contains(&entry_key) {
            continue;
        }
        if present.insert(entry_key) {
            entries.push(entry);
        }
    }
    for entry in add {
        if present.insert(key(entry)) && !moved.contains(&key(entry)) {
            entries.push(entry);
        }
    }
    let mut result: Vec<&str> = prepend.iter().map(String::as_str).collect();
    result.extend(entries);
    let joined = result.join(&separator(field).to_string());
    let chars = joined.chars().count();
    let max = match field {
        Field::ModelLimits => MAX_MODEL_LIMITS_CHARS,
        Field::AllowIps => MAX_ALLOW_IPS_CHARS,
        _ => usize::MAX,
    };
    if chars > max.min(column_limit.unwrap_or(usize::MAX)) {
        return Err(TokenOutcome::ListTooLong(field));
    }
    if field == Field::AllowIps && result.len() > MAX_ALLOW_IPS_ENTRIES {
        return Err(TokenOutcome::TooManyIps);
    }
    Ok(joined)
}

/// An address or CIDR in canonical form: the network address and its prefix, a bare address being its /32
/// or /128 (`10.0.0.7/8` equals `10.0.0.0/8`, `::1` equals `::1/128`). Kept as numbers rather than text:
/// formatting IPv6 addresses would cost the browser's module more than the whole comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CanonicalIp {
    v6: bool,
    network: u128,
    prefix: u32,
}

/// [`CanonicalIp`] of an entry; `None` for anything but an address or a CIDR.
pub fn canonical_ip(entry: &str) -> Option<CanonicalIp> {
    let (address, prefix) = match entry.trim().split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (entry.trim(), None),
    };
    let address: IpAddr = address.parse().ok()?;
    let (v6, bits, value) = match address {
        IpAddr::V4(v4) => (false, 32, u128::from(u32::from(v4))),
        IpAddr::V6(v6) => (true, 128, u128::from(v6)),
    };
    let prefix = match prefix {
        None => bits,
        Some(text) if (1..=3).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) => {
            text.parse::<u32>().ok().filter(|prefix| *prefix <= bits)?
        }
        Some(_) => return None,
    };
    // The host bits below the prefix are dropped: shift them out and back.
    let host_bits = bits - prefix;
    let network = value
        .checked_shr(host_bits)
        .unwrap_or(0)
        .checked_shl(host_bits)
        .unwrap_or(0);
    Some(CanonicalIp {
        v6,
        network,
        prefix,
    })
}

/// How entries of a list field are compared: addresses in canonical form, anything else as written.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum EntryKey {
    Ip(CanonicalIp),
    Text(String),
}

pub(crate) fn entry_key(field: Field, entry: &str) -> EntryKey {
    match field {
        Field::AllowIps => {
            canonical_ip(entry).map_or_else(|| EntryKey::Text(entry.to_owned()), EntryKey::Ip)
        }
        _ => EntryKey::Text(entry.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(add: &str, remove: &str, prepend: &str, field: Field) -> Operation {
        let split = |text: &str| {
            text.split(separator(field))
                .filter(|entry| !entry.is_empty())
                .map(str::to_owned)
                .collect()
        };
        Operation::List {
            add: split(add),
            remove: split(remove),
            prepend: split(prepend),
        }
    }

    #[test]
    fn quota_and_expiry_bounds() {
        assert_eq!(quota_after(10, -10), Ok(0));
        assert_eq!(quota_after(10, -11), Err(TokenOutcome::QuotaBelowZero));
        assert_eq!(
            quota_after(MAX_REMAIN_QUOTA, 1),
            Err(TokenOutcome::QuotaAboveMaximum)
        );
        assert_eq!(quota_after(i64::MIN, -1), Err(TokenOutcome::QuotaBelowZero));
        assert_eq!(expiry_after(-1, 60, 1_000), Ok(-1));
        assert_eq!(expiry_after(500, 60, 1_000), Ok(1_060));
        assert_eq!(expiry_after(5_000, 60, 1_000), Ok(5_060));
        assert_eq!(
            expiry_after(MAX_EXPIRED_TIME, 1, 0),
            Err(TokenOutcome::ExpiryAboveMaximum)
        );
    }

    #[test]
    fn lists_keep_order_append_and_never_repeat() {
        let field = Field::ModelLimits;
        let op = list("gpt-4.1,gpt-4o", "claude", "", field);
        assert_eq!(
            list_after(field, "gpt-4o,claude,o3", &op, None).unwrap(),
            "gpt-4o,o3,gpt-4.1"
        );
        assert_eq!(list_after(field, "", &op, None).unwrap(), "gpt-4.1,gpt-4o");
    }

    #[test]
    fn prepend_moves_a_present_group_first_and_the_result_may_be_empty() {
        let field = Field::Group;
        assert_eq!(
            list_after(field, "default,vip", &list("", "", "vip", field), None).unwrap(),
            "vip,default"
        );
        assert_eq!(
            list_after(field, "vip", &list("", "vip", "", field), None).unwrap(),
            ""
        );
        assert_eq!(
            list_after(field, "a", &list("b", "", "c", field), None).unwrap(),
            "c,a,b"
        );
    }

    #[test]
    fn addresses_compare_in_canonical_form_and_keep_their_stored_spelling() {
        let field = Field::AllowIps;
        let op = list("10.0.0.9/8\n192.168.1.1", "::1/128", "", field);
        assert_eq!(
            list_after(field, "10.1.2.3/8\n::1\n192.168.1.1/32", &op, None).unwrap(),
            "10.1.2.3/8\n192.168.1.1/32"
        );
        let same =
            |a: &str, b: &str| canonical_ip(a).is_some() && canonical_ip(a) == canonical_ip(b);
        assert!(same("10.0.0.7/8", "10.0.0.0/8"));
        assert!(same("::1", "::1/128"));
        assert!(same("192.168.1.1", "192.168.1.1/32"));
        assert!(same("2001:db8::1/32", "2001:db8::/32"));
        assert!(same("10.9.9.9/0", "0.0.0.0/0"));
        assert!(!same("10.0.0.1", "10.0.0.1/31"));
        assert!(!same("0.0.0.0/0", "::/0"));
        assert_eq!(canonical_ip("nope"), None);
        assert_eq!(canonical_ip("10.0.0.1/33"), None);
    }

    #[test]
    fn a_result_past_the_field_or_column_limit_is_refused() {
        let field = Field::ModelLimits;
        let long = "m".repeat(100);
        let op = list(&long, "", "", field);
        assert_eq!(
            list_after(field, "a", &op, Some(50)),
            Err(TokenOutcome::ListTooLong(field))
        );
        assert!(list_after(field, "a", &op, None).is_ok());
    }
}
