//! Reading the broker's userinfo: plain JSON, or a signed JWT
//! (`application/jwt`) for services registered for it, or — for a service
//! that decrypts — only a signed then encrypted JWT.
//!
//! `openidconnect`'s own userinfo request only accepts RS256 for signed
//! responses, while the broker may sign with ES256; the signature is
//! therefore checked here with the broker's JWKS, and the claims are then
//! parsed and their `sub` checked with `openidconnect`'s `UserInfoClaims`.

use std::collections::BTreeMap;

use josekit::jwk::{Jwk, JwkSet};
use josekit::jws::JwsVerifier;
use openidconnect::core::CoreGenderClaim;
use openidconnect::{AccessToken, AdditionalClaims, SubjectIdentifier, UserInfoClaims};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::FsKey;
use super::error::FsError;
use super::oidc::{decrypt, read_limited};

/// Largest userinfo response read.
const MAX_USERINFO_BYTES: usize = 64 * 1024;

/// Claims beyond the OpenID standard ones that the broker returns.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub(crate) struct PivotClaims {
    /// INSEE code of the birth commune (empty when born abroad).
    #[serde(default)]
    pub birthplace: Option<String>,
    /// INSEE code of the birth country (`99100` = France).
    #[serde(default)]
    pub birthcountry: Option<String>,
}

impl AdditionalClaims for PivotClaims {}

/// What a userinfo response must match.
pub(crate) struct ExpectedUserInfo<'a> {
    /// The broker's issuer (checked in signed responses).
    pub issuer: &'a str,
    /// This service's client id (the audience of signed responses).
    pub client_id: &'a str,
    /// The ID token's subject.
    pub sub: &'a SubjectIdentifier,
    /// The broker's keys.
    pub jwks: &'a JwkSet,
    /// The current time (expiry of signed responses).
    pub now: OffsetDateTime,
    /// The key of a service that decrypts: the response must then be an
    /// encrypted JWT.
    pub decryption_key: Option<&'a FsKey>,
}

/// Fetches userinfo with the access token and returns its claims as sent.
pub(crate) async fn fetch(
    http: &reqwest::Client,
    url: &url::Url,
    access_token: &AccessToken,
    expected: &ExpectedUserInfo<'_>,
) -> Result<BTreeMap<String, Value>, FsError> {
    let response = http
        .get(url.clone())
        .bearer_auth(access_token.secret())
        .header(ACCEPT, "application/json, application/jwt")
        .send()
        .await
        .map_err(|e| FsError::UserInfo(format!("request failed: {e}")))?;
    let status = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let body = read_limited(response, MAX_USERINFO_BYTES)
        .await
        .map_err(FsError::UserInfo)?;
    if !status.is_success() {
        return Err(FsError::UserInfo(format!("HTTP status {status}")));
    }
    parse(&content_type, &body, expected)
}

/// Parses and checks a userinfo response body.
pub(crate) fn parse(
    content_type: &str,
    body: &[u8],
    expected: &ExpectedUserInfo<'_>,
) -> Result<BTreeMap<String, Value>, FsError> {
    let claims: Map<String, Value> = match (content_type, expected.decryption_key) {
        ("application/json", None) => serde_json::from_slice(body)
            .map_err(|e| FsError::UserInfo(format!("not a JSON object: {e}")))?,
        ("application/json", Some(_)) => {
            return Err(FsError::Decryption("the userinfo is not encrypted".into()));
        }
        ("application/jwt", key) => {
            let jwt = std::str::from_utf8(body)
                .map_err(|_| FsError::UserInfo("JWT is not UTF-8".into()))?
                .trim();
            match key {
                Some(key) => {
                    let jws = decrypt(key, jwt, "userinfo")?;
                    verify_jwt(&jws, expected)
                }
                None => verify_jwt(jwt, expected),
            }
            .map_err(FsError::UserInfo)?
        }
        (other, _) => {
            return Err(FsError::UserInfo(format!(
                "unexpected content type {other:?}"
            )));
        }
    };
    let json = serde_json::to_vec(&claims).map_err(|e| FsError::UserInfo(e.to_string()))?;
    // Standard claim types and the subject, checked by openidconnect.
    UserInfoClaims::<PivotClaims, CoreGenderClaim>::from_json::<std::io::Error>(
        &json,
        Some(expected.sub),
    )
    .map_err(|e| FsError::UserInfo(e.to_string()))?;
    Ok(claims.into_iter().collect())
}

/// Builds a verifier for `alg` from a key; only ES256 and RS256 are accepted.
fn verifier_for(alg: &str, jwk: &Jwk) -> Option<Box<dyn JwsVerifier>> {
    match alg {
        "ES256" => josekit::jws::ES256
            .verifier_from_jwk(jwk)
            .ok()
            .map(|v| Box::new(v) as Box<dyn JwsVerifier>),
        "RS256" => josekit::jws::RS256
            .verifier_from_jwk(jwk)
            .ok()
            .map(|v| Box::new(v) as Box<dyn JwsVerifier>),
        _ => None,
    }
}

/// Verifies a signed userinfo response and returns its claims.
fn verify_jwt(jwt: &str, expected: &ExpectedUserInfo<'_>) -> Result<Map<String, Value>, String> {
    if jwt.split('.').count() != 3 {
        return Err("encrypted or malformed userinfo JWT".into());
    }
    let header = josekit::jwt::decode_header(jwt).map_err(|e| e.to_string())?;
    let alg = header
        .claim("alg")
        .and_then(Value::as_str)
        .ok_or("JWT without alg")?
        .to_owned();
    let kid = header.claim("kid").and_then(Value::as_str);
    let candidates: Vec<&Jwk> = match kid {
        Some(kid) => expected.jwks.get(kid),
        None => expected.jwks.keys(),
    };
    let payload = candidates
        .into_iter()
        .filter(|k| k.key_use().is_none_or(|u| u == "sig"))
        .filter(|k| k.algorithm().is_none_or(|a| a == alg))
        .filter_map(|k| verifier_for(&alg, k))
        .find_map(|v| josekit::jwt::decode_with_verifier(jwt, &*v).ok())
        .map(|(payload, _)| payload)
        .ok_or_else(|| format!("no broker key verifies this {alg} signature"))?;

    if payload.issuer() != Some(expected.issuer) {
        return Err(format!("iss {:?} is not the broker", payload.issuer()));
    }
    if !payload
        .audience()
        .is_some_and(|aud| aud.contains(&expected.client_id))
    {
        return Err("aud does not name this service".into());
    }
    if let Some(exp) = payload.claim("exp").and_then(Value::as_i64)
        && exp <= expected.now.unix_timestamp()
    {
        return Err("userinfo JWT expired".into());
    }
    Ok(payload.claims_set().clone())
}

#[cfg(test)]
mod unit {
    use super::*;
    use josekit::jws::{ES256, JwsHeader};
    use josekit::jwt::JwtPayload;

    fn keys() -> (josekit::jws::alg::ecdsa::EcdsaJwsSigner, JwkSet) {
        let pair = ES256.generate_key_pair().unwrap();
        let mut public = pair.to_jwk_public_key();
        public.set_key_id("k1");
        let mut private = pair.to_jwk_private_key();
        private.set_key_id("k1");
        let mut set = JwkSet::new();
        set.push_key(public);
        (ES256.signer_from_jwk(&private).unwrap(), set)
    }

    fn expected<'a>(sub: &'a SubjectIdentifier, jwks: &'a JwkSet) -> ExpectedUserInfo<'a> {
        ExpectedUserInfo {
            issuer: "http://127.0.0.1:7000/api/v2",
            client_id: "fs-demo",
            sub,
            jwks,
            now: OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(1_000),
            decryption_key: None,
        }
    }

    #[test]
    fn json_userinfo_must_be_for_the_id_token_subject() {
        let (_, jwks) = keys();
        let sub = SubjectIdentifier::new("abc".into());
        let body = br#"{"sub":"abc","given_name":"Angela","birthplace":"75107"}"#;
        let claims = parse("application/json", body, &expected(&sub, &jwks)).unwrap();
        assert_eq!(claims["birthplace"], "75107");
        let other = br#"{"sub":"xyz","given_name":"Angela"}"#;
        assert!(parse("application/json", other, &expected(&sub, &jwks)).is_err());
        assert!(parse("text/html", body, &expected(&sub, &jwks)).is_err());
    }

    #[test]
    fn signed_userinfo_is_verified() {
        let (signer, jwks) = keys();
        let sub = SubjectIdentifier::new("abc".into());
        let mut header = JwsHeader::new();
        header.set_token_type("JWT");
        header.set_key_id("k1");
        let mut payload = JwtPayload::new();
        payload.set_issuer("http://127.0.0.1:7000/api/v2");
        payload.set_audience(vec!["fs-demo"]);
        payload.set_subject("abc");
        payload
            .set_claim("birthcountry", Some(Value::from("99100")))
            .unwrap();
        let jwt = josekit::jwt::encode_with_signer(&payload, &header, &signer).unwrap();
        let claims = parse("application/jwt", jwt.as_bytes(), &expected(&sub, &jwks)).unwrap();
        assert_eq!(claims["birthcountry"], "99100");

        // Another audience, or a key the broker does not publish: refused.
        payload.set_audience(vec!["someone-else"]);
        let jwt = josekit::jwt::encode_with_signer(&payload, &header, &signer).unwrap();
        assert!(parse("application/jwt", jwt.as_bytes(), &expected(&sub, &jwks)).is_err());
        let (other_signer, _) = keys();
        payload.set_audience(vec!["fs-demo"]);
        let jwt = josekit::jwt::encode_with_signer(&payload, &header, &other_signer).unwrap();
        assert!(parse("application/jwt", jwt.as_bytes(), &expected(&sub, &jwks)).is_err());
    }

    #[test]
    fn a_service_that_decrypts_accepts_only_encrypted_userinfo() {
        use crate::storage::EncryptionAlg;

        let (signer, jwks) = keys();
        let sub = SubjectIdentifier::new("abc".into());
        let key = FsKey::generate(EncryptionAlg::EcdhEs).unwrap();
        let mut expected = expected(&sub, &jwks);
        expected.decryption_key = Some(&key);
        let mut header = JwsHeader::new();
        header.set_key_id("k1");
        let mut payload = JwtPayload::new();
        payload.set_issuer("http://127.0.0.1:7000/api/v2");
        payload.set_audience(vec!["fs-demo"]);
        payload.set_subject("abc");
        let jws = josekit::jwt::encode_with_signer(&payload, &header, &signer).unwrap();

        let jwe = crate::jwe::encrypt_jwt(&jws, key.public_jwks(), EncryptionAlg::EcdhEs).unwrap();
        let claims = parse("application/jwt", jwe.as_bytes(), &expected).unwrap();
        assert_eq!(claims["sub"], "abc");

        // Signed only, plain JSON, or encrypted to another key: refused.
        let refused = |body: &[u8], ct: &str| match parse(ct, body, &expected) {
            Err(FsError::Decryption(_)) => {}
            other => panic!("{other:?}"),
        };
        refused(jws.as_bytes(), "application/jwt");
        refused(br#"{"sub":"abc"}"#, "application/json");
        let other = FsKey::generate(EncryptionAlg::EcdhEs).unwrap();
        let jwe =
            crate::jwe::encrypt_jwt(&jws, other.public_jwks(), EncryptionAlg::EcdhEs).unwrap();
        refused(jwe.as_bytes(), "application/jwt");

        // Decrypted but signed by a key the broker does not publish.
        let (other_signer, _) = keys();
        let forged = josekit::jwt::encode_with_signer(&payload, &header, &other_signer).unwrap();
        let jwe =
            crate::jwe::encrypt_jwt(&forged, key.public_jwks(), EncryptionAlg::EcdhEs).unwrap();
        assert!(matches!(
            parse("application/jwt", jwe.as_bytes(), &expected),
            Err(FsError::UserInfo(_))
        ));
    }
}
