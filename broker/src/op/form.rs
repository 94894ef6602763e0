//! Strict `application/x-www-form-urlencoded` parsing for OAuth endpoints:
//! a repeated parameter is an error (RFC 6749 §3.1).

use std::collections::BTreeMap;

use pivot_proto::oauth::OAuthErrorCode;

use crate::error::BrokerError;

/// Parses a form body or query string into single-valued parameters.
///
/// # Errors
/// `invalid_request` when a parameter is repeated.
pub fn parse_unique(bytes: &[u8]) -> Result<BTreeMap<String, String>, BrokerError> {
    let mut out = BTreeMap::new();
    for (k, v) in url::form_urlencoded::parse(bytes) {
        if out.insert(k.to_string(), v.into_owned()).is_some() {
            return Err(BrokerError::oauth(
                OAuthErrorCode::InvalidRequest,
                format!("parameter {k} is repeated"),
            ));
        }
    }
    Ok(out)
}

/// Every pair, in order (for the authorization endpoint's own checks).
#[must_use]
pub fn pairs(bytes: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(bytes)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameter_is_refused() {
        assert!(parse_unique(b"a=1&b=2").is_ok());
        assert!(parse_unique(b"a=1&a=2").is_err());
    }
}
