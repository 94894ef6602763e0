//! The FI's signing key (generated in memory at start) and its JWKS.

use std::sync::Arc;

use axum::{
    Json,
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use josekit::{
    jwk::{Jwk, KeyPair},
    jws::{self, ES256, JwsHeader, JwsSigner, JwsVerifier, RS256},
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{FiError, FiState};

/// Signature algorithm of an FI's ID tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SignAlg {
    /// ECDSA P-256 with SHA-256.
    #[serde(rename = "ES256")]
    Es256,
    /// RSASSA-PKCS1-v1_5 (2048-bit key) with SHA-256.
    #[serde(rename = "RS256")]
    Rs256,
}

impl SignAlg {
    /// The JOSE `alg` name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            SignAlg::Es256 => "ES256",
            SignAlg::Rs256 => "RS256",
        }
    }
}

/// A private signing key with its published public half.
#[derive(Debug)]
pub(super) struct SigningKey {
    alg: SignAlg,
    kid: String,
    signer: Box<dyn JwsSigner>,
    verifier: Box<dyn JwsVerifier>,
    jwks: Value,
}

impl SigningKey {
    /// Generates a fresh key; its `kid` is the RFC 7638 thumbprint.
    pub(super) fn generate(alg: SignAlg) -> Result<Self, FiError> {
        let (private, mut public) = match alg {
            SignAlg::Es256 => {
                let kp = ES256.generate_key_pair()?;
                (kp.to_jwk_private_key(), kp.to_jwk_public_key())
            }
            SignAlg::Rs256 => {
                let kp = RS256.generate_key_pair(2048)?;
                (kp.to_jwk_private_key(), kp.to_jwk_public_key())
            }
        };
        let kid = thumbprint(&public)?;
        public.set_key_id(kid.clone());
        public.set_key_use("sig");
        public.set_algorithm(alg.name());
        let (signer, verifier): (Box<dyn JwsSigner>, Box<dyn JwsVerifier>) = match alg {
            SignAlg::Es256 => (
                Box::new(ES256.signer_from_jwk(&private)?),
                Box::new(ES256.verifier_from_jwk(&public)?),
            ),
            SignAlg::Rs256 => (
                Box::new(RS256.signer_from_jwk(&private)?),
                Box::new(RS256.verifier_from_jwk(&public)?),
            ),
        };
        let public_map: Map<String, Value> = public.into();
        Ok(Self {
            alg,
            kid,
            signer,
            verifier,
            jwks: json!({ "keys": [public_map] }),
        })
    }

    /// The algorithm.
    pub(super) fn alg(&self) -> SignAlg {
        self.alg
    }

    /// Signs a JWT with `typ: JWT` and this key's `kid`.
    pub(super) fn sign(&self, claims: &Map<String, Value>) -> Result<String, FiError> {
        let mut header = JwsHeader::new();
        header.set_token_type("JWT");
        header.set_key_id(self.kid.clone());
        let payload = serde_json::to_vec(claims)?;
        Ok(jws::serialize_compact(&payload, &header, &*self.signer)?)
    }

    /// Verifies a JWT this key signed and returns its claims (no time check:
    /// used for `id_token_hint`, which may have expired).
    pub(super) fn verify(&self, jwt: &str) -> Option<Map<String, Value>> {
        let (payload, _) = jws::deserialize_compact(jwt, &*self.verifier).ok()?;
        serde_json::from_slice(&payload).ok()
    }

    /// The public JWK set.
    pub(super) fn jwks(&self) -> &Value {
        &self.jwks
    }
}

/// RFC 7638 JWK thumbprint (SHA-256, base64url).
fn thumbprint(public: &Jwk) -> Result<String, FiError> {
    let p = |name: &str| -> Result<Value, FiError> {
        public
            .parameter(name)
            .cloned()
            .ok_or(FiError::KeyParameterMissing(name.to_owned()))
    };
    // Members in lexicographic order, no whitespace (serde_json's compact form).
    let canonical = match public.key_type() {
        "EC" => json!({ "crv": p("crv")?, "kty": "EC", "x": p("x")?, "y": p("y")? }),
        _ => json!({ "e": p("e")?, "kty": "RSA", "n": p("n")? }),
    };
    let bytes = serde_json::to_vec(&canonical)?;
    Ok(URL_SAFE_NO_PAD.encode(Sha256::digest(bytes)))
}

/// Breaks a compact JWS's signature while keeping it well-formed (the
/// `TamperedIdToken` behaviour).
pub(super) fn tamper_signature(jwt: &str) -> String {
    let Some((signed, sig)) = jwt.rsplit_once('.') else {
        return jwt.to_owned();
    };
    let mut raw = URL_SAFE_NO_PAD.decode(sig).unwrap_or_default();
    match raw.first_mut() {
        Some(b) => *b ^= 0x01,
        None => raw.push(0),
    }
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(raw))
}

/// `GET /jwks`.
pub(super) async fn jwks(State(state): State<Arc<FiState>>) -> Response {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(state.key.jwks().clone()),
    )
        .into_response()
}
