//! Storage traits. Protocol code only sees these; the SQLite implementation
//! is the embedded default, and PostgreSQL or Redis can be added beside it.
//!
//! Nothing here stores a pivot identity in clear: the `data` blobs of
//! sessions, codes and tokens are sealed by [`crate::crypto::Sealer`] before
//! they reach storage.

pub mod sqlite;

use async_trait::async_trait;
use pivot_proto::data::{DataRequest, DataScope};
use serde::{Deserialize, Serialize};

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration error: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A stored value could not be decoded.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// The write conflicts with what is stored (e.g. a data scope already
    /// served by another provider).
    #[error("conflict: {0}")]
    Conflict(String),
}

/// What a registered partner is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientRole {
    /// A service provider (FS): logs citizens in through `/authorize`.
    #[default]
    Service,
    /// A data provider (FD): checks FS tokens at `/checktoken`, nothing else.
    DataProvider,
}

impl ClientRole {
    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::DataProvider => "data_provider",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Service, Self::DataProvider]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// How a client authenticates at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuthMethod {
    /// HTTP Basic with the client secret (RFC 6749 §2.3.1).
    ClientSecretBasic,
    /// Client secret in the form body.
    ClientSecretPost,
    /// A JWT signed with the client's registered key (RFC 7523).
    PrivateKeyJwt,
    /// Public client (native app): PKCE is then mandatory.
    None,
}

impl ClientAuthMethod {
    /// The registered name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::None => "none",
        }
    }

    /// Parses a registered name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::ClientSecretBasic,
            Self::ClientSecretPost,
            Self::PrivateKeyJwt,
            Self::None,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// A JWS algorithm the broker signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SigningAlg {
    /// ECDSA P-256 with SHA-256.
    ES256,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
}

impl SigningAlg {
    /// The JOSE name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ES256 => "ES256",
            Self::RS256 => "RS256",
        }
    }

    /// Parses a JOSE name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ES256" => Some(Self::ES256),
            "RS256" => Some(Self::RS256),
            _ => None,
        }
    }
}

/// The key-management algorithm of a JWE addressed to a client; content is
/// always encrypted with `A256GCM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EncryptionAlg {
    /// ECDH-ES (direct key agreement) on a P-256 key.
    #[serde(rename = "ECDH-ES")]
    EcdhEs,
    /// RSAES-OAEP with SHA-256 on an RSA key.
    #[serde(rename = "RSA-OAEP-256")]
    RsaOaep256,
}

impl EncryptionAlg {
    /// Every supported algorithm.
    pub const ALL: [EncryptionAlg; 2] = [Self::EcdhEs, Self::RsaOaep256];

    /// The JOSE name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EcdhEs => "ECDH-ES",
            Self::RsaOaep256 => "RSA-OAEP-256",
        }
    }

    /// Parses a JOSE name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// The only content-encryption algorithm used for JWE.
pub const ENCRYPTION_ENC: &str = "A256GCM";

/// A registered service provider (FS) client.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRecord {
    /// The OAuth client id.
    pub client_id: String,
    /// The FS entity: several client ids of one entity share pairwise subs.
    pub entity_id: String,
    /// Display name shown to citizens.
    pub name: String,
    /// Hex SHA-256 of the client secret (secrets are 256-bit random values,
    /// so a fast hash is enough); `None` for public or key-based clients.
    pub secret_hash: Option<String>,
    /// The registered token-endpoint authentication method.
    pub auth_method: ClientAuthMethod,
    /// The client's public keys (JWKS) for `private_key_jwt`.
    pub jwks: Option<serde_json::Value>,
    /// Exact redirect URIs.
    pub redirect_uris: Vec<String>,
    /// Exact post-logout redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Scopes the client may request.
    pub scopes: Vec<String>,
    /// ID token signing algorithm.
    pub id_token_alg: SigningAlg,
    /// When set, userinfo is answered as a JWT signed with this algorithm.
    pub userinfo_alg: Option<SigningAlg>,
    /// A public-sector service (information page) or private (explicit
    /// consent for identity).
    pub public_service: bool,
    /// Registration time (Unix seconds).
    pub created_at: i64,
    /// Where the client publishes its public keys (instead of `jwks`).
    pub jwks_uri: Option<String>,
    /// When set, the ID token and userinfo are signed then encrypted to the
    /// client's key with this algorithm and `A256GCM`.
    pub encryption_alg: Option<EncryptionAlg>,
    /// The identity providers this client accepts (`None`: all).
    pub fi_allow: Option<Vec<String>>,
    /// The identity providers this client refuses.
    pub fi_deny: Vec<String>,
    /// Service or data provider.
    #[serde(default)]
    pub role: ClientRole,
    /// For a data provider: the data it serves, in display order (each
    /// scope belongs to one provider only). Empty for a service.
    #[serde(default)]
    pub provided: Vec<DataScope>,
}

impl ClientRecord {
    /// Whether this client accepts the identity provider `fi_id`.
    #[must_use]
    pub fn accepts_fi(&self, fi_id: &str) -> bool {
        self.fi_allow
            .as_ref()
            .is_none_or(|allow| allow.iter().any(|a| a == fi_id))
            && !self.fi_deny.iter().any(|d| d == fi_id)
    }
}

/// A stored authorization code.
#[derive(Clone, Debug)]
pub struct CodeRow {
    /// Hex SHA-256 of the code.
    pub code_hash: String,
    /// The grant the code belongs to.
    pub grant_id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The sealed grant.
    pub data: Vec<u8>,
    /// Expiry (Unix seconds).
    pub expires_at: i64,
}

/// Result of redeeming a code.
#[derive(Debug)]
pub enum CodeRedemption {
    /// First use within its lifetime: the sealed grant.
    Fresh(CodeRow),
    /// Already used: the grant whose tokens must now be revoked.
    Replayed {
        /// The grant the code belonged to.
        grant_id: String,
    },
    /// Unknown or expired.
    Invalid,
}

/// A stored access token.
#[derive(Clone, Debug)]
pub struct TokenRow {
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// The grant it was issued for.
    pub grant_id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The sealed grant.
    pub data: Vec<u8>,
    /// Issue time (Unix seconds).
    pub issued_at: i64,
    /// Expiry (Unix seconds).
    pub expires_at: i64,
    /// Revoked by the client, by code replay or by logout.
    pub revoked: bool,
}

/// Partner registry: service providers and data providers.
#[async_trait]
pub trait ClientRepo: Send + Sync {
    /// One client by id.
    async fn client(&self, client_id: &str) -> Result<Option<ClientRecord>, StorageError>;
    /// Inserts or replaces a client (and, for a data provider, its data
    /// scopes: [`StorageError::Conflict`] when another provider serves one).
    async fn put_client(&self, client: &ClientRecord) -> Result<(), StorageError>;
    /// Every client, by id.
    async fn clients(&self) -> Result<Vec<ClientRecord>, StorageError>;
    /// Removes a client; `false` when it did not exist.
    async fn delete_client(&self, client_id: &str) -> Result<bool, StorageError>;
    /// Every datum the registered data providers serve, by provider then
    /// in each provider's order.
    async fn data_catalogue(&self) -> Result<Vec<DataRequest>, StorageError>;
}

/// Server-side browser sessions (sealed blobs).
#[async_trait]
pub trait SessionRepo: Send + Sync {
    /// A live session's sealed data.
    async fn session(&self, id_hash: &str, now: i64) -> Result<Option<Vec<u8>>, StorageError>;
    /// Creates or replaces a session.
    async fn put_session(
        &self,
        id_hash: &str,
        data: &[u8],
        expires_at: i64,
    ) -> Result<(), StorageError>;
    /// Ends a session.
    async fn delete_session(&self, id_hash: &str) -> Result<(), StorageError>;
}

/// Codes, tokens and client-assertion identifiers.
#[async_trait]
pub trait GrantRepo: Send + Sync {
    /// Stores a new code.
    async fn put_code(&self, code: &CodeRow) -> Result<(), StorageError>;
    /// Redeems a code atomically: only the first call gets it.
    async fn redeem_code(&self, code_hash: &str, now: i64) -> Result<CodeRedemption, StorageError>;
    /// Stores a new access token.
    async fn put_token(&self, token: &TokenRow) -> Result<(), StorageError>;
    /// One access token by hash (even expired or revoked: the caller decides).
    async fn token(&self, token_hash: &str) -> Result<Option<TokenRow>, StorageError>;
    /// Revokes one token of a client; `false` if it was not that client's.
    async fn revoke_token(&self, token_hash: &str, client_id: &str) -> Result<bool, StorageError>;
    /// Revokes every token of a grant (and makes its unredeemed code
    /// unusable); returns how many tokens.
    async fn revoke_grant(&self, grant_id: &str) -> Result<u64, StorageError>;
    /// Records a client-assertion `jti`; `false` when already seen.
    async fn record_jti(&self, jti: &str, expires_at: i64) -> Result<bool, StorageError>;
}

/// Citizens' accounts, keyed by identity hash (no pivot identity stored).
#[async_trait]
pub trait AccountRepo: Send + Sync {
    /// Returns the sub stored for this identity and entity, storing
    /// `candidate` first if there is none; touches the last connection.
    async fn stored_sub(
        &self,
        identity_hash: &str,
        entity_id: &str,
        candidate: &str,
        now: i64,
    ) -> Result<String, StorageError>;
}

/// Everything the broker stores.
#[async_trait]
pub trait Storage: ClientRepo + SessionRepo + GrantRepo + AccountRepo {
    /// Deletes expired sessions, codes, tokens and assertion ids.
    async fn purge_expired(&self, now: i64) -> Result<u64, StorageError>;
}
