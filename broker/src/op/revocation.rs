//! `POST /token/revocation` (RFC 7009).

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use pivot_proto::oauth::OAuthErrorCode;

use crate::{
    crypto::sha256_hex,
    error::BrokerError,
    op::{client_auth::authenticate, form::parse_unique},
    state::AppState,
    storage::ClientRole,
};

/// `POST /token/revocation`: always 200 for a well-formed request from an
/// authenticated client, whether or not the token existed (RFC 7009 §2.2).
pub async fn revoke(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, BrokerError> {
    let mut form = parse_unique(&body)?;
    let endpoint = format!("{}/token/revocation", s.cfg.issuer);
    let client = authenticate(&s, &headers, &mut form, &endpoint, ClientRole::Service).await?;
    let token = form
        .get("token")
        .ok_or_else(|| BrokerError::oauth(OAuthErrorCode::InvalidRequest, "token missing"))?;
    let hash = sha256_hex(token);
    // A refresh token (the app's) ends its whole grant: the app signs out.
    if let Some((grant_id, owner)) = s.store.refresh_owner(&hash).await? {
        if owner == client.client_id {
            let n = s.store.revoke_grant(&grant_id).await?;
            tracing::info!(client = %client.client_id, revoked = n, "refresh token revocation");
        }
        return Ok(StatusCode::OK);
    }
    let revoked = s.store.revoke_token(&hash, &client.client_id).await?;
    tracing::info!(client = %client.client_id, revoked, "token revocation");
    Ok(StatusCode::OK)
}
