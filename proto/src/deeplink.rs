//! Deep links the citizen app accepts, and nothing else.
//!
//! Three forms are accepted:
//!
//! 1. `pivot://authorize?<authorization request>[&iss=<issuer>]`: a service
//!    starts a login through the app on a desktop (custom scheme). With
//!    `iss` — the broker's issuer identifier, as in OpenID Connect's login
//!    initiated by a third party (Core §4) — it goes to that broker, whose
//!    origin must be one of the allowed origins (a broker's chooser always
//!    names itself, so that a FranceConnect+ login reaches FranceConnect+);
//!    without, to the app's home broker, the first valid allowed origin.
//! 2. `https://<broker>/api/v2/authorize?<authorization request>`: the same
//!    on mobile (app link), where `<broker>` is one of the allowed origins.
//!    Plain `http` is accepted only for a loopback IP address (the sandbox).
//! 3. `pivot://callback?code=…&state=…&iss=…` or
//!    `pivot://callback?error=…&error_description=…&state=…&iss=…`: the
//!    broker's answer to the app's own sign-in (RFC 8252 §7.1 custom-scheme
//!    redirect; `iss` per RFC 9207).
//!
//! Everything else is refused with a [`DeepLinkError`], whose
//! [`message_fr`](DeepLinkError::message_fr) can be shown as is. The link
//! must be percent-encoded printable ASCII of at most [`MAX_LINK_LEN`] bytes,
//! written in the canonical form the URL parser would give it (no dot
//! segments, backslashes, default ports…), without credentials or fragment.
//! Only known parameters are accepted, each once, non-empty, decoded exactly
//! once, without control characters and within a length limit. The
//! authorization request then goes through the same checks as on the broker
//! ([`AuthorizeParams::validate`]), under the loosest platform rules: the
//! broker applies its own when the request reaches it.

mod error;
mod query;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use url::{Host, Position, Url, form_urlencoded};

pub use error::DeepLinkError;
pub use query::CODE_MAX_LEN;

use crate::eidas::Eidas;
use crate::oauth::{AUTHORIZE_PARAMS, AuthorizeParamError, AuthorizeParams, AuthorizeRules, pkce};
use crate::oauth::{authorize::is_printable_ascii, redirect::is_valid_redirect_uri};
use error::shown;
use query::parse_query;

/// Maximum length of a deep link, in bytes.
pub const MAX_LINK_LEN: usize = 8 * 1024;

/// The app's custom URL scheme.
pub const SCHEME: &str = "pivot";

/// The host of `pivot://authorize` links.
pub const AUTHORIZE_HOST: &str = "authorize";

/// The host of `pivot://callback` links.
pub const CALLBACK_HOST: &str = "callback";

/// The path of app links on a broker origin.
pub const AUTHORIZE_PATH: &str = "/api/v2/authorize";

/// The app's own sign-in redirect URI.
pub const CALLBACK_URI: &str = "pivot://callback";

/// Every parameter a `pivot://callback` link may carry.
pub const CALLBACK_PARAMS: &[&str] = &["code", "state", "iss", "error", "error_description"];

/// Every parameter a `pivot://authorize` link may carry: the authorization
/// request's ([`AUTHORIZE_PARAMS`]) and `iss`, the broker to send it to.
pub const CUSTOM_AUTHORIZE_PARAMS: &[&str] = &[
    "client_id",
    "response_type",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "acr_values",
    "prompt",
    "claims",
    "idp_hint",
    "ui_locales",
    "code_challenge",
    "code_challenge_method",
    "iss",
];

/// A link the app accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeepLink {
    /// A service asks to start a login (forms 1 and 2).
    Authorize(Box<AppAuthorize>),
    /// The broker answers the app's own sign-in (form 3).
    Callback(AppCallback),
}

/// A validated authorization request received by deep link, with its
/// parameters as sent (empty optional parameters are absent).
/// `response_type` is always `code` and, with a `code_challenge`,
/// `code_challenge_method` is always `S256`; neither is stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppAuthorize {
    /// The broker to send the request to: an origin URL (`https://host/`).
    pub broker_origin: Url,
    /// `client_id`: which service asks.
    pub client_id: String,
    /// `redirect_uri`: an absolute `https` URL (`http` on loopback).
    pub redirect_uri: String,
    /// `scope`; contains `openid`.
    pub scope: String,
    /// `state`.
    pub state: String,
    /// `nonce`.
    pub nonce: String,
    /// `acr_values`.
    pub acr_values: Option<String>,
    /// `prompt`.
    pub prompt: Option<String>,
    /// `claims` (JSON).
    pub claims: Option<String>,
    /// `idp_hint`.
    pub idp_hint: Option<String>,
    /// `ui_locales`.
    pub ui_locales: Option<String>,
    /// `code_challenge` (`S256`).
    pub code_challenge: Option<String>,
}

/// The broker's answer to the app's own sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppCallback {
    /// Success: an authorization code.
    Code {
        /// `code`.
        code: String,
        /// `state`, to match against the pending sign-in.
        state: String,
        /// `iss`: the broker's issuer, on an allowed origin.
        iss: String,
    },
    /// Failure: an OAuth error code.
    Error {
        /// `error` (RFC 6749 §4.1.2.1 characters).
        error: String,
        /// `error_description`, in English.
        description: Option<String>,
        /// `state`, to match against the pending sign-in.
        state: String,
        /// `iss`, on an allowed origin, when the broker sent it.
        iss: Option<String>,
    },
}

impl AppAuthorize {
    /// The request as query parameters, in the order of
    /// [`AUTHORIZE_PARAMS`], with `response_type=code` and, with a challenge,
    /// `code_challenge_method=S256`.
    pub fn to_pairs(&self) -> Vec<(&'static str, &str)> {
        [
            Some(("client_id", self.client_id.as_str())),
            Some(("response_type", "code")),
            Some(("redirect_uri", self.redirect_uri.as_str())),
            Some(("scope", self.scope.as_str())),
            Some(("state", self.state.as_str())),
            Some(("nonce", self.nonce.as_str())),
            optional("acr_values", &self.acr_values),
            optional("prompt", &self.prompt),
            optional("claims", &self.claims),
            optional("idp_hint", &self.idp_hint),
            optional("ui_locales", &self.ui_locales),
            optional("code_challenge", &self.code_challenge),
            self.code_challenge
                .as_ref()
                .map(|_| ("code_challenge_method", pkce::S256)),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The URL to open in the browser: the broker's authorization endpoint
    /// with the request.
    pub fn authorize_url(&self) -> Url {
        let mut url = self.broker_origin.clone();
        url.set_path(AUTHORIZE_PATH);
        url.set_query(None);
        url.set_fragment(None);
        url.query_pairs_mut().extend_pairs(self.to_pairs());
        url
    }

    /// The request as a `pivot://authorize` link.
    pub fn to_custom_link(&self) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.to_pairs())
            .finish();
        format!("{SCHEME}://{AUTHORIZE_HOST}?{query}")
    }
}

/// `(name, value)` when the value is present.
fn optional<'a>(name: &'static str, value: &'a Option<String>) -> Option<(&'static str, &'a str)> {
    value.as_deref().map(|v| (name, v))
}

/// Parses and validates a deep link. `allowed_origins` are the brokers the
/// app trusts (e.g. `https://fc.example.gouv.fr`); the first one that is an
/// `https` origin, or `http` on a loopback IP address, is the home broker
/// where `pivot://authorize` requests without `iss` go. Invalid entries
/// never match.
pub fn parse(link: &str, allowed_origins: &[Url]) -> Result<DeepLink, DeepLinkError> {
    if link.len() > MAX_LINK_LEN {
        return Err(DeepLinkError::TooLong);
    }
    // The URL parser silently drops tabs and newlines and trims spaces and
    // control characters: refuse them before it sees the link.
    if !link.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(DeepLinkError::InvalidCharacter);
    }
    let url = Url::parse(link).map_err(|_| DeepLinkError::NotAUrl)?;
    let scheme = url.scheme();
    if !matches!(scheme, SCHEME | "https" | "http") {
        return Err(DeepLinkError::UnsupportedScheme(shown(scheme)));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(DeepLinkError::UserInfo);
    }
    if url.fragment().is_some() {
        return Err(DeepLinkError::Fragment);
    }
    let raw_base = link.find('?').map_or(link, |end| &link[..end]);
    if !raw_base.eq_ignore_ascii_case(&url[..Position::AfterPath]) {
        return Err(DeepLinkError::NotCanonical);
    }
    let query = url.query().unwrap_or("");
    if scheme != SCHEME {
        return app_link(&url, query, allowed_origins);
    }
    if url.port().is_some() {
        return Err(DeepLinkError::Port);
    }
    let host = url.host_str().unwrap_or("");
    if host != AUTHORIZE_HOST && host != CALLBACK_HOST {
        return Err(DeepLinkError::UnknownTarget(shown(host)));
    }
    if !matches!(url.path(), "" | "/") {
        return Err(DeepLinkError::UnexpectedPath(shown(url.path())));
    }
    if host == CALLBACK_HOST {
        return callback(query, allowed_origins).map(DeepLink::Callback);
    }
    let mut pairs = parse_query(query, CUSTOM_AUTHORIZE_PARAMS)?;
    let broker = match pairs.remove("iss") {
        Some(iss) => origin_url(&check_issuer(&iss, allowed_origins)?),
        None => allowed_origins
            .iter()
            .find(|origin| is_broker_origin(origin))
            .map(origin_url)
            .ok_or(DeepLinkError::NoBroker)?,
    };
    authorize(pairs, broker).map(|a| DeepLink::Authorize(Box::new(a)))
}

/// Form 2: `http(s)://<allowed origin>/api/v2/authorize?…`.
fn app_link(url: &Url, query: &str, allowed: &[Url]) -> Result<DeepLink, DeepLinkError> {
    check_transport(url)?;
    let origin = url.origin();
    if !allowed
        .iter()
        .any(|a| is_broker_origin(a) && a.origin() == origin)
    {
        return Err(DeepLinkError::UntrustedOrigin(shown(
            &origin.ascii_serialization(),
        )));
    }
    if url.path() != AUTHORIZE_PATH {
        return Err(DeepLinkError::UnexpectedPath(shown(url.path())));
    }
    let pairs = parse_query(query, AUTHORIZE_PARAMS)?;
    authorize(pairs, origin_url(url)).map(|a| DeepLink::Authorize(Box::new(a)))
}

/// The loosest platform rules: the app checks the form of the request, the
/// broker its own rules.
fn any_platform() -> AuthorizeRules {
    AuthorizeRules {
        nonce_min_len: 1,
        state_min_len: 1,
        allowed_acr: Eidas::ALL.to_vec(),
        acr_required: false,
        require_pkce: false,
    }
}

/// The authorization request of forms 1 and 2, from its parameters.
fn authorize(
    pairs: BTreeMap<&'static str, String>,
    broker_origin: Url,
) -> Result<AppAuthorize, DeepLinkError> {
    let params =
        AuthorizeParams::from_pairs(pairs.into_iter().map(|(name, v)| (name.to_owned(), v)));
    params.client_id().map_err(param_error)?;
    let redirect_uri = params.redirect_uri().map_err(param_error)?;
    // `is_valid_redirect_uri` (via `redirect_uri()`) accepts any http URL.
    let secure = Url::parse(redirect_uri).is_ok_and(|u| check_transport(&u).is_ok());
    if !secure {
        return Err(DeepLinkError::InvalidRedirectUri);
    }
    params
        .validate(&any_platform())
        .map_err(DeepLinkError::InvalidAuthorize)?;
    let required = |name, value: Option<String>| value.ok_or(DeepLinkError::MissingParameter(name));
    Ok(AppAuthorize {
        broker_origin,
        client_id: required("client_id", params.client_id)?,
        redirect_uri: required("redirect_uri", params.redirect_uri)?,
        scope: required("scope", params.scope)?,
        state: required("state", params.state)?,
        nonce: required("nonce", params.nonce)?,
        acr_values: params.acr_values,
        prompt: params.prompt,
        claims: params.claims,
        idp_hint: params.idp_hint,
        ui_locales: params.ui_locales,
        code_challenge: params.code_challenge,
    })
}

fn param_error(e: AuthorizeParamError) -> DeepLinkError {
    match e {
        AuthorizeParamError::Missing(name) => DeepLinkError::MissingParameter(name),
        AuthorizeParamError::Duplicated(name) => DeepLinkError::DuplicatedParameter(name),
        AuthorizeParamError::InvalidRedirectUri => DeepLinkError::InvalidRedirectUri,
    }
}

/// Form 3: `pivot://callback?…`.
fn callback(query: &str, allowed: &[Url]) -> Result<AppCallback, DeepLinkError> {
    let mut params = parse_query(query, CALLBACK_PARAMS)?;
    let code = params.remove("code");
    let error = params.remove("error");
    let description = params.remove("error_description");
    if code.is_some() && (error.is_some() || description.is_some()) {
        return Err(DeepLinkError::AmbiguousCallback);
    }
    let state = params
        .remove("state")
        .ok_or(DeepLinkError::MissingParameter("state"))?;
    if !is_printable_ascii(&state) {
        return Err(DeepLinkError::InvalidValue("state"));
    }
    let iss = params.remove("iss");
    if let Some(iss) = &iss {
        check_issuer(iss, allowed)?;
    }
    match (code, error) {
        (Some(code), _) => {
            if !is_printable_ascii(&code) {
                return Err(DeepLinkError::InvalidValue("code"));
            }
            let iss = iss.ok_or(DeepLinkError::MissingParameter("iss"))?;
            Ok(AppCallback::Code { code, state, iss })
        }
        (None, Some(error)) => {
            if !is_error_code(&error) {
                return Err(DeepLinkError::InvalidValue("error"));
            }
            Ok(AppCallback::Error {
                error,
                description,
                state,
                iss,
            })
        }
        (None, None) => Err(DeepLinkError::MissingParameter("code")),
    }
}

/// RFC 6749 §4.1.2.1: `error` is `%x20-21 / %x23-5B / %x5D-7E`.
fn is_error_code(error: &str) -> bool {
    is_printable_ascii(error) && !error.contains(['"', '\\'])
}

/// `iss`: an issuer URL (no query, fragment or credentials) on an allowed
/// broker origin; that URL.
fn check_issuer(iss: &str, allowed: &[Url]) -> Result<Url, DeepLinkError> {
    let url = Url::parse(iss)
        .ok()
        .filter(|u| is_valid_redirect_uri(iss) && u.query().is_none())
        .ok_or(DeepLinkError::InvalidValue("iss"))?;
    check_transport(&url)?;
    let origin = url.origin();
    if allowed
        .iter()
        .any(|a| is_broker_origin(a) && a.origin() == origin)
    {
        Ok(url)
    } else {
        Err(DeepLinkError::UntrustedIssuer(shown(iss)))
    }
}

/// `https`, or `http` to a loopback IP address.
fn check_transport(url: &Url) -> Result<(), DeepLinkError> {
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(DeepLinkError::InsecureHttp(shown(
            url.host_str().unwrap_or(""),
        ))),
        other => Err(DeepLinkError::UnsupportedScheme(shown(other))),
    }
}

/// A loopback IP address (`127.0.0.0/8`, `::1`). `localhost` is a name that
/// may resolve elsewhere (RFC 8252 §8.3), so it does not count.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    }
}

/// Whether an allowed origin can be used at all.
fn is_broker_origin(url: &Url) -> bool {
    check_transport(url).is_ok()
}

/// The origin of `url` as a URL (`https://host[:port]/`).
fn origin_url(url: &Url) -> Url {
    let mut origin = url.clone();
    // Both only fail for URLs without host, which `check_transport` refused.
    let _ = origin.set_username("");
    let _ = origin.set_password(None);
    origin.set_path("/");
    origin.set_query(None);
    origin.set_fragment(None);
    origin
}

#[cfg(test)]
mod tests;
