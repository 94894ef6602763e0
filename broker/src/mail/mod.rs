//! Outgoing e-mail: connection alerts, preference changes and fraud reports.
//!
//! Mails are never sent from a request handler. A handler composes the mail
//! ([`compose`]) and queues it in the durable outbox ([`Outbox::queue`]); a
//! single background worker ([`Outbox::spawn`]) sends what is due through a
//! [`MailTransport`] (SMTP in production, [`SmtpTransport`]), retries with an
//! exponential back-off and gives up after a configured delay. A login thus
//! never waits for an SMTP server, and a mail survives a restart.
//!
//! Recipients and bodies are personal data: they are never logged, and the
//! storage erases them once a mail is sent or given up.

pub mod compose;
pub mod outbox;
pub mod transport;

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

pub use compose::{AlertFacts, ConnectionSummary, PreferencesFacts, ReportFacts};
pub use outbox::Outbox;
pub use transport::{MailTransport, SmtpTransport};

/// How mails are sent.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    /// The SMTP server, in lettre's URL syntax: `smtp://127.0.0.1:2525`
    /// (plain, for a local relay or tests), `smtp://host:587?tls=required`
    /// (STARTTLS), `smtp://host?tls=opportunistic` or `smtps://host:465`
    /// (implicit TLS). Put credentials in [`Self::smtp_user`] and
    /// [`Self::smtp_password`], not in the URL.
    pub smtp_url: String,
    /// The sender, e.g.
    /// `FranceConnect <ne-pas-repondre@franceconnect.example>`.
    pub from: String,
    /// Where fraud reports are sent.
    pub support_address: String,
    /// SMTP user name, when the server requires authentication.
    #[serde(default)]
    pub smtp_user: Option<String>,
    /// SMTP password (never logged).
    #[serde(default)]
    pub smtp_password: Option<Secret>,
    /// File holding the SMTP password (instead of `smtp_password`).
    #[serde(default)]
    pub smtp_password_file: Option<std::path::PathBuf>,
    /// First retry delay after a failure, in seconds; doubled at each
    /// further failure.
    #[serde(default = "default_retry_base_secs")]
    pub retry_base_secs: i64,
    /// Longest delay between two attempts, in seconds.
    #[serde(default = "default_retry_max_secs")]
    pub retry_max_secs: i64,
    /// A mail still failing this long after it was queued is given up.
    #[serde(default = "default_give_up_after_secs")]
    pub give_up_after_secs: i64,
    /// Timeout of each SMTP exchange, in seconds.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_retry_base_secs() -> i64 {
    30
}

fn default_retry_max_secs() -> i64 {
    3600
}

fn default_give_up_after_secs() -> i64 {
    48 * 3600
}

fn default_timeout_secs() -> u64 {
    10
}

impl MailConfig {
    /// A configuration with the default delays.
    #[must_use]
    pub fn new(
        smtp_url: impl Into<String>,
        from: impl Into<String>,
        support_address: impl Into<String>,
    ) -> Self {
        Self {
            smtp_url: smtp_url.into(),
            from: from.into(),
            support_address: support_address.into(),
            smtp_user: None,
            smtp_password: None,
            smtp_password_file: None,
            retry_base_secs: default_retry_base_secs(),
            retry_max_secs: default_retry_max_secs(),
            give_up_after_secs: default_give_up_after_secs(),
            timeout_secs: default_timeout_secs(),
        }
    }

    /// The SMTP URL with any password it carries replaced.
    #[must_use]
    pub fn redacted_url(&self) -> String {
        match url::Url::parse(&self.smtp_url) {
            Ok(mut u) => {
                if u.password().is_some() {
                    // Only fails for URLs that cannot hold a password.
                    let _ = u.set_password(Some("redacted"));
                }
                u.to_string()
            }
            Err(_) => "[invalid url]".to_owned(),
        }
    }
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailConfig")
            .field("smtp_url", &self.redacted_url())
            .field("from", &self.from)
            .field("support_address", &self.support_address)
            .field("smtp_user", &self.smtp_user)
            .field("smtp_password", &self.smtp_password)
            .field("smtp_password_file", &self.smtp_password_file)
            .field("retry_base_secs", &self.retry_base_secs)
            .field("retry_max_secs", &self.retry_max_secs)
            .field("give_up_after_secs", &self.give_up_after_secs)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

/// Why a mail could not be built or sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailError {
    /// The SMTP configuration is unusable (bad URL, TLS set-up).
    #[error("mail configuration: {0}")]
    Config(String),
    /// The sender or recipient address does not parse.
    #[error("invalid address: {0}")]
    Address(#[from] lettre::address::AddressError),
    /// The message could not be built.
    #[error("message: {0}")]
    Message(#[from] lettre::error::Error),
    /// The SMTP exchange failed (connection, timeout, refusal).
    #[error("smtp: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    /// Another transport failed (fakes, future transports).
    #[error("transport: {0}")]
    Other(String),
}

impl MailError {
    /// Whether retrying the same mail can never succeed (the mail itself
    /// is malformed). SMTP refusals are retried: a 5xx may come from a
    /// configuration error that an operator will fix.
    #[must_use]
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Address(_) | Self::Message(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_defaults_and_redaction() {
        let cfg: MailConfig = toml::from_str(
            r#"
            smtp_url = "smtp://user:hunter2@mail.example:587?tls=required"
            from = "FranceConnect <ne-pas-repondre@franceconnect.example>"
            support_address = "support@franceconnect.example"
            smtp_password = "s3cret-pass"
            "#,
        )
        .unwrap();
        assert_eq!(cfg.retry_base_secs, 30);
        assert_eq!(cfg.retry_max_secs, 3600);
        assert_eq!(cfg.give_up_after_secs, 48 * 3600);
        assert_eq!(cfg.timeout_secs, 10);
        let dbg = format!("{cfg:?}");
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(!dbg.contains("s3cret-pass"), "{dbg}");
        assert!(dbg.contains("mail.example"));
    }

    #[test]
    fn config_rejects_unknown_fields() {
        let r: Result<MailConfig, _> = toml::from_str(
            r#"
            smtp_url = "smtp://127.0.0.1:2525"
            from = "a@b.example"
            support_address = "c@d.example"
            retry_secs = 3
            "#,
        );
        assert!(r.is_err());
    }
}
