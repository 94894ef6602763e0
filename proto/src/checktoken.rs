//! The data providers' token check (`POST {issuer}/checktoken`), answered as
//! a JWT per RFC 9701 or, when the provider asks `Accept: application/json`,
//! as plain RFC 7662 JSON.
//!
//! Request: form `token` (the FS's access token) plus the provider's client
//! authentication (`client_secret_basic`, `client_secret_post` with
//! `client_id` and `client_secret`, or `private_key_jwt`).
//!
//! JWT answer (`application/token-introspection+jwt`, JWS header
//! `typ: token-introspection+jwt`; nested in a JWE with `cty: JWT` when the
//! provider registered an encryption key):
//!
//! ```json
//! { "iss": "<broker issuer>", "aud": "<provider id>", "iat": 1700000000,
//!   "jti": "…",
//!   "token_introspection": {
//!     "active": true, "aud": "<FS client id>", "client_id": "<FS client id>",
//!     "sub": "<provider-pairwise sub>", "iat": 1700000000, "exp": 1700000060,
//!     "acr": "eidas1", "scope": "dgfip_nbpart dgfip_rfr",
//!     "identity": { "given_name": "…", "family_name": "…", "birthdate": "…",
//!                   "gender": "…", "birthplace": "…", "birthcountry": "…" } } }
//! ```
//!
//! An expired, revoked or unknown token, or one that grants nothing this
//! provider serves, gives `{"active": false}` and nothing else.

use serde::{Deserialize, Serialize};

use crate::{identity::PivotIdentity, scope::ScopeSet};

/// Path of the endpoint under the issuer.
pub const CHECKTOKEN_PATH: &str = "/checktoken";
/// The JWS `typ` of the answer (RFC 9701 §5).
pub const INTROSPECTION_JWT_TYP: &str = "token-introspection+jwt";
/// The media type of the JWT answer (RFC 9701 §4).
pub const INTROSPECTION_JWT_MEDIA_TYPE: &str = "application/token-introspection+jwt";

/// The RFC 7662 introspection object (the plain JSON answer, and the
/// `token_introspection` member of the JWT answer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenIntrospection {
    /// Whether the token is live and concerns this provider.
    pub active: bool,
    /// The FS the token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// Same as `aud` (RFC 7662 member name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The citizen's pairwise sub for this provider (not the FS's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// When the token was issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// When the token expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// The eIDAS level of the login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// The scopes the citizen granted that this provider serves, space
    /// separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The citizen's pivot identity, so that the provider finds its records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<PivotIdentity>,
}

impl TokenIntrospection {
    /// `{"active": false}`.
    pub fn inactive() -> Self {
        Self {
            active: false,
            aud: None,
            client_id: None,
            sub: None,
            iat: None,
            exp: None,
            acr: None,
            scope: None,
            identity: None,
        }
    }

    /// The granted scopes (empty when inactive).
    pub fn scopes(&self) -> ScopeSet {
        if !self.active {
            return ScopeSet::default();
        }
        ScopeSet::parse(self.scope.as_deref().unwrap_or(""))
    }

    /// Whether the token is active, unexpired at `now` and grants `scope`:
    /// what a provider checks before answering with the datum of `scope`.
    pub fn allows(&self, scope: &str, now: i64) -> bool {
        self.active && self.exp.is_some_and(|e| e > now) && self.scopes().contains(scope)
    }
}

/// The claims of the JWT answer (RFC 9701 §5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntrospectionClaims {
    /// The broker's issuer.
    pub iss: String,
    /// The data provider that asked.
    pub aud: String,
    /// When the answer was made.
    pub iat: i64,
    /// Unique id of the answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The answer.
    pub token_introspection: TokenIntrospection,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Gender;

    fn active() -> TokenIntrospection {
        TokenIntrospection {
            active: true,
            aud: Some("fs".into()),
            client_id: Some("fs".into()),
            sub: Some("abc".into()),
            iat: Some(100),
            exp: Some(160),
            acr: Some("eidas1".into()),
            scope: Some("dgfip_rfr dgfip_nbpart".into()),
            identity: Some(PivotIdentity {
                given_name: "Angela Claire Louise".into(),
                family_name: "DUBOIS".into(),
                birthdate: "1962-08-24".into(),
                gender: Gender::Female,
                birthplace: "75107".into(),
                birthcountry: "99100".into(),
            }),
        }
    }

    #[test]
    fn inactive_serialises_to_active_false_only() {
        assert_eq!(
            serde_json::to_string(&TokenIntrospection::inactive()).unwrap(),
            r#"{"active":false}"#
        );
        assert!(TokenIntrospection::inactive().scopes().is_empty());
    }

    #[test]
    fn allows_only_live_granted_scopes() {
        let t = active();
        assert!(t.allows("dgfip_rfr", 120));
        assert!(!t.allows("dgfip_sitfam", 120));
        assert!(!t.allows("dgfip_rfr", 160), "expired");
        let mut off = t.clone();
        off.active = false;
        assert!(!off.allows("dgfip_rfr", 120));
    }

    #[test]
    fn round_trips_the_jwt_claims() {
        let c = IntrospectionClaims {
            iss: "https://broker/api/v2".into(),
            aud: "dgfip".into(),
            iat: 100,
            jti: Some("j".into()),
            token_introspection: active(),
        };
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["token_introspection"]["identity"]["gender"], "female");
        let back: IntrospectionClaims = serde_json::from_value(v).unwrap();
        assert_eq!(back, c);
    }
}
