//! Errors of the demo data providers and the one place they become HTTP
//! responses: JSON `{"error", "error_description"}` (descriptions in
//! French), `Cache-Control: no-store`, and `WWW-Authenticate` as RFC 6750
//! §3 asks for 401 and 403.
//!
//! | error | status | `error` | `WWW-Authenticate` |
//! |---|---|---|---|
//! | [`FdError::MissingToken`] | 401 | `invalid_token` | `Bearer` |
//! | [`FdError::MalformedToken`] | 401 | `invalid_token` | `Bearer error="invalid_token"` |
//! | [`FdError::InactiveToken`] | 401 | `invalid_token` | `Bearer error="invalid_token"` |
//! | [`FdError::InsufficientScope`] | 403 | `insufficient_scope` | `Bearer error="insufficient_scope", scope="…"` |
//! | [`FdError::NotFound`] | 404 | `not_found` | |
//! | [`FdError::InvalidYear`] | 400 | `invalid_request` | |
//! | [`FdError::NoSuchEndpoint`] | 404 | `not_found` | |
//! | [`FdError::CheckToken`] | 503 | `temporarily_unavailable` | |
//!
//! An answer of the broker that cannot be verified (bad signature, wrong
//! `iss`, `aud` or `typ`, stale `iat`) is a [`FdError::CheckToken`], hence
//! a 503: the provider cannot tell whether the token is good, and the
//! fault lies with the broker or this provider's configuration, not with
//! the caller. The 503 body stays generic; the cause is logged.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::checktoken::CheckTokenError;

/// Why a data provider request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FdError {
    /// No `Authorization: Bearer` header.
    #[error("no bearer token")]
    MissingToken,
    /// An `Authorization` header that is not one well-formed bearer token.
    #[error("malformed bearer token")]
    MalformedToken,
    /// The broker says the token is not active, or it has expired.
    #[error("inactive or expired token")]
    InactiveToken,
    /// The token is active but grants none of this API's scopes; the
    /// scopes that would do.
    #[error("the token grants none of {0}")]
    InsufficientScope(String),
    /// The provider holds nothing for this citizen (or this year).
    #[error("no record for this citizen")]
    NotFound,
    /// The year in the path is not a year.
    #[error("not a year")]
    InvalidYear,
    /// No such route.
    #[error("no such endpoint")]
    NoSuchEndpoint,
    /// The token could not be checked at the broker.
    #[error("token check failed: {0}")]
    CheckToken(#[from] CheckTokenError),
}

impl FdError {
    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingToken | Self::MalformedToken | Self::InactiveToken => {
                StatusCode::UNAUTHORIZED
            }
            Self::InsufficientScope(_) => StatusCode::FORBIDDEN,
            Self::NotFound | Self::NoSuchEndpoint => StatusCode::NOT_FOUND,
            Self::InvalidYear => StatusCode::BAD_REQUEST,
            Self::CheckToken(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The `error` member.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingToken | Self::MalformedToken | Self::InactiveToken => "invalid_token",
            Self::InsufficientScope(_) => "insufficient_scope",
            Self::NotFound | Self::NoSuchEndpoint => "not_found",
            Self::InvalidYear => "invalid_request",
            Self::CheckToken(_) => "temporarily_unavailable",
        }
    }

    /// The `error_description` member, in French, without internals.
    #[must_use]
    pub fn description(&self) -> &'static str {
        match self {
            Self::MissingToken => "Un jeton d'accès est requis (en-tête Authorization: Bearer).",
            Self::MalformedToken => {
                "L'en-tête Authorization ne contient pas un jeton d'accès valide."
            }
            Self::InactiveToken => "Le jeton d'accès est expiré, révoqué ou inconnu.",
            Self::InsufficientScope(_) => {
                "Le jeton d'accès n'autorise aucune des données de cette API."
            }
            Self::NotFound => "Aucune donnée n'est disponible pour cet usager.",
            Self::InvalidYear => "L'année doit s'écrire avec quatre chiffres, par exemple 2024.",
            Self::NoSuchEndpoint => "Cette adresse ne correspond à aucun service de l'API.",
            Self::CheckToken(_) => {
                "La vérification du jeton d'accès est momentanément impossible. Réessayez plus tard."
            }
        }
    }

    /// The `WWW-Authenticate` challenge, when the status calls for one.
    fn challenge(&self) -> Option<String> {
        match self {
            Self::MissingToken => Some("Bearer".to_owned()),
            Self::MalformedToken | Self::InactiveToken => {
                Some(r#"Bearer error="invalid_token""#.to_owned())
            }
            Self::InsufficientScope(scopes) => Some(format!(
                r#"Bearer error="insufficient_scope", scope="{scopes}""#
            )),
            _ => None,
        }
    }
}

impl IntoResponse for FdError {
    fn into_response(self) -> Response {
        if let Self::CheckToken(e) = &self {
            tracing::warn!(error = %e, "data provider cannot check a token");
        }
        let mut response = (
            self.status(),
            Json(json!({ "error": self.code(), "error_description": self.description() })),
        )
            .into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(value) = self
            .challenge()
            .and_then(|c| HeaderValue::from_str(&c).ok())
        {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        if matches!(self, Self::CheckToken(_)) {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
        }
        response
    }
}

#[cfg(test)]
mod unit {
    use http_body_util::BodyExt as _;

    use super::*;

    async fn parts(e: FdError) -> (StatusCode, Option<String>, serde_json::Value) {
        let r = e.into_response();
        let status = r.status();
        let challenge = r
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
        let body = r.into_body().collect().await.unwrap().to_bytes();
        (status, challenge, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn maps_every_error_to_its_status_code_and_challenge() {
        let cases = [
            (FdError::MissingToken, 401, "invalid_token", Some("Bearer")),
            (
                FdError::MalformedToken,
                401,
                "invalid_token",
                Some(r#"Bearer error="invalid_token""#),
            ),
            (
                FdError::InactiveToken,
                401,
                "invalid_token",
                Some(r#"Bearer error="invalid_token""#),
            ),
            (
                FdError::InsufficientScope("dgfip_rfr dgfip_nbpart".into()),
                403,
                "insufficient_scope",
                Some(r#"Bearer error="insufficient_scope", scope="dgfip_rfr dgfip_nbpart""#),
            ),
            (FdError::NotFound, 404, "not_found", None),
            (FdError::NoSuchEndpoint, 404, "not_found", None),
            (FdError::InvalidYear, 400, "invalid_request", None),
            (
                FdError::CheckToken(CheckTokenError::InvalidClient),
                503,
                "temporarily_unavailable",
                None,
            ),
        ];
        for (err, status, code, challenge) in cases {
            let (s, c, body) = parts(err).await;
            assert_eq!(s.as_u16(), status, "{code}");
            assert_eq!(c.as_deref(), challenge, "{code}");
            assert_eq!(body["error"], code);
            assert!(!body["error_description"].as_str().unwrap().is_empty());
        }
    }

    #[tokio::test]
    async fn unavailable_body_stays_generic() {
        let err = FdError::CheckToken(CheckTokenError::Issuer("http://evil".into()));
        let (_, _, body) = parts(err).await;
        assert!(!body.to_string().contains("evil"));
    }
}
