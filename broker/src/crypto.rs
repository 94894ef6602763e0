//! Small cryptographic helpers: random tokens, hashing, key derivation and
//! sealing (AES-256-GCM) of the blobs that may hold an identity.

use aes_gcm::{
    Aes256Gcm, Nonce,
    aead::{Aead, KeyInit},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A random URL-safe token with `bytes` bytes of entropy.
#[must_use]
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// Hex SHA-256, used to store codes, tokens and secrets by hash only.
#[must_use]
pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Constant-time equality of two strings.
#[must_use]
pub fn ct_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Derives a 32-byte key for `label` from a master secret (HMAC-SHA-256 as a
/// PRF; the master secret is itself random, so no extraction step is needed).
#[must_use]
pub fn derive_key(master: &[u8], label: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(master) {
        mac.update(b"pivot/v1/");
        mac.update(label.as_bytes());
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

/// Error when a sealed blob does not open (wrong key, tampering, truncation).
#[derive(Debug, thiserror::Error)]
#[error("sealed data could not be opened")]
pub struct SealError;

/// Seals and opens blobs with AES-256-GCM; the random 96-bit nonce is
/// prepended to the ciphertext. `aad` binds a blob to its row.
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer([redacted])")
    }
}

impl Sealer {
    /// A sealer with the given key.
    #[must_use]
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    /// Encrypts `plain`, bound to `aad`.
    ///
    /// # Errors
    /// Never in practice (AES-GCM only fails on absurd lengths).
    pub fn seal(&self, plain: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                aes_gcm::aead::Payload { msg: plain, aad },
            )
            .map_err(|_| SealError)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Decrypts a blob made by [`Sealer::seal`] with the same `aad`.
    ///
    /// # Errors
    /// When the blob was tampered with, truncated or sealed with another key.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < 12 {
            return Err(SealError);
        }
        let (nonce, ct) = sealed.split_at(12);
        self.cipher
            .decrypt(
                Nonce::from_slice(nonce),
                aes_gcm::aead::Payload { msg: ct, aad },
            )
            .map_err(|_| SealError)
    }

    /// Seals a serialisable value as JSON.
    ///
    /// # Errors
    /// When serialisation fails.
    pub fn seal_json<T: serde::Serialize>(&self, v: &T, aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let plain = serde_json::to_vec(v).map_err(|_| SealError)?;
        self.seal(&plain, aad)
    }

    /// Opens a JSON value sealed by [`Sealer::seal_json`].
    ///
    /// # Errors
    /// When the blob does not open or does not decode.
    pub fn open_json<T: serde::de::DeserializeOwned>(
        &self,
        sealed: &[u8],
        aad: &[u8],
    ) -> Result<T, SealError> {
        let plain = self.open(sealed, aad)?;
        serde_json::from_slice(&plain).map_err(|_| SealError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trip_and_tamper() {
        let s = Sealer::new(&derive_key(b"master", "session"));
        let blob = s.seal(b"hello", b"row1").unwrap();
        assert_eq!(s.open(&blob, b"row1").unwrap(), b"hello");
        assert!(s.open(&blob, b"row2").is_err(), "aad binds the row");
        let mut bad = blob.clone();
        if let Some(last) = bad.last_mut() {
            *last ^= 1;
        }
        assert!(s.open(&bad, b"row1").is_err());
        let other = Sealer::new(&derive_key(b"master", "other"));
        assert!(other.open(&blob, b"row1").is_err());
    }

    #[test]
    fn tokens_are_random_and_long() {
        let a = random_token(32);
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token(32));
        assert!(ct_eq("abc", "abc"));
        assert!(!ct_eq("abc", "abd"));
        assert!(!ct_eq("abc", "ab"));
    }
}
