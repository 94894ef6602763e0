//! The OpenID Connect `claims` request parameter (OIDC Core §5.5), reduced to
//! the names of the claims asked for in the ID token and in userinfo.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Claims that may be asked for through the `claims` parameter.
pub const REQUESTABLE_CLAIMS: &[&str] = &[
    "acr",
    "amr",
    "auth_time",
    "sub",
    "given_name",
    "family_name",
    "birthdate",
    "gender",
    "birthplace",
    "birthcountry",
    "email",
    "preferred_username",
    "idp_birthdate",
    "idp_id",
];

/// The claims asked for, by target.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimsRequest {
    /// Claims asked for in the ID token.
    pub id_token: BTreeSet<String>,
    /// Claims asked for in the userinfo response.
    pub userinfo: BTreeSet<String>,
}

/// Why a `claims` parameter was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimsRequestError {
    /// The parameter is not valid JSON.
    #[error("claims is not valid JSON")]
    InvalidJson,
    /// The parameter, or its `id_token` / `userinfo` member, is not a JSON object.
    #[error("claims must be a JSON object with object members")]
    NotAnObject,
    /// A top-level member other than `id_token` and `userinfo`.
    #[error("claims has an unsupported member `{0}`")]
    UnknownMember(String),
    /// A claim that cannot be requested.
    #[error("claims asks for the unsupported claim `{0}`")]
    UnknownClaim(String),
    /// A claim whose request is neither `null` nor an object.
    #[error("claims has an invalid request for `{0}` (expected null or an object)")]
    InvalidClaimRequest(String),
}

impl ClaimsRequest {
    /// Parses the JSON `claims` parameter.
    pub fn parse(json: &str) -> Result<ClaimsRequest, ClaimsRequestError> {
        let value: Value =
            serde_json::from_str(json).map_err(|_| ClaimsRequestError::InvalidJson)?;
        let Value::Object(members) = value else {
            return Err(ClaimsRequestError::NotAnObject);
        };
        let mut request = ClaimsRequest::default();
        for (member, claims) in members {
            let target = match member.as_str() {
                "id_token" => &mut request.id_token,
                "userinfo" => &mut request.userinfo,
                _ => return Err(ClaimsRequestError::UnknownMember(member)),
            };
            *target = parse_claims(claims)?;
        }
        Ok(request)
    }

    /// Whether nothing is asked for.
    pub fn is_empty(&self) -> bool {
        self.id_token.is_empty() && self.userinfo.is_empty()
    }

    /// The JSON form, each claim asked for with `null`; empty targets are left out.
    pub fn to_json(&self) -> String {
        let mut members = Map::new();
        for (name, claims) in [("id_token", &self.id_token), ("userinfo", &self.userinfo)] {
            if !claims.is_empty() {
                let object = claims.iter().map(|c| (c.clone(), Value::Null)).collect();
                members.insert(name.to_owned(), Value::Object(object));
            }
        }
        Value::Object(members).to_string()
    }
}

/// Parses the object of one target into claim names.
fn parse_claims(claims: Value) -> Result<BTreeSet<String>, ClaimsRequestError> {
    let Value::Object(claims) = claims else {
        return Err(ClaimsRequestError::NotAnObject);
    };
    let mut names = BTreeSet::new();
    for (claim, request) in claims {
        if !REQUESTABLE_CLAIMS.contains(&claim.as_str()) {
            return Err(ClaimsRequestError::UnknownClaim(claim));
        }
        if !matches!(request, Value::Null | Value::Object(_)) {
            return Err(ClaimsRequestError::InvalidClaimRequest(claim));
        }
        names.insert(claim);
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn parses_both_targets() {
        let r = ClaimsRequest::parse(
            r#"{"id_token":{"amr":{"essential":true},"acr":{"values":["eidas2"]}},
                "userinfo":{"given_name":null,"email":{}}}"#,
        )
        .unwrap();
        assert_eq!(r.id_token, set(&["acr", "amr"]));
        assert_eq!(r.userinfo, set(&["email", "given_name"]));
        assert!(!r.is_empty());
    }

    #[test]
    fn empty_object_is_empty_request() {
        assert!(ClaimsRequest::parse("{}").unwrap().is_empty());
    }

    #[test]
    fn invalid_json() {
        assert_eq!(
            ClaimsRequest::parse("{"),
            Err(ClaimsRequestError::InvalidJson)
        );
    }

    #[test]
    fn not_an_object() {
        assert_eq!(
            ClaimsRequest::parse("[]"),
            Err(ClaimsRequestError::NotAnObject)
        );
        assert_eq!(
            ClaimsRequest::parse(r#"{"id_token":["amr"]}"#),
            Err(ClaimsRequestError::NotAnObject)
        );
    }

    #[test]
    fn unknown_member() {
        assert_eq!(
            ClaimsRequest::parse(r#"{"access_token":{}}"#),
            Err(ClaimsRequestError::UnknownMember("access_token".into()))
        );
    }

    #[test]
    fn unknown_claim() {
        assert_eq!(
            ClaimsRequest::parse(r#"{"id_token":{"phone_number":null}}"#),
            Err(ClaimsRequestError::UnknownClaim("phone_number".into()))
        );
    }

    #[test]
    fn invalid_claim_request() {
        assert_eq!(
            ClaimsRequest::parse(r#"{"id_token":{"amr":true}}"#),
            Err(ClaimsRequestError::InvalidClaimRequest("amr".into()))
        );
    }

    #[test]
    fn json_round_trip() {
        let r = ClaimsRequest {
            id_token: set(&["amr"]),
            userinfo: BTreeSet::new(),
        };
        assert_eq!(r.to_json(), r#"{"id_token":{"amr":null}}"#);
        assert_eq!(ClaimsRequest::parse(&r.to_json()).unwrap(), r);
    }
}
