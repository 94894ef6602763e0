//! `/.well-known/openid-configuration` and `/jwks`.

use axum::{Json, extract::State, http::header, response::IntoResponse};
use pivot_proto::{
    checktoken::CHECKTOKEN_PATH,
    scope::{KNOWN_IDENTITY_SCOPES, RNIPP_SCOPES, claims_for_scope},
};
use serde_json::{Value, json};

use crate::{
    config::IdentitySource,
    error::BrokerError,
    state::AppState,
    storage::{ENCRYPTION_ENC, EncryptionAlg},
};

/// The discovery document (keys sorted: deterministic output), with the
/// scopes of the registered data providers.
#[must_use]
pub fn metadata(s: &AppState, data_scopes: &[&str]) -> Value {
    let iss = &s.cfg.issuer;
    let mut scopes: Vec<&str> = KNOWN_IDENTITY_SCOPES.to_vec();
    if s.cfg.identity_source == IdentitySource::Provider {
        scopes.extend(RNIPP_SCOPES);
    }
    let identity_scopes = scopes.clone();
    scopes.extend(data_scopes);
    let mut claims: Vec<&str> = identity_scopes
        .iter()
        .flat_map(|sc| claims_for_scope(sc).iter().copied())
        .collect();
    claims.extend([
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "acr",
        "amr",
    ]);
    claims.sort_unstable();
    claims.dedup();
    let acr: Vec<&str> = s.cfg.acr_values.iter().map(|a| a.as_str()).collect();
    let signing: Vec<&str> = s.cfg.signing_algs.iter().map(|a| a.as_str()).collect();
    let key_algs: Vec<&str> = EncryptionAlg::ALL.iter().map(|a| a.as_str()).collect();
    json!({
        "issuer": iss,
        "authorization_endpoint": format!("{iss}/authorize"),
        "token_endpoint": format!("{iss}/token"),
        "userinfo_endpoint": format!("{iss}/userinfo"),
        "jwks_uri": format!("{iss}/jwks"),
        "end_session_endpoint": format!("{iss}/session/end"),
        "revocation_endpoint": format!("{iss}/token/revocation"),
        "introspection_endpoint": format!("{iss}{CHECKTOKEN_PATH}"),
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "introspection_signing_alg_values_supported": signing,
        "introspection_encryption_alg_values_supported": key_algs,
        "introspection_encryption_enc_values_supported": [ENCRYPTION_ENC],
        "dpop_signing_alg_values_supported": crate::op::dpop::DPOP_ALGS,
        "scopes_supported": scopes,
        "claims_supported": claims,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["pairwise"],
        "acr_values_supported": acr,
        "id_token_signing_alg_values_supported": signing,
        "userinfo_signing_alg_values_supported": signing,
        "id_token_encryption_alg_values_supported": key_algs,
        "id_token_encryption_enc_values_supported": [ENCRYPTION_ENC],
        "userinfo_encryption_alg_values_supported": key_algs,
        "userinfo_encryption_enc_values_supported": [ENCRYPTION_ENC],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": ["ES256", "RS256", "PS256"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "frontchannel_logout_supported": false,
        "backchannel_logout_supported": false,
        "prompt_values_supported": ["login", "consent"],
        "ui_locales_supported": ["fr", "en"],
    })
}

/// `GET /.well-known/openid-configuration`
///
/// # Errors
/// When the data providers' scopes cannot be read.
pub async fn discovery(State(s): State<AppState>) -> Result<impl IntoResponse, BrokerError> {
    let catalogue = s.store.data_catalogue().await?;
    let data: Vec<&str> = catalogue.iter().map(|d| d.scope.as_str()).collect();
    Ok((
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(metadata(&s, &data)),
    ))
}

/// `GET /jwks`
pub async fn jwks(State(s): State<AppState>) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/jwk-set+json"),
            (header::CACHE_CONTROL, "public, max-age=60"),
        ],
        s.keys.jwks(s.now()).to_string(),
    )
}
