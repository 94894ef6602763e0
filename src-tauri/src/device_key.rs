//! The device key: an ECDSA P-256 key made on first start and kept (PKCS#8)
//! in the [`SecretStore`]. It binds the app's tokens to this device with DPoP
//! proofs (RFC 9449).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::rand::{SecureRandom as _, SystemRandom};
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use serde_json::json;
use sha2::{Digest as _, Sha256};
use url::Url;

use crate::error::AppError;
use crate::secret_store::SecretStore;

/// The name of the device key in the secret store.
pub const SECRET_NAME: &str = "device-key";

/// The device's signing key.
pub struct DeviceKey {
    pair: EcdsaKeyPair,
    rng: SystemRandom,
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceKey([redacted])")
    }
}

impl DeviceKey {
    /// The key kept in `store`, made and stored first if there is none.
    ///
    /// # Errors
    /// [`AppError::Internal`] if the store fails or holds a broken key.
    pub fn load_or_create(store: &dyn SecretStore) -> Result<Self, AppError> {
        if let Some(pkcs8) = store.get(SECRET_NAME)? {
            return Self::from_pkcs8(&pkcs8);
        }
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| AppError::internal("cannot generate the device key"))?;
        store.set(SECRET_NAME, pkcs8.as_ref())?;
        Self::from_pkcs8(pkcs8.as_ref())
    }

    /// The key in a PKCS#8 document.
    ///
    /// # Errors
    /// [`AppError::Internal`] if it is not a P-256 key.
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<Self, AppError> {
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
            .map_err(|e| AppError::internal(format!("invalid device key: {e}")))?;
        Ok(Self { pair, rng })
    }

    /// The public key, uncompressed (`04 || x || y`).
    #[must_use]
    pub fn public_key(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    /// The public key as a JWK (`kty`, `crv`, `x`, `y`, keys in order).
    #[must_use]
    pub fn public_jwk(&self) -> serde_json::Value {
        let point = self.public_key();
        let (x, y) = point
            .get(1..)
            .unwrap_or_default()
            .split_at(point.len().saturating_sub(1) / 2);
        json!({ "crv": "P-256", "kty": "EC", "x": B64.encode(x), "y": B64.encode(y) })
    }

    /// The JWK thumbprint (RFC 7638) of the public key, as the broker binds
    /// tokens to it (`cnf.jkt`).
    #[must_use]
    pub fn thumbprint(&self) -> String {
        // `serde_json`'s map is ordered: the members are in RFC 7638 order.
        let canonical = self.public_jwk().to_string();
        B64.encode(Sha256::digest(canonical.as_bytes()))
    }

    /// A fresh random `jti`.
    ///
    /// # Errors
    /// [`AppError::Internal`] if the system has no randomness.
    pub fn new_jti(&self) -> Result<String, AppError> {
        let mut bytes = [0u8; 16];
        self.rng
            .fill(&mut bytes)
            .map_err(|_| AppError::internal("no system randomness"))?;
        Ok(B64.encode(bytes))
    }

    /// A DPoP proof for `method` on `url` at `iat`; with `access_token` for a
    /// resource request (`ath`), without for the token endpoint.
    ///
    /// # Errors
    /// [`AppError::Internal`] if signing fails.
    pub fn proof(
        &self,
        method: &str,
        url: &Url,
        access_token: Option<&str>,
        iat: i64,
        jti: &str,
    ) -> Result<String, AppError> {
        let header = json!({ "alg": "ES256", "jwk": self.public_jwk(), "typ": "dpop+jwt" });
        let mut claims = json!({ "htm": method, "htu": htu(url), "iat": iat, "jti": jti });
        if let (Some(token), Some(map)) = (access_token, claims.as_object_mut()) {
            map.insert("ath".into(), ath(token).into());
        }
        let signing_input = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let signature = self
            .pair
            .sign(&self.rng, signing_input.as_bytes())
            .map_err(|_| AppError::internal("cannot sign the DPoP proof"))?;
        Ok(format!(
            "{signing_input}.{}",
            B64.encode(signature.as_ref())
        ))
    }
}

/// The `htu` of a proof: the URL without query or fragment.
#[must_use]
pub fn htu(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

/// The `ath` of a proof: base64url(SHA-256(access token)).
#[must_use]
pub fn ath(access_token: &str) -> String {
    B64.encode(Sha256::digest(access_token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret_store::MemoryStore;
    use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};

    fn decode(part: &str) -> serde_json::Value {
        serde_json::from_slice(&B64.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn the_key_is_made_once_and_kept() {
        let store = MemoryStore::default();
        let first = DeviceKey::load_or_create(&store).unwrap();
        assert!(store.get(SECRET_NAME).unwrap().is_some());
        let again = DeviceKey::load_or_create(&store).unwrap();
        assert_eq!(first.public_key(), again.public_key());
        assert_eq!(first.public_key().len(), 65);
        assert_eq!(first.thumbprint(), again.thumbprint());
    }

    #[test]
    fn a_broken_stored_key_is_an_internal_error() {
        let store = MemoryStore::default();
        store.set(SECRET_NAME, b"not a key").unwrap();
        let err = DeviceKey::load_or_create(&store).unwrap_err();
        assert_eq!(err.code(), "internal");
    }

    #[test]
    fn proofs_verify_with_the_public_jwk() {
        let key = DeviceKey::load_or_create(&MemoryStore::default()).unwrap();
        let url = Url::parse("https://broker.example/api/v2/citizen/history?page=2#x").unwrap();
        let proof = key
            .proof("GET", &url, Some("at-123"), 1_700_000_000, "jti-1")
            .unwrap();
        let parts: Vec<&str> = proof.split('.').collect();
        assert_eq!(parts.len(), 3);

        let header = decode(parts[0]);
        assert_eq!(header["typ"], "dpop+jwt");
        assert_eq!(header["alg"], "ES256");
        assert_eq!(header["jwk"]["kty"], "EC");
        assert_eq!(header["jwk"]["crv"], "P-256");
        assert!(header["jwk"].get("d").is_none(), "no private part");

        let claims = decode(parts[1]);
        assert_eq!(claims["htm"], "GET");
        assert_eq!(
            claims["htu"],
            "https://broker.example/api/v2/citizen/history"
        );
        assert_eq!(claims["iat"], 1_700_000_000);
        assert_eq!(claims["jti"], "jti-1");
        assert_eq!(claims["ath"], B64.encode(Sha256::digest(b"at-123")));

        // The public key rebuilt from the JWK verifies the signature.
        let x = B64.decode(header["jwk"]["x"].as_str().unwrap()).unwrap();
        let y = B64.decode(header["jwk"]["y"].as_str().unwrap()).unwrap();
        assert_eq!((x.len(), y.len()), (32, 32));
        let point = [&[4u8][..], &x, &y].concat();
        let signature = B64.decode(parts[2]).unwrap();
        assert_eq!(signature.len(), 64);
        let input = format!("{}.{}", parts[0], parts[1]);
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
            .verify(input.as_bytes(), &signature)
            .unwrap();
        // ... and not a tampered input.
        assert!(
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
                .verify(format!("{input}x").as_bytes(), &signature)
                .is_err()
        );
    }

    #[test]
    fn token_endpoint_proofs_have_no_ath_and_jtis_differ() {
        let key = DeviceKey::load_or_create(&MemoryStore::default()).unwrap();
        let url = Url::parse("https://broker.example/api/v2/token").unwrap();
        let proof = key.proof("POST", &url, None, 1, "j").unwrap();
        let claims = decode(proof.split('.').nth(1).unwrap());
        assert!(claims.get("ath").is_none());
        assert_ne!(key.new_jti().unwrap(), key.new_jti().unwrap());
    }
}
