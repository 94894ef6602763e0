//! The client of the broker's token check (`POST {issuer}/checktoken`,
//! contract in [`pivot_proto::checktoken`]).
//!
//! The provider authenticates with HTTP Basic (`client_secret_basic`, both
//! parts form-urlencoded as RFC 6749 §2.3.1 asks) and asks for the signed
//! answer only (`Accept: application/token-introspection+jwt`). The answer
//! is accepted when
//! - its content type is `application/token-introspection+jwt` (a plain
//!   JSON answer is unsigned and refused, as is an encrypted one: these
//!   providers register no encryption key);
//! - it is a compact JWS signed ES256 or RS256 by a key of the broker's
//!   JWKS, found through the broker's discovery document (cached for
//!   [`KEYS_TTL`], fetched again at once when the `kid` is unknown: the
//!   broker rotated its keys);
//! - its header `typ` is `token-introspection+jwt` (RFC 9701 §5; the
//!   `application/` prefix is tolerated, case is ignored);
//! - `iss` is the broker's issuer byte for byte, `aud` is this provider's
//!   id, and `iat` is within [`IAT_LEEWAY_SECS`] of the clock;
//! - an active answer carries the citizen's identity.
//!
//! Every call to the broker is bounded by [`CHECK_TIMEOUT`]. Errors never
//! carry the token or the secret.

use std::time::Duration;

use josekit::jwk::{Jwk, JwkSet};
use josekit::jws::JwsVerifier;
use pivot_proto::checktoken::{
    CHECKTOKEN_PATH, INTROSPECTION_JWT_MEDIA_TYPE, INTROSPECTION_JWT_TYP, IntrospectionClaims,
    TokenIntrospection,
};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::Value;
use time::OffsetDateTime;
use tokio::sync::Mutex;

use super::FdSpec;
use crate::clock::SharedClock;

/// Upper bound of every call to the broker (discovery, keys, token check).
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(3);
/// How far the answer's `iat` may be from the provider's clock, either way.
pub const IAT_LEEWAY_SECS: i64 = 60;
/// How long the broker's keys are reused before being fetched again.
const KEYS_TTL: time::Duration = time::Duration::minutes(5);
/// Largest answer read from the broker.
const MAX_BODY_BYTES: usize = 64 * 1024;
/// Path of the discovery document under the issuer.
const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// Why a token could not be checked. Every variant means the provider
/// cannot tell whether the token is good: it answers
/// `503 temporarily_unavailable`, never a verdict on the token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckTokenError {
    /// The broker did not answer (connection refused, time-out, reading
    /// the body failed or it was too large).
    #[error("broker unreachable ({what}): {reason}")]
    Unreachable {
        /// Which call: `discovery`, `jwks` or `checktoken`.
        what: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// The broker answered with an unexpected HTTP status.
    #[error("broker answered HTTP {status} to {what}")]
    Status {
        /// Which call.
        what: &'static str,
        /// The status code.
        status: u16,
    },
    /// The broker refused this provider's credentials (`401
    /// invalid_client`): the id or secret is wrong.
    #[error("the broker refused this provider's credentials (invalid_client)")]
    InvalidClient,
    /// The discovery document or the JWKS is unusable (not JSON, no
    /// `jwks_uri`, another issuer, no valid key).
    #[error("broker metadata: {0}")]
    Metadata(String),
    /// The answer is not a signed introspection JWT (wrong content type,
    /// encrypted, not a compact JWS, claims that do not parse).
    #[error("malformed token check answer: {0}")]
    Malformed(String),
    /// No key of the broker has the answer's `kid`, even after fetching the
    /// keys again.
    #[error("no broker key has kid {0:?}")]
    UnknownKey(String),
    /// The signature algorithm is not ES256 or RS256, or no broker key
    /// verifies the signature.
    #[error("signature refused: {0}")]
    Signature(String),
    /// The JWS header's `typ` is not `token-introspection+jwt`.
    #[error("JWS typ {0:?} is not token-introspection+jwt")]
    Type(Option<String>),
    /// `iss` is not the broker's issuer.
    #[error("iss {0:?} is not the broker's issuer")]
    Issuer(String),
    /// `aud` is not this provider's id.
    #[error("aud {0:?} is not this provider")]
    Audience(String),
    /// `iat` is too far from the provider's clock.
    #[error("iat {iat} is more than {IAT_LEEWAY_SECS} s away from now ({now})")]
    IssuedAt {
        /// The answer's `iat`.
        iat: i64,
        /// The provider's clock.
        now: i64,
    },
    /// An active answer without the citizen's identity.
    #[error("active answer without identity")]
    MissingIdentity,
}

/// The broker's keys as last fetched.
struct CachedKeys {
    jwks: JwkSet,
    fetched_at: OffsetDateTime,
}

/// The token-check client of one provider.
pub(crate) struct CheckTokenClient {
    spec: FdSpec,
    http: reqwest::Client,
    clock: SharedClock,
    keys: Mutex<Option<CachedKeys>>,
}

impl CheckTokenClient {
    pub fn new(spec: FdSpec, http: reqwest::Client, clock: SharedClock) -> Self {
        Self {
            spec,
            http,
            clock,
            keys: Mutex::new(None),
        }
    }

    /// `{issuer}{path}`, the issuer spelt as configured.
    fn under_issuer(&self, path: &str) -> String {
        format!("{}{path}", self.spec.issuer().trim_end_matches('/'))
    }

    /// Checks `token` at the broker and returns the verified answer.
    pub async fn check(&self, token: &str) -> Result<TokenIntrospection, CheckTokenError> {
        let jwt = self.ask(token).await?;
        let claims = self.verify(&jwt).await?;
        let now = self.clock.now().unix_timestamp();
        check_claims(&claims, self.spec.issuer(), &self.spec.fd_id, now)?;
        let answer = claims.token_introspection;
        if answer.active && answer.identity.is_none() {
            return Err(CheckTokenError::MissingIdentity);
        }
        Ok(answer)
    }

    /// Posts the token and returns the answer's compact JWS.
    async fn ask(&self, token: &str) -> Result<String, CheckTokenError> {
        const WHAT: &str = "checktoken";
        let encode =
            |s: &str| -> String { url::form_urlencoded::byte_serialize(s.as_bytes()).collect() };
        let response = self
            .http
            .post(self.under_issuer(CHECKTOKEN_PATH))
            .basic_auth(
                encode(&self.spec.fd_id),
                Some(encode(self.spec.fd_secret.expose())),
            )
            .header(ACCEPT, INTROSPECTION_JWT_MEDIA_TYPE)
            .form(&[("token", token)])
            .timeout(CHECK_TIMEOUT)
            .send()
            .await
            .map_err(|e| unreachable(WHAT, e))?;
        let status = response.status();
        let content_type = media_type(&response);
        let body = read_limited(WHAT, response).await?;
        if status == reqwest::StatusCode::UNAUTHORIZED {
            let code = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned));
            if code.as_deref() == Some("invalid_client") {
                return Err(CheckTokenError::InvalidClient);
            }
        }
        if status != reqwest::StatusCode::OK {
            return Err(CheckTokenError::Status {
                what: WHAT,
                status: status.as_u16(),
            });
        }
        if content_type != INTROSPECTION_JWT_MEDIA_TYPE {
            return Err(CheckTokenError::Malformed(format!(
                "content type {content_type:?}, expected {INTROSPECTION_JWT_MEDIA_TYPE}"
            )));
        }
        let jwt = std::str::from_utf8(&body)
            .map_err(|_| CheckTokenError::Malformed("body is not UTF-8".into()))?
            .trim();
        match jwt.split('.').count() {
            3 => Ok(jwt.to_owned()),
            5 => Err(CheckTokenError::Malformed(
                "encrypted answer, but this provider registered no encryption key".into(),
            )),
            _ => Err(CheckTokenError::Malformed("not a compact JWS".into())),
        }
    }

    /// Verifies the signature and header of `jwt` and parses its claims.
    async fn verify(&self, jwt: &str) -> Result<IntrospectionClaims, CheckTokenError> {
        let header = josekit::jwt::decode_header(jwt)
            .map_err(|e| CheckTokenError::Malformed(format!("JWS header: {e}")))?;
        let text = |name: &str| {
            header
                .claim(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let typ = text("typ");
        if !typ.as_deref().is_some_and(is_introspection_typ) {
            return Err(CheckTokenError::Type(typ));
        }
        let alg = text("alg").unwrap_or_default();
        if !matches!(alg.as_str(), "ES256" | "RS256") {
            return Err(CheckTokenError::Signature(format!(
                "algorithm {alg:?} is not ES256 or RS256"
            )));
        }
        let kid = text("kid");

        let (mut jwks, fresh) = self.keys(false).await?;
        if let Some(kid) = &kid
            && jwks.get(kid).is_empty()
            && !fresh
        {
            // Unknown kid: the broker may have rotated its keys.
            (jwks, _) = self.keys(true).await?;
        }
        if let Some(kid) = &kid
            && jwks.get(kid).is_empty()
        {
            return Err(CheckTokenError::UnknownKey(kid.clone()));
        }
        let candidates: Vec<&Jwk> = match &kid {
            Some(kid) => jwks.get(kid),
            None => jwks.keys(),
        };
        let verifiers: Vec<Box<dyn JwsVerifier>> = candidates
            .into_iter()
            .filter(|k| k.key_use().is_none_or(|u| u == "sig"))
            .filter(|k| k.algorithm().is_none_or(|a| a == alg))
            .filter_map(|k| verifier_for(&alg, k))
            .collect();
        if verifiers.is_empty() {
            return Err(CheckTokenError::Signature(format!(
                "no broker signing key for {alg} (kid {kid:?})"
            )));
        }
        let payload = verifiers
            .iter()
            .find_map(|v| josekit::jws::deserialize_compact(jwt, &**v).ok())
            .map(|(payload, _)| payload)
            .ok_or_else(|| {
                CheckTokenError::Signature(format!("no broker key verifies this {alg} signature"))
            })?;
        serde_json::from_slice(&payload)
            .map_err(|e| CheckTokenError::Malformed(format!("claims: {e}")))
    }

    /// The broker's keys and whether they were just fetched: cached,
    /// fetched on first use (the broker may start after this provider),
    /// when stale or when `refresh`.
    async fn keys(&self, refresh: bool) -> Result<(JwkSet, bool), CheckTokenError> {
        let now = self.clock.now();
        let mut cache = self.keys.lock().await;
        if let Some(c) = cache.as_ref()
            && !refresh
            && now < c.fetched_at + KEYS_TTL
        {
            return Ok((c.jwks.clone(), false));
        }
        let jwks = self.fetch_keys().await?;
        *cache = Some(CachedKeys {
            jwks: jwks.clone(),
            fetched_at: now,
        });
        Ok((jwks, true))
    }

    /// Discovery, then the `jwks_uri` it names.
    async fn fetch_keys(&self) -> Result<JwkSet, CheckTokenError> {
        let discovery = self
            .get_json("discovery", &self.under_issuer(DISCOVERY_PATH))
            .await?;
        let issuer = discovery.get("issuer").and_then(Value::as_str);
        if issuer != Some(self.spec.issuer()) {
            return Err(CheckTokenError::Metadata(format!(
                "discovery names issuer {issuer:?}"
            )));
        }
        let jwks_uri = discovery
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or_else(|| CheckTokenError::Metadata("discovery has no jwks_uri".into()))?
            .to_owned();
        match self.get_json("jwks", &jwks_uri).await? {
            Value::Object(map) => {
                JwkSet::from_map(map).map_err(|e| CheckTokenError::Metadata(format!("JWKS: {e}")))
            }
            _ => Err(CheckTokenError::Metadata("JWKS is not an object".into())),
        }
    }

    async fn get_json(&self, what: &'static str, url: &str) -> Result<Value, CheckTokenError> {
        let response = self
            .http
            .get(url)
            .header(ACCEPT, "application/json")
            .timeout(CHECK_TIMEOUT)
            .send()
            .await
            .map_err(|e| unreachable(what, e))?;
        let status = response.status();
        let body = read_limited(what, response).await?;
        if !status.is_success() {
            return Err(CheckTokenError::Status {
                what,
                status: status.as_u16(),
            });
        }
        serde_json::from_slice(&body)
            .map_err(|e| CheckTokenError::Metadata(format!("{what} is not JSON: {e}")))
    }
}

/// Checks `iss`, `aud` and `iat` of a verified answer.
fn check_claims(
    claims: &IntrospectionClaims,
    issuer: &str,
    fd_id: &str,
    now: i64,
) -> Result<(), CheckTokenError> {
    if claims.iss != issuer {
        return Err(CheckTokenError::Issuer(claims.iss.clone()));
    }
    if claims.aud != fd_id {
        return Err(CheckTokenError::Audience(claims.aud.clone()));
    }
    if claims.iat.abs_diff(now) > IAT_LEEWAY_SECS.unsigned_abs() {
        return Err(CheckTokenError::IssuedAt {
            iat: claims.iat,
            now,
        });
    }
    Ok(())
}

/// `token-introspection+jwt`, also spelt with its `application/` prefix,
/// in any case (RFC 7515 §4.1.9).
fn is_introspection_typ(typ: &str) -> bool {
    let typ = typ.to_ascii_lowercase();
    typ == INTROSPECTION_JWT_TYP || typ == INTROSPECTION_JWT_MEDIA_TYPE
}

/// A verifier for `alg` (ES256 or RS256) from a broker key.
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

/// The media type of a response, lowercase, without parameters.
fn media_type(response: &reqwest::Response) -> String {
    response
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
        .unwrap_or_default()
}

/// A failed request, described without its URL (the URLs hold nothing
/// secret, but `what` says enough), with the error's sources.
fn unreachable(what: &'static str, e: reqwest::Error) -> CheckTokenError {
    let reason = if e.is_timeout() {
        format!("no answer within {CHECK_TIMEOUT:?}")
    } else {
        let e = e.without_url();
        let mut reason = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            reason.push_str(": ");
            reason.push_str(&s.to_string());
            source = s.source();
        }
        reason
    };
    CheckTokenError::Unreachable { what, reason }
}

/// Reads at most [`MAX_BODY_BYTES`] of the body.
async fn read_limited(
    what: &'static str,
    mut response: reqwest::Response,
) -> Result<Vec<u8>, CheckTokenError> {
    let too_large = || CheckTokenError::Unreachable {
        what,
        reason: format!("body larger than {MAX_BODY_BYTES} bytes"),
    };
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| unreachable(what, e))? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod unit {
    use super::*;

    fn claims(iss: &str, aud: &str, iat: i64) -> IntrospectionClaims {
        IntrospectionClaims {
            iss: iss.into(),
            aud: aud.into(),
            iat,
            jti: None,
            token_introspection: TokenIntrospection::inactive(),
        }
    }

    #[test]
    fn claims_must_name_the_broker_and_this_provider_and_be_fresh() {
        let iss = "http://127.0.0.1:7000/api/v2";
        assert!(check_claims(&claims(iss, "dgfip", 1000), iss, "dgfip", 1000).is_ok());
        assert!(check_claims(&claims(iss, "dgfip", 940), iss, "dgfip", 1000).is_ok());
        assert!(check_claims(&claims(iss, "dgfip", 1060), iss, "dgfip", 1000).is_ok());
        assert!(matches!(
            check_claims(&claims(iss, "dgfip", 939), iss, "dgfip", 1000),
            Err(CheckTokenError::IssuedAt {
                iat: 939,
                now: 1000
            })
        ));
        assert!(matches!(
            check_claims(&claims(iss, "dgfip", 1061), iss, "dgfip", 1000),
            Err(CheckTokenError::IssuedAt { .. })
        ));
        assert!(matches!(
            check_claims(
                &claims(&format!("{iss}/"), "dgfip", 1000),
                iss,
                "dgfip",
                1000
            ),
            Err(CheckTokenError::Issuer(_))
        ));
        assert!(matches!(
            check_claims(&claims(iss, "cnam", 1000), iss, "dgfip", 1000),
            Err(CheckTokenError::Audience(_))
        ));
    }

    #[test]
    fn typ_is_compared_without_case_and_prefix() {
        assert!(is_introspection_typ("token-introspection+jwt"));
        assert!(is_introspection_typ("application/token-introspection+JWT"));
        assert!(!is_introspection_typ("JWT"));
        assert!(!is_introspection_typ("at+jwt"));
    }
}
