//! Demo data providers (FD): small JSON APIs that a service provider calls
//! with the citizen's access token, as the tax office (DGFIP) and the health
//! insurance (CNAM) do behind FranceConnect.
//!
//! Each request goes the same way:
//! 1. the `Authorization: Bearer <token>` header is read (`handlers`);
//! 2. the token is checked at the broker's `POST {issuer}/checktoken`
//!    (`checktoken`): HTTP Basic with this provider's id and secret, a
//!    signed `application/token-introspection+jwt` answer (RFC 9701)
//!    verified with the broker's published keys;
//! 3. the citizen is found by the pivot identity in that answer, matched on
//!    its identity hash against this provider's own data set ([`tax`],
//!    [`health`]);
//! 4. only the members whose scope the token grants are returned.
//!
//! Routes of a tax provider ([`FdKind::Tax`]):
//! - `GET /api/v1/revenus`: the income years on file for the citizen;
//! - `GET /api/v1/revenus/{annee}`: that year's tax data.
//!
//! Routes of a health provider ([`FdKind::Health`]):
//! - `GET /api/v1/assure`: the insured person's file.
//!
//! Both answer `GET /` with a short page for humans. Errors are JSON
//! `{"error", "error_description"}` (see [`FdError`] for the mapping):
//! `401 invalid_token` (with `WWW-Authenticate`), `403 insufficient_scope`,
//! `404 not_found`, `400 invalid_request` and `503 temporarily_unavailable`
//! when the broker cannot be reached or its answer cannot be verified.
//!
//! To register a provider at the broker: its client id
//! [`FdSpec::fd_id`], its secret [`FdSpec::fd_secret`]
//! (`client_secret_basic`), its short name [`FdKind::provider_name`] and
//! the data it serves, [`FdKind::data_scopes`].

mod checktoken;
mod directory;
mod error;
mod handlers;
pub mod health;
mod home;
pub mod tax;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use pivot_proto::data::DataScope;
use url::Url;

use crate::clock::SharedClock;
use crate::secret::Secret;

pub use checktoken::{CHECK_TIMEOUT, CheckTokenError, IAT_LEEWAY_SECS};
pub use directory::RecordRef;
pub use error::FdError;

/// Which data a provider serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FdKind {
    /// The tax office (DGFIP): income, household, tax address.
    Tax,
    /// The health insurance (CNAM): dependants, doctor, complementary cover.
    Health,
}

impl FdKind {
    /// Every kind.
    pub const ALL: [FdKind; 2] = [FdKind::Tax, FdKind::Health];

    /// Short lowercase id: `dgfip` or `cnam`.
    #[must_use]
    pub const fn id(self) -> &'static str {
        match self {
            FdKind::Tax => "dgfip",
            FdKind::Health => "cnam",
        }
    }

    /// The provider's short name shown on the consent page: `DGFIP` or
    /// `CNAM`.
    #[must_use]
    pub const fn provider_name(self) -> &'static str {
        match self {
            FdKind::Tax => "DGFIP",
            FdKind::Health => "CNAM",
        }
    }

    /// The API's name, e.g. "API Impôt particulier (DGFIP)".
    #[must_use]
    pub const fn display_name(self) -> &'static str {
        match self {
            FdKind::Tax => "API Impôt particulier (DGFIP)",
            FdKind::Health => "API Droits assurance maladie (CNAM)",
        }
    }

    /// The data this provider serves, one scope per datum, with the label
    /// the citizen sees on the consent page.
    #[must_use]
    pub fn data_scopes(self) -> Vec<DataScope> {
        self.scope_table()
            .iter()
            .map(|(scope, label)| DataScope {
                scope: (*scope).to_owned(),
                label: (*label).to_owned(),
            })
            .collect()
    }

    /// `(scope, label)` pairs behind [`FdKind::data_scopes`].
    const fn scope_table(self) -> &'static [(&'static str, &'static str)] {
        match self {
            FdKind::Tax => tax::SCOPES,
            FdKind::Health => health::SCOPES,
        }
    }
}

/// Configuration of one demo data provider.
#[derive(Clone, Debug)]
pub struct FdSpec {
    /// Short identifier (`dgfip`, `cnam`), used in logs.
    pub slug: String,
    /// Name shown on the home page, e.g. "API Impôt particulier (DGFIP)".
    pub name: String,
    /// Which data it serves.
    pub kind: FdKind,
    /// Public base URL of this provider, e.g. `http://127.0.0.1:7400`.
    pub public_url: Url,
    /// The broker's issuer, e.g. `http://127.0.0.1:7000/api/v2`; the token
    /// check goes to `{issuer}/checktoken` and the answer's `iss` must be
    /// this, byte for byte.
    pub broker_issuer: Url,
    /// This provider's client id at the broker (the `aud` of the answers).
    pub fd_id: String,
    /// This provider's secret at the broker (`client_secret_basic`).
    pub fd_secret: Secret,
}

impl FdSpec {
    /// The sandbox's provider of `kind`: slug [`FdKind::id`], name
    /// [`FdKind::display_name`], client id `sandbox-{id}`.
    #[must_use]
    pub fn demo(kind: FdKind, public_url: Url, broker_issuer: Url, fd_secret: Secret) -> Self {
        Self {
            slug: kind.id().to_owned(),
            name: kind.display_name().to_owned(),
            kind,
            public_url,
            broker_issuer,
            fd_id: format!("sandbox-{}", kind.id()),
            fd_secret,
        }
    }

    /// The issuer exactly as the broker spells it.
    fn issuer(&self) -> &str {
        self.broker_issuer.as_str()
    }

    /// The public base URL without a trailing slash.
    fn base(&self) -> &str {
        self.public_url.as_str().trim_end_matches('/')
    }
}

/// The data provider's HTTP API. `http` is used for the calls to the broker
/// (each bounded by [`CHECK_TIMEOUT`]); `clock` dates the checks.
pub fn router(spec: FdSpec, http: reqwest::Client, clock: SharedClock) -> Router {
    let kind = spec.kind;
    let state = Arc::new(handlers::FdState::new(spec, http, clock));
    let api = match kind {
        FdKind::Tax => Router::new()
            .route("/api/v1/revenus", get(handlers::tax_years))
            .route("/api/v1/revenus/{annee}", get(handlers::tax_year)),
        FdKind::Health => Router::new().route("/api/v1/assure", get(handlers::insured)),
    };
    api.route("/", get(handlers::home))
        .fallback(handlers::no_route)
        .with_state(state)
        .layer(axum::middleware::from_fn(
            crate::web::headers::security_headers,
        ))
}
