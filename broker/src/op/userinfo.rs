//! `GET|POST /userinfo`: the identity claims the scopes allow, as JSON or as
//! a signed JWT for clients registered for it.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};
use pivot_proto::{claims::userinfo_claims, oauth::OAuthErrorCode};

use crate::{error::BrokerError, state::AppState};

/// The bearer token of a request (RFC 6750 §2.1).
#[must_use]
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

/// `GET|POST /userinfo`
pub async fn userinfo(
    State(s): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, BrokerError> {
    let token = bearer(&headers)
        .ok_or_else(|| BrokerError::oauth(OAuthErrorCode::InvalidToken, "bearer token missing"))?;
    let grant = s.grant_for_token(token).await?.ok_or_else(|| {
        BrokerError::oauth(
            OAuthErrorCode::InvalidToken,
            "token unknown, expired or revoked",
        )
    })?;
    let idp_birthdate = grant
        .scope
        .contains("idp_birthdate")
        .then_some(grant.identity.pivot.birthdate.as_str());
    let idp_id = grant
        .scope
        .contains("idp_id")
        .then_some(grant.idp_id.as_str());
    let claims = userinfo_claims(
        &grant.scope,
        &grant.sub,
        &grant.identity,
        idp_id,
        idp_birthdate,
    );
    let client = s.store.client(&grant.client_id).await?;
    let signed_alg = client.as_ref().and_then(|c| c.userinfo_alg);
    let Some(alg) = signed_alg else {
        return Ok(([(header::CACHE_CONTROL, "no-store")], Json(claims)).into_response());
    };
    let mut map: serde_json::Map<String, serde_json::Value> = claims.into_iter().collect();
    map.insert("iss".into(), s.cfg.issuer.clone().into());
    map.insert("aud".into(), grant.client_id.clone().into());
    map.insert("iat".into(), s.now().into());
    let jwt = s.keys.sign(alg, map, "JWT")?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/jwt"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        jwt,
    )
        .into_response())
}
