//! The query of a deep link: known names only, each at most once, decoded
//! exactly once, non-empty values within their length limit and without
//! control characters.

use std::collections::BTreeMap;

use url::form_urlencoded;

use super::error::{DeepLinkError, shown};
use crate::oauth::authorize::{HINT_MAX_LEN, STATE_NONCE_MAX_LEN};

/// Maximum length of a callback's `code`.
pub const CODE_MAX_LEN: usize = 1024;

/// Length limit of each parameter a deep link may carry, in bytes of the
/// decoded value.
fn max_len(name: &str) -> usize {
    match name {
        "state" | "nonce" => STATE_NONCE_MAX_LEN,
        "idp_hint" | "ui_locales" | "acr_values" | "client_id" => HINT_MAX_LEN,
        "code" => CODE_MAX_LEN,
        "response_type" | "code_challenge_method" | "prompt" | "code_challenge" | "error" => 64,
        "scope" | "error_description" => 1024,
        "redirect_uri" | "iss" => 2048,
        // `claims` and anything else: the link limit bounds it.
        _ => 4096,
    }
}

/// The parameters of `query`, keyed by their (static) name. `known` lists
/// the accepted names.
pub(super) fn parse_query(
    query: &str,
    known: &'static [&'static str],
) -> Result<BTreeMap<&'static str, String>, DeepLinkError> {
    let mut params = BTreeMap::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let Some(name) = known.iter().copied().find(|k| *k == name) else {
            return Err(DeepLinkError::UnknownParameter(shown(&name)));
        };
        if params.contains_key(name) {
            return Err(DeepLinkError::DuplicatedParameter(name));
        }
        if value.is_empty() {
            return Err(DeepLinkError::EmptyValue(name));
        }
        // Decoding is lossy: invalid UTF-8 shows up as U+FFFD.
        if value.contains(char::REPLACEMENT_CHARACTER) {
            return Err(DeepLinkError::InvalidEncoding(name));
        }
        if value.chars().any(char::is_control) {
            return Err(DeepLinkError::ControlCharacter(name));
        }
        let max = max_len(name);
        if value.len() > max {
            return Err(DeepLinkError::ValueTooLong { name, max });
        }
        params.insert(name, value.into_owned());
    }
    Ok(params)
}
