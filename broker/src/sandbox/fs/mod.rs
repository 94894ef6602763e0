//! Demo service provider (FS): a relying party of the broker built only with
//! the `openidconnect` crate, as a third-party service would be.
//!
//! Each instance is a small web site ("Mairie de Pivotville"…) with the
//! official FranceConnect button. It runs the authorization code flow with
//! `state`, `nonce`, PKCE S256 and `acr_values`, checks the `iss` of the
//! authorization response (RFC 9207), verifies the ID token (ES256 or RS256),
//! reads userinfo (JSON or signed JWT) and logs out through the broker's
//! `end_session_endpoint`.
//!
//! A service of the "high" platform ([`FsSpec::encryption`] set) holds a
//! decryption key ([`FsKey`]) published at `/.well-known/jwks.json`: the ID
//! token and userinfo then arrive signed and encrypted (nested JWT), and are
//! refused otherwise. `openidconnect` cannot read an encrypted ID token, so
//! that service exchanges the code itself, decrypts, and hands the signed ID
//! token to `openidconnect`'s usual verification.
//!
//! A service with [`FsSpec::quotient`] set is the family-quotient démarche
//! of a city ("Ville de Lyon — quotient familial"): it reads the citizen's
//! tax data from a data provider with the login's access token, or lets
//! the citizen type them (see [`quotient`]).
//!
//! Layout: [`session`] keeps the browser sessions in memory, [`oidc`] talks to
//! the broker (discovery cache, authorization URL, code exchange, logout URL),
//! [`userinfo`] reads and checks the userinfo response, [`keys`] holds the
//! decryption key, [`quotient`] computes the family quotient and calls the
//! tax data provider, [`handlers`] translate HTTP into those calls and
//! [`pages`] renders pages and errors.

mod error;
mod handlers;
mod keys;
mod oidc;
mod pages;
pub mod quotient;
mod session;
mod userinfo;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use url::Url;

use crate::clock::{SharedClock, SystemClock};
use crate::secret::Secret;
use crate::storage::EncryptionAlg;
use crate::web::Templates;

pub use error::FsError;
pub use keys::FsKey;
pub use quotient::QuotientSpec;

/// Templates of the demo service providers, to pass to [`Templates::new`].
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "fs/home.html",
        include_str!("../../../templates/fs/home.html"),
    ),
    (
        "fs/error.html",
        include_str!("../../../templates/fs/error.html"),
    ),
    (
        "fs/oauth_error.html",
        include_str!("../../../templates/fs/oauth_error.html"),
    ),
    (
        "fs/logged_out.html",
        include_str!("../../../templates/fs/logged_out.html"),
    ),
    (
        "fs/login_details.html",
        include_str!("../../../templates/fs/login_details.html"),
    ),
    (
        "fs/quotient.html",
        include_str!("../../../templates/fs/quotient.html"),
    ),
];

/// Configuration of one demo service provider.
#[derive(Clone, Debug)]
pub struct FsSpec {
    /// Short identifier (`mairie`, `caf`…), used in the session cookie name.
    pub slug: String,
    /// Name shown on the pages, e.g. "Mairie de Pivotville".
    pub name: String,
    /// Public base URL of this service, e.g. `http://127.0.0.1:7200`.
    pub public_url: Url,
    /// The broker's issuer, e.g. `http://127.0.0.1:7000/api/v2`.
    pub broker_issuer: Url,
    /// Client id registered at the broker.
    pub client_id: String,
    /// Client secret registered at the broker (sent with `client_secret_basic`).
    pub client_secret: Secret,
    /// Scopes asked, e.g. `["openid", "identite_pivot", "email"]`.
    pub scopes: Vec<String>,
    /// The `acr_values` parameter sent, e.g. `eidas1`.
    pub acr_values: String,
    /// `Some` for a service of the "high" platform: it generates a key pair
    /// for this key-management algorithm at start, publishes it at
    /// [`FsSpec::jwks_uri`] and accepts only encrypted ID tokens and
    /// userinfo. `None`: signed only, as on the "low" platform.
    pub encryption: Option<EncryptionAlg>,
    /// `Some` for a family-quotient service: its home page is the
    /// démarche, and a login reads the tax data it was granted (ask
    /// [`quotient::SCOPE_RFR`] and [`quotient::SCOPE_NBPART`] in
    /// [`FsSpec::scopes`]). `None`: the plain demo service.
    pub quotient: Option<QuotientSpec>,
}

impl FsSpec {
    /// The public base URL without a trailing slash.
    fn base(&self) -> &str {
        self.public_url.as_str().trim_end_matches('/')
    }

    /// The redirect URI to register at the broker: `{public_url}/callback`.
    #[must_use]
    pub fn redirect_uri(&self) -> String {
        format!("{}/callback", self.base())
    }

    /// The post-logout redirect URI to register at the broker:
    /// `{public_url}/logged-out`.
    #[must_use]
    pub fn post_logout_redirect_uri(&self) -> String {
        format!("{}/logged-out", self.base())
    }

    /// The JWKS URI to register at the broker when [`FsSpec::encryption`] is
    /// set: `{public_url}/.well-known/jwks.json`.
    #[must_use]
    pub fn jwks_uri(&self) -> String {
        format!("{}/.well-known/jwks.json", self.base())
    }

    /// The issuer exactly as the broker spells it (no trailing slash added
    /// to a path).
    fn issuer(&self) -> &str {
        self.broker_issuer.as_str()
    }

    /// Name of the session cookie: derived from the slug, because cookies
    /// are not isolated by port and every sandbox server runs on 127.0.0.1.
    fn cookie_name(&self) -> String {
        let slug: String = self
            .slug
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        format!("pivot_fs_{slug}")
    }

    /// Whether the session cookie must carry the `Secure` attribute.
    fn secure_cookie(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

/// The demo service provider's web application, reading time from the
/// system clock.
pub fn router(spec: FsSpec, templates: Templates, http: reqwest::Client) -> Router {
    router_with_clock(spec, templates, http, Arc::new(SystemClock))
}

/// Same as [`router`] with an explicit clock (sessions and ID token expiry
/// follow it).
///
/// With [`FsSpec::encryption`] set, a key pair is generated; should that
/// fail, every page of the service shows an error (use
/// [`try_router_with_clock`] to get the error instead).
pub fn router_with_clock(
    spec: FsSpec,
    templates: Templates,
    http: reqwest::Client,
    clock: SharedClock,
) -> Router {
    match try_router_with_clock(spec.clone(), templates.clone(), http, clock) {
        Ok(router) => router,
        Err(err) => {
            tracing::error!(fs = %spec.slug, error = %err, "demo service provider cannot start");
            let err = Arc::new(err);
            Router::new()
                .fallback(move || {
                    let (templates, spec, err) = (templates.clone(), spec.clone(), err.clone());
                    async move { pages::error_response(&templates, &spec, &err) }
                })
                .layer(axum::middleware::from_fn(
                    crate::web::headers::security_headers,
                ))
        }
    }
}

/// Same as [`router_with_clock`], generating the decryption key when
/// [`FsSpec::encryption`] is set.
///
/// # Errors
/// [`FsError::Key`] when the key cannot be generated.
pub fn try_router_with_clock(
    spec: FsSpec,
    templates: Templates,
    http: reqwest::Client,
    clock: SharedClock,
) -> Result<Router, FsError> {
    let key = spec.encryption.map(FsKey::generate).transpose()?;
    Ok(build(spec, templates, http, clock, key))
}

/// A service of the "high" platform decrypting with `key` (whatever
/// [`FsSpec::encryption`] says): to publish a known key, or to show that
/// a JWE to another key is refused.
pub fn router_with_key(
    spec: FsSpec,
    templates: Templates,
    http: reqwest::Client,
    clock: SharedClock,
    key: FsKey,
) -> Router {
    build(spec, templates, http, clock, Some(key))
}

fn build(
    spec: FsSpec,
    templates: Templates,
    http: reqwest::Client,
    clock: SharedClock,
    key: Option<FsKey>,
) -> Router {
    let quotient = spec.quotient.is_some();
    let state = handlers::AppState::new(spec, templates, http, clock, key);
    let router = if quotient {
        Router::new().route("/quotient", post(handlers::quotient_manual))
    } else {
        Router::new()
    };
    router
        .route("/", get(handlers::home))
        .route("/.well-known/jwks.json", get(handlers::jwks))
        .route("/login", post(handlers::login))
        .route("/callback", get(handlers::callback))
        .route("/me.json", get(handlers::me))
        .route("/logout", post(handlers::logout))
        .route("/logged-out", get(handlers::logged_out))
        .layer(axum::middleware::from_fn(
            crate::web::headers::security_headers,
        ))
        .with_state(state)
}
