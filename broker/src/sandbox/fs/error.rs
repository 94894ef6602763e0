//! Errors of the demo service provider. They become HTTP responses in one
//! place only: [`super::pages::error_response`].

/// Why a request of the demo service provider failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FsError {
    /// The form's anti-CSRF token is missing or does not match the session.
    #[error("missing or invalid CSRF token")]
    Csrf,
    /// The `state` of a callback is unknown, expired or already used.
    #[error("unknown or expired state")]
    UnknownState,
    /// The authorization response's `iss` is missing or is not the broker's
    /// issuer (RFC 9207 mix-up defence).
    #[error("authorization response issuer mismatch: {0:?}")]
    IssuerMismatch(Option<String>),
    /// The authorization response has neither `code` nor `error`.
    #[error("authorization response without code")]
    MissingCode,
    /// The broker's discovery document or keys could not be fetched.
    #[error("broker unreachable: {0}")]
    BrokerUnreachable(String),
    /// The broker's metadata lacks an endpoint this service needs.
    #[error("broker metadata lacks {0}")]
    MissingEndpoint(&'static str),
    /// The code could not be exchanged for tokens.
    #[error("token exchange failed: {0}")]
    TokenExchange(String),
    /// The ID token is missing or does not verify.
    #[error("invalid ID token: {0}")]
    IdToken(String),
    /// The userinfo response is missing, malformed or for another subject.
    #[error("invalid userinfo: {0}")]
    UserInfo(String),
    /// This service encrypts (high platform) and an ID token or userinfo
    /// response was not encrypted, or not to this service's key.
    #[error("cannot decrypt: {0}")]
    Decryption(String),
    /// This service's decryption key could not be generated or used.
    #[error("decryption key: {0}")]
    Key(String),
    /// The `state` returned after logout is not the one this session sent.
    #[error("unknown logout state")]
    UnknownLogoutState,
    /// A page could not be rendered (a programming error).
    #[error(transparent)]
    Template(#[from] crate::web::templates::TemplateError),
}

impl FsError {
    /// A stable code for pages and tests (`data-error` attribute).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Csrf => "csrf",
            Self::UnknownState => "unknown_state",
            Self::IssuerMismatch(_) => "issuer_mismatch",
            Self::MissingCode => "missing_code",
            Self::BrokerUnreachable(_) => "broker_unreachable",
            Self::MissingEndpoint(_) => "missing_endpoint",
            Self::TokenExchange(_) => "token_exchange",
            Self::IdToken(_) => "invalid_id_token",
            Self::UserInfo(_) => "invalid_userinfo",
            Self::Decryption(_) => "decryption_failed",
            Self::Key(_) => "key_unavailable",
            Self::UnknownLogoutState => "unknown_logout_state",
            Self::Template(_) => "internal",
        }
    }
}
