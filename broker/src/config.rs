//! Configuration: a typed TOML file, overridable by `PIVOT_*` environment
//! variables (nested keys with `__`, e.g. `PIVOT_SERVER__LISTEN`), secrets
//! also from `*_file` paths. Turned into a [`RuntimeConfig`] held in state.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use pivot_proto::{eidas::Eidas, interaction::LoginMethod};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::{secret::Secret, storage::SigningAlg};

/// Errors while loading the configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file or an environment variable does not fit the schema.
    #[error("configuration: {0}")]
    Invalid(#[from] Box<figment::Error>),
    /// A value is inconsistent.
    #[error("configuration: {0}")]
    Inconsistent(String),
    /// A secret file could not be read or written.
    #[error("secret file {path}: {source}")]
    SecretFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The configuration file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Listening socket and public URL.
    pub server: ServerConfig,
    /// Where data lives.
    pub storage: StorageConfig,
    /// Secrets (generated on first start when absent).
    #[serde(default)]
    pub secrets: SecretsConfig,
    /// Platform rules (the "low" FranceConnect platform by default).
    #[serde(default)]
    pub platform: PlatformConfig,
    /// Identity providers the broker is a client of.
    #[serde(default)]
    pub identity_providers: Vec<IdpConfig>,
    /// The civil registry (RNIPP) identities are checked against; without
    /// it, identities are not checked (a warning is logged at start).
    #[serde(default)]
    pub registry: Option<crate::rnipp::RegistryConfig>,
    /// The DSFR `dist/` folder; found automatically when absent.
    #[serde(default)]
    pub dsfr_dir: Option<PathBuf>,
    /// Outgoing mail (connection alerts, preference changes, fraud
    /// reports); without it, no mail is sent (a warning is logged).
    #[serde(default)]
    pub mail: Option<crate::mail::MailConfig>,
    /// The citizen app's mobile identities, for app links.
    #[serde(default)]
    pub app_links: Option<crate::applinks::AppLinksConfig>,
}

/// `[server]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    /// Socket to listen on, e.g. `127.0.0.1:7000`.
    pub listen: SocketAddr,
    /// Public base URL, e.g. `https://fc.example.gouv.fr`; the issuer is
    /// this URL + `/api/v2`.
    pub public_url: Url,
}

/// `[storage]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// `sqlite://path/to/pivot.db` (created if missing).
    pub database_url: String,
    /// Folder for signing keys and generated secrets (mode 0700).
    pub data_dir: PathBuf,
}

/// `[secrets]`: each may be given inline, as a file, or left out to be
/// generated into `data_dir/secrets.json` on first start.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsConfig {
    /// Master secret for cookie signing and session sealing.
    pub session_secret: Option<Secret>,
    /// File holding `session_secret`.
    pub session_secret_file: Option<PathBuf>,
    /// The pairwise-sub secret (the original's `SECRET`).
    pub sub_secret: Option<Secret>,
    /// File holding `sub_secret`.
    pub sub_secret_file: Option<PathBuf>,
}

/// Where the identity given to services comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentitySource {
    /// The civil registry's (corrected) identity ("low" platform).
    Registry,
    /// The identity provider's identity, the registry's one available as
    /// `rnipp_*` claims ("high" platform).
    Provider,
}

/// Whether ID tokens and userinfo are encrypted to the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EncryptionPolicy {
    /// Only for services registered with an `encryption_alg`.
    Optional,
    /// Always: a service without encryption key cannot log in.
    Required,
}

/// `[platform]`: the rules of one platform (issuer).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlatformConfig {
    /// Name shown on pages ("FranceConnect").
    pub name: String,
    /// Accepted `acr_values`.
    pub acr_values: Vec<Eidas>,
    /// Web session lifetime in seconds.
    pub session_ttl_secs: i64,
    /// Whether activity extends the session.
    pub session_sliding: bool,
    /// Minimum `nonce` length.
    pub nonce_min_len: usize,
    /// Minimum `state` length.
    pub state_min_len: usize,
    /// Authorization code lifetime.
    pub code_ttl_secs: i64,
    /// Access token lifetime.
    pub access_token_ttl_secs: i64,
    /// Refresh-token lifetime (the app's only; each use gives a new one).
    pub refresh_token_ttl_secs: i64,
    /// ID token lifetime.
    pub id_token_ttl_secs: i64,
    /// Time allowed to an identity provider for each call.
    pub fi_timeout_secs: u64,
    /// How long an interaction (login in progress) may last.
    pub interaction_ttl_secs: i64,
    /// Whether `acr_values` must be sent; when not, a request without it
    /// gets the highest level of the platform.
    pub acr_values_required: bool,
    /// Levels at which a finished login is reused for another service
    /// (single sign-on); other levels always re-authenticate.
    pub sso_acr_values: Vec<Eidas>,
    /// Algorithms the ID token and userinfo may be signed with.
    pub signing_algs: Vec<SigningAlg>,
    /// Encryption of the ID token and userinfo.
    pub encryption: EncryptionPolicy,
    /// The identity given to services.
    pub identity_source: IdentitySource,
    /// Name of the session cookie (distinct per platform, so that two
    /// platforms on one host keep their own sessions).
    pub session_cookie: String,
}

impl PlatformConfig {
    /// The "high" platform (FranceConnect+): `eidas2`/`eidas3` (highest when
    /// none asked), ES256 only, tokens always encrypted, 10-minute
    /// non-sliding sessions, SSO for `eidas2` only, the provider's identity
    /// with the registry's as `rnipp_*` claims, 32-character state/nonce.
    #[must_use]
    pub fn high() -> Self {
        Self {
            name: "FranceConnect+".into(),
            acr_values: vec![Eidas::Eidas2, Eidas::Eidas3],
            session_ttl_secs: 10 * 60,
            session_sliding: false,
            nonce_min_len: 32,
            state_min_len: 32,
            interaction_ttl_secs: 10 * 60,
            acr_values_required: false,
            sso_acr_values: vec![Eidas::Eidas2],
            signing_algs: vec![SigningAlg::ES256],
            encryption: EncryptionPolicy::Required,
            identity_source: IdentitySource::Provider,
            session_cookie: "pivot_plus_session".into(),
            ..Self::default()
        }
    }
}

impl Default for PlatformConfig {
    fn default() -> Self {
        Self {
            name: "FranceConnect".into(),
            acr_values: vec![Eidas::Eidas1],
            session_ttl_secs: 30 * 60,
            session_sliding: true,
            nonce_min_len: 22,
            state_min_len: 22,
            code_ttl_secs: 30,
            access_token_ttl_secs: 60,
            refresh_token_ttl_secs: 30 * 24 * 3600,
            id_token_ttl_secs: 60,
            fi_timeout_secs: 10,
            interaction_ttl_secs: 30 * 60,
            acr_values_required: true,
            sso_acr_values: vec![Eidas::Eidas1],
            signing_algs: vec![SigningAlg::ES256, SigningAlg::RS256],
            encryption: EncryptionPolicy::Optional,
            identity_source: IdentitySource::Registry,
            session_cookie: crate::session::COOKIE.into(),
        }
    }
}

/// `[[identity_providers]]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdpConfig {
    /// Short id (`ameli`), also the `idp_hint` value.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The provider's issuer (discovery at `issuer/.well-known/openid-configuration`).
    pub issuer: Url,
    /// Our client id there.
    pub client_id: String,
    /// Our client secret there.
    pub client_secret: Option<Secret>,
    /// File holding the client secret.
    pub client_secret_file: Option<PathBuf>,
    /// Levels this provider may assert.
    pub acr_values: Vec<Eidas>,
    /// Whether it is offered.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// How it authenticates citizens: `web` (its own pages, the default)
    /// or `card` (the ID card signs its challenge; the app runs
    /// `pivot_proto::card_auth` instead of a web view).
    #[serde(default)]
    pub login: LoginMethod,
}

fn yes() -> bool {
    true
}

impl FileConfig {
    /// Loads `path` (when given) then `PIVOT_*` variables over `base`.
    ///
    /// # Errors
    /// When the file or a variable does not fit the schema.
    pub fn load(path: Option<&Path>, base: Option<&FileConfig>) -> Result<Self, ConfigError> {
        let mut fig = Figment::new();
        if let Some(b) = base {
            fig = fig.merge(Serialized::defaults(b));
        }
        if let Some(p) = path {
            fig = fig.merge(Toml::file_exact(p));
        }
        // Only variables naming a section of this file: other `PIVOT_*`
        // variables (the app's, the test scripts') are not configuration.
        fig = fig.merge(Env::prefixed("PIVOT_").split("__").filter(|k| {
            CONFIG_SECTIONS
                .iter()
                .any(|s| k.as_str().split('.').next() == Some(*s))
        }));
        fig.extract().map_err(|e| ConfigError::Invalid(Box::new(e)))
    }
}

/// The top-level keys of [`FileConfig`], the only ones `PIVOT_*` variables
/// may set.
const CONFIG_SECTIONS: &[&str] = &[
    "server",
    "storage",
    "secrets",
    "platform",
    "identity_providers",
    "registry",
    "dsfr_dir",
    "mail",
    "app_links",
];

/// Reads a secret given inline or as a file.
///
/// # Errors
/// When the file cannot be read.
pub fn resolve_secret(
    inline: Option<&Secret>,
    file: Option<&Path>,
) -> Result<Option<Secret>, ConfigError> {
    if let Some(s) = inline {
        return Ok(Some(s.clone()));
    }
    match file {
        Some(p) => std::fs::read_to_string(p)
            .map(|s| Some(Secret::new(s.trim().to_owned())))
            .map_err(|source| ConfigError::SecretFile {
                path: p.to_owned(),
                source,
            }),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[server]
listen = "127.0.0.1:7000"
public_url = "http://127.0.0.1:7000"
[storage]
database_url = "sqlite::memory:"
data_dir = "/tmp/pivot"
"#;

    #[test]
    fn minimal_file_gets_low_platform_defaults() {
        let dir = std::env::temp_dir().join(format!("pivot-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("a.toml");
        std::fs::write(&f, MINIMAL).unwrap();
        let c = FileConfig::load(Some(&f), None).unwrap();
        assert_eq!(c.platform.acr_values, vec![Eidas::Eidas1]);
        assert_eq!(c.platform.code_ttl_secs, 30);
        assert_eq!(c.platform.nonce_min_len, 22);
    }

    #[test]
    fn the_high_platform_as_documented_in_the_readme_parses_to_the_preset() {
        let dir = std::env::temp_dir().join(format!("pivot-cfg3-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("high.toml");
        let readme = include_str!("../../README.md");
        let start = readme
            .find("[platform]\nname = \"FranceConnect+\"")
            .unwrap();
        let end = start + readme[start..].find("```").unwrap();
        std::fs::write(&f, format!("{MINIMAL}\n{}", &readme[start..end])).unwrap();
        let c = FileConfig::load(Some(&f), None).unwrap();
        let high = PlatformConfig::high();
        assert_eq!(c.platform.acr_values, high.acr_values);
        assert_eq!(c.platform.sso_acr_values, high.sso_acr_values);
        assert_eq!(c.platform.signing_algs, high.signing_algs);
        assert_eq!(c.platform.encryption, EncryptionPolicy::Required);
        assert_eq!(c.platform.identity_source, IdentitySource::Provider);
        assert!(!c.platform.acr_values_required && !c.platform.session_sliding);
        assert_eq!(c.platform.session_ttl_secs, 600);
        let r = c.registry.unwrap();
        assert_eq!(r.timeout_secs, 5);
        assert!(r.api_key_file.is_some());
    }

    #[test]
    fn unknown_field_is_rejected() {
        let dir = std::env::temp_dir().join(format!("pivot-cfg2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("b.toml");
        std::fs::write(&f, format!("{MINIMAL}\n[platform]\nbogus = 1\n")).unwrap();
        let err = FileConfig::load(Some(&f), None).unwrap_err().to_string();
        assert!(err.contains("bogus"), "{err}");
    }
}
