//! The OpenID Provider metadata served at `/.well-known/openid-configuration`
//! (OpenID Connect Discovery 1.0 §3, RFC 8414).
//!
//! A plain struct: fields serialize in declaration order, so the document is
//! byte-for-byte deterministic.

use serde::{Deserialize, Serialize};

/// The discovery document of one platform.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ProviderMetadata {
    /// Issuer identifier.
    pub issuer: String,
    /// `/authorize` URL.
    pub authorization_endpoint: String,
    /// `/token` URL.
    pub token_endpoint: String,
    /// `/userinfo` URL.
    pub userinfo_endpoint: String,
    /// `/jwks` URL.
    pub jwks_uri: String,
    /// `/session/end` URL (RP-initiated logout).
    pub end_session_endpoint: String,
    /// `/token/revocation` URL (RFC 7009).
    pub revocation_endpoint: String,
    /// Supported scopes.
    pub scopes_supported: Vec<String>,
    /// Supported claims.
    pub claims_supported: Vec<String>,
    /// `["code"]`.
    pub response_types_supported: Vec<String>,
    /// `["query"]`.
    pub response_modes_supported: Vec<String>,
    /// `["authorization_code"]`.
    pub grant_types_supported: Vec<String>,
    /// `["pairwise"]`.
    pub subject_types_supported: Vec<String>,
    /// The platform's eIDAS levels.
    pub acr_values_supported: Vec<String>,
    /// ID token signing algorithms.
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// Userinfo signing algorithms.
    pub userinfo_signing_alg_values_supported: Vec<String>,
    /// Client authentication methods at the token endpoint.
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// Algorithms for `private_key_jwt` client assertions.
    pub token_endpoint_auth_signing_alg_values_supported: Vec<String>,
    /// PKCE methods: `["S256"]`.
    pub code_challenge_methods_supported: Vec<String>,
    /// Whether the `claims` parameter is supported.
    pub claims_parameter_supported: bool,
    /// Whether the `request` parameter is supported (`false`).
    pub request_parameter_supported: bool,
    /// Whether the authorization response carries `iss` (RFC 9207).
    pub authorization_response_iss_parameter_supported: bool,
    /// Whether front-channel logout is supported.
    pub frontchannel_logout_supported: bool,
    /// Supported UI languages.
    pub ui_locales_supported: Vec<String>,
    /// ID token encryption key-management algorithms, when encryption is offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_encryption_alg_values_supported: Option<Vec<String>>,
    /// ID token content-encryption algorithms, when encryption is offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_encryption_enc_values_supported: Option<Vec<String>>,
    /// Userinfo encryption key-management algorithms, when encryption is offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_encryption_alg_values_supported: Option<Vec<String>>,
    /// Userinfo content-encryption algorithms, when encryption is offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_encryption_enc_values_supported: Option<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::claims_request::REQUESTABLE_CLAIMS;
    use crate::scope::KNOWN_IDENTITY_SCOPES;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    fn high() -> ProviderMetadata {
        let base = "https://pivot-plus.example.gouv.fr/api/v2";
        ProviderMetadata {
            issuer: base.to_owned(),
            authorization_endpoint: format!("{base}/authorize"),
            token_endpoint: format!("{base}/token"),
            userinfo_endpoint: format!("{base}/userinfo"),
            jwks_uri: format!("{base}/jwks"),
            end_session_endpoint: format!("{base}/session/end"),
            revocation_endpoint: format!("{base}/token/revocation"),
            scopes_supported: strings(KNOWN_IDENTITY_SCOPES),
            claims_supported: strings(REQUESTABLE_CLAIMS),
            response_types_supported: strings(&["code"]),
            response_modes_supported: strings(&["query"]),
            grant_types_supported: strings(&["authorization_code"]),
            subject_types_supported: strings(&["pairwise"]),
            acr_values_supported: strings(&["eidas2", "eidas3"]),
            id_token_signing_alg_values_supported: strings(&["ES256"]),
            userinfo_signing_alg_values_supported: strings(&["ES256"]),
            token_endpoint_auth_methods_supported: strings(&[
                "client_secret_post",
                "client_secret_basic",
                "private_key_jwt",
            ]),
            token_endpoint_auth_signing_alg_values_supported: strings(&["ES256"]),
            code_challenge_methods_supported: strings(&["S256"]),
            claims_parameter_supported: true,
            request_parameter_supported: false,
            authorization_response_iss_parameter_supported: true,
            frontchannel_logout_supported: false,
            ui_locales_supported: strings(&["fr-FR"]),
            id_token_encryption_alg_values_supported: Some(strings(&["ECDH-ES", "RSA-OAEP-256"])),
            id_token_encryption_enc_values_supported: Some(strings(&["A256GCM"])),
            userinfo_encryption_alg_values_supported: Some(strings(&["ECDH-ES", "RSA-OAEP-256"])),
            userinfo_encryption_enc_values_supported: Some(strings(&["A256GCM"])),
        }
    }

    #[test]
    fn high_platform_snapshot() {
        insta::assert_json_snapshot!("discovery_high", high());
    }

    #[test]
    fn encryption_fields_omitted_when_absent() {
        let mut low = high();
        low.id_token_encryption_alg_values_supported = None;
        low.id_token_encryption_enc_values_supported = None;
        low.userinfo_encryption_alg_values_supported = None;
        low.userinfo_encryption_enc_values_supported = None;
        let json = serde_json::to_string(&low).unwrap();
        assert!(!json.contains("encryption"));
        let back: ProviderMetadata = serde_json::from_str(&json).unwrap();
        assert_eq!(back, low);
    }

    #[test]
    fn field_order_is_fixed() {
        let json = serde_json::to_string(&high()).unwrap();
        let issuer = json.find("\"issuer\"").unwrap();
        let jwks = json.find("\"jwks_uri\"").unwrap();
        let locales = json.find("\"ui_locales_supported\"").unwrap();
        assert!(issuer < jwks && jwks < locales);
        assert!(json.starts_with("{\"issuer\""));
    }
}
