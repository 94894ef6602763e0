//! Why a deep link is refused.

use crate::oauth::OAuthError;

use super::MAX_LINK_LEN;

/// Why a deep link is refused. The English text (`Display`) is for logs and
/// developers; [`DeepLinkError::message_fr`] is what the citizen sees.
///
/// Names taken from the link are shortened and printed with escapes, so an
/// error never carries control characters into a log.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeepLinkError {
    /// The link is longer than [`MAX_LINK_LEN`] bytes.
    #[error("the link is longer than {MAX_LINK_LEN} bytes")]
    TooLong,
    /// The link holds a space, a control character or a non-ASCII
    /// character (a link is percent-encoded printable ASCII).
    #[error("the link holds a space, a control character or a non-ASCII character")]
    InvalidCharacter,
    /// The link is not an absolute URL.
    #[error("the link is not an absolute URL")]
    NotAUrl,
    /// The scheme is neither `pivot` nor `https` (or `http` on loopback).
    #[error("the scheme {0:?} is not accepted")]
    UnsupportedScheme(String),
    /// A `pivot://` link whose host is neither `authorize` nor `callback`.
    #[error("`pivot://` links go to `authorize` or `callback`, not {0:?}")]
    UnknownTarget(String),
    /// The link has a user name or a password (`pivot://evil@authorize`).
    #[error("the link must not hold credentials")]
    UserInfo,
    /// A `pivot://` link with a port.
    #[error("a `pivot://` link must not have a port")]
    Port,
    /// The link has a fragment (`#…`), even an empty one.
    #[error("the link must not have a fragment")]
    Fragment,
    /// The path is not the expected one (empty or `/` for `pivot://`,
    /// `/api/v2/authorize` for an app link).
    #[error("unexpected path {0:?}")]
    UnexpectedPath(String),
    /// The link is not written the way the URL parser would write it: dot
    /// segments, backslashes, a default port, a percent-encoded host, a
    /// missing `//`… Each of these is refused rather than normalised.
    #[error("the link is not in canonical form")]
    NotCanonical,
    /// An `http(s)` link to an origin that is not in the allowed list.
    #[error("the origin {0:?} is not an allowed broker")]
    UntrustedOrigin(String),
    /// A plain `http` link (or `redirect_uri`, or `iss`) to a host that is
    /// not a loopback address.
    #[error("plain http is only accepted for loopback hosts, not {0:?}")]
    InsecureHttp(String),
    /// A `pivot://authorize` link, but no broker is configured to send it to.
    #[error("no allowed broker origin is configured")]
    NoBroker,
    /// A parameter this kind of link does not take.
    #[error("unknown parameter {0:?}")]
    UnknownParameter(String),
    /// A parameter given more than once.
    #[error("the parameter `{0}` is given more than once")]
    DuplicatedParameter(&'static str),
    /// A required parameter is absent.
    #[error("the parameter `{0}` is required")]
    MissingParameter(&'static str),
    /// A parameter with an empty value.
    #[error("the parameter `{0}` is empty")]
    EmptyValue(&'static str),
    /// A parameter whose decoded value holds a control character (e.g. an
    /// encoded newline `%0A`).
    #[error("the parameter `{0}` holds a control character")]
    ControlCharacter(&'static str),
    /// A parameter whose decoded value is not valid UTF-8.
    #[error("the parameter `{0}` is not valid UTF-8")]
    InvalidEncoding(&'static str),
    /// A parameter longer than its limit.
    #[error("the parameter `{name}` is longer than {max} bytes")]
    ValueTooLong {
        /// The parameter.
        name: &'static str,
        /// Its limit, in bytes.
        max: usize,
    },
    /// A parameter whose value has the wrong form (`state` or `code` outside
    /// printable ASCII, an `error` code with forbidden characters…).
    #[error("the parameter `{0}` has an invalid value")]
    InvalidValue(&'static str),
    /// `redirect_uri` is not an absolute `https` URL (or `http` on loopback)
    /// without fragment or credentials.
    #[error(
        "`redirect_uri` must be an absolute https URL (http only on loopback) without fragment"
    )]
    InvalidRedirectUri,
    /// The authorization request breaks a rule of the authorization endpoint
    /// (`response_type`, `scope`, `acr_values`, `prompt`, `claims`, PKCE…).
    #[error("invalid authorization request: {0}")]
    InvalidAuthorize(OAuthError),
    /// A callback with both a `code` and an `error`.
    #[error("the callback holds both `code` and `error`")]
    AmbiguousCallback,
    /// The callback's `iss` is not on an allowed broker origin.
    #[error("the issuer {0:?} is not an allowed broker")]
    UntrustedIssuer(String),
}

impl DeepLinkError {
    /// A short French sentence for the citizen.
    pub fn message_fr(&self) -> &'static str {
        use DeepLinkError as E;
        match self {
            E::TooLong => "Ce lien est trop long pour être un lien de connexion : il a été ignoré.",
            E::UnsupportedScheme(_)
            | E::UnknownTarget(_)
            | E::UntrustedOrigin(_)
            | E::InsecureHttp(_)
            | E::UntrustedIssuer(_) => {
                "Ce lien ne vient pas d'un service reconnu : il a été ignoré."
            }
            E::InvalidCharacter
            | E::NotAUrl
            | E::UserInfo
            | E::Port
            | E::Fragment
            | E::UnexpectedPath(_)
            | E::NotCanonical => "Ce lien de connexion est mal formé : il a été ignoré.",
            E::NoBroker => {
                "Aucun service d'identification n'est configuré dans l'application : \
                 le lien a été ignoré."
            }
            E::UnknownParameter(_) | E::DuplicatedParameter(_) => {
                "Ce lien de connexion contient des paramètres inattendus : il a été ignoré."
            }
            E::MissingParameter(_)
            | E::EmptyValue(_)
            | E::ControlCharacter(_)
            | E::InvalidEncoding(_)
            | E::ValueTooLong { .. }
            | E::InvalidValue(_)
            | E::AmbiguousCallback => {
                "Ce lien de connexion est incomplet ou contient des valeurs invalides : \
                 il a été ignoré."
            }
            E::InvalidRedirectUri => {
                "L'adresse de retour du service indiquée dans ce lien n'est pas valide : \
                 il a été ignoré."
            }
            E::InvalidAuthorize(_) => {
                "La demande de connexion transmise par ce lien n'est pas valide : \
                 elle a été ignorée."
            }
        }
    }
}

/// A name taken from the link, shortened for an error message.
pub(super) fn shown(name: &str) -> String {
    const MAX: usize = 64;
    match name.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &name[..end]),
        None => name.to_owned(),
    }
}
