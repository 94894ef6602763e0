//! The platform rules for authorization requests and the validated request.

use serde::{Deserialize, Serialize};

use crate::eidas::Eidas;
use crate::oauth::claims_request::ClaimsRequest;
use crate::oauth::pkce;
use crate::scope::ScopeSet;

/// The rules of a platform for authorization requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthorizeRules {
    /// Minimum length of `nonce`.
    pub nonce_min_len: usize,
    /// Minimum length of `state`.
    pub state_min_len: usize,
    /// The `acr` values this platform serves.
    pub allowed_acr: Vec<Eidas>,
    /// Whether `acr_values` must be sent; when not, its absence selects the
    /// highest allowed level.
    pub acr_required: bool,
    /// Whether PKCE (`code_challenge`) is mandatory.
    pub require_pkce: bool,
}

impl AuthorizeRules {
    /// The "low" platform (FranceConnect): `eidas1`, nonce and state of at
    /// least 22 characters.
    pub fn low() -> AuthorizeRules {
        AuthorizeRules {
            nonce_min_len: 22,
            state_min_len: 22,
            allowed_acr: vec![Eidas::Eidas1],
            acr_required: true,
            require_pkce: false,
        }
    }

    /// The "high" platform (FranceConnect+): `eidas2` and `eidas3`, nonce and
    /// state of at least 32 characters; without `acr_values`, the highest
    /// level (`eidas3`).
    pub fn high() -> AuthorizeRules {
        AuthorizeRules {
            nonce_min_len: 32,
            state_min_len: 32,
            allowed_acr: vec![Eidas::Eidas2, Eidas::Eidas3],
            acr_required: false,
            require_pkce: false,
        }
    }
}

/// A validated authorization request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizeRequest {
    /// The service's client_id (still to be looked up in the registry).
    pub client_id: String,
    /// The redirect URI as sent (still to be matched exactly against the
    /// registered ones).
    pub redirect_uri: String,
    /// Requested scopes; always contains `openid`.
    pub scope: ScopeSet,
    /// The service's `state`.
    pub state: String,
    /// The service's `nonce`.
    pub nonce: String,
    /// The selected eIDAS level.
    pub acr: Eidas,
    /// `prompt` contains `login`.
    pub prompt_login: bool,
    /// `prompt` contains `consent`.
    pub prompt_consent: bool,
    /// The `claims` parameter.
    pub claims: ClaimsRequest,
    /// The FI to go to directly.
    pub idp_hint: Option<String>,
    /// Preferred UI languages.
    pub ui_locales: Option<String>,
    /// PKCE `S256` challenge.
    pub code_challenge: Option<String>,
}

impl AuthorizeRequest {
    /// The request as query parameters (what a service would send).
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let mut pairs = vec![
            ("client_id", self.client_id.clone()),
            ("response_type", "code".to_owned()),
            ("redirect_uri", self.redirect_uri.clone()),
            ("scope", self.scope.to_string_sorted()),
            ("state", self.state.clone()),
            ("nonce", self.nonce.clone()),
            ("acr_values", self.acr.as_str().to_owned()),
        ];
        let prompt: Vec<&str> = [
            (self.prompt_login, "login"),
            (self.prompt_consent, "consent"),
        ]
        .into_iter()
        .filter_map(|(on, value)| on.then_some(value))
        .collect();
        if !prompt.is_empty() {
            pairs.push(("prompt", prompt.join(" ")));
        }
        if !self.claims.is_empty() {
            pairs.push(("claims", self.claims.to_json()));
        }
        if let Some(hint) = &self.idp_hint {
            pairs.push(("idp_hint", hint.clone()));
        }
        if let Some(locales) = &self.ui_locales {
            pairs.push(("ui_locales", locales.clone()));
        }
        if let Some(challenge) = &self.code_challenge {
            pairs.push(("code_challenge", challenge.clone()));
            pairs.push(("code_challenge_method", pkce::S256.to_owned()));
        }
        pairs
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect()
    }
}
