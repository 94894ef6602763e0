//! The API's bearer-token check (RFC 6750): a live token of the broker with
//! the `citizen_space` scope names the citizen.

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts},
};
use pivot_proto::{citizen::CITIZEN_SPACE_SCOPE, oauth::OAuthErrorCode};

use crate::{citizen::space::Citizen, error::BrokerError, state::AppState};

/// The citizen named by the request's access token.
#[derive(Debug)]
pub struct ApiCitizen(pub Citizen);

fn bearer(parts: &Parts) -> Option<&str> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<AppState> for ApiCitizen {
    type Rejection = BrokerError;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer(parts).ok_or_else(|| {
            BrokerError::oauth(OAuthErrorCode::InvalidToken, "bearer token missing")
        })?;
        let grant = s.grant_for_token(token).await?.ok_or_else(|| {
            BrokerError::oauth(
                OAuthErrorCode::InvalidToken,
                "token unknown, expired or revoked",
            )
        })?;
        if !grant.scope.contains(CITIZEN_SPACE_SCOPE) {
            return Err(BrokerError::oauth(
                OAuthErrorCode::InsufficientScope,
                "the token does not carry the citizen_space scope",
            ));
        }
        Ok(Self(Citizen::from_grant(&grant, None)))
    }
}
