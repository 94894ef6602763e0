//! Who is using the citizen space, and the broker's own client for it.
//!
//! The web pages log the citizen in like any service does: the broker is
//! an OpenID client of itself (authorization code with PKCE, its own
//! `/authorize`, the same chooser, provider login, confirmation and alert),
//! so the space gets no shortcut around the federation's rules. The app
//! reaches the same functions through the JSON API with access tokens
//! carrying the `citizen_space` scope.

use pivot_proto::{citizen::CITIZEN_SPACE_SCOPE, eidas::Eidas};

use crate::{
    grant::Grant,
    state::AppState,
    storage::{ClientAuthMethod, ClientRecord, SigningAlg, StorageError},
};

/// Client id of the web citizen space.
pub const SPACE_CLIENT_ID: &str = "citizen-space";

/// Path of the space's redirect URI.
pub const SPACE_CALLBACK: &str = "/espace/callback";

/// A citizen identified for the space (web or API).
#[derive(Clone, PartialEq, Eq)]
pub struct Citizen {
    /// The account key.
    pub identity_hash: String,
    /// Where mails about the account go (from the provider's identity).
    pub email: String,
    /// For greetings.
    pub given_name: String,
    /// The identity provider of the login (cannot be blocked).
    pub fi_id: String,
    /// The level of the login.
    pub acr: Eidas,
    /// This browser's device id, when known.
    pub device_id: Option<String>,
}

impl std::fmt::Debug for Citizen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Citizen")
            .field("fi_id", &self.fi_id)
            .field("acr", &self.acr)
            .finish_non_exhaustive()
    }
}

impl Citizen {
    /// The citizen a grant names.
    #[must_use]
    pub fn from_grant(grant: &Grant, device_id: Option<String>) -> Self {
        let checked = grant.checked_identity();
        Self {
            identity_hash: pivot_proto::sub::identity_hash(checked).as_str().to_owned(),
            email: grant.identity.email.clone(),
            given_name: checked
                .given_name
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned(),
            fi_id: grant.idp_id.clone(),
            acr: grant.acr,
            device_id,
        }
    }
}

/// The scopes the space asks.
pub const SPACE_SCOPES: &[&str] = &[
    "openid",
    "given_name",
    "family_name",
    "email",
    CITIZEN_SPACE_SCOPE,
];

impl AppState {
    /// The web space's client record.
    #[must_use]
    pub fn space_client(&self) -> ClientRecord {
        ClientRecord {
            client_id: SPACE_CLIENT_ID.into(),
            entity_id: SPACE_CLIENT_ID.into(),
            name: format!("Espace {}", self.cfg.platform_name),
            secret_hash: None,
            auth_method: ClientAuthMethod::None,
            jwks: None,
            redirect_uris: vec![self.cfg.url(SPACE_CALLBACK)],
            post_logout_redirect_uris: vec![self.cfg.url("/espace")],
            scopes: SPACE_SCOPES.iter().map(|s| (*s).to_owned()).collect(),
            id_token_alg: SigningAlg::ES256,
            userinfo_alg: None,
            public_service: true,
            created_at: 0,
            jwks_uri: None,
            encryption_alg: None,
            fi_allow: None,
            fi_deny: Vec::new(),
            role: crate::storage::ClientRole::Service,
            provided: Vec::new(),
        }
    }

    /// Registers (or refreshes) the web space's client.
    ///
    /// # Errors
    /// On storage failure.
    pub async fn register_space_client(&self) -> Result<(), StorageError> {
        let mut c = self.space_client();
        c.created_at = self.now();
        self.store.put_client(&c).await
    }
}
