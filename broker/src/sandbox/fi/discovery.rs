//! `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0).

use std::sync::Arc;

use axum::{Json, extract::State};
use serde_json::{Value, json};

use super::{FiState, userinfo};

/// Scopes the FI understands.
pub(super) const SCOPES: &[&str] = &[
    "openid",
    "profile",
    "birth",
    "identite_pivot",
    "email",
    "given_name",
    "family_name",
    "birthdate",
    "gender",
    "birthplace",
    "birthcountry",
    "preferred_username",
];

/// The provider metadata.
pub(super) fn metadata(state: &FiState) -> Value {
    let mut claims = vec![
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "acr",
        "amr",
    ];
    claims.extend_from_slice(userinfo::IDENTITY_CLAIMS);
    let levels: Vec<&str> = state.spec.levels.iter().map(|l| l.as_str()).collect();
    json!({
        "issuer": state.issuer,
        "authorization_endpoint": state.endpoint("/authorize"),
        "token_endpoint": state.endpoint("/token"),
        "userinfo_endpoint": state.endpoint("/userinfo"),
        "jwks_uri": state.endpoint("/jwks"),
        "end_session_endpoint": state.endpoint("/session/end"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [state.key.alg().name()],
        "scopes_supported": SCOPES,
        "claims_supported": claims,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "acr_values_supported": levels,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "ui_locales_supported": ["fr"],
    })
}

/// `GET /.well-known/openid-configuration`.
pub(super) async fn openid_configuration(State(state): State<Arc<FiState>>) -> Json<Value> {
    Json(metadata(&state))
}
