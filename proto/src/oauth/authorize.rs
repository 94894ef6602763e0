//! The authorization request (`/authorize`): raw parameters, the rules of a
//! platform, and their validation into an [`AuthorizeRequest`].
//!
//! The broker first checks [`AuthorizeParams::client_id`] and
//! [`AuthorizeParams::redirect_uri`] and shows an error page when they fail
//! (an unverified redirect URI is never used). Only then does it call
//! [`AuthorizeParams::validate`], whose errors go back to the service.

mod checks;
mod request;

pub(crate) use checks::is_printable_ascii;
pub use checks::{HINT_MAX_LEN, STATE_NONCE_MAX_LEN};
pub use request::{AuthorizeRequest, AuthorizeRules};

use super::claims_request::ClaimsRequest;
use super::error::{OAuthError, OAuthErrorCode};
use super::pkce;
use crate::eidas::select_acr;
use crate::scope::ScopeSet;
use checks::{acr_error, check_hint, check_token, missing, parse_prompt};

use crate::oauth::redirect::is_valid_redirect_uri;

/// Every parameter the authorization endpoint accepts.
pub const AUTHORIZE_PARAMS: &[&str] = &[
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
];

/// Raw authorization request parameters, as received. Empty values count as
/// absent; unknown and repeated parameter names are recorded, not rejected.
#[derive(Clone, Debug, Default)]
pub struct AuthorizeParams {
    /// `client_id`.
    pub client_id: Option<String>,
    /// `response_type`.
    pub response_type: Option<String>,
    /// `redirect_uri`.
    pub redirect_uri: Option<String>,
    /// `scope`.
    pub scope: Option<String>,
    /// `state`.
    pub state: Option<String>,
    /// `nonce`.
    pub nonce: Option<String>,
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
    /// `code_challenge`.
    pub code_challenge: Option<String>,
    /// `code_challenge_method`.
    pub code_challenge_method: Option<String>,
    /// Names of unknown parameters, in order of first appearance.
    pub unknown: Vec<String>,
    /// Names of parameters given more than once with a non-empty value.
    pub duplicated: Vec<String>,
}

/// Why `client_id` or `redirect_uri` cannot be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorizeParamError {
    /// The parameter is absent or empty.
    #[error("the parameter `{0}` is required")]
    Missing(&'static str),
    /// The parameter is given more than once.
    #[error("the parameter `{0}` is given more than once")]
    Duplicated(&'static str),
    /// `redirect_uri` is not an absolute http(s) URL without fragment.
    #[error("the parameter `redirect_uri` must be an absolute http(s) URL without fragment")]
    InvalidRedirectUri,
}

impl AuthorizeParamError {
    /// A short French sentence for the error page.
    pub fn message_fr(&self) -> &'static str {
        match self {
            AuthorizeParamError::Missing("client_id") => {
                "Le service n'a pas indiqué son identifiant (client_id)."
            }
            AuthorizeParamError::Missing(_) => {
                "Le service n'a pas indiqué son adresse de retour (redirect_uri)."
            }
            AuthorizeParamError::Duplicated(_) => {
                "La demande du service contient un paramètre en double."
            }
            AuthorizeParamError::InvalidRedirectUri => {
                "L'adresse de retour (redirect_uri) indiquée par le service n'est pas valide."
            }
        }
    }
}

impl From<AuthorizeParamError> for OAuthError {
    fn from(e: AuthorizeParamError) -> OAuthError {
        OAuthError::invalid_request(e.to_string())
    }
}
impl AuthorizeParams {
    /// Collects query or form pairs. Never fails: unknown and repeated names
    /// are recorded for [`AuthorizeParams::validate`]; empty values are
    /// ignored. The first non-empty value of a repeated parameter is kept.
    pub fn from_pairs<I: IntoIterator<Item = (String, String)>>(pairs: I) -> AuthorizeParams {
        let mut params = AuthorizeParams::default();
        for (name, value) in pairs {
            let Some(slot) = params.slot(&name) else {
                if !params.unknown.contains(&name) {
                    params.unknown.push(name);
                }
                continue;
            };
            if value.is_empty() {
                continue;
            }
            if slot.is_some() {
                if !params.duplicated.contains(&name) {
                    params.duplicated.push(name);
                }
            } else {
                *slot = Some(value);
            }
        }
        params
    }

    /// The field of a known parameter.
    fn slot(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "client_id" => &mut self.client_id,
            "response_type" => &mut self.response_type,
            "redirect_uri" => &mut self.redirect_uri,
            "scope" => &mut self.scope,
            "state" => &mut self.state,
            "nonce" => &mut self.nonce,
            "acr_values" => &mut self.acr_values,
            "prompt" => &mut self.prompt,
            "claims" => &mut self.claims,
            "idp_hint" => &mut self.idp_hint,
            "ui_locales" => &mut self.ui_locales,
            "code_challenge" => &mut self.code_challenge,
            "code_challenge_method" => &mut self.code_challenge_method,
            _ => return None,
        })
    }

    /// A required parameter that must not be repeated.
    fn single<'a>(
        &self,
        name: &'static str,
        value: &'a Option<String>,
    ) -> Result<&'a str, AuthorizeParamError> {
        if self.duplicated.iter().any(|d| d == name) {
            return Err(AuthorizeParamError::Duplicated(name));
        }
        value.as_deref().ok_or(AuthorizeParamError::Missing(name))
    }

    /// `client_id`: present and not repeated.
    pub fn client_id(&self) -> Result<&str, AuthorizeParamError> {
        self.single("client_id", &self.client_id)
    }

    /// `redirect_uri`: present, not repeated, an absolute `http` or `https`
    /// URL or a native app's private-use scheme URL, without fragment,
    /// credentials, whitespace or control characters.
    pub fn redirect_uri(&self) -> Result<&str, AuthorizeParamError> {
        let uri = self.single("redirect_uri", &self.redirect_uri)?;
        if is_valid_redirect_uri(uri) {
            Ok(uri)
        } else {
            Err(AuthorizeParamError::InvalidRedirectUri)
        }
    }

    /// Validates the whole request against the platform's rules.
    pub fn validate(&self, rules: &AuthorizeRules) -> Result<AuthorizeRequest, OAuthError> {
        let client_id = self.client_id()?.to_owned();
        let redirect_uri = self.redirect_uri()?.to_owned();
        self.check_unknown_and_duplicated()?;

        match self.response_type.as_deref() {
            None => return Err(missing("response_type")),
            Some("code") => {}
            Some(other) => {
                return Err(OAuthError::new(
                    OAuthErrorCode::UnsupportedResponseType,
                    format!("response_type `{other}` is not supported; only `code` is"),
                ));
            }
        }

        let scope = ScopeSet::parse(self.scope.as_deref().unwrap_or(""));
        if !scope.contains("openid") {
            return Err(OAuthError::new(
                OAuthErrorCode::InvalidScope,
                "scope is required and must contain `openid`",
            ));
        }

        let state = check_token("state", self.state.as_deref(), rules.state_min_len)?;
        let nonce = check_token("nonce", self.nonce.as_deref(), rules.nonce_min_len)?;

        if rules.acr_required && self.acr_values.is_none() {
            return Err(missing("acr_values"));
        }
        let acr = select_acr(self.acr_values.as_deref(), &rules.allowed_acr).map_err(acr_error)?;

        let (prompt_login, prompt_consent) = parse_prompt(self.prompt.as_deref())?;

        let claims = match self.claims.as_deref() {
            Some(json) => ClaimsRequest::parse(json)
                .map_err(|e| OAuthError::invalid_request(e.to_string()))?,
            None => ClaimsRequest::default(),
        };

        let idp_hint = check_hint("idp_hint", self.idp_hint.as_deref())?;
        let ui_locales = check_hint("ui_locales", self.ui_locales.as_deref())?;
        let code_challenge = self.check_pkce(rules)?;

        Ok(AuthorizeRequest {
            client_id,
            redirect_uri,
            scope,
            state,
            nonce,
            acr,
            prompt_login,
            prompt_consent,
            claims,
            idp_hint,
            ui_locales,
            code_challenge,
        })
    }

    /// Unknown parameters, then repeated ones.
    fn check_unknown_and_duplicated(&self) -> Result<(), OAuthError> {
        if self.unknown.iter().any(|p| p == "request") {
            return Err(OAuthError::new(
                OAuthErrorCode::RequestNotSupported,
                "the `request` parameter is not supported",
            ));
        }
        if self.unknown.iter().any(|p| p == "request_uri") {
            return Err(OAuthError::new(
                OAuthErrorCode::RequestUriNotSupported,
                "the `request_uri` parameter is not supported",
            ));
        }
        if !self.unknown.is_empty() {
            return Err(OAuthError::invalid_request(format!(
                "unknown parameter(s): {}",
                self.unknown.join(", ")
            )));
        }
        if !self.duplicated.is_empty() {
            return Err(OAuthError::invalid_request(format!(
                "parameter(s) given more than once: {}",
                self.duplicated.join(", ")
            )));
        }
        Ok(())
    }

    /// `code_challenge` and `code_challenge_method` (`S256` only).
    fn check_pkce(&self, rules: &AuthorizeRules) -> Result<Option<String>, OAuthError> {
        match (
            self.code_challenge.as_deref(),
            self.code_challenge_method.as_deref(),
        ) {
            (None, None) if rules.require_pkce => Err(OAuthError::invalid_request(
                "code_challenge is required (PKCE with S256)",
            )),
            (None, None) => Ok(None),
            (None, Some(_)) => Err(OAuthError::invalid_request(
                "code_challenge_method is given without code_challenge",
            )),
            (Some(_), None) => Err(OAuthError::invalid_request(
                "code_challenge_method is required with code_challenge; only `S256` is supported",
            )),
            (Some(_), Some(method)) if method != pkce::S256 => Err(OAuthError::invalid_request(
                format!("code_challenge_method `{method}` is not supported; only `S256` is"),
            )),
            (Some(challenge), Some(_)) if !pkce::is_valid_challenge(challenge) => {
                Err(OAuthError::invalid_request(
                    "code_challenge must be 43 characters of unpadded base64url (S256)",
                ))
            }
            (Some(challenge), Some(_)) => Ok(Some(challenge.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests;
