//! OAuth 2.0 / OpenID Connect error codes and the error response body.

use serde::{Deserialize, Serialize};

/// An error code of an OAuth 2.0 or OpenID Connect error response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OAuthErrorCode {
    /// `invalid_request`: missing, invalid, unknown or repeated parameter
    /// (RFC 6749 §4.1.2.1 and §5.2).
    InvalidRequest,
    /// `unauthorized_client`: the client may not use this grant or response
    /// type (RFC 6749 §4.1.2.1 and §5.2).
    UnauthorizedClient,
    /// `access_denied`: the citizen or the server refused (RFC 6749 §4.1.2.1).
    AccessDenied,
    /// `unsupported_response_type` (RFC 6749 §4.1.2.1).
    UnsupportedResponseType,
    /// `invalid_scope`: unknown, malformed or excessive scope
    /// (RFC 6749 §4.1.2.1 and §5.2).
    InvalidScope,
    /// `server_error`: unexpected condition (RFC 6749 §4.1.2.1).
    ServerError,
    /// `temporarily_unavailable`: overload or maintenance (RFC 6749 §4.1.2.1).
    TemporarilyUnavailable,
    /// `invalid_client`: client authentication failed (RFC 6749 §5.2).
    InvalidClient,
    /// `invalid_grant`: invalid, expired, revoked or replayed code, or
    /// redirect URI / PKCE verifier mismatch (RFC 6749 §5.2).
    InvalidGrant,
    /// `unsupported_grant_type` (RFC 6749 §5.2).
    UnsupportedGrantType,
    /// `invalid_token`: expired, revoked or malformed access token
    /// (RFC 6750 §3.1).
    InvalidToken,
    /// `insufficient_scope`: the token lacks a required scope (RFC 6750 §3.1).
    InsufficientScope,
    /// `login_required`: the citizen must authenticate (OpenID Connect Core
    /// 1.0 §3.1.2.6).
    LoginRequired,
    /// `consent_required`: the citizen must consent (OpenID Connect Core 1.0
    /// §3.1.2.6).
    ConsentRequired,
    /// `interaction_required`: some interaction is needed (OpenID Connect
    /// Core 1.0 §3.1.2.6).
    InteractionRequired,
    /// `request_not_supported`: the `request` parameter is not supported
    /// (OpenID Connect Core 1.0 §3.1.2.6).
    RequestNotSupported,
    /// `request_uri_not_supported`: the `request_uri` parameter is not
    /// supported (OpenID Connect Core 1.0 §3.1.2.6).
    RequestUriNotSupported,
    /// `unsupported_token_type`: revocation of this token type is not
    /// supported (RFC 7009 §2.2.1).
    UnsupportedTokenType,
    /// `invalid_acr`: the requested `acr_values` cannot be met. Not in any
    /// RFC: a FranceConnect extension that services already handle.
    InvalidAcr,
    /// `invalid_dpop_proof`: the DPoP proof is missing, malformed, replayed
    /// or does not match the request or the token (RFC 9449 §5, §7.1).
    InvalidDpopProof,
}

impl OAuthErrorCode {
    /// The wire value (`invalid_request`…).
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthErrorCode::InvalidRequest => "invalid_request",
            OAuthErrorCode::UnauthorizedClient => "unauthorized_client",
            OAuthErrorCode::AccessDenied => "access_denied",
            OAuthErrorCode::UnsupportedResponseType => "unsupported_response_type",
            OAuthErrorCode::InvalidScope => "invalid_scope",
            OAuthErrorCode::ServerError => "server_error",
            OAuthErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            OAuthErrorCode::InvalidClient => "invalid_client",
            OAuthErrorCode::InvalidGrant => "invalid_grant",
            OAuthErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthErrorCode::InvalidToken => "invalid_token",
            OAuthErrorCode::InsufficientScope => "insufficient_scope",
            OAuthErrorCode::LoginRequired => "login_required",
            OAuthErrorCode::ConsentRequired => "consent_required",
            OAuthErrorCode::InteractionRequired => "interaction_required",
            OAuthErrorCode::RequestNotSupported => "request_not_supported",
            OAuthErrorCode::RequestUriNotSupported => "request_uri_not_supported",
            OAuthErrorCode::UnsupportedTokenType => "unsupported_token_type",
            OAuthErrorCode::InvalidAcr => "invalid_acr",
            OAuthErrorCode::InvalidDpopProof => "invalid_dpop_proof",
        }
    }
}

impl std::fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OAuth error response body: `{"error": "...", "error_description": "..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{error}{}", .error_description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
pub struct OAuthError {
    /// The error code.
    pub error: OAuthErrorCode,
    /// A human-readable explanation in English, for the service's developers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

impl OAuthError {
    /// An error with a description.
    pub fn new(error: OAuthErrorCode, description: impl Into<String>) -> OAuthError {
        OAuthError {
            error,
            error_description: Some(description.into()),
        }
    }

    /// An error without description.
    pub fn from_code(error: OAuthErrorCode) -> OAuthError {
        OAuthError {
            error,
            error_description: None,
        }
    }

    /// `invalid_request` with a description.
    pub fn invalid_request(description: impl Into<String>) -> OAuthError {
        OAuthError::new(OAuthErrorCode::InvalidRequest, description)
    }
}

impl From<OAuthErrorCode> for OAuthError {
    fn from(error: OAuthErrorCode) -> OAuthError {
        OAuthError::from_code(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [OAuthErrorCode; 20] = [
        OAuthErrorCode::InvalidRequest,
        OAuthErrorCode::UnauthorizedClient,
        OAuthErrorCode::AccessDenied,
        OAuthErrorCode::UnsupportedResponseType,
        OAuthErrorCode::InvalidScope,
        OAuthErrorCode::ServerError,
        OAuthErrorCode::TemporarilyUnavailable,
        OAuthErrorCode::InvalidClient,
        OAuthErrorCode::InvalidGrant,
        OAuthErrorCode::UnsupportedGrantType,
        OAuthErrorCode::InvalidToken,
        OAuthErrorCode::InsufficientScope,
        OAuthErrorCode::LoginRequired,
        OAuthErrorCode::ConsentRequired,
        OAuthErrorCode::InteractionRequired,
        OAuthErrorCode::RequestNotSupported,
        OAuthErrorCode::RequestUriNotSupported,
        OAuthErrorCode::UnsupportedTokenType,
        OAuthErrorCode::InvalidAcr,
        OAuthErrorCode::InvalidDpopProof,
    ];

    #[test]
    fn as_str_matches_serde() {
        for code in ALL {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::from(code.as_str())
            );
            let back: OAuthErrorCode =
                serde_json::from_value(serde_json::Value::from(code.as_str())).unwrap();
            assert_eq!(back, code);
        }
    }

    #[test]
    fn body_json() {
        let e = OAuthError::new(
            OAuthErrorCode::InvalidAcr,
            "acr_values: eidas2 is not allowed",
        );
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"error":"invalid_acr","error_description":"acr_values: eidas2 is not allowed"}"#
        );
        assert_eq!(
            e.to_string(),
            "invalid_acr: acr_values: eidas2 is not allowed"
        );
        let bare = OAuthError::from(OAuthErrorCode::ServerError);
        assert_eq!(
            serde_json::to_string(&bare).unwrap(),
            r#"{"error":"server_error"}"#
        );
        assert_eq!(bare.to_string(), "server_error");
    }
}
