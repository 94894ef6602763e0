//! Where the shell keeps its secrets (the device key, the refresh token):
//! behind [`SecretStore`], with the system's store ([`KeyringStore`]) in the
//! app and [`MemoryStore`] in unit tests.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::error::AppError;

/// A small store of named secrets.
pub trait SecretStore: Send + Sync {
    /// The secret `name`, if there is one.
    ///
    /// # Errors
    /// [`AppError::Internal`] when the store cannot be read.
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, AppError>;

    /// Stores `secret` as `name`, replacing any previous one.
    ///
    /// # Errors
    /// [`AppError::Internal`] when the store cannot be written.
    fn set(&self, name: &str, secret: &[u8]) -> Result<(), AppError>;

    /// Deletes `name`; deleting a missing secret is not an error.
    ///
    /// # Errors
    /// [`AppError::Internal`] when the store cannot be written.
    fn delete(&self, name: &str) -> Result<(), AppError>;
}

/// Secrets in memory, lost at exit (tests).
#[derive(Debug, Default)]
pub struct MemoryStore {
    secrets: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl MemoryStore {
    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<String, Vec<u8>>) -> T) -> Result<T, AppError> {
        let mut secrets = self
            .secrets
            .lock()
            .map_err(|_| AppError::internal("memory store lock poisoned"))?;
        Ok(f(&mut secrets))
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, AppError> {
        self.with(|s| s.get(name).cloned())
    }

    fn set(&self, name: &str, secret: &[u8]) -> Result<(), AppError> {
        self.with(|s| {
            s.insert(name.to_owned(), secret.to_vec());
        })
    }

    fn delete(&self, name: &str) -> Result<(), AppError> {
        self.with(|s| {
            s.remove(name);
        })
    }
}

/// The system's secret store through the `keyring` crate (on Linux, the
/// kernel's keyutils session keyring).
#[derive(Clone, Debug)]
pub struct KeyringStore {
    service: String,
}

impl KeyringStore {
    /// Secrets of `service` (e.g. the app identifier `fr.gouv.pivot`).
    #[must_use]
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }

    fn entry(&self, name: &str) -> Result<keyring::Entry, AppError> {
        keyring::Entry::new(&self.service, name).map_err(AppError::internal)
    }

    /// Whether the store works here: writes, reads back and deletes a probe.
    ///
    /// # Errors
    /// Why it does not (e.g. no session keyring on a headless box).
    pub fn probe(&self) -> Result<(), AppError> {
        const PROBE: &str = "pivot-probe";
        self.set(PROBE, b"probe")?;
        let read = self.get(PROBE)?;
        self.delete(PROBE)?;
        if read.as_deref() == Some(b"probe".as_slice()) {
            Ok(())
        } else {
            Err(AppError::internal("the probe secret did not read back"))
        }
    }
}

impl SecretStore for KeyringStore {
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, AppError> {
        match self.entry(name)?.get_secret() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(AppError::internal(e)),
        }
    }

    fn set(&self, name: &str, secret: &[u8]) -> Result<(), AppError> {
        self.entry(name)?
            .set_secret(secret)
            .map_err(AppError::internal)
    }

    fn delete(&self, name: &str) -> Result<(), AppError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(AppError::internal(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(store: &dyn SecretStore, name: &str) {
        assert_eq!(store.get(name).unwrap(), None);
        store.set(name, b"first").unwrap();
        store.set(name, b"second").unwrap();
        assert_eq!(
            store.get(name).unwrap().as_deref(),
            Some(b"second".as_slice())
        );
        store.delete(name).unwrap();
        assert_eq!(store.get(name).unwrap(), None);
        store.delete(name).unwrap();
    }

    #[test]
    fn memory_store_round_trips() {
        round_trip(&MemoryStore::default(), "device-key");
    }

    /// Runs against the real store when this machine has one (a session
    /// keyring: `keyctl session`); `PIVOT_REQUIRE_KEYRING=1` turns a missing
    /// store into a failure instead of a skip.
    #[test]
    fn keyring_store_round_trips_when_available() {
        let required = std::env::var("PIVOT_REQUIRE_KEYRING").is_ok_and(|v| v == "1");
        let store = KeyringStore::new("fr.gouv.pivot.test");
        if let Err(e) = store.probe() {
            assert!(
                !required,
                "PIVOT_REQUIRE_KEYRING=1 but the keyring store is unusable: {e:?}"
            );
            eprintln!(
                "SKIPPED keyring_store_round_trips_when_available: no usable keyring ({e:?}); \
                 run under `keyctl session` and set PIVOT_REQUIRE_KEYRING=1 to require it"
            );
            return;
        }
        let name = format!("round-trip-{}", std::process::id());
        round_trip(&store, &name);
    }
}
