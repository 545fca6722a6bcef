//! gRPC's `TokenFilter` as the rules crate's [`TokenFilter`]: each set field becomes the text of the HTTP query
//! parameter of the same name and goes through [`read_filter_query`], so both faces refuse a filter with the
//! same codes and words (`filter.status_invalid`, `filter.time_range`, …). Violations name the field as
//! `filter.<key>`, the path of the request message.

use tokenbatch_proto::token_v1 as pb;
use tokenbatch_rules::filter::{read_filter_query, TokenFilter};

use crate::error::ApiError;

pub fn token_filter(filter: Option<pb::TokenFilter>) -> Result<TokenFilter, ApiError> {
    let Some(filter) = filter else {
        return Ok(TokenFilter::default());
    };
    let number = |value: Option<i64>| value.map(|value| value.to_string());
    let flag = |value: Option<bool>| value.map(|value| value.to_string());
    let status = (!filter.status.is_empty()).then(|| filter.status.join(","));
    let fields = [
        ("name", filter.name),
        ("key", filter.key),
        ("status", status),
        ("group", filter.group),
        ("model", filter.model),
        ("expires_before", number(filter.expires_before)),
        ("expires_after", number(filter.expires_after)),
        ("never_expires", flag(filter.never_expires)),
        ("accessed_before", number(filter.accessed_before)),
        ("created_before", number(filter.created_before)),
        ("created_after", number(filter.created_after)),
        ("remain_quota_below", number(filter.remain_quota_below)),
        (
            "remain_quota_at_least",
            number(filter.remain_quota_at_least),
        ),
        ("unlimited_quota", flag(filter.unlimited_quota)),
        ("user_id", filter.user_id),
    ];
    let set = fields
        .iter()
        .filter_map(|(name, value)| Some((*name, value.as_deref()?)));
    read_filter_query(set).map_err(|mut violations| {
        for violation in &mut violations {
            violation.field = format!("filter.{}", violation.field);
        }
        ApiError::Invalid(violations)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_is_every_token_and_fields_are_read_like_query_parameters() {
        assert_eq!(token_filter(None).unwrap(), TokenFilter::default());
        let filter = token_filter(Some(pb::TokenFilter {
            status: vec!["enabled".into(), "3".into()],
            group: Some("vip".into()),
            never_expires: Some(false),
            expires_before: Some(1_790_000_000),
            ..pb::TokenFilter::default()
        }))
        .unwrap();
        assert_eq!(filter.status.unwrap().iter().collect::<Vec<_>>(), [1, 3]);
        assert_eq!(filter.group.as_deref(), Some("vip"));
        assert_eq!(filter.never_expires, Some(false));
        assert_eq!(filter.expires_before, Some(1_790_000_000));
    }

    #[test]
    fn violations_name_the_message_field() {
        let refused = token_filter(Some(pb::TokenFilter {
            status: vec!["9".into()],
            remain_quota_below: Some(-1),
            ..pb::TokenFilter::default()
        }));
        let Err(ApiError::Invalid(violations)) = refused else {
            panic!("refused")
        };
        let named: Vec<(&str, &str)> = violations
            .iter()
            .map(|violation| (violation.field.as_str(), violation.code()))
            .collect();
        assert_eq!(
            named,
            [
                ("filter.status", "filter.status_invalid"),
                ("filter.remain_quota_below", "filter.quota_range")
            ]
        );
    }
}
