//! Encryption of signed JWTs into nested JWTs (JWE compact serialization,
//! RFC 7516, nested per RFC 7519 §5.2), as the "high" platform hands ID
//! tokens and userinfo to a service: key management `ECDH-ES` (P-256) or
//! `RSA-OAEP-256`, content always `A256GCM`, to a public key taken from the
//! service's JWKS.
//!
//! The cryptography is josekit's; this module only chooses the key, fixes
//! the header and refuses anything outside the two supported profiles.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwe::{ECDH_ES, JweDecrypter, JweEncrypter, JweHeader, RSA_OAEP_256};
use josekit::jwk::Jwk;
use serde_json::{Map, Value};

use crate::storage::{ENCRYPTION_ENC, EncryptionAlg};

/// Smallest RSA modulus accepted for a recipient key, in bytes (2048 bits).
const MIN_RSA_MODULUS_BYTES: usize = 256;
/// The content type of a nested JWT (RFC 7519 §5.2).
const NESTED_JWT_CTY: &str = "JWT";

/// Why a JWT could not be encrypted or decrypted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JweError {
    /// The JWKS holds no key usable for this algorithm (wrong type or
    /// curve, `use` other than `enc`, another `alg`, RSA under 2048 bits).
    #[error("no key in the JWKS is usable for {}", .alg.as_str())]
    NoSuitableKey {
        /// The requested key-management algorithm.
        alg: EncryptionAlg,
    },
    /// The JWKS is not a JSON object with a `keys` array.
    #[error("not a JWKS: {0}")]
    InvalidJwks(&'static str),
    /// Encryption failed with the chosen key.
    #[error("encryption failed: {0}")]
    Encrypt(String),
    /// The input is not a compact JWE with a readable header.
    #[error("malformed JWE: {0}")]
    Malformed(String),
    /// The JWE header asks for something outside the supported profile
    /// (another `alg` or `enc`, compression, critical extensions).
    #[error("unsupported JWE header {member}: {value}")]
    UnsupportedHeader {
        /// The header member at fault.
        member: &'static str,
        /// Its value, as received.
        value: String,
    },
    /// The private key cannot be used for the JWE's algorithm, or its `kid`
    /// is not the one the JWE names.
    #[error("the private key does not fit this JWE: {0}")]
    WrongKey(String),
    /// Decryption failed: another recipient's key, or tampered content.
    #[error("decryption failed: {0}")]
    Decrypt(String),
    /// The decrypted content is not UTF-8 text.
    #[error("decrypted content is not UTF-8")]
    NotUtf8,
}

/// Encrypts a signed JWT (compact JWS) to the recipient key of `jwks` fit
/// for `alg`, returning a compact JWE whose header holds exactly `alg`,
/// `enc` (`A256GCM`), `cty` (`JWT`), the key's `kid` when it has one, and
/// for `ECDH-ES` the ephemeral public key `epk`.
///
/// A key is fit when its type matches (`EC` on `P-256` for `ECDH-ES`, `RSA`
/// of at least 2048 bits for `RSA-OAEP-256`), its `use` is absent or `enc`,
/// its `alg` is absent or the requested one, and its `key_ops`, if any,
/// allow the operation. A key naming the requested `alg` is preferred over
/// one naming none.
///
/// # Errors
/// [`JweError::InvalidJwks`] when `jwks` is not a JWKS,
/// [`JweError::NoSuitableKey`] when no key fits, [`JweError::Encrypt`] when
/// josekit fails.
pub fn encrypt_jwt(signed_jwt: &str, jwks: &Value, alg: EncryptionAlg) -> Result<String, JweError> {
    let keys = jwks
        .as_object()
        .ok_or(JweError::InvalidJwks("not a JSON object"))?
        .get("keys")
        .and_then(Value::as_array)
        .ok_or(JweError::InvalidJwks("no `keys` array"))?;
    let encrypter = select_encrypter(keys, alg).ok_or(JweError::NoSuitableKey { alg })?;
    let mut header = JweHeader::new();
    header.set_content_encryption(ENCRYPTION_ENC);
    header.set_content_type(NESTED_JWT_CTY);
    josekit::jwe::serialize_compact(signed_jwt.as_bytes(), &header, &*encrypter)
        .map_err(|e| JweError::Encrypt(e.to_string()))
}

/// Whether `jwks` holds a key that can receive a JWE with `alg`.
#[must_use]
pub fn has_key_for(jwks: &Value, alg: EncryptionAlg) -> bool {
    jwks.get("keys")
        .and_then(Value::as_array)
        .is_some_and(|keys| select_encrypter(keys, alg).is_some())
}

/// The encrypter of the best fit key: one naming `alg` first, then one
/// naming no algorithm, in JWKS order otherwise.
fn select_encrypter(keys: &[Value], alg: EncryptionAlg) -> Option<Box<dyn JweEncrypter>> {
    let candidates: Vec<Jwk> = keys
        .iter()
        .filter_map(|k| k.as_object().cloned())
        .filter_map(|m| Jwk::from_map(m).ok())
        .filter(|k| fits(k, alg))
        .collect();
    let named = candidates
        .iter()
        .filter(|k| k.algorithm() == Some(alg.as_str()));
    let unnamed = candidates.iter().filter(|k| k.algorithm().is_none());
    named.chain(unnamed).find_map(|k| encrypter(k, alg))
}

/// Whether `key` may receive a JWE with `alg` (josekit checks `key_ops`
/// when the encrypter is built).
fn fits(key: &Jwk, alg: EncryptionAlg) -> bool {
    let use_ok = key.key_use().is_none_or(|u| u == "enc");
    let alg_ok = key.algorithm().is_none_or(|a| a == alg.as_str());
    let type_ok = match alg {
        EncryptionAlg::EcdhEs => key.key_type() == "EC" && key.curve() == Some("P-256"),
        EncryptionAlg::RsaOaep256 => {
            key.key_type() == "RSA"
                && key
                    .parameter("n")
                    .and_then(Value::as_str)
                    .and_then(|n| URL_SAFE_NO_PAD.decode(n).ok())
                    .is_some_and(|n| {
                        // Leading zero bytes do not count toward the size.
                        n.iter().skip_while(|b| **b == 0).count() >= MIN_RSA_MODULUS_BYTES
                    })
        }
    };
    use_ok && alg_ok && type_ok
}

fn encrypter(key: &Jwk, alg: EncryptionAlg) -> Option<Box<dyn JweEncrypter>> {
    match alg {
        EncryptionAlg::EcdhEs => ECDH_ES
            .encrypter_from_jwk(key)
            .ok()
            .map(|e| Box::new(e) as Box<dyn JweEncrypter>),
        EncryptionAlg::RsaOaep256 => RSA_OAEP_256
            .encrypter_from_jwk(key)
            .ok()
            .map(|e| Box::new(e) as Box<dyn JweEncrypter>),
    }
}

/// Decrypts a compact JWE produced by [`encrypt_jwt`] (or any JWE of the
/// same profile) with the recipient's private key; returns the content,
/// normally the signed JWT, which the caller must still verify.
///
/// The header must name `A256GCM` and `ECDH-ES` or `RSA-OAEP-256`, and must
/// not ask for compression or critical extensions. When both the header and
/// the key carry a `kid`, they must be equal.
///
/// # Errors
/// [`JweError::Malformed`], [`JweError::UnsupportedHeader`],
/// [`JweError::WrongKey`], [`JweError::Decrypt`], [`JweError::NotUtf8`].
pub fn decrypt_jwt(jwe: &str, private_jwk: &Jwk) -> Result<String, JweError> {
    let jwe = jwe.trim();
    if jwe.split('.').count() != 5 {
        return Err(JweError::Malformed(
            "not five dot-separated parts".to_owned(),
        ));
    }
    let header = read_header(jwe)?;
    let alg = check_header(&header)?;
    if let (Some(wanted), Some(have)) = (
        header.get("kid").and_then(Value::as_str),
        private_jwk.key_id(),
    ) && wanted != have
    {
        return Err(JweError::WrongKey(format!(
            "the JWE is for key {wanted:?}, this key is {have:?}"
        )));
    }
    let decrypter = decrypter(private_jwk, alg)?;
    let (content, _) = josekit::jwe::deserialize_compact(jwe, &*decrypter)
        .map_err(|e| JweError::Decrypt(e.to_string()))?;
    String::from_utf8(content).map_err(|_| JweError::NotUtf8)
}

/// The public half of a private key, keeping the members that select it
/// (`kid`, `alg`, `use`), which josekit's `to_public_key` partly drops.
pub(crate) fn public_jwk(private: &Jwk) -> Result<Jwk, josekit::JoseError> {
    let mut public = private.to_public_key()?;
    for member in ["kid", "alg", "use"] {
        if let Some(v) = private.parameter(member) {
            public.set_parameter(member, Some(v.clone()))?;
        }
    }
    Ok(public)
}

/// The protected header of a compact JWE, as a JSON object.
fn read_header(jwe: &str) -> Result<Map<String, Value>, JweError> {
    let b64 = jwe.split('.').next().unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD
        .decode(b64)
        .map_err(|e| JweError::Malformed(format!("header is not base64url: {e}")))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| JweError::Malformed(format!("header is not a JSON object: {e}")))
}

/// Checks the header against the profile; returns its key-management
/// algorithm.
fn check_header(header: &Map<String, Value>) -> Result<EncryptionAlg, JweError> {
    let text = |v: Option<&Value>| v.map(Value::to_string).unwrap_or_else(|| "absent".into());
    let enc = header.get("enc");
    if enc.and_then(Value::as_str) != Some(ENCRYPTION_ENC) {
        return Err(JweError::UnsupportedHeader {
            member: "enc",
            value: text(enc),
        });
    }
    for member in ["zip", "crit"] {
        if let Some(v) = header.get(member) {
            return Err(JweError::UnsupportedHeader {
                member,
                value: v.to_string(),
            });
        }
    }
    let alg = header.get("alg");
    alg.and_then(Value::as_str)
        .and_then(EncryptionAlg::parse)
        .ok_or_else(|| JweError::UnsupportedHeader {
            member: "alg",
            value: text(alg),
        })
}

fn decrypter(key: &Jwk, alg: EncryptionAlg) -> Result<Box<dyn JweDecrypter>, JweError> {
    let wrong = |e: josekit::JoseError| JweError::WrongKey(e.to_string());
    // The `kid` was compared above; a JWE without one is still accepted.
    Ok(match alg {
        EncryptionAlg::EcdhEs => {
            let mut d = ECDH_ES.decrypter_from_jwk(key).map_err(wrong)?;
            d.remove_key_id();
            Box::new(d)
        }
        EncryptionAlg::RsaOaep256 => {
            let mut d = RSA_OAEP_256.decrypter_from_jwk(key).map_err(wrong)?;
            d.remove_key_id();
            Box::new(d)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use josekit::jwk::alg::ec::EcCurve;
    use serde_json::json;

    const JWS: &str = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhYmMifQ.c2lnbmF0dXJl";

    /// A private key for `alg` with `kid`, and its public JWKS.
    fn key_pair(alg: EncryptionAlg, kid: &str) -> (Jwk, Value) {
        let mut private = match alg {
            EncryptionAlg::EcdhEs => Jwk::generate_ec_key(EcCurve::P256).unwrap(),
            EncryptionAlg::RsaOaep256 => Jwk::generate_rsa_key(2048).unwrap(),
        };
        private.set_key_id(kid);
        private.set_key_use("enc");
        private.set_algorithm(alg.as_str());
        let public: Map<String, Value> = public_jwk(&private).unwrap().into();
        assert_eq!(public["kid"], kid);
        assert!(!public.contains_key("d"));
        (private, json!({ "keys": [public] }))
    }

    fn header_of(jwe: &str) -> Map<String, Value> {
        read_header(jwe).unwrap()
    }

    #[test]
    fn round_trip_with_both_algorithms() {
        for alg in EncryptionAlg::ALL {
            let (private, jwks) = key_pair(alg, "fs-enc-1");
            let jwe = encrypt_jwt(JWS, &jwks, alg).unwrap();
            assert_eq!(jwe.split('.').count(), 5, "{alg:?}");
            assert!(!jwe.contains("eyJzdWIiOiJhYmMifQ"), "content is hidden");
            assert_eq!(decrypt_jwt(&jwe, &private).unwrap(), JWS, "{alg:?}");
        }
    }

    #[test]
    fn header_has_exactly_the_expected_members() {
        let (_, jwks) = key_pair(EncryptionAlg::EcdhEs, "ec-1");
        let header = header_of(&encrypt_jwt(JWS, &jwks, EncryptionAlg::EcdhEs).unwrap());
        let mut names: Vec<&str> = header.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["alg", "cty", "enc", "epk", "kid"]);
        assert_eq!(header["alg"], "ECDH-ES");
        assert_eq!(header["enc"], "A256GCM");
        assert_eq!(header["cty"], "JWT");
        assert_eq!(header["kid"], "ec-1");
        assert_eq!(header["epk"]["crv"], "P-256");
        assert!(header["epk"].get("d").is_none());

        let (_, jwks) = key_pair(EncryptionAlg::RsaOaep256, "rsa-1");
        let header = header_of(&encrypt_jwt(JWS, &jwks, EncryptionAlg::RsaOaep256).unwrap());
        let mut names: Vec<&str> = header.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["alg", "cty", "enc", "kid"]);
        assert_eq!(header["alg"], "RSA-OAEP-256");
        assert_eq!(header["kid"], "rsa-1");
    }

    #[test]
    fn key_without_kid_gives_a_header_without_kid() {
        let (private, jwks) = key_pair(EncryptionAlg::EcdhEs, "x");
        let mut public = jwks["keys"][0].clone();
        public.as_object_mut().unwrap().remove("kid");
        let jwe = encrypt_jwt(JWS, &json!({ "keys": [public] }), EncryptionAlg::EcdhEs).unwrap();
        assert!(!header_of(&jwe).contains_key("kid"));
        // The recipient's key has a kid, the JWE names none: still decrypts.
        assert_eq!(decrypt_jwt(&jwe, &private).unwrap(), JWS);
    }

    #[test]
    fn another_key_cannot_decrypt() {
        for alg in EncryptionAlg::ALL {
            let (_, jwks) = key_pair(alg, "same-kid");
            let (other, _) = key_pair(alg, "same-kid");
            let jwe = encrypt_jwt(JWS, &jwks, alg).unwrap();
            let err = decrypt_jwt(&jwe, &other).unwrap_err();
            assert!(matches!(err, JweError::Decrypt(_)), "{alg:?}: {err}");
        }
        // A key of the other type, or named otherwise, is refused up front.
        let (_, jwks) = key_pair(EncryptionAlg::EcdhEs, "ec");
        let jwe = encrypt_jwt(JWS, &jwks, EncryptionAlg::EcdhEs).unwrap();
        let (rsa, _) = key_pair(EncryptionAlg::RsaOaep256, "ec");
        assert!(matches!(
            decrypt_jwt(&jwe, &rsa),
            Err(JweError::WrongKey(_))
        ));
        let (renamed, _) = key_pair(EncryptionAlg::EcdhEs, "other-kid");
        assert!(matches!(
            decrypt_jwt(&jwe, &renamed),
            Err(JweError::WrongKey(_))
        ));
    }

    #[test]
    fn tampered_ciphertext_fails() {
        let (private, jwks) = key_pair(EncryptionAlg::EcdhEs, "k");
        let jwe = encrypt_jwt(JWS, &jwks, EncryptionAlg::EcdhEs).unwrap();
        let mut parts: Vec<String> = jwe.split('.').map(str::to_owned).collect();
        let mut ct = URL_SAFE_NO_PAD.decode(&parts[3]).unwrap();
        ct[0] ^= 1;
        parts[3] = URL_SAFE_NO_PAD.encode(ct);
        assert!(matches!(
            decrypt_jwt(&parts.join("."), &private),
            Err(JweError::Decrypt(_))
        ));
    }

    #[test]
    fn jwks_without_a_usable_key_fails() {
        let (_, rsa) = key_pair(EncryptionAlg::RsaOaep256, "rsa");
        let err = encrypt_jwt(JWS, &rsa, EncryptionAlg::EcdhEs).unwrap_err();
        assert!(matches!(
            err,
            JweError::NoSuitableKey {
                alg: EncryptionAlg::EcdhEs
            }
        ));
        assert_eq!(err.to_string(), "no key in the JWKS is usable for ECDH-ES");

        // A P-384 key, a P-256 key for another algorithm, a 1024-bit RSA key.
        let p384: Map<String, Value> = Jwk::generate_ec_key(EcCurve::P384)
            .unwrap()
            .to_public_key()
            .unwrap()
            .into();
        let (_, ec) = key_pair(EncryptionAlg::EcdhEs, "ec");
        let mut ec_kw = ec["keys"][0].clone();
        ec_kw["alg"] = "ECDH-ES+A256KW".into();
        let jwks = json!({ "keys": [p384, ec_kw, "junk", {"kty": "EC"}] });
        assert!(matches!(
            encrypt_jwt(JWS, &jwks, EncryptionAlg::EcdhEs),
            Err(JweError::NoSuitableKey { .. })
        ));
        let small: Map<String, Value> = Jwk::generate_rsa_key(1024)
            .unwrap()
            .to_public_key()
            .unwrap()
            .into();
        assert!(matches!(
            encrypt_jwt(JWS, &json!({ "keys": [small] }), EncryptionAlg::RsaOaep256),
            Err(JweError::NoSuitableKey { .. })
        ));

        assert!(matches!(
            encrypt_jwt(JWS, &json!([]), EncryptionAlg::EcdhEs),
            Err(JweError::InvalidJwks(_))
        ));
        assert!(matches!(
            encrypt_jwt(JWS, &json!({ "keys": {} }), EncryptionAlg::EcdhEs),
            Err(JweError::InvalidJwks(_))
        ));
    }

    #[test]
    fn a_signing_key_is_never_chosen() {
        // The signing key comes first and has no alg; the encryption key
        // comes last.
        let (_, sig) = key_pair(EncryptionAlg::EcdhEs, "sig");
        let mut sig = sig["keys"][0].clone();
        sig["use"] = "sig".into();
        sig.as_object_mut().unwrap().remove("alg");
        let only_sig = json!({ "keys": [sig.clone()] });
        assert!(matches!(
            encrypt_jwt(JWS, &only_sig, EncryptionAlg::EcdhEs),
            Err(JweError::NoSuitableKey { .. })
        ));
        let (private, enc) = key_pair(EncryptionAlg::EcdhEs, "enc");
        let both = json!({ "keys": [sig, enc["keys"][0]] });
        let jwe = encrypt_jwt(JWS, &both, EncryptionAlg::EcdhEs).unwrap();
        assert_eq!(header_of(&jwe)["kid"], "enc");
        assert_eq!(decrypt_jwt(&jwe, &private).unwrap(), JWS);
    }

    #[test]
    fn a_key_naming_the_algorithm_is_preferred() {
        let (_, unnamed) = key_pair(EncryptionAlg::RsaOaep256, "unnamed");
        let mut unnamed = unnamed["keys"][0].clone();
        unnamed.as_object_mut().unwrap().remove("alg");
        let (private, named) = key_pair(EncryptionAlg::RsaOaep256, "named");
        let jwks = json!({ "keys": [unnamed, named["keys"][0]] });
        let jwe = encrypt_jwt(JWS, &jwks, EncryptionAlg::RsaOaep256).unwrap();
        assert_eq!(header_of(&jwe)["kid"], "named");
        assert_eq!(decrypt_jwt(&jwe, &private).unwrap(), JWS);
    }

    #[test]
    fn headers_outside_the_profile_are_refused() {
        let (private, _) = key_pair(EncryptionAlg::EcdhEs, "k");
        let forge = |header: Value| {
            let h = URL_SAFE_NO_PAD.encode(header.to_string());
            format!("{h}..aXY.Y3Q.dGFn")
        };
        let cases = [
            (json!({"alg": "ECDH-ES", "enc": "A128GCM"}), "enc"),
            (json!({"alg": "ECDH-ES"}), "enc"),
            (json!({"alg": "dir", "enc": "A256GCM"}), "alg"),
            (json!({"alg": "RSA1_5", "enc": "A256GCM"}), "alg"),
            (
                json!({"alg": "ECDH-ES", "enc": "A256GCM", "zip": "DEF"}),
                "zip",
            ),
            (
                json!({"alg": "ECDH-ES", "enc": "A256GCM", "crit": ["x"], "x": 1}),
                "crit",
            ),
        ];
        for (header, expected) in cases {
            match decrypt_jwt(&forge(header.clone()), &private) {
                Err(JweError::UnsupportedHeader { member, .. }) => {
                    assert_eq!(member, expected, "{header}");
                }
                other => panic!("{header}: {other:?}"),
            }
        }
        assert!(matches!(
            decrypt_jwt(JWS, &private),
            Err(JweError::Malformed(_))
        ));
        assert!(matches!(
            decrypt_jwt("%%.a.b.c.d", &private),
            Err(JweError::Malformed(_))
        ));
    }
}
