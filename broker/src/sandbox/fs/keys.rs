//! The decryption key of a demo service provider on the "high" platform:
//! generated at start (or given, for tests), published as a JWKS, used to
//! decrypt the ID token and userinfo.

use josekit::jwk::Jwk;
use josekit::jwk::alg::ec::EcCurve;
use serde_json::{Map, Value};

use super::error::FsError;
use super::session::random_token;
use crate::jwe::{self, JweError};
use crate::storage::EncryptionAlg;

/// RSA modulus size of generated keys.
const RSA_BITS: u32 = 2048;

/// The private key a service decrypts with. Its `Debug` shows the
/// algorithm and key id only.
#[derive(Clone)]
pub struct FsKey {
    alg: EncryptionAlg,
    private: Jwk,
    /// The public half, as published.
    jwks: Value,
}

impl std::fmt::Debug for FsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FsKey")
            .field("alg", &self.alg.as_str())
            .field("kid", &self.private.key_id())
            .finish_non_exhaustive()
    }
}

impl FsKey {
    /// A fresh key for `alg`: EC P-256 for `ECDH-ES`, RSA 2048 for
    /// `RSA-OAEP-256`, with a random `kid`, `use: enc` and `alg`.
    ///
    /// # Errors
    /// [`FsError::Key`] when key generation fails.
    pub fn generate(alg: EncryptionAlg) -> Result<Self, FsError> {
        let mut private = match alg {
            EncryptionAlg::EcdhEs => Jwk::generate_ec_key(EcCurve::P256),
            EncryptionAlg::RsaOaep256 => Jwk::generate_rsa_key(RSA_BITS),
        }
        .map_err(|e| FsError::Key(format!("key generation: {e}")))?;
        private.set_key_id(format!("fs-enc-{}", random_token(9)));
        private.set_key_use("enc");
        private.set_algorithm(alg.as_str());
        Self::from_private_jwk(alg, private)
    }

    /// A service key from an existing private JWK (e.g. to prove in tests
    /// that another key cannot decrypt).
    ///
    /// # Errors
    /// [`FsError::Key`] when the JWK is not a private key usable for `alg`.
    pub fn from_private_jwk(alg: EncryptionAlg, private: Jwk) -> Result<Self, FsError> {
        let usable = match alg {
            EncryptionAlg::EcdhEs => josekit::jwe::ECDH_ES.decrypter_from_jwk(&private).is_ok(),
            EncryptionAlg::RsaOaep256 => josekit::jwe::RSA_OAEP_256
                .decrypter_from_jwk(&private)
                .is_ok(),
        };
        if !usable {
            return Err(FsError::Key(format!(
                "not a private key usable for {}",
                alg.as_str()
            )));
        }
        let public: Map<String, Value> = jwe::public_jwk(&private)
            .map_err(|e| FsError::Key(format!("public key: {e}")))?
            .into();
        Ok(Self {
            alg,
            private,
            jwks: serde_json::json!({ "keys": [public] }),
        })
    }

    /// The key-management algorithm the broker must use.
    #[must_use]
    pub fn alg(&self) -> EncryptionAlg {
        self.alg
    }

    /// The public half as a JWKS (`{"keys": [...]}`), without any private
    /// member: what the service publishes, or what to register inline.
    #[must_use]
    pub fn public_jwks(&self) -> &Value {
        &self.jwks
    }

    /// Decrypts a JWE addressed to this key.
    pub(crate) fn decrypt(&self, jwe: &str) -> Result<String, JweError> {
        jwe::decrypt_jwt(jwe, &self.private)
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn generated_keys_publish_only_their_public_half() {
        for alg in EncryptionAlg::ALL {
            let key = FsKey::generate(alg).unwrap();
            assert_eq!(key.alg(), alg);
            let jwks = key.public_jwks();
            let keys = jwks["keys"].as_array().unwrap();
            assert_eq!(keys.len(), 1);
            let k = &keys[0];
            for private in ["d", "p", "q", "dp", "dq", "qi"] {
                assert!(k.get(private).is_none(), "{alg:?} publishes {private}");
            }
            assert_eq!(k["use"], "enc");
            assert_eq!(k["alg"], alg.as_str());
            assert!(k["kid"].as_str().unwrap().starts_with("fs-enc-"));
            // What the broker encrypts to this JWKS, the key decrypts.
            let jwe = jwe::encrypt_jwt("a.b.c", jwks, alg).unwrap();
            assert_eq!(key.decrypt(&jwe).unwrap(), "a.b.c");
        }
    }

    #[test]
    fn debug_hides_the_private_key() {
        let key = FsKey::generate(EncryptionAlg::EcdhEs).unwrap();
        let d = key
            .private
            .parameter("d")
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned();
        let shown = format!("{key:?}");
        assert!(shown.contains("ECDH-ES"));
        assert!(!shown.contains(&d));
    }

    #[test]
    fn a_public_or_mismatched_key_is_refused() {
        let key = FsKey::generate(EncryptionAlg::EcdhEs).unwrap();
        let public = key.private.to_public_key().unwrap();
        assert!(matches!(
            FsKey::from_private_jwk(EncryptionAlg::EcdhEs, public),
            Err(FsError::Key(_))
        ));
        assert!(matches!(
            FsKey::from_private_jwk(EncryptionAlg::RsaOaep256, key.private.clone()),
            Err(FsError::Key(_))
        ));
    }
}
