//! `POST /token`: the authorization-code grant.

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};
use pivot_proto::{
    citizen::CITIZEN_SPACE_SCOPE, claims::IdTokenClaims, oauth::OAuthErrorCode,
    oauth::pkce::verify_s256,
};
use serde_json::json;

use crate::{
    crypto::sha256_hex,
    error::BrokerError,
    grant::Grant,
    op::{client_auth::authenticate, dpop, form::parse_unique},
    state::AppState,
    storage::{ClientAuthMethod, ClientRecord, ClientRole, CodeRedemption, RefreshRedemption},
};

/// Public clients allowed the citizen space (the app) must bind their
/// tokens to their device key: a stolen token is then useless.
fn dpop_required(client: &ClientRecord) -> bool {
    client.auth_method == ClientAuthMethod::None
        && client.scopes.iter().any(|s| s == CITIZEN_SPACE_SCOPE)
}

fn grant_error(desc: &str) -> BrokerError {
    BrokerError::oauth(OAuthErrorCode::InvalidGrant, desc)
}

/// `POST /token`
pub async fn token(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, BrokerError> {
    let mut form = parse_unique(&body)?;
    let endpoint = format!("{}/token", s.cfg.issuer);
    let client = authenticate(&s, &headers, &mut form, &endpoint, ClientRole::Service).await?;
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {}
        // Only the app (bound to its device key) renews its tokens.
        Some("refresh_token") if dpop_required(&client) => {
            return refresh(&s, &headers, &form, &client, &endpoint).await;
        }
        Some(_) => {
            return Err(BrokerError::oauth(
                OAuthErrorCode::UnsupportedGrantType,
                "only authorization_code (and refresh_token for the app)",
            ));
        }
        None => {
            return Err(BrokerError::oauth(
                OAuthErrorCode::InvalidRequest,
                "grant_type missing",
            ));
        }
    }
    let code = form
        .get("code")
        .ok_or_else(|| BrokerError::oauth(OAuthErrorCode::InvalidRequest, "code missing"))?;
    // DPoP (RFC 9449) before the code is spent: a bad proof keeps it usable.
    let proof = match dpop::header(&headers)? {
        Some(p) => Some(s.verify_dpop(p, "POST", &endpoint, None).await?),
        None => None,
    };
    if proof.is_none() && dpop_required(&client) {
        return Err(BrokerError::oauth(
            OAuthErrorCode::InvalidDpopProof,
            "this client must prove its key with DPoP",
        ));
    }
    let grant = redeem_code(
        &s,
        &client.client_id,
        code,
        form.get("redirect_uri").map(String::as_str),
        form.get("code_verifier").map(String::as_str),
    )
    .await?;

    let bound = proof.map(|p| p.jkt);
    let token_type = if bound.is_some() { "DPoP" } else { "Bearer" };
    let refresh_token = match &bound {
        Some(jkt) if dpop_required(&client) => Some(s.issue_refresh_token(&grant, jkt).await?),
        _ => None,
    };
    let access_token = s.issue_access_token(&grant, bound).await?;
    let now = s.now();
    let wants_amr = grant.scope.contains("amr") || grant.claims.id_token.contains("amr");
    let claims = IdTokenClaims {
        iss: s.cfg.issuer.clone(),
        sub: grant.sub.clone(),
        aud: client.client_id.clone(),
        exp: now + s.cfg.id_token_ttl_secs,
        iat: now,
        auth_time: grant.auth_time,
        nonce: grant.nonce.clone(),
        acr: grant.acr.as_str().to_owned(),
        amr: wants_amr.then(|| grant.amr.clone()),
        idp_id: grant.scope.contains("idp_id").then(|| grant.idp_id.clone()),
    };
    let map = match serde_json::to_value(&claims) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => {
            return Err(BrokerError::Internal(
                "ID token claims did not serialise".into(),
            ));
        }
    };
    let id_token = s
        .keys
        .sign(s.cfg.signing_alg(client.id_token_alg), map, "JWT")?;
    let id_token = s.protect_for(&client, id_token).await?;
    let mut answer = json!({
        "access_token": access_token,
        "token_type": token_type,
        "expires_in": s.cfg.access_token_ttl_secs,
        "id_token": id_token,
        "scope": grant.scope.to_string_sorted(),
    });
    if let Some(r) = refresh_token {
        answer["refresh_token"] = json!(r);
    }
    Ok(no_store(answer))
}

/// A token response that no cache keeps.
fn no_store(answer: serde_json::Value) -> Response {
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(answer),
    )
        .into_response()
}

/// `grant_type=refresh_token` for the app: a DPoP proof with the key the
/// refresh token is bound to; the token is rotated (a used one presented
/// again, or with another key, revokes the whole grant); a disabled
/// account gets nothing. No new ID token: the login is the same.
async fn refresh(
    s: &AppState,
    headers: &HeaderMap,
    form: &std::collections::BTreeMap<String, String>,
    client: &ClientRecord,
    endpoint: &str,
) -> Result<Response, BrokerError> {
    let proof = dpop::header(headers)?.ok_or_else(|| {
        BrokerError::oauth(OAuthErrorCode::InvalidDpopProof, "DPoP proof required")
    })?;
    let proof = s.verify_dpop(proof, "POST", endpoint, None).await?;
    let token = form.get("refresh_token").ok_or_else(|| {
        BrokerError::oauth(OAuthErrorCode::InvalidRequest, "refresh_token missing")
    })?;
    let hash = sha256_hex(token);
    let row = match s.store.use_refresh(&hash, s.now()).await? {
        RefreshRedemption::Fresh(row) => row,
        RefreshRedemption::Reused { grant_id } => {
            let n = s.store.revoke_grant(&grant_id).await?;
            tracing::warn!(client = %client.client_id, revoked = n, "refresh token reused");
            return Err(grant_error("refresh token already used"));
        }
        RefreshRedemption::Invalid => return Err(grant_error("refresh token unknown or expired")),
    };
    if row.client_id != client.client_id || !crate::crypto::ct_eq(&row.dpop_jkt, &proof.jkt) {
        // Someone else's token, or this one with another key: a theft.
        s.store.revoke_grant(&row.grant_id).await?;
        return Err(grant_error(
            "refresh token not issued to this client and key",
        ));
    }
    let grant: Grant = s.sealer.open_json(&row.data, hash.as_bytes())?;
    let account = s
        .store
        .account(pivot_proto::sub::identity_hash(grant.checked_identity()).as_str())
        .await?;
    if account.is_some_and(|a| a.disabled_reason.is_some()) {
        s.store.revoke_grant(&grant.grant_id).await?;
        return Err(grant_error("the account is disabled"));
    }
    let refresh_token = s.issue_refresh_token(&grant, &proof.jkt).await?;
    let access_token = s.issue_access_token(&grant, Some(proof.jkt)).await?;
    Ok(no_store(json!({
        "access_token": access_token,
        "token_type": "DPoP",
        "expires_in": s.cfg.access_token_ttl_secs,
        "refresh_token": refresh_token,
        "scope": grant.scope.to_string_sorted(),
    })))
}

/// Redeems an authorization code for `client_id` (single use; a replay
/// revokes what the code produced) and checks the redirect URI and PKCE.
/// Used by the token endpoint and by the broker's own citizen space.
///
/// # Errors
/// `invalid_grant` for any mismatch; storage or sealing failures.
pub async fn redeem_code(
    s: &AppState,
    client_id: &str,
    code: &str,
    redirect_uri: Option<&str>,
    code_verifier: Option<&str>,
) -> Result<Grant, BrokerError> {
    let code_hash = sha256_hex(code);
    let row = match s.store.redeem_code(&code_hash, s.now()).await? {
        CodeRedemption::Fresh(row) => row,
        CodeRedemption::Replayed { grant_id } => {
            // RFC 6749 §4.1.2: a replayed code revokes what it produced.
            let n = s.store.revoke_grant(&grant_id).await?;
            tracing::warn!(client = %client_id, revoked = n, "authorization code replayed");
            return Err(grant_error("code already used"));
        }
        CodeRedemption::Invalid => return Err(grant_error("code unknown or expired")),
    };
    if row.client_id != client_id {
        return Err(grant_error("code issued to another client"));
    }
    let grant: Grant = s.sealer.open_json(&row.data, code_hash.as_bytes())?;
    if redirect_uri != Some(grant.redirect_uri.as_str()) {
        return Err(grant_error(
            "redirect_uri does not match the authorization request",
        ));
    }
    match (&grant.code_challenge, code_verifier) {
        (Some(ch), Some(v)) if verify_s256(v, ch) => {}
        (Some(_), _) => return Err(grant_error("PKCE verification failed")),
        (None, Some(_)) => return Err(grant_error("code_verifier without code_challenge")),
        (None, None) => {}
    }
    Ok(grant)
}
