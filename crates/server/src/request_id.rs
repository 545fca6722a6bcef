//! The client-chosen id that makes a batch idempotent (gRPC `request_id`, HTTP `Idempotency-Key`), parsed
//! where it enters so that the rest of the service holds either a valid id or none.

use tokenbatch_store::MAX_REQUEST_ID_LEN;

use crate::error::ApiError;

/// 1 to 128 visible ASCII characters: what fits the column on every engine and survives any header or log
/// line unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// The id `text` names. Empty means none: proto3 cannot tell an unset `request_id` from an empty one,
    /// and an empty header asks for no more.
    pub fn parse(text: &str) -> Result<Option<RequestId>, ApiError> {
        if text.is_empty() {
            return Ok(None);
        }
        let visible = text.bytes().all(|byte| byte.is_ascii_graphic());
        match visible && text.len() <= MAX_REQUEST_ID_LEN {
            true => Ok(Some(RequestId(text.to_owned()))),
            false => Err(ApiError::RequestIdInvalid),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_none_and_only_visible_ascii_up_to_the_limit_is_an_id() {
        assert_eq!(RequestId::parse("").unwrap(), None);
        let longest = "k".repeat(MAX_REQUEST_ID_LEN);
        assert_eq!(
            RequestId::parse(&longest).unwrap().unwrap().as_str(),
            longest
        );
        for refused in ["a b", "ключ", "tab\there", "\u{7f}", &"k".repeat(129)] {
            assert!(
                matches!(RequestId::parse(refused), Err(ApiError::RequestIdInvalid)),
                "{refused:?}"
            );
        }
    }
}
