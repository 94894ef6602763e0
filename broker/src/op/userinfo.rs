//! `GET|POST /userinfo`: the identity claims the scopes allow, as JSON or as
//! a signed JWT for clients registered for it.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};
use pivot_proto::{
    citizen::EventCode,
    claims::{ClaimSources, userinfo_claims},
    oauth::OAuthErrorCode,
};

use crate::{
    citizen::events::Event, config::EncryptionPolicy, error::BrokerError, op::PREFIX,
    state::AppState,
};

/// `GET|POST /userinfo`
pub async fn userinfo(
    State(s): State<AppState>,
    method: axum::http::Method,
    headers: HeaderMap,
) -> Result<Response, BrokerError> {
    let grant = s
        .presented_token(&headers, method.as_str(), &format!("{}/userinfo", PREFIX))
        .await?
        .grant;
    let claims = userinfo_claims(
        &grant.scope,
        &ClaimSources {
            sub: &grant.sub,
            identity: &grant.identity,
            rnipp: grant.rnipp.as_ref(),
            idp_id: Some(grant.idp_id.as_str()),
            idp_birthdate: Some(grant.idp_birthdate.as_str()),
        },
    );
    let client = s.store.client(&grant.client_id).await?.ok_or_else(|| {
        BrokerError::oauth(
            OAuthErrorCode::InvalidToken,
            "the client is no longer registered",
        )
    })?;
    s.record(
        Event::new(EventCode::SpRequestedUserinfo)
            .identity(grant.checked_identity())
            .client(&client.client_id, &client.name)
            .fi(&grant.idp_id)
            .acr(grant.acr),
    )
    .await;
    let encrypt = s.cfg.encryption == EncryptionPolicy::Required || client.encryption_alg.is_some();
    let signed_alg = match client.userinfo_alg {
        Some(a) => Some(s.cfg.signing_alg(a)),
        // An encrypted answer is always a signed JWT inside.
        None if encrypt => Some(s.cfg.signing_alg(client.id_token_alg)),
        None => None,
    };
    let Some(alg) = signed_alg else {
        return Ok(([(header::CACHE_CONTROL, "no-store")], Json(claims)).into_response());
    };
    let mut map: serde_json::Map<String, serde_json::Value> = claims.into_iter().collect();
    map.insert("iss".into(), s.cfg.issuer.clone().into());
    map.insert("aud".into(), grant.client_id.clone().into());
    map.insert("iat".into(), s.now().into());
    let jwt = s.keys.sign(alg, map, "JWT")?;
    let jwt = s.protect_for(&client, jwt).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/jwt"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        jwt,
    )
        .into_response())
}
