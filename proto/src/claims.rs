//! The claims of the ID token and of the userinfo response.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::identity::{FiIdentity, PivotIdentity};
use crate::scope::{ScopeSet, claims_for_scopes};

pub use crate::sub::Sub;

/// Claims of an ID token issued to a service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    /// Issuer: the broker's issuer URL.
    pub iss: String,
    /// Pairwise subject.
    pub sub: String,
    /// Audience: the service's client_id.
    pub aud: String,
    /// Expiry (seconds since the Unix epoch).
    pub exp: i64,
    /// Issue time (seconds since the Unix epoch).
    pub iat: i64,
    /// Time of the citizen's authentication at the FI.
    pub auth_time: i64,
    /// The `nonce` of the authorization request.
    pub nonce: String,
    /// The eIDAS level reached (`eidas1`…).
    pub acr: String,
    /// Authentication methods, when asked for (`amr` scope or claims request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// Identifier of the FI used, when asked for (`idp_id` scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp_id: Option<String>,
}

/// Claims that belong to the ID token only and never appear in userinfo.
pub const ID_TOKEN_ONLY_CLAIMS: &[&str] = &["amr"];

/// Where the values of the userinfo claims come from.
#[derive(Clone, Copy, Debug)]
pub struct ClaimSources<'a> {
    /// The service's pairwise subject.
    pub sub: &'a str,
    /// The identity given to the service.
    pub identity: &'a FiIdentity,
    /// The civil registry's identity, for the `rnipp_*` claims (high platform).
    pub rnipp: Option<&'a PivotIdentity>,
    /// The identity provider's id, for `idp_id`.
    pub idp_id: Option<&'a str>,
    /// The birth date the identity provider sent, for `idp_birthdate`.
    pub idp_birthdate: Option<&'a str>,
}

/// The userinfo response: `sub`, then every claim the scopes grant.
///
/// `idp_id`, `idp_birthdate` and `rnipp_*` appear only when their scope is
/// granted and a value is given; `preferred_username` only when the FI sent
/// one; `amr` never (ID token only). The map is sorted, so its JSON is
/// deterministic.
pub fn userinfo_claims(scopes: &ScopeSet, src: &ClaimSources<'_>) -> BTreeMap<String, Value> {
    let pivot = &src.identity.pivot;
    let rnipp = src.rnipp;
    let mut out = BTreeMap::new();
    out.insert("sub".to_owned(), Value::from(src.sub));
    for claim in claims_for_scopes(scopes) {
        let value = match claim {
            "given_name" => Some(pivot.given_name.as_str()),
            "family_name" => Some(pivot.family_name.as_str()),
            "birthdate" => Some(pivot.birthdate.as_str()),
            "gender" => Some(pivot.gender.as_str()),
            "birthplace" => Some(pivot.birthplace.as_str()),
            "birthcountry" => Some(pivot.birthcountry.as_str()),
            "email" => Some(src.identity.email.as_str()),
            "preferred_username" => src.identity.preferred_username.as_deref(),
            "idp_birthdate" => src.idp_birthdate,
            "idp_id" => src.idp_id,
            "rnipp_given_name" => rnipp.map(|r| r.given_name.as_str()),
            "rnipp_family_name" => rnipp.map(|r| r.family_name.as_str()),
            "rnipp_birthdate" => rnipp.map(|r| r.birthdate.as_str()),
            "rnipp_gender" => rnipp.map(|r| r.gender.as_str()),
            "rnipp_birthplace" => rnipp.map(|r| r.birthplace.as_str()),
            "rnipp_birthcountry" => rnipp.map(|r| r.birthcountry.as_str()),
            // `sub` is already set; `amr` is ID token only.
            _ => None,
        };
        if let Some(value) = value {
            out.insert(claim.to_owned(), Value::from(value));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Gender;

    fn identity() -> FiIdentity {
        FiIdentity {
            pivot: PivotIdentity {
                given_name: "Angela Claire Louise".into(),
                family_name: "DUBOIS".into(),
                birthdate: "1962-08-24".into(),
                gender: Gender::Female,
                birthplace: "75107".into(),
                birthcountry: "99100".into(),
            },
            email: "wossewodda-3728@yopmail.com".into(),
            preferred_username: Some("DUMEUBLE".into()),
        }
    }

    fn plain<'a>(sub: &'a str, identity: &'a FiIdentity) -> ClaimSources<'a> {
        ClaimSources {
            sub,
            identity,
            rnipp: None,
            idp_id: None,
            idp_birthdate: None,
        }
    }

    #[test]
    fn rnipp_claims_only_with_their_scope_and_a_registry_identity() {
        let id = identity();
        let mut registry = id.pivot.clone();
        registry.given_name = "Angela Claire Louise Marie".into();
        let scopes = ScopeSet::parse("openid given_name rnipp_given_name rnipp_birthcountry");
        let src = ClaimSources {
            rnipp: Some(&registry),
            ..plain("s", &id)
        };
        let claims = userinfo_claims(&scopes, &src);
        assert_eq!(claims["given_name"], "Angela Claire Louise");
        assert_eq!(claims["rnipp_given_name"], "Angela Claire Louise Marie");
        assert_eq!(claims["rnipp_birthcountry"], "99100");
        assert!(!claims.contains_key("rnipp_family_name"));
        let all = userinfo_claims(&ScopeSet::parse("openid rnipp_identite_pivot"), &src);
        assert_eq!(all.len(), 7);
        // Without a registry identity, no rnipp_* claim at all.
        let none = userinfo_claims(
            &ScopeSet::parse("openid rnipp_identite_pivot"),
            &plain("s", &id),
        );
        assert_eq!(none.keys().collect::<Vec<_>>(), ["sub"]);
    }

    #[test]
    fn userinfo_full_scope_snapshot() {
        let scopes = ScopeSet::parse(
            "openid profile birth identite_pivot email preferred_username \
             idp_birthdate amr idp_id dgfip_rfr",
        );
        let id = identity();
        let claims = userinfo_claims(
            &scopes,
            &ClaimSources {
                sub: "5f9a1c8e0b7d4a3c2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9dv1",
                identity: &id,
                rnipp: None,
                idp_id: Some("fia1v2"),
                idp_birthdate: Some("1962-08-24"),
            },
        );
        insta::assert_json_snapshot!("userinfo_full_scope", claims);
    }

    #[test]
    fn userinfo_openid_only_has_sub() {
        let id = identity();
        let claims = userinfo_claims(&ScopeSet::parse("openid"), &plain("s", &id));
        assert_eq!(claims.keys().collect::<Vec<_>>(), ["sub"]);
    }

    #[test]
    fn userinfo_never_has_amr_and_skips_absent_values() {
        let mut id = identity();
        id.preferred_username = None;
        let scopes = ScopeSet::parse("openid amr idp_id idp_birthdate preferred_username email");
        let claims = userinfo_claims(&scopes, &plain("s", &id));
        assert_eq!(claims.keys().collect::<Vec<_>>(), ["email", "sub"]);
    }

    #[test]
    fn userinfo_born_abroad_has_empty_birthplace() {
        let mut id = identity();
        id.pivot.birthcountry = "99134".into();
        id.pivot.birthplace = String::new();
        let claims = userinfo_claims(&ScopeSet::parse("openid birth"), &plain("s", &id));
        assert_eq!(claims["birthplace"], "");
        assert_eq!(claims["birthcountry"], "99134");
    }

    fn id_token() -> IdTokenClaims {
        IdTokenClaims {
            iss: "https://pivot.example.gouv.fr/api/v2".into(),
            sub: "5f9a1c8e0b7d4a3c2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9dv1".into(),
            aud: "6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b78985704f39950".into(),
            exp: 1_750_000_060,
            iat: 1_750_000_000,
            auth_time: 1_749_999_990,
            nonce: "n-0S6_WzA2Mj-n-0S6_WzA2Mj".into(),
            acr: "eidas1".into(),
            amr: Some(vec!["pwd".into()]),
            idp_id: Some("fia1v2".into()),
        }
    }

    #[test]
    fn id_token_snapshot() {
        insta::assert_json_snapshot!("id_token_full", id_token());
    }

    #[test]
    fn id_token_omits_absent_optional_claims() {
        let mut claims = id_token();
        claims.amr = None;
        claims.idp_id = None;
        insta::assert_json_snapshot!("id_token_minimal", claims);
        let json = serde_json::to_string(&claims).unwrap();
        let back: IdTokenClaims = serde_json::from_str(&json).unwrap();
        assert_eq!(back, claims);
    }
}

/// The French label of an identity claim, as the consent page lists what a
/// private service receives; `None` for technical claims (`sub`).
pub fn claim_label_fr(claim: &str) -> Option<&'static str> {
    Some(match claim {
        "given_name" => "prénoms",
        "family_name" => "nom de naissance",
        "birthdate" => "date de naissance",
        "gender" => "sexe",
        "birthplace" => "lieu de naissance",
        "birthcountry" => "pays de naissance",
        "email" => "adresse électronique",
        "preferred_username" => "nom d'usage",
        "idp_birthdate" => "date de naissance connue du fournisseur d'identité",
        "amr" => "méthode d'authentification",
        "idp_id" => "fournisseur d'identité utilisé",
        "rnipp_given_name" => "prénoms (état civil)",
        "rnipp_family_name" => "nom de naissance (état civil)",
        "rnipp_birthdate" => "date de naissance (état civil)",
        "rnipp_gender" => "sexe (état civil)",
        "rnipp_birthplace" => "lieu de naissance (état civil)",
        "rnipp_birthcountry" => "pays de naissance (état civil)",
        _ => return None,
    })
}

#[cfg(test)]
mod label_tests {
    use super::claim_label_fr;
    use crate::scope::{KNOWN_IDENTITY_SCOPES, RNIPP_SCOPES, claims_for_scope};

    #[test]
    fn every_identity_claim_but_sub_has_a_label() {
        for scope in KNOWN_IDENTITY_SCOPES.iter().chain(RNIPP_SCOPES) {
            for claim in claims_for_scope(scope) {
                assert_eq!(claim_label_fr(claim).is_none(), *claim == "sub", "{claim}");
            }
        }
    }
}
