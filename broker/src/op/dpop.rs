//! DPoP (RFC 9449): proofs of possession of a client key, binding access
//! tokens to it. The citizen app proves its device key at `/token`; the
//! token it gets is bound to that key's thumbprint and only accepted with
//! a fresh proof for each request (`Authorization: DPoP <token>`).
//!
//! Only ES256 proofs are accepted (the app's key is ECDSA P-256).

use axum::http::HeaderMap;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use josekit::{
    jwk::Jwk,
    jws::ES256,
    jwt::{self},
};
use pivot_proto::oauth::OAuthErrorCode;
use sha2::{Digest, Sha256};

use crate::{error::BrokerError, keys::thumbprint, state::AppState};

/// The `typ` of a proof.
pub const DPOP_TYP: &str = "dpop+jwt";
/// Algorithms accepted for proofs.
pub const DPOP_ALGS: &[&str] = &["ES256"];
/// How old a proof may be (its `iat`), in seconds.
pub const MAX_AGE_SECS: i64 = 60;
/// How far in the future a proof's `iat` may be (clock skew), in seconds.
pub const MAX_SKEW_SECS: i64 = 5;

fn invalid(desc: &str) -> BrokerError {
    BrokerError::oauth(OAuthErrorCode::InvalidDpopProof, desc)
}

/// `base64url(SHA-256(token))`, the `ath` of a proof made for `token`.
#[must_use]
pub fn access_token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// A verified proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// RFC 7638 thumbprint of the proof's key.
    pub jkt: String,
}

/// The single `DPoP` header of a request, if any.
///
/// # Errors
/// `invalid_dpop_proof` when there are several or it is not text.
pub fn header(headers: &HeaderMap) -> Result<Option<&str>, BrokerError> {
    let mut values = headers.get_all("dpop").iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(invalid("more than one DPoP header"));
    }
    first
        .map(|v| v.to_str().map_err(|_| invalid("DPoP header is not text")))
        .transpose()
}

impl AppState {
    /// Verifies a DPoP proof for a request `method` on `url` (no query or
    /// fragment), and, when `access_token` is given, its `ath`. A proof's
    /// `jti` is accepted once.
    ///
    /// # Errors
    /// `invalid_dpop_proof` for any defect.
    pub async fn verify_dpop(
        &self,
        proof: &str,
        method: &str,
        url: &str,
        access_token: Option<&str>,
    ) -> Result<Proof, BrokerError> {
        if proof.len() > 4096 {
            return Err(invalid("DPoP proof too long"));
        }
        let header = jwt::decode_header(proof).map_err(|_| invalid("malformed DPoP proof"))?;
        if header.claim("typ").and_then(|v| v.as_str()) != Some(DPOP_TYP) {
            return Err(invalid("DPoP proof typ must be dpop+jwt"));
        }
        let alg = header
            .claim("alg")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        if !DPOP_ALGS.contains(&alg) {
            return Err(invalid("DPoP proof algorithm not supported"));
        }
        let jwk = header
            .claim("jwk")
            .and_then(|v| v.as_object())
            .ok_or_else(|| invalid("DPoP proof without jwk"))?;
        if jwk.contains_key("d") {
            return Err(invalid("DPoP proof jwk holds a private key"));
        }
        let jwk = Jwk::from_map(jwk.clone()).map_err(|_| invalid("DPoP proof jwk unusable"))?;
        let verifier = ES256
            .verifier_from_jwk(&jwk)
            .map_err(|_| invalid("DPoP proof jwk unusable"))?;
        let (claims, _) = jwt::decode_with_verifier(proof, &verifier)
            .map_err(|_| invalid("DPoP proof signature invalid"))?;
        let text = |name: &str| claims.claim(name).and_then(|v| v.as_str());
        let jti = text("jti")
            .filter(|j| !j.is_empty() && j.len() <= 256)
            .ok_or_else(|| invalid("DPoP proof without jti"))?;
        if text("htm") != Some(method) {
            return Err(invalid("DPoP proof htm does not match the request"));
        }
        let htu = text("htu").unwrap_or_default();
        let htu = htu.split(['?', '#']).next().unwrap_or_default();
        if htu != url {
            return Err(invalid("DPoP proof htu does not match the request"));
        }
        let now = self.now();
        let iat = claims
            .claim("iat")
            .and_then(serde_json::Value::as_i64)
            .ok_or_else(|| invalid("DPoP proof without iat"))?;
        if iat < now - MAX_AGE_SECS || iat > now + MAX_SKEW_SECS {
            return Err(invalid("DPoP proof is too old or from the future"));
        }
        if let Some(token) = access_token
            && text("ath") != Some(access_token_hash(token).as_str())
        {
            return Err(invalid("DPoP proof ath does not match the access token"));
        }
        let jkt = thumbprint(&jwk);
        let fresh = self
            .store
            .record_jti(
                &format!("dpop:{jkt}:{jti}"),
                now + MAX_AGE_SECS + MAX_SKEW_SECS,
            )
            .await?;
        if !fresh {
            return Err(invalid("DPoP proof replayed"));
        }
        Ok(Proof { jkt })
    }
}
