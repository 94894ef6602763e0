//! Application state shared by every handler.

use std::{path::PathBuf, sync::Arc};

use axum::extract::FromRef;
use axum_extra::extract::cookie::Key;
use pivot_proto::{eidas::Eidas, oauth::AuthorizeRules};
use url::Url;

use crate::{
    client_keys::ClientKeys,
    clock::SharedClock,
    config::{EncryptionPolicy, IdentitySource},
    crypto::{Sealer, derive_key},
    fi_client::FiRegistry,
    keys::KeyStore,
    rnipp::CivilRegistry,
    secret::Secret,
    storage::SigningAlg,
    storage::Storage,
    web::Templates,
};

/// The resolved configuration of one platform (issuer).
#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    /// Public base URL.
    pub public_url: Url,
    /// The issuer (`public_url` + `/api/v2`).
    pub issuer: String,
    /// Name shown on pages.
    pub platform_name: String,
    /// Accepted levels.
    pub acr_values: Vec<Eidas>,
    /// Session lifetime and whether activity extends it.
    pub session_ttl_secs: i64,
    /// Sliding sessions.
    pub session_sliding: bool,
    /// Minimum nonce/state lengths.
    pub nonce_min_len: usize,
    /// Minimum state length.
    pub state_min_len: usize,
    /// Lifetimes.
    pub code_ttl_secs: i64,
    /// Access token lifetime.
    pub access_token_ttl_secs: i64,
    /// Refresh-token lifetime.
    pub refresh_token_ttl_secs: i64,
    /// ID token lifetime.
    pub id_token_ttl_secs: i64,
    /// Interaction lifetime.
    pub interaction_ttl_secs: i64,
    /// `Secure` cookies (false only on loopback HTTP).
    pub secure_cookies: bool,
    /// The pairwise-sub secret.
    pub sub_secret: Secret,
    /// DSFR assets folder.
    pub dsfr_dir: Option<PathBuf>,
    /// `acr_values` must be sent.
    pub acr_values_required: bool,
    /// Levels reusable through SSO.
    pub sso_acr_values: Vec<Eidas>,
    /// Signing algorithms for ID tokens and userinfo.
    pub signing_algs: Vec<SigningAlg>,
    /// Encryption of ID tokens and userinfo.
    pub encryption: EncryptionPolicy,
    /// The identity given to services.
    pub identity_source: IdentitySource,
    /// Name of the session cookie.
    pub session_cookie: String,
    /// The citizen app's mobile identities (app links).
    pub app_links: Option<crate::applinks::AppLinksConfig>,
}

impl RuntimeConfig {
    /// Rules for parsing authorization requests on this platform.
    #[must_use]
    pub fn authorize_rules(&self, require_pkce: bool) -> AuthorizeRules {
        AuthorizeRules {
            nonce_min_len: self.nonce_min_len,
            state_min_len: self.state_min_len,
            allowed_acr: self.acr_values.clone(),
            acr_required: self.acr_values_required,
            require_pkce,
        }
    }

    /// The algorithm to sign with for a client that registered `wanted`:
    /// it when this platform allows it, else the platform's first.
    #[must_use]
    pub fn signing_alg(&self, wanted: SigningAlg) -> SigningAlg {
        if self.signing_algs.contains(&wanted) {
            wanted
        } else {
            self.signing_algs
                .first()
                .copied()
                .unwrap_or(SigningAlg::ES256)
        }
    }

    /// Whether a finished login at `login_acr` may serve a request for
    /// `requested` without re-authenticating.
    #[must_use]
    pub fn sso_allowed(&self, requested: Eidas, login_acr: Eidas) -> bool {
        self.sso_acr_values.contains(&requested) && login_acr.satisfies(requested)
    }

    /// Whether the FI must authenticate the citizen again for a request at
    /// `acr`: asked by the service, or a level without SSO (`eidas3`).
    #[must_use]
    pub fn force_fi_login(&self, acr: Eidas, prompt_login: bool) -> bool {
        prompt_login || !self.sso_acr_values.contains(&acr)
    }

    /// An absolute URL on the broker.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.public_url.as_str().trim_end_matches('/'), path)
    }
}

/// What [`AppState::new`] is built from.
pub struct StateParts {
    /// Configuration.
    pub cfg: RuntimeConfig,
    /// Storage.
    pub store: Arc<dyn Storage>,
    /// Signing keys.
    pub keys: KeyStore,
    /// Time source.
    pub clock: SharedClock,
    /// Page templates.
    pub templates: Templates,
    /// Identity providers.
    pub fis: FiRegistry,
    /// The civil registry, when configured.
    pub registry: Option<Arc<dyn CivilRegistry>>,
    /// Services' public keys.
    pub client_keys: ClientKeys,
    /// The e-mail outbox, if mail is configured.
    pub outbox: Option<crate::mail::Outbox>,
}

impl std::fmt::Debug for StateParts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateParts")
            .field("issuer", &self.cfg.issuer)
            .finish_non_exhaustive()
    }
}

/// Everything handlers need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// Configuration.
    pub cfg: Arc<RuntimeConfig>,
    /// Storage.
    pub store: Arc<dyn Storage>,
    /// Signing keys.
    pub keys: KeyStore,
    /// Time source.
    pub clock: SharedClock,
    /// Page templates.
    pub templates: Templates,
    /// Identity providers.
    pub fis: FiRegistry,
    /// Seals session and grant blobs.
    pub sealer: Sealer,
    /// Signs the session cookie.
    pub cookie_key: Key,
    /// The civil registry, when configured.
    pub registry: Option<Arc<dyn CivilRegistry>>,
    /// Services' public keys (inline or fetched from `jwks_uri`).
    pub client_keys: ClientKeys,
    /// The e-mail outbox (`None`: no `[mail]` configured, mails dropped
    /// with a warning).
    pub outbox: Option<crate::mail::Outbox>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("issuer", &self.cfg.issuer)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Builds the state; the session secret yields the cookie and sealing
    /// keys.
    #[must_use]
    pub fn new(parts: StateParts, session_secret: &Secret) -> Self {
        let StateParts {
            cfg,
            store,
            keys,
            clock,
            templates,
            fis,
            registry,
            client_keys,
            outbox,
        } = parts;
        let master = session_secret.expose().as_bytes();
        let mut cookie = [0u8; 64];
        cookie[..32].copy_from_slice(&derive_key(master, "cookie-sign-1"));
        cookie[32..].copy_from_slice(&derive_key(master, "cookie-sign-2"));
        Self {
            cfg: Arc::new(cfg),
            store,
            keys,
            clock,
            templates,
            fis,
            sealer: Sealer::new(&derive_key(master, "seal")),
            cookie_key: Key::from(&cookie),
            registry,
            client_keys,
            outbox,
        }
    }

    /// Now, in Unix seconds.
    #[must_use]
    pub fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }
}

impl FromRef<AppState> for Key {
    fn from_ref(s: &AppState) -> Self {
        s.cookie_key.clone()
    }
}

impl FromRef<AppState> for Templates {
    fn from_ref(s: &AppState) -> Self {
        s.templates.clone()
    }
}
