//! `POST /checktoken`: a data provider (FD) checks the access token an FS
//! presented to it (RFC 7662 request, RFC 9701 answer).
//!
//! The provider authenticates like any client (it must be registered with
//! the data-provider role). The answer is a JWT signed by the broker
//! (`typ: token-introspection+jwt`), encrypted to the provider's key when it
//! registered one; a provider without encryption may ask plain JSON with
//! `Accept: application/json`. A token that is expired, revoked, unknown or
//! grants nothing this provider serves is `{"active": false}`: a provider
//! learns nothing about tokens that are not meant for it.

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};
use pivot_proto::{
    checktoken::{
        CHECKTOKEN_PATH, INTROSPECTION_JWT_MEDIA_TYPE, INTROSPECTION_JWT_TYP, IntrospectionClaims,
        TokenIntrospection,
    },
    citizen::EventCode,
    oauth::OAuthErrorCode,
    scope::ScopeSet,
};

use crate::{
    citizen::events::Event,
    crypto::random_token,
    error::BrokerError,
    op::{client_auth::authenticate, form::parse_unique},
    state::AppState,
    storage::{ClientRecord, ClientRole},
};

/// What the provider may know about `token`.
async fn introspect(
    s: &AppState,
    fd: &ClientRecord,
    token: &str,
) -> Result<TokenIntrospection, BrokerError> {
    let Some(live) = s.live_token(token).await? else {
        return Ok(TokenIntrospection::inactive());
    };
    let served: ScopeSet = fd.provided.iter().map(|d| d.scope.clone()).collect();
    let granted = live.grant.scope.intersection(&served);
    if granted.is_empty() {
        return Ok(TokenIntrospection::inactive());
    }
    let identity = live.grant.checked_identity().clone();
    let sub = s.sub_for(&fd.entity_id, &identity).await?;
    // The data checked, as the history shows them: the provider's own list.
    let checked: Vec<_> = fd
        .provided
        .iter()
        .filter(|d| granted.contains(&d.scope))
        .map(|d| pivot_proto::data::DataRequest {
            scope: d.scope.clone(),
            label: d.label.clone(),
            provider_id: fd.client_id.clone(),
            provider_name: fd.name.clone(),
        })
        .collect();
    let client_name = s
        .store
        .client(&live.grant.client_id)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    s.record(
        Event::new(EventCode::FdCheckedToken)
            .identity(&identity)
            .client(&live.grant.client_id, &client_name)
            .fi(&live.grant.idp_id)
            .acr(live.grant.acr)
            .data(&checked)
            .details(format!("data provider {}", fd.client_id)),
    )
    .await;
    Ok(TokenIntrospection {
        active: true,
        aud: Some(live.grant.client_id.clone()),
        client_id: Some(live.grant.client_id.clone()),
        sub: Some(sub),
        iat: Some(live.issued_at),
        exp: Some(live.expires_at),
        acr: Some(live.grant.acr.as_str().to_owned()),
        scope: Some(granted.to_string_sorted()),
        identity: Some(identity),
    })
}

/// Whether the provider asked the plain JSON answer.
fn wants_json(headers: &HeaderMap) -> bool {
    let accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    accept.contains("application/json") && !accept.contains(INTROSPECTION_JWT_MEDIA_TYPE)
}

/// `POST /checktoken`
pub async fn checktoken(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, BrokerError> {
    let mut form = parse_unique(&body)?;
    let endpoint = format!("{}{CHECKTOKEN_PATH}", s.cfg.issuer);
    let fd = authenticate(&s, &headers, &mut form, &endpoint, ClientRole::DataProvider).await?;
    let token = form
        .get("token")
        .ok_or_else(|| BrokerError::oauth(OAuthErrorCode::InvalidRequest, "token missing"))?;
    let answer = introspect(&s, &fd, token).await?;
    tracing::info!(
        provider = %fd.client_id,
        client = answer.aud.as_deref().unwrap_or("-"),
        active = answer.active,
        "checktoken"
    );
    let no_store = [
        (header::CACHE_CONTROL, "no-store"),
        (header::PRAGMA, "no-cache"),
    ];
    if wants_json(&headers) && s.encryption_for(&fd)?.is_none() {
        return Ok((no_store, Json(answer)).into_response());
    }
    let claims = IntrospectionClaims {
        iss: s.cfg.issuer.clone(),
        aud: fd.client_id.clone(),
        iat: s.now(),
        jti: Some(random_token(16)),
        token_introspection: answer,
    };
    let map = match serde_json::to_value(&claims) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => {
            return Err(BrokerError::Internal(
                "introspection claims did not serialise".into(),
            ));
        }
    };
    let jws = s.keys.sign(
        s.cfg.signing_alg(fd.id_token_alg),
        map,
        INTROSPECTION_JWT_TYP,
    )?;
    let jwt = s.protect_for(&fd, jws).await?;
    Ok((
        no_store,
        [(header::CONTENT_TYPE, INTROSPECTION_JWT_MEDIA_TYPE)],
        jwt,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn plain_json_only_when_asked_alone() {
        let mut h = HeaderMap::new();
        assert!(!wants_json(&h));
        h.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(wants_json(&h));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/token-introspection+jwt, application/json;q=0.5"),
        );
        assert!(!wants_json(&h));
    }
}
