//! Storage traits. Protocol code only sees these; the SQLite implementation
//! is the embedded default, and PostgreSQL or Redis can be added beside it.
//!
//! Nothing here stores a pivot identity in clear: the `data` blobs of
//! sessions, codes and tokens are sealed by [`crate::crypto::Sealer`] before
//! they reach storage.

pub mod sqlite;

use async_trait::async_trait;
use pivot_proto::{
    citizen::{EventCode, Preferences, SharedDatum},
    data::{DataRequest, DataScope},
    eidas::Eidas,
};
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
    /// DPoP: the RFC 7638 thumbprint of the key the token is bound to.
    pub dpop_jkt: Option<String>,
}

/// A stored refresh token (the app's).
#[derive(Clone, Debug)]
pub struct RefreshRow {
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// The grant it renews.
    pub grant_id: String,
    /// The client it was issued to.
    pub client_id: String,
    /// The sealed grant.
    pub data: Vec<u8>,
    /// The key it is bound to (DPoP thumbprint).
    pub dpop_jkt: String,
    /// Issue time.
    pub issued_at: i64,
    /// Expiry.
    pub expires_at: i64,
}

/// Result of using a refresh token.
#[derive(Debug)]
pub enum RefreshRedemption {
    /// First use within its lifetime.
    Fresh(RefreshRow),
    /// Already used: the grant to revoke (a stolen token, or its thief's).
    Reused {
        /// The grant of the token.
        grant_id: String,
    },
    /// Unknown or expired.
    Invalid,
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
    /// Stores a refresh token.
    async fn put_refresh(&self, row: &RefreshRow) -> Result<(), StorageError>;
    /// Uses a refresh token atomically: only the first call gets it.
    async fn use_refresh(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<RefreshRedemption, StorageError>;
    /// The grant and client of a refresh token (used or not), for
    /// revocation.
    async fn refresh_owner(
        &self,
        token_hash: &str,
    ) -> Result<Option<(String, String)>, StorageError>;
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

/// A citizen's account (no identity in it: keyed by the identity hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRecord {
    /// Hex SHA-256 of the checked pivot identity.
    pub identity_hash: String,
    /// First connection.
    pub created_at: i64,
    /// Latest connection (the account expires three years after it).
    pub last_connection: i64,
    /// Set by an operator: the account cannot log in, and is told why.
    pub disabled_reason: Option<String>,
    /// The citizen's choices.
    pub preferences: Preferences,
}

/// How long an unused account lives (three years).
pub const ACCOUNT_TTL_SECS: i64 = 3 * 365 * 24 * 3600;

/// How long events are kept for operators (400 days; citizens see six
/// months).
pub const EVENT_RETENTION_SECS: i64 = 400 * 24 * 3600;

/// One recorded step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventRecord {
    /// Random public reference.
    pub reference: String,
    /// When (Unix seconds).
    pub at: i64,
    /// What.
    pub code: EventCode,
    /// The citizen, once identified.
    pub identity_hash: Option<String>,
    /// Ties the steps of one browser session together.
    pub session_ref: Option<String>,
    /// The service (or, for a data check, the service whose token it was).
    pub client_id: Option<String>,
    /// Its name at the time.
    pub client_name: Option<String>,
    /// The identity provider.
    pub fi_id: Option<String>,
    /// The level.
    pub acr: Option<Eidas>,
    /// Data concerned (consented, shared, checked).
    pub data: Vec<SharedDatum>,
    /// Free operator detail (never identity data).
    pub details: Option<String>,
}

/// What operators filter events on.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    /// Only this code.
    pub code: Option<EventCode>,
    /// Only this citizen.
    pub identity_hash: Option<String>,
    /// Only the event with this reference.
    pub reference: Option<String>,
    /// Only this client.
    pub client_id: Option<String>,
    /// From (inclusive).
    pub since: Option<i64>,
    /// Until (exclusive).
    pub until: Option<i64>,
    /// At most this many, newest first.
    pub limit: u32,
}

/// A device a citizen logged in from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceRecord {
    /// Random id, in the device cookie.
    pub device_id: String,
    /// The citizen.
    pub identity_hash: String,
    /// "Firefox sur Linux".
    pub label: String,
    /// First login.
    pub first_seen: i64,
    /// Latest login.
    pub last_seen: i64,
    /// Trusted (no alert) until then.
    pub trusted_until: Option<i64>,
}

/// A mail to send.
#[derive(Clone, PartialEq, Eq)]
pub struct NewMail {
    /// What it is (`connection_alert`, `preferences_changed`,
    /// `fraud_report`, `fraud_report_ack`).
    pub kind: String,
    /// The address (erased once sent).
    pub recipient: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

impl std::fmt::Debug for NewMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewMail")
            .field("kind", &self.kind)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// A queued mail.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboxRow {
    /// Queue id.
    pub id: i64,
    /// The mail.
    pub mail: NewMail,
    /// Failed attempts so far.
    pub attempts: i64,
    /// Queued at.
    pub created_at: i64,
}

impl std::fmt::Debug for OutboxRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxRow")
            .field("id", &self.id)
            .field("mail", &self.mail)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// Counts of the outbox, for operators and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct OutboxStats {
    /// Waiting (never sent, not given up).
    pub pending: i64,
    /// Sent.
    pub sent: i64,
    /// Given up.
    pub failed: i64,
}

/// A stored fraud report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FraudReportRecord {
    /// Public reference.
    pub reference: String,
    /// Received at.
    pub created_at: i64,
    /// The citizen, when known.
    pub identity_hash: Option<String>,
    /// The history entry concerned.
    pub event_reference: Option<String>,
    /// Where it came from: `confirmation`, `history`, `api`.
    pub source: String,
    /// Where support answers.
    pub contact_email: String,
    /// The citizen's words.
    pub message: String,
}

/// Account state, preferences and devices.
#[async_trait]
pub trait CitizenRepo: Send + Sync {
    /// One account.
    async fn account(&self, identity_hash: &str) -> Result<Option<AccountRecord>, StorageError>;
    /// Creates the account if needed and sets its last connection.
    async fn touch_account(
        &self,
        identity_hash: &str,
        now: i64,
    ) -> Result<AccountRecord, StorageError>;
    /// Replaces the preferences (the account must exist: `false` if not).
    async fn set_preferences(
        &self,
        identity_hash: &str,
        prefs: &Preferences,
    ) -> Result<bool, StorageError>;
    /// Disables (with a reason) or enables an account; `false` if unknown.
    async fn set_disabled(
        &self,
        identity_hash: &str,
        reason: Option<&str>,
    ) -> Result<bool, StorageError>;
    /// One device of a citizen.
    async fn device(
        &self,
        device_id: &str,
        identity_hash: &str,
    ) -> Result<Option<DeviceRecord>, StorageError>;
    /// Inserts or replaces a device.
    async fn put_device(&self, d: &DeviceRecord) -> Result<(), StorageError>;
    /// A citizen's devices, most recently seen first.
    async fn devices(&self, identity_hash: &str) -> Result<Vec<DeviceRecord>, StorageError>;
    /// Forgets one device of a citizen; `false` if unknown.
    async fn delete_device(
        &self,
        identity_hash: &str,
        device_id: &str,
    ) -> Result<bool, StorageError>;
    /// The citizens who logged in from a device.
    async fn device_identities(&self, device_id: &str) -> Result<Vec<String>, StorageError>;
}

/// The event log.
#[async_trait]
pub trait EventRepo: Send + Sync {
    /// Records an event.
    async fn record_event(&self, e: &EventRecord) -> Result<(), StorageError>;
    /// A citizen's events of the given codes since `since`, newest first.
    async fn citizen_events(
        &self,
        identity_hash: &str,
        codes: &[EventCode],
        since: i64,
        limit: u32,
    ) -> Result<Vec<EventRecord>, StorageError>;
    /// Events for operators, newest first.
    async fn events(&self, filter: &EventFilter) -> Result<Vec<EventRecord>, StorageError>;
}

/// The durable e-mail outbox.
#[async_trait]
pub trait OutboxRepo: Send + Sync {
    /// Queues a mail, due at once; returns its id.
    async fn enqueue_mail(&self, mail: &NewMail, now: i64) -> Result<i64, StorageError>;
    /// Mails due at `now`, oldest first.
    async fn due_mails(&self, now: i64, limit: u32) -> Result<Vec<OutboxRow>, StorageError>;
    /// Marks a mail sent and erases its recipient and bodies.
    async fn mail_sent(&self, id: i64, now: i64) -> Result<(), StorageError>;
    /// Records a failed attempt and the time of the next one.
    async fn mail_retry(&self, id: i64, next_at: i64, error: &str) -> Result<(), StorageError>;
    /// Gives a mail up and erases its recipient and bodies.
    async fn mail_failed(&self, id: i64, now: i64, error: &str) -> Result<(), StorageError>;
    /// Counts.
    async fn outbox_stats(&self) -> Result<OutboxStats, StorageError>;
}

/// Fraud reports.
#[async_trait]
pub trait FraudRepo: Send + Sync {
    /// Stores a report.
    async fn put_report(&self, r: &FraudReportRecord) -> Result<(), StorageError>;
    /// The latest reports, newest first.
    async fn reports(&self, limit: u32) -> Result<Vec<FraudReportRecord>, StorageError>;
}

/// Everything the broker stores.
#[async_trait]
pub trait Storage:
    ClientRepo
    + SessionRepo
    + GrantRepo
    + AccountRepo
    + CitizenRepo
    + EventRepo
    + OutboxRepo
    + FraudRepo
{
    /// Deletes expired sessions, codes, tokens and assertion ids, accounts
    /// unused for three years (with their subs, devices and events), and
    /// events past their retention.
    async fn purge_expired(&self, now: i64) -> Result<u64, StorageError>;
}
