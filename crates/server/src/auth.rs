//! Caller identity as new-api carries it: `Authorization` (the user's system access token, bare or
//! `Bearer <token>`) together with `New-Api-User` (that user's id).

use crate::error::AuthFailure;

/// The raw identity headers / metadata of one request. Debug output never shows the token.
#[derive(Clone, Default)]
pub struct Credentials {
    pub authorization: Option<String>,
    pub user_id: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .field("user_id", &self.user_id)
            .finish()
    }
}

impl Credentials {
    /// The access token and the claimed user id, or why they are unusable.
    pub fn parts(&self) -> Result<(&str, i64), AuthFailure> {
        let token = self
            .authorization
            .as_deref()
            .map(strip_bearer)
            .filter(|token| !token.is_empty())
            .ok_or(AuthFailure::MissingAccessToken)?;
        let user_id = self
            .user_id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .ok_or(AuthFailure::MissingUserId)?;
        let user_id = user_id
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or(AuthFailure::InvalidUserId)?;
        Ok((token, user_id))
    }
}

/// new-api accepts the scheme in any case and the token bare; "Bearer" alone carries no token.
fn strip_bearer(header: &str) -> &str {
    let header = header.trim();
    match header.get(..6) {
        Some(scheme) if scheme.eq_ignore_ascii_case("bearer") => {
            let rest = &header[6..];
            if rest.is_empty() || rest.starts_with(char::is_whitespace) {
                rest.trim()
            } else {
                header
            }
        }
        _ => header,
    }
}

/// Compares secrets without an early exit, so timing does not reveal how much of a guess was right.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut difference = (a.len() != b.len()) as u8;
    for index in 0..a.len().max(b.len()) {
        let left = a.get(index).copied().unwrap_or(0);
        let right = b.get(index).copied().unwrap_or(0);
        difference |= left ^ right;
    }
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(authorization: Option<&str>, user_id: Option<&str>) -> Credentials {
        Credentials {
            authorization: authorization.map(str::to_owned),
            user_id: user_id.map(str::to_owned),
        }
    }

    #[test]
    fn bearer_scheme_is_optional_and_case_insensitive() {
        for header in ["abc", "Bearer abc", "bearer abc", "BEARER  abc "] {
            assert_eq!(
                creds(Some(header), Some("7")).parts(),
                Ok(("abc", 7)),
                "{header}"
            );
        }
    }

    #[test]
    fn missing_or_malformed_headers_are_told_apart() {
        assert_eq!(
            creds(None, Some("1")).parts(),
            Err(AuthFailure::MissingAccessToken)
        );
        assert_eq!(
            creds(Some("Bearer "), Some("1")).parts(),
            Err(AuthFailure::MissingAccessToken)
        );
        assert_eq!(
            creds(Some("t"), None).parts(),
            Err(AuthFailure::MissingUserId)
        );
        assert_eq!(
            creds(Some("t"), Some("x")).parts(),
            Err(AuthFailure::InvalidUserId)
        );
        assert_eq!(
            creds(Some("t"), Some("-3")).parts(),
            Err(AuthFailure::InvalidUserId)
        );
    }

    #[test]
    fn constant_time_eq_compares_whole_values() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"", b"x"));
    }

    #[test]
    fn debug_output_redacts_the_token() {
        let text = format!("{:?}", creds(Some("very-secret"), Some("1")));
        assert!(!text.contains("very-secret"));
    }
}
