//! Demo identity providers (FI) of the sandbox: real OpenID Connect
//! providers, each with its own issuer URL, its own signing key generated at
//! start and a login form shaped like the real provider's.
//!
//! Supported: authorization code flow only, PKCE `S256` required, `state`
//! and `nonce` required, RFC 9207 `iss` in every authorization response,
//! `client_secret_basic` and `client_secret_post`, SSO at the FI through an
//! FI session cookie (`prompt=login` forces the form, `prompt=none` answers
//! `login_required` without a session), RP-initiated logout. Not supported:
//! implicit and hybrid flows, refresh tokens, request objects, PAR,
//! encrypted tokens.
//!
//! Userinfo answers the claims of the granted scopes, as the real FIs do
//! toward FranceConnect: `profile` (given_name, family_name, birthdate,
//! gender, preferred_username), `birth` (birthplace, birthcountry),
//! `identite_pivot` (the six pivot claims), `email`, and one scope per claim.
//!
//! Levels: each FI supports a set of eIDAS levels ([`FiSpec::levels`]) and
//! asserts, for each request, the lowest one meeting its `acr_values`
//! ([`select_level`]). From `eidas2` up the login takes a one-time code
//! after the password: six digits, valid 5 minutes, 3 attempts, single use,
//! "sent" to the FI's demo phone page ([`PHONE_PATH`]) and to the log.
//!
//! The France Identité-style provider ([`FiKind::FranceIdentite`]) has no
//! form: its login is the citizen's ID card signing a challenge in the app
//! (`card`, on the wire of `pivot_proto::card_auth`), verified against the
//! trusted state CA ([`FiSpec::trusted_card_root`]); it asserts `eidas3`.

mod accounts;
mod authorize;
mod card;
mod control;
mod discovery;
mod end_session;
mod error;
mod keys;
mod kind;
mod level;
mod login;
mod otp;
mod phone;
mod store;
mod token;
mod userinfo;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use axum::{
    Router,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use pivot_proto::{eidas::Eidas, interaction::LoginMethod};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

pub use accounts::{DemoLogin, TEST_HIGH_DEFAULT_PASSWORD, demo_login, demo_logins};
pub use control::{FiBehaviour, FiControl};
pub use error::FiError;
pub use keys::SignAlg;
pub use kind::{FiKind, LoginFormat};
pub use level::{AMR_PASSWORD, AMR_PASSWORD_AND_CODE, needs_second_factor, select_level};

use self::{error::HttpError, keys::SigningKey, store::Store};
use crate::{clock::SharedClock, sandbox::citizens::Citizen, secret::Secret, web::Templates};

/// The FI's templates, to pass to [`Templates::new`].
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "fi/login.html",
        include_str!("../../../templates/fi/login.html"),
    ),
    (
        "fi/error.html",
        include_str!("../../../templates/fi/error.html"),
    ),
    (
        "fi/logged_out.html",
        include_str!("../../../templates/fi/logged_out.html"),
    ),
    (
        "fi/code.html",
        include_str!("../../../templates/fi/code.html"),
    ),
    (
        "fi/telephone.html",
        include_str!("../../../templates/fi/telephone.html"),
    ),
    (
        "fi/card.html",
        include_str!("../../../templates/fi/card.html"),
    ),
];

/// Path, under the issuer, of an FI's demo phone page: the one-time codes
/// it "sent", latest first, per login. Every FI serves it (any FI can be
/// made to run a level that needs a code, see [`FiBehaviour::AssertAcr`]).
pub const PHONE_PATH: &str = "/telephone";

/// URL of the demo phone page of the FI with this issuer (with or without
/// a trailing slash).
#[must_use]
pub fn phone_url(issuer: &str) -> String {
    format!("{}{PHONE_PATH}", issuer.trim_end_matches('/'))
}

/// A client (the broker) registered at a demo FI.
#[derive(Clone, Debug)]
pub struct FiClientReg {
    /// Client identifier.
    pub client_id: String,
    /// Client secret, for `client_secret_basic` or `client_secret_post`.
    pub client_secret: Secret,
    /// Exactly matched redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Exactly matched post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
}

/// Configuration of one demo FI.
#[derive(Clone, Debug)]
pub struct FiSpec {
    /// Which provider it imitates.
    pub kind: FiKind,
    /// Issuer URL, e.g. `http://127.0.0.1:7101/` or
    /// `http://127.0.0.1:7100/fi/impots`. A trailing slash is dropped: the
    /// issuer is announced without it and endpoints are `issuer + "/authorize"`
    /// and so on; routes are served under the URL's path.
    pub issuer: url::Url,
    /// eIDAS levels the FI may assert as `acr` (order and duplicates do not
    /// matter; at least one). Discovery lists them; each login asserts the
    /// lowest one meeting the request's `acr_values` ([`select_level`]);
    /// from `eidas2` up the login takes a one-time code.
    pub levels: Vec<Eidas>,
    /// Registered clients.
    pub clients: Vec<FiClientReg>,
    /// ID token signature algorithm.
    pub sign_alg: SignAlg,
    /// The state CA certificate (DER) the card provider verifies ID cards
    /// against; required by [`FiKind::FranceIdentite`], unused by the
    /// others.
    pub trusted_card_root: Option<Vec<u8>>,
}

impl FiSpec {
    /// The usual sandbox spec for `kind`: the kind's levels
    /// ([`FiKind::default_levels`]) and default algorithm
    /// ([`FiKind::default_sign_alg`]); the card provider trusts the
    /// sandbox's state CA (`pivot_card::sandbox`).
    #[must_use]
    pub fn demo(kind: FiKind, issuer: url::Url, clients: Vec<FiClientReg>) -> Self {
        let card = kind.login_method() == LoginMethod::Card;
        Self {
            kind,
            issuer,
            levels: kind.default_levels().to_vec(),
            clients,
            sign_alg: kind.default_sign_alg(),
            trusted_card_root: card
                .then(pivot_card::sandbox::sandbox_pki)
                .and_then(Result::ok)
                .map(|pki| pki.root().certificate_der().to_vec()),
        }
    }

    /// The issuer string as announced (`iss`, discovery): no trailing slash.
    #[must_use]
    pub fn issuer_str(&self) -> &str {
        self.issuer.as_str().trim_end_matches('/')
    }

    /// URL of this FI's demo phone page ([`PHONE_PATH`]).
    #[must_use]
    pub fn phone_url(&self) -> String {
        phone_url(self.issuer_str())
    }

    /// Whether some level of this FI takes a one-time code.
    #[must_use]
    pub fn has_second_factor(&self) -> bool {
        self.levels.iter().copied().any(needs_second_factor)
    }
}

/// The issuer a FI in [`FiBehaviour::WrongIssuer`] mode claims to be.
#[must_use]
pub fn wrong_issuer(kind: FiKind) -> String {
    format!("https://usurpateur.invalid/{}", kind.id())
}

/// The FI-local, stable `sub` of a citizen: hex SHA-256 of `"{fi}:{key}"`.
#[must_use]
pub fn subject(kind: FiKind, citizen: &Citizen) -> String {
    hex::encode(Sha256::digest(format!("{}:{}", kind.id(), citizen.key)))
}

/// Shared state of one FI's handlers.
#[derive(Debug)]
struct FiState {
    spec: FiSpec,
    /// Issuer without trailing slash.
    issuer: String,
    /// Path prefix of every route ("" at the root).
    base_path: String,
    key: SigningKey,
    store: Store,
    control: FiControl,
    clock: SharedClock,
    templates: Templates,
    /// The trusted state CA, DER (empty but at the card provider).
    card_root: Vec<u8>,
}

impl FiState {
    fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    fn kind(&self) -> FiKind {
        self.spec.kind
    }

    /// The level a login for these `acr_values` is run at and asserted:
    /// the forced one in [`FiBehaviour::AssertAcr`] mode, else
    /// [`select_level`] over the FI's levels.
    fn level_for(&self, acr_values: Option<&str>) -> Eidas {
        match self.control.get() {
            FiBehaviour::AssertAcr(level) => level,
            _ => select_level(&self.spec.levels, acr_values).unwrap_or(Eidas::Eidas1),
        }
    }

    fn client(&self, client_id: &str) -> Option<&FiClientReg> {
        self.spec.clients.iter().find(|c| c.client_id == client_id)
    }

    /// Absolute URL of an endpoint.
    fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// Server-relative URL of a route (form actions).
    fn local(&self, path: &str) -> String {
        format!("{}{path}", self.base_path)
    }

    /// The issuer put in authorization responses and ID tokens.
    fn asserted_issuer(&self) -> String {
        match self.control.get() {
            FiBehaviour::WrongIssuer => wrong_issuer(self.kind()),
            _ => self.issuer.clone(),
        }
    }

    fn cookie_name(&self) -> String {
        format!("pivot_fi_{}_session", self.kind().id())
    }

    fn cookie_path(&self) -> String {
        if self.base_path.is_empty() {
            "/".to_owned()
        } else {
            self.base_path.clone()
        }
    }

    fn cookie_secure(&self) -> bool {
        self.spec.issuer.scheme() == "https"
    }

    /// Renders a page with the FI's layout variables merged into `ctx`.
    fn page(&self, status: StatusCode, name: &str, ctx: Value) -> Result<Response, HttpError> {
        let kind = self.kind();
        let mut full = json!({
            "site_name": kind.display_name(),
            "site_tagline": format!("{} — fournisseur d'identité de démonstration", kind.tagline()),
            "lang": "fr",
            "fi_name": kind.display_name(),
        });
        if let (Some(full), Value::Object(extra)) = (full.as_object_mut(), ctx) {
            full.extend(extra);
        }
        let html = self.templates.render(name, full)?;
        Ok((status, html).into_response())
    }

    /// An error page (used before the redirect URI is trusted).
    fn error_page(
        &self,
        status: StatusCode,
        title: &str,
        message: &str,
    ) -> Result<Response, HttpError> {
        self.page(
            status,
            "fi/error.html",
            json!({ "title": title, "message": message }),
        )
    }
}

/// Builds the routes of one demo FI (under the issuer URL's path). A fresh
/// signing key is generated. The caller adds the DSFR assets and the
/// security headers layer.
///
/// # Errors
/// Fails when the issuer URL is unusable, no level is given or key
/// generation fails.
pub fn router(
    mut spec: FiSpec,
    control: FiControl,
    clock: SharedClock,
    templates: Templates,
) -> Result<Router, FiError> {
    spec.levels.sort_unstable();
    spec.levels.dedup();
    let url = &spec.issuer;
    let bad = |reason| FiError::Issuer {
        url: url.to_string(),
        reason,
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("scheme must be http or https"));
    }
    if url.host_str().is_none() {
        return Err(bad("no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("an issuer has no query and no fragment"));
    }
    if spec.levels.is_empty() {
        return Err(FiError::NoLevel);
    }
    let card_root = match (spec.kind.login_method(), &spec.trusted_card_root) {
        (LoginMethod::Card, None) => return Err(FiError::NoCardRoot),
        (_, root) => root.clone().unwrap_or_default(),
    };
    for c in &spec.clients {
        for uri in c.redirect_uris.iter().chain(&c.post_logout_redirect_uris) {
            if url::Url::parse(uri).is_err() {
                return Err(FiError::ClientUri {
                    client_id: c.client_id.clone(),
                    uri: uri.clone(),
                });
            }
        }
    }
    let issuer = spec.issuer_str().to_owned();
    let base_path = url.path().trim_end_matches('/').to_owned();
    let key = SigningKey::generate(spec.sign_alg)?;
    let state = Arc::new(FiState {
        spec,
        issuer,
        base_path: base_path.clone(),
        key,
        store: Store::default(),
        control: control.clone(),
        clock,
        templates,
        card_root,
    });
    let routes = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .route("/jwks", get(keys::jwks))
        .route("/authorize", get(authorize::get).post(authorize::post))
        .route("/login", post(login::submit))
        .route("/code", post(otp::submit))
        .route("/abandon", post(login::abandon))
        .route("/token", post(token::token))
        .route(
            "/userinfo",
            get(userinfo::userinfo).post(userinfo::userinfo),
        )
        .route(
            "/session/end",
            get(end_session::get).post(end_session::post),
        )
        .route(PHONE_PATH, get(phone::page))
        .route(&format!("{}/{{id}}", card::ANSWER_PATH), post(card::answer))
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            control,
            control::apply,
        ));
    Ok(if base_path.is_empty() {
        routes
    } else {
        Router::new().nest(&base_path, routes)
    })
}

/// Request parameters with each name at most once; empty values count as
/// absent (RFC 6749 §3.1).
#[derive(Debug, Default)]
struct Params {
    values: std::collections::HashMap<String, String>,
    duplicated: Vec<String>,
}

impl Params {
    fn parse(pairs: Vec<(String, String)>) -> Self {
        let mut p = Params::default();
        for (k, v) in pairs {
            if v.is_empty() {
                continue;
            }
            match p.values.entry(k) {
                std::collections::hash_map::Entry::Occupied(e) => {
                    p.duplicated.push(e.key().clone())
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(v);
                }
            }
        }
        p
    }

    fn from_form(body: &[u8]) -> Self {
        Self::parse(url::form_urlencoded::parse(body).into_owned().collect())
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    fn is_duplicated(&self, name: &str) -> bool {
        self.duplicated.iter().any(|d| d == name)
    }
}
