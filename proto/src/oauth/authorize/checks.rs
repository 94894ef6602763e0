//! Checks of single authorization request parameters.

use crate::eidas::AcrError;
use crate::oauth::error::{OAuthError, OAuthErrorCode};

/// Maximum length of `state` and `nonce`.
pub const STATE_NONCE_MAX_LEN: usize = 512;

/// Maximum length of `idp_hint` and `ui_locales`.
pub const HINT_MAX_LEN: usize = 256;

/// `invalid_request` for a missing parameter.
pub(super) fn missing(name: &str) -> OAuthError {
    OAuthError::invalid_request(format!("the parameter `{name}` is required"))
}

/// Whether every byte is printable ASCII (`%x20-7E`, RFC 6749 VSCHAR).
pub(crate) fn is_printable_ascii(s: &str) -> bool {
    s.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// `state` / `nonce`: required, `min_len` to 512 printable ASCII characters.
pub(super) fn check_token(
    name: &str,
    value: Option<&str>,
    min_len: usize,
) -> Result<String, OAuthError> {
    let value = value.ok_or_else(|| missing(name))?;
    if !is_printable_ascii(value) {
        return Err(OAuthError::invalid_request(format!(
            "{name} must only contain printable ASCII characters"
        )));
    }
    if value.len() < min_len || value.len() > STATE_NONCE_MAX_LEN {
        return Err(OAuthError::invalid_request(format!(
            "{name} must be {min_len} to {STATE_NONCE_MAX_LEN} characters long"
        )));
    }
    Ok(value.to_owned())
}

/// `idp_hint` / `ui_locales`: optional, up to 256 printable ASCII characters.
pub(super) fn check_hint(name: &str, value: Option<&str>) -> Result<Option<String>, OAuthError> {
    match value {
        Some(v) if v.len() > HINT_MAX_LEN || !is_printable_ascii(v) => {
            Err(OAuthError::invalid_request(format!(
                "{name} must be at most {HINT_MAX_LEN} printable ASCII characters"
            )))
        }
        other => Ok(other.map(str::to_owned)),
    }
}

/// The OAuth error for an `acr_values` that cannot be served.
pub(super) fn acr_error(e: AcrError) -> OAuthError {
    match e {
        AcrError::NotAllowed(level) => OAuthError::new(
            OAuthErrorCode::InvalidAcr,
            format!("acr_values: `{level}` is not supported on this platform"),
        ),
        AcrError::Unknown => OAuthError::new(
            OAuthErrorCode::InvalidAcr,
            "acr_values holds no known value (eidas1, eidas2, eidas3)",
        ),
        AcrError::NoneAllowed => OAuthError::new(
            OAuthErrorCode::ServerError,
            "no acr value is configured on this platform",
        ),
    }
}

/// `prompt`: a space-separated subset of `login` and `consent`.
pub(super) fn parse_prompt(prompt: Option<&str>) -> Result<(bool, bool), OAuthError> {
    let (mut login, mut consent) = (false, false);
    for value in prompt.unwrap_or("").split_ascii_whitespace() {
        match value {
            "login" => login = true,
            "consent" => consent = true,
            other => {
                return Err(OAuthError::invalid_request(format!(
                    "prompt `{other}` is not supported; only `login` and `consent` are"
                )));
            }
        }
    }
    Ok((login, consent))
}
