//! I/O-free protocol types shared by the Pivot broker, the citizen app and the
//! web UI: the pivot identity and its validation, the FranceConnect-compatible
//! pairwise `sub`, eIDAS levels, scopes and claims, OAuth 2.0 / OpenID Connect
//! messages and error codes, and the discovery document.
//!
//! Nothing here reads the clock, the network or the disk: the current date is
//! passed in where it matters, so every function is deterministic and the
//! crate compiles to `wasm32-unknown-unknown`.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod card_auth;
pub mod card_reader;
pub mod checktoken;
pub mod citizen;
pub mod claims;
pub mod cog;
pub mod data;
pub mod deeplink;
pub mod discovery;
pub mod eidas;
pub mod identity;
pub mod interaction;
pub mod oauth;
pub mod rnipp;
pub mod scope;
pub mod sub;

pub use claims::{ClaimSources, IdTokenClaims, userinfo_claims};
pub use deeplink::{AppAuthorize, AppCallback, DeepLink, DeepLinkError};
pub use discovery::ProviderMetadata;
pub use eidas::{AcrError, Eidas, select_acr};
pub use identity::{FiIdentity, Gender, IdentityError, PivotIdentity, RawIdentityClaims};
pub use oauth::{
    AuthorizeParamError, AuthorizeParams, AuthorizeRequest, AuthorizeRules, ClaimsRequest,
    ClaimsRequestError, OAuthError, OAuthErrorCode,
};
pub use scope::{KNOWN_IDENTITY_SCOPES, ScopeSet, claims_for_scope, claims_for_scopes};
pub use sub::{IdentityHash, Sub, identity_hash, pairwise_sub};
