//! Errors of the demo FI, and the one place where they become HTTP.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::web::templates::TemplateError;

/// Failure to build or run a demo FI.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FiError {
    /// The issuer URL cannot serve as an OpenID issuer (reason given).
    #[error("invalid issuer URL {url}: {reason}")]
    Issuer {
        /// The URL as configured.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A client's registered redirect URI is not an absolute URL.
    #[error("client {client_id}: invalid registered URI {uri}")]
    ClientUri {
        /// The client.
        client_id: String,
        /// The URI as registered.
        uri: String,
    },
    /// The spec gives the FI no eIDAS level to assert.
    #[error("an identity provider needs at least one eIDAS level")]
    NoLevel,
    /// The card provider has no trusted state CA to verify cards against.
    #[error("the ID-card identity provider needs a trusted state CA certificate")]
    NoCardRoot,
    /// Key generation or signing failed.
    #[error("JOSE error: {0}")]
    Jose(#[from] josekit::JoseError),
    /// A generated public key lacks a parameter needed for its thumbprint.
    #[error("public JWK lacks parameter {0}")]
    KeyParameterMissing(String),
    /// JSON serialisation failed.
    #[error("JSON error: {0}")]
    Json(#[from] serde_json::Error),
    /// A page could not be rendered.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// A response could not be built (invalid header value).
    #[error("HTTP error: {0}")]
    Http(#[from] axum::http::Error),
}

/// OAuth 2.0 / OpenID Connect error codes the FI emits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum OAuthCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    LoginRequired,
    InvalidToken,
}

impl OAuthCode {
    /// The wire value.
    pub(super) const fn as_str(self) -> &'static str {
        match self {
            OAuthCode::InvalidRequest => "invalid_request",
            OAuthCode::InvalidClient => "invalid_client",
            OAuthCode::InvalidGrant => "invalid_grant",
            OAuthCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthCode::UnsupportedResponseType => "unsupported_response_type",
            OAuthCode::InvalidScope => "invalid_scope",
            OAuthCode::AccessDenied => "access_denied",
            OAuthCode::LoginRequired => "login_required",
            OAuthCode::InvalidToken => "invalid_token",
        }
    }
}

/// An error answer of an FI endpoint.
#[derive(Debug)]
pub(super) enum HttpError {
    /// Token endpoint error (RFC 6749 §5.2): JSON body.
    Token(OAuthCode, &'static str),
    /// Protected resource error (RFC 6750 §3): `WWW-Authenticate: Bearer`.
    Bearer(OAuthCode, &'static str),
    /// Anything else: logged, answered with a generic 500.
    Internal(FiError),
}

impl From<FiError> for HttpError {
    fn from(e: FiError) -> Self {
        HttpError::Internal(e)
    }
}

impl From<TemplateError> for HttpError {
    fn from(e: TemplateError) -> Self {
        HttpError::Internal(e.into())
    }
}

impl From<axum::http::Error> for HttpError {
    fn from(e: axum::http::Error) -> Self {
        HttpError::Internal(e.into())
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        match self {
            HttpError::Token(code, description) => {
                let status = match code {
                    OAuthCode::InvalidClient => StatusCode::UNAUTHORIZED,
                    _ => StatusCode::BAD_REQUEST,
                };
                let mut res = (
                    status,
                    [
                        (header::CACHE_CONTROL, "no-store"),
                        (header::PRAGMA, "no-cache"),
                    ],
                    Json(json!({ "error": code.as_str(), "error_description": description })),
                )
                    .into_response();
                if code == OAuthCode::InvalidClient {
                    res.headers_mut().insert(
                        header::WWW_AUTHENTICATE,
                        HeaderValue::from_static("Basic realm=\"fi\""),
                    );
                }
                res
            }
            HttpError::Bearer(code, description) => {
                let status = match code {
                    OAuthCode::InvalidRequest => StatusCode::BAD_REQUEST,
                    _ => StatusCode::UNAUTHORIZED,
                };
                let challenge = format!(
                    "Bearer realm=\"fi\", error=\"{}\", error_description=\"{description}\"",
                    code.as_str()
                );
                let mut res = (
                    status,
                    Json(json!({ "error": code.as_str(), "error_description": description })),
                )
                    .into_response();
                if let Ok(v) = HeaderValue::from_str(&challenge) {
                    res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
                }
                res
            }
            HttpError::Internal(e) => {
                tracing::error!(error = %e, "demo FI internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Erreur interne du fournisseur d'identité.",
                )
                    .into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping() {
        let r = HttpError::Token(OAuthCode::InvalidClient, "x").into_response();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.headers().contains_key(header::WWW_AUTHENTICATE));
        let r = HttpError::Token(OAuthCode::InvalidGrant, "x").into_response();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(!r.headers().contains_key(header::WWW_AUTHENTICATE));
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
        let r = HttpError::Bearer(OAuthCode::InvalidToken, "x").into_response();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(
            r.headers()[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .contains("invalid_token")
        );
        let r = HttpError::Bearer(OAuthCode::InvalidRequest, "x").into_response();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let r = HttpError::Internal(FiError::KeyParameterMissing("x".into())).into_response();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
