//! The civil-registry (RNIPP) check: after an identity provider logs a
//! citizen in, the broker asks the registry about the returned pivot
//! identity ([`CivilRegistry::check`]) and goes on only when the person is
//! found, possibly corrected (see [`pivot_proto::rnipp`]).
//!
//! An answer of the registry, whatever the outcome, is an
//! `Ok(`[`RnippOutcome`]`)`; a registry that is slow or cannot be reached is
//! a [`RegistryError`] that [`RegistryError::is_transient`] tells apart
//! from a registry that answers nonsense.
//!
//! [`HttpRegistry`] is the client of a registry service over HTTP (the
//! sandbox's is [`crate::sandbox::registry`]); [`build`] makes one from the
//! configuration; [`FixedRegistry`] answers without any service, for tests.

mod http;

use std::{
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use pivot_proto::rnipp::{RnippOutcome, RnippQuery};
use serde::{Deserialize, Serialize};
use url::Url;

pub use self::http::HttpRegistry;
use crate::{config::resolve_secret, secret::Secret};

/// Default time allowed to the registry for one check, in seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 5;

/// A civil registry the broker checks identities against.
#[async_trait]
pub trait CivilRegistry: Send + Sync + std::fmt::Debug {
    /// Looks `query` up. Every answer of the registry, refusals included,
    /// is an `Ok`; an `Err` means there was no usable answer.
    async fn check(&self, query: &RnippQuery) -> Result<RnippOutcome, RegistryError>;
}

/// Why a registry check gave no outcome.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The registry did not answer in time (transient).
    #[error("the civil registry did not answer in time")]
    Timeout,
    /// The registry could not be reached: connection refused or reset, DNS
    /// failure, answer cut off (transient).
    #[error("the civil registry is unreachable: {0}")]
    Unreachable(String),
    /// The registry answered `502`, `503` or `504`: temporarily unavailable
    /// (transient). Carries the status.
    #[error("the civil registry is temporarily unavailable (HTTP {0})")]
    Unavailable(u16),
    /// The registry answered with an unexpected status or a body that is
    /// not a registry answer.
    #[error("unexpected answer from the civil registry: {0}")]
    Protocol(String),
    /// The registry client cannot be built from its configuration.
    #[error("civil registry configuration: {0}")]
    Config(String),
}

impl RegistryError {
    /// Whether trying again later may succeed: [`RegistryError::Timeout`],
    /// [`RegistryError::Unreachable`] and [`RegistryError::Unavailable`].
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            RegistryError::Timeout | RegistryError::Unreachable(_) | RegistryError::Unavailable(_)
        )
    }
}

fn default_timeout_secs() -> u64 {
    DEFAULT_TIMEOUT_SECS
}

/// How the broker reaches the civil registry (`[registry]` in the
/// configuration file).
///
/// ```toml
/// [registry]
/// url = "https://rnipp.example.fr/"
/// api_key_file = "/run/secrets/rnipp_api_key"
/// timeout_secs = 5
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryConfig {
    /// Base URL of the registry service; the search endpoint is
    /// [`pivot_proto::rnipp::SEARCH_PATH`] under it.
    pub url: Url,
    /// API key sent to the registry. Either this or `api_key_file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<Secret>,
    /// File holding the API key (trimmed), used when `api_key` is unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_file: Option<PathBuf>,
    /// Time allowed to the registry for one check, connection included, in
    /// seconds (default 5, at least 1).
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

impl RegistryConfig {
    /// A configuration with an inline key and the default time-out.
    #[must_use]
    pub fn new(url: Url, api_key: Secret) -> Self {
        Self {
            url,
            api_key: Some(api_key),
            api_key_file: None,
            timeout_secs: DEFAULT_TIMEOUT_SECS,
        }
    }
}

/// The registry client described by `cfg`.
///
/// # Errors
/// [`RegistryError::Config`] when no API key is configured, its file cannot
/// be read, the time-out is zero or the URL is not `http(s)`.
pub fn build(cfg: &RegistryConfig) -> Result<Arc<dyn CivilRegistry>, RegistryError> {
    let api_key = resolve_secret(cfg.api_key.as_ref(), cfg.api_key_file.as_deref())
        .map_err(|e| RegistryError::Config(e.to_string()))?
        .ok_or_else(|| RegistryError::Config("api_key or api_key_file is required".into()))?;
    if cfg.timeout_secs == 0 {
        return Err(RegistryError::Config(
            "timeout_secs must be at least 1".into(),
        ));
    }
    let registry = HttpRegistry::new(
        cfg.url.clone(),
        api_key,
        Duration::from_secs(cfg.timeout_secs),
    )?;
    Ok(Arc::new(registry))
}

/// A registry that answers every check the same way, without any service
/// (tests). Counts the checks it was asked.
#[derive(Debug)]
pub struct FixedRegistry {
    answer: Option<Result<RnippOutcome, RegistryError>>,
    calls: AtomicUsize,
}

impl FixedRegistry {
    /// Finds everybody exactly as queried.
    #[must_use]
    pub fn found_as_queried() -> Self {
        Self {
            answer: None,
            calls: AtomicUsize::new(0),
        }
    }

    /// Answers `answer` to every check.
    #[must_use]
    pub fn answering(answer: Result<RnippOutcome, RegistryError>) -> Self {
        Self {
            answer: Some(answer),
            calls: AtomicUsize::new(0),
        }
    }

    /// How many checks were asked so far.
    #[must_use]
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl CivilRegistry for FixedRegistry {
    async fn check(&self, query: &RnippQuery) -> Result<RnippOutcome, RegistryError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        match &self.answer {
            Some(answer) => answer.clone(),
            None => Ok(RnippOutcome::Found(query.to_identity())),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use pivot_proto::identity::{Gender, PivotIdentity};

    use super::*;

    fn query() -> RnippQuery {
        RnippQuery::from_identity(&PivotIdentity {
            given_name: "Eric".into(),
            family_name: "MERCIER".into(),
            birthdate: "1966-03-12".into(),
            gender: Gender::Male,
            birthplace: "75056".into(),
            birthcountry: "99100".into(),
        })
    }

    #[test]
    fn transient_errors() {
        assert!(RegistryError::Timeout.is_transient());
        assert!(RegistryError::Unreachable("refused".into()).is_transient());
        assert!(RegistryError::Unavailable(503).is_transient());
        assert!(!RegistryError::Protocol("HTTP 401".into()).is_transient());
        assert!(!RegistryError::Config("no key".into()).is_transient());
    }

    #[test]
    fn config_from_toml() {
        let cfg: RegistryConfig = toml::from_str(
            r#"
url = "http://127.0.0.1:7300/"
api_key = "k3y"
"#,
        )
        .unwrap();
        assert_eq!(cfg.timeout_secs, 5);
        assert_eq!(cfg.api_key.as_ref().map(Secret::expose), Some("k3y"));
        assert!(!format!("{cfg:?}").contains("k3y"));
        assert!(
            toml::from_str::<RegistryConfig>("url = \"http://x/\"\napi_kye = \"k\"").is_err(),
            "unknown fields are refused"
        );
        let back: RegistryConfig = toml::from_str(&toml::to_string(&cfg).unwrap()).unwrap();
        assert_eq!(back, cfg);
    }

    #[test]
    fn build_needs_a_key_and_a_time_out() {
        let url = Url::parse("http://127.0.0.1:9/").unwrap();
        let mut cfg = RegistryConfig::new(url.clone(), Secret::new("k"));
        assert!(build(&cfg).is_ok());
        cfg.timeout_secs = 0;
        assert!(matches!(build(&cfg), Err(RegistryError::Config(_))));
        cfg.timeout_secs = 5;
        cfg.api_key = None;
        assert!(matches!(build(&cfg), Err(RegistryError::Config(_))));
        cfg.api_key_file = Some("/nonexistent/rnipp-key".into());
        assert!(matches!(build(&cfg), Err(RegistryError::Config(_))));
        let mut file = tempfile_in_target();
        writeln!(file.1, "  from-file-key ").unwrap();
        cfg.api_key_file = Some(file.0.clone());
        let registry = build(&cfg).unwrap();
        assert!(!format!("{registry:?}").contains("from-file-key"));
        std::fs::remove_file(&file.0).unwrap();
        let ftp = RegistryConfig::new(Url::parse("ftp://x/").unwrap(), Secret::new("k"));
        assert!(matches!(build(&ftp), Err(RegistryError::Config(_))));
    }

    /// A fresh file under the system's temporary directory.
    fn tempfile_in_target() -> (PathBuf, std::fs::File) {
        let path = std::env::temp_dir().join(format!(
            "pivot-rnipp-key-{}",
            crate::crypto::random_token(12)
        ));
        let file = std::fs::File::create(&path).unwrap();
        (path, file)
    }

    #[tokio::test]
    async fn fixed_registry_answers_and_counts() {
        let echo = FixedRegistry::found_as_queried();
        assert_eq!(
            echo.check(&query()).await,
            Ok(RnippOutcome::Found(query().to_identity()))
        );
        let down = FixedRegistry::answering(Err(RegistryError::Timeout));
        assert_eq!(down.check(&query()).await, Err(RegistryError::Timeout));
        assert_eq!(down.check(&query()).await, Err(RegistryError::Timeout));
        assert_eq!((echo.calls(), down.calls()), (1, 2));
        let registry: Arc<dyn CivilRegistry> =
            Arc::new(FixedRegistry::answering(Ok(RnippOutcome::Deceased)));
        assert_eq!(registry.check(&query()).await, Ok(RnippOutcome::Deceased));
    }
}
