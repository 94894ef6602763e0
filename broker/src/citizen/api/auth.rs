//! The API's token check: a live token of the broker (a bearer token, or a
//! DPoP-bound one with its proof — the app's are always bound) with the
//! `citizen_space` scope names the citizen.

use axum::{
    extract::{FromRequestParts, OriginalUri},
    http::request::Parts,
};
use pivot_proto::{citizen::CITIZEN_SPACE_SCOPE, oauth::OAuthErrorCode};

use crate::{
    citizen::{device::app_device_id, space::Citizen},
    error::BrokerError,
    state::AppState,
};

/// The citizen named by the request's access token.
#[derive(Debug)]
pub struct ApiCitizen(pub Citizen);

impl FromRequestParts<AppState> for ApiCitizen {
    type Rejection = BrokerError;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        // The path as sent (nested routers see it without their prefix).
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.path().to_owned(), |u| u.path().to_owned());
        let live = s
            .presented_token(&parts.headers, parts.method.as_str(), &path)
            .await?;
        let grant = live.grant;
        if !grant.scope.contains(CITIZEN_SPACE_SCOPE) {
            return Err(BrokerError::oauth(
                OAuthErrorCode::InsufficientScope,
                "the token does not carry the citizen_space scope",
            ));
        }
        // The app's token is bound to its device key: that is its device.
        let device = live.dpop_jkt.as_deref().map(app_device_id);
        Ok(Self(Citizen::from_grant(&grant, device)))
    }
}
