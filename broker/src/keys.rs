//! Signing keys: ES256 and RS256, created on first start, persisted as PEM
//! files with mode 0600 under `data_dir/keys/`, published in the JWKS with a
//! `kid` (RFC 7638 thumbprint), and rotatable: a retired key stays in the
//! JWKS until every token it signed has expired.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::{Arc, RwLock},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use josekit::{
    jwk::Jwk,
    jws::{ES256, JwsHeader, JwsSigner, JwsVerifier, RS256},
    jwt::{self, JwtPayload},
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::storage::SigningAlg;

/// Errors of the key store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Reading or writing key files failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// JOSE failure (bad PEM, signing or verification error).
    #[error("jose: {0}")]
    Jose(#[from] josekit::JoseError),
    /// The manifest is unreadable.
    #[error("key manifest: {0}")]
    Manifest(#[from] serde_json::Error),
    /// No usable key for the algorithm.
    #[error("no active {0:?} key")]
    NoKey(SigningAlg),
    /// A token names a key we do not have, or an algorithm we do not use.
    #[error("unknown signing key")]
    UnknownKey,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct KeyMeta {
    kid: String,
    alg: SigningAlg,
    created_at: i64,
    retired_at: Option<i64>,
}

struct LoadedKey {
    meta: KeyMeta,
    signer: Box<dyn JwsSigner>,
    verifier: Box<dyn JwsVerifier>,
    public: Jwk,
}

/// The broker's signing keys.
#[derive(Clone)]
pub struct KeyStore {
    dir: PathBuf,
    keys: Arc<RwLock<Vec<Arc<LoadedKey>>>>,
    /// How long a retired key stays published.
    retention_secs: i64,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes a file readable by its owner only.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), KeyError> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(io(path))?;
    f.write_all(bytes).map_err(io(path))
}

/// Creates a folder accessible by its owner only.
pub(crate) fn private_dir(path: &Path) -> Result<(), KeyError> {
    std::fs::create_dir_all(path).map_err(io(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).map_err(io(path))?;
    }
    Ok(())
}

/// RFC 7638 JWK thumbprint (base64url SHA-256 of the required members).
#[must_use]
pub fn thumbprint(jwk: &Jwk) -> String {
    let members: &[&str] = match jwk.key_type() {
        "EC" => &["crv", "kty", "x", "y"],
        "RSA" => &["e", "kty", "n"],
        _ => &["kty"],
    };
    let canonical: BTreeMap<&str, &serde_json::Value> = members
        .iter()
        .filter_map(|m| jwk.parameter(m).map(|v| (*m, v)))
        .collect();
    let json = serde_json::to_string(&canonical).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(Sha256::digest(json.as_bytes()))
}

fn load_key(meta: KeyMeta, pem: &[u8]) -> Result<LoadedKey, KeyError> {
    let (signer, verifier, mut public): (Box<dyn JwsSigner>, Box<dyn JwsVerifier>, Jwk) =
        match meta.alg {
            SigningAlg::ES256 => {
                let kp = ES256.key_pair_from_pem(pem)?;
                let public = kp.to_jwk_public_key();
                (
                    Box::new(ES256.signer_from_pem(pem)?),
                    Box::new(ES256.verifier_from_jwk(&public)?),
                    public,
                )
            }
            SigningAlg::RS256 => {
                let kp = RS256.key_pair_from_pem(pem)?;
                let public = kp.to_jwk_public_key();
                (
                    Box::new(RS256.signer_from_pem(pem)?),
                    Box::new(RS256.verifier_from_jwk(&public)?),
                    public,
                )
            }
        };
    public.set_key_id(&meta.kid);
    public.set_algorithm(meta.alg.as_str());
    public.set_key_use("sig");
    Ok(LoadedKey {
        meta,
        signer,
        verifier,
        public,
    })
}

impl KeyStore {
    /// Opens the key folder, creating an ES256 and an RS256 key when none is
    /// active.
    ///
    /// # Errors
    /// On unreadable files or key generation failure.
    pub fn open(data_dir: &Path, now: i64, retention_secs: i64) -> Result<Self, KeyError> {
        let dir = data_dir.join("keys");
        private_dir(&dir)?;
        let store = Self {
            dir,
            keys: Arc::new(RwLock::new(Vec::new())),
            retention_secs,
        };
        let manifest = store.read_manifest()?;
        let mut loaded = Vec::new();
        for meta in manifest {
            let path = store.dir.join(format!("{}.pem", meta.kid));
            let pem = std::fs::read(&path).map_err(io(&path))?;
            loaded.push(Arc::new(load_key(meta, &pem)?));
        }
        if let Ok(mut k) = store.keys.write() {
            *k = loaded;
        }
        for alg in [SigningAlg::ES256, SigningAlg::RS256] {
            if store.active(alg).is_err() {
                store.generate(alg, now)?;
            }
        }
        Ok(store)
    }

    fn manifest_path(&self) -> PathBuf {
        self.dir.join("keys.json")
    }

    fn read_manifest(&self) -> Result<Vec<KeyMeta>, KeyError> {
        let path = self.manifest_path();
        match std::fs::read(&path) {
            Ok(b) => Ok(serde_json::from_slice(&b)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(io(&path)(e)),
        }
    }

    fn write_manifest(&self) -> Result<(), KeyError> {
        let metas: Vec<KeyMeta> = self.snapshot().iter().map(|k| k.meta.clone()).collect();
        write_private(&self.manifest_path(), &serde_json::to_vec_pretty(&metas)?)
    }

    fn snapshot(&self) -> Vec<Arc<LoadedKey>> {
        self.keys.read().map(|k| k.clone()).unwrap_or_default()
    }

    fn generate(&self, alg: SigningAlg, now: i64) -> Result<String, KeyError> {
        let pem = match alg {
            SigningAlg::ES256 => ES256.generate_key_pair()?.to_pem_private_key(),
            SigningAlg::RS256 => RS256.generate_key_pair(2048)?.to_pem_private_key(),
        };
        let public = match alg {
            SigningAlg::ES256 => ES256.key_pair_from_pem(&pem)?.to_jwk_public_key(),
            SigningAlg::RS256 => RS256.key_pair_from_pem(&pem)?.to_jwk_public_key(),
        };
        let kid = thumbprint(&public);
        write_private(&self.dir.join(format!("{kid}.pem")), &pem)?;
        let key = load_key(
            KeyMeta {
                kid: kid.clone(),
                alg,
                created_at: now,
                retired_at: None,
            },
            &pem,
        )?;
        if let Ok(mut k) = self.keys.write() {
            k.push(Arc::new(key));
        }
        self.write_manifest()?;
        Ok(kid)
    }

    fn active(&self, alg: SigningAlg) -> Result<Arc<LoadedKey>, KeyError> {
        self.snapshot()
            .into_iter()
            .filter(|k| k.meta.alg == alg && k.meta.retired_at.is_none())
            .max_by_key(|k| k.meta.created_at)
            .ok_or(KeyError::NoKey(alg))
    }

    /// Retires the active keys and creates new ones; returns the new kids.
    /// Retired keys stay published for the retention period.
    ///
    /// # Errors
    /// On file or key-generation failure.
    pub fn rotate(&self, now: i64) -> Result<Vec<String>, KeyError> {
        if let Ok(mut keys) = self.keys.write() {
            for k in keys.iter_mut() {
                if k.meta.retired_at.is_none() {
                    let mut meta = k.meta.clone();
                    meta.retired_at = Some(now);
                    let path = self.dir.join(format!("{}.pem", meta.kid));
                    let pem = std::fs::read(&path).map_err(io(&path))?;
                    *k = Arc::new(load_key(meta, &pem)?);
                }
            }
        }
        let mut kids = Vec::new();
        for alg in [SigningAlg::ES256, SigningAlg::RS256] {
            kids.push(self.generate(alg, now)?);
        }
        self.prune(now)?;
        Ok(kids)
    }

    /// Deletes retired keys past their retention.
    fn prune(&self, now: i64) -> Result<(), KeyError> {
        let expired: Vec<String> = self
            .snapshot()
            .iter()
            .filter(|k| {
                k.meta
                    .retired_at
                    .is_some_and(|r| r + self.retention_secs < now)
            })
            .map(|k| k.meta.kid.clone())
            .collect();
        if expired.is_empty() {
            return Ok(());
        }
        if let Ok(mut keys) = self.keys.write() {
            keys.retain(|k| !expired.contains(&k.meta.kid));
        }
        for kid in &expired {
            let path = self.dir.join(format!("{kid}.pem"));
            std::fs::remove_file(&path).map_err(io(&path))?;
        }
        self.write_manifest()
    }

    /// The public JWKS: active keys and retired ones still within retention.
    #[must_use]
    pub fn jwks(&self, now: i64) -> serde_json::Value {
        let keys: Vec<serde_json::Value> = self
            .snapshot()
            .iter()
            .filter(|k| {
                k.meta
                    .retired_at
                    .is_none_or(|r| r + self.retention_secs >= now)
            })
            .map(|k| serde_json::Value::Object(k.public.as_ref().clone()))
            .collect();
        serde_json::json!({ "keys": keys })
    }

    /// Signs claims as a JWT with the active key of `alg`; `typ` is the JOSE
    /// header type (`JWT`, or e.g. `token-introspection+jwt`).
    ///
    /// # Errors
    /// When no key exists or signing fails.
    pub fn sign(
        &self,
        alg: SigningAlg,
        claims: serde_json::Map<String, serde_json::Value>,
        typ: &str,
    ) -> Result<String, KeyError> {
        let key = self.active(alg)?;
        let mut header = JwsHeader::new();
        header.set_token_type(typ);
        header.set_key_id(&key.meta.kid);
        let payload = JwtPayload::from_map(claims)?;
        Ok(jwt::encode_with_signer(
            &payload,
            &header,
            key.signer.as_ref(),
        )?)
    }

    /// Verifies a JWT we signed (any kept key, retired included); expiry is
    /// the caller's business (an `id_token_hint` may be expired).
    ///
    /// # Errors
    /// When the signature does not verify or the key is unknown.
    pub fn verify(
        &self,
        token: &str,
    ) -> Result<serde_json::Map<String, serde_json::Value>, KeyError> {
        let keys = self.snapshot();
        let (payload, _) = jwt::decode_with_verifier_selector(token, |header| {
            let kid = header.key_id();
            let alg = header.algorithm();
            Ok(keys
                .iter()
                .find(|k| Some(k.meta.kid.as_str()) == kid && Some(k.meta.alg.as_str()) == alg)
                .map(|k| k.verifier.as_ref()))
        })
        .map_err(|e| match e {
            josekit::JoseError::InvalidSignature(_) => KeyError::UnknownKey,
            other => KeyError::Jose(other),
        })?;
        Ok(payload.claims_set().clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("pivot-keys-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn keys_are_created_persisted_private_and_reloaded() {
        let dir = tmp("persist");
        let ks = KeyStore::open(&dir, 1000, 300).unwrap();
        let jwks = ks.jwks(1000);
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for e in std::fs::read_dir(dir.join("keys")).unwrap() {
                let mode = e.unwrap().metadata().unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600);
            }
        }
        let again = KeyStore::open(&dir, 2000, 300).unwrap();
        assert_eq!(again.jwks(2000), jwks, "same keys after restart");
    }

    #[test]
    fn sign_verify_and_rotation_keeps_retired_key_until_retention() {
        let dir = tmp("rotate");
        let ks = KeyStore::open(&dir, 1000, 300).unwrap();
        let mut claims = serde_json::Map::new();
        claims.insert("sub".into(), "x".into());
        let old = ks.sign(SigningAlg::ES256, claims.clone(), "JWT").unwrap();
        assert_eq!(ks.verify(&old).unwrap()["sub"], "x");
        ks.rotate(1100).unwrap();
        assert_eq!(ks.jwks(1100)["keys"].as_array().unwrap().len(), 4);
        assert!(ks.verify(&old).is_ok(), "retired key still verifies");
        let new = ks.sign(SigningAlg::ES256, claims, "JWT").unwrap();
        assert_ne!(
            old.split('.').next(),
            new.split('.').next(),
            "new kid in header"
        );
        // Past retention the retired keys leave the JWKS at the next rotation.
        assert_eq!(ks.jwks(1401)["keys"].as_array().unwrap().len(), 2);
        ks.rotate(1500).unwrap();
        assert!(ks.verify(&old).is_err());
    }

    #[test]
    fn tampered_token_is_refused() {
        let ks = KeyStore::open(&tmp("tamper"), 1000, 300).unwrap();
        let mut claims = serde_json::Map::new();
        claims.insert("sub".into(), "x".into());
        let t = ks.sign(SigningAlg::RS256, claims, "JWT").unwrap();
        let mut parts: Vec<&str> = t.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(br#"{"sub":"y"}"#);
        parts[1] = &forged;
        assert!(ks.verify(&parts.join(".")).is_err());
    }
}
