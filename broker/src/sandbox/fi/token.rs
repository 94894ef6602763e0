//! `POST /token`: authorization code grant with PKCE and client secret
//! authentication (basic or post); issues the access token and ID token.

use std::sync::Arc;

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};
use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{
    FiBehaviour, FiClientReg, FiState, Params,
    error::{HttpError, OAuthCode},
    keys::tamper_signature,
    level::{AMR_CARD, AMR_PASSWORD, AMR_PASSWORD_AND_CODE},
    store::{ACCESS_TOKEN_TTL, AccessGrant, CodeGrant, ID_TOKEN_TTL, Redeem},
    subject,
};

fn err(code: OAuthCode, description: &'static str) -> HttpError {
    HttpError::Token(code, description)
}

/// Decodes one `application/x-www-form-urlencoded` component (RFC 6749
/// §2.3.1 encodes the client id and secret before Basic encoding).
fn form_decode(s: &str) -> String {
    let bytes: Vec<u8> = s
        .bytes()
        .map(|b| if b == b'+' { b' ' } else { b })
        .collect();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes.get(i), hex) {
            (Some(b'%'), Some(v)) => {
                out.push(v);
                i += 3;
            }
            (Some(b), _) => {
                out.push(*b);
                i += 1;
            }
            (None, _) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Client id and secret from `Authorization: Basic`.
fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, HttpError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || err(OAuthCode::InvalidClient, "malformed Basic credentials");
    let value = value.to_str().map_err(|_| bad())?;
    let (scheme, encoded) = value.split_once(' ').ok_or_else(bad)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    Ok(Some((form_decode(id), form_decode(secret))))
}

/// Authenticates the client (exactly one method).
fn authenticate<'a>(
    st: &'a FiState,
    headers: &HeaderMap,
    p: &Params,
) -> Result<&'a FiClientReg, HttpError> {
    let basic = basic_credentials(headers)?;
    let (id, secret) = match (basic, p.get("client_secret")) {
        (Some(_), Some(_)) => {
            return Err(err(
                OAuthCode::InvalidRequest,
                "use only one client authentication method",
            ));
        }
        (Some((id, secret)), None) => {
            if p.get("client_id").is_some_and(|b| b != id) {
                return Err(err(
                    OAuthCode::InvalidRequest,
                    "client_id differs from the authenticated client",
                ));
            }
            (id, secret)
        }
        (None, Some(secret)) => {
            let id = p.get("client_id").ok_or(err(
                OAuthCode::InvalidClient,
                "client_id is required with client_secret_post",
            ))?;
            (id.to_owned(), secret.to_owned())
        }
        (None, None) => {
            return Err(err(
                OAuthCode::InvalidClient,
                "client authentication is required",
            ));
        }
    };
    let client = st.client(&id);
    // Compare against something even for an unknown client.
    let expected = client.map_or("", |c| c.client_secret.expose());
    let ok: bool = expected.as_bytes().ct_eq(secret.as_bytes()).into();
    match client {
        Some(c) if ok && !expected.is_empty() => Ok(c),
        _ => Err(err(
            OAuthCode::InvalidClient,
            "client authentication failed",
        )),
    }
}

/// RFC 7636 §4.1 verifier syntax.
fn is_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// `POST /token`.
pub(super) async fn token(
    State(st): State<Arc<FiState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    let now = st.now();
    let p = Params::from_form(&body);
    if !p.duplicated.is_empty() {
        return Err(err(OAuthCode::InvalidRequest, "duplicated parameter"));
    }
    let client = authenticate(&st, &headers, &p)?;
    match p.get("grant_type") {
        Some("authorization_code") => {}
        Some(_) => {
            return Err(err(
                OAuthCode::UnsupportedGrantType,
                "only authorization_code is supported",
            ));
        }
        None => return Err(err(OAuthCode::InvalidRequest, "grant_type is required")),
    }
    let code = p
        .get("code")
        .ok_or(err(OAuthCode::InvalidRequest, "code is required"))?;
    // Any attempt spends the code, so a wrong verifier cannot be retried.
    let grant = match st.store.redeem_code(code, now) {
        Redeem::Fresh(g) => g,
        Redeem::Replayed => {
            return Err(err(
                OAuthCode::InvalidGrant,
                "code already used; the tokens it issued are revoked",
            ));
        }
        Redeem::Invalid => {
            return Err(err(OAuthCode::InvalidGrant, "unknown or expired code"));
        }
    };
    let req = &grant.request;
    if req.client_id != client.client_id {
        return Err(err(
            OAuthCode::InvalidGrant,
            "code issued to another client",
        ));
    }
    if p.get("redirect_uri") != Some(req.redirect_uri.as_str()) {
        return Err(err(
            OAuthCode::InvalidGrant,
            "redirect_uri differs from the authorization request",
        ));
    }
    let verifier = p
        .get("code_verifier")
        .ok_or(err(OAuthCode::InvalidGrant, "code_verifier is required"))?;
    if !is_verifier(verifier) {
        return Err(err(OAuthCode::InvalidRequest, "malformed code_verifier"));
    }
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if !bool::from(computed.as_bytes().ct_eq(req.code_challenge.as_bytes())) {
        return Err(err(
            OAuthCode::InvalidGrant,
            "code_verifier does not match code_challenge",
        ));
    }

    let access_token = st.store.new_access_token(
        code,
        AccessGrant {
            citizen: grant.citizen,
            card: grant.card.clone(),
            scopes: req.scopes.clone(),
            expires: now + ACCESS_TOKEN_TTL,
        },
        now,
    );
    let id_token = id_token(&st, &grant, &access_token)?;
    Ok((
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_TTL.whole_seconds(),
            "id_token": id_token,
            "scope": req.scopes.join(" "),
        })),
    )
        .into_response())
}

/// Builds and signs the ID token, applying the faulty behaviours.
fn id_token(st: &FiState, grant: &CodeGrant, access_token: &str) -> Result<String, HttpError> {
    let now = st.now();
    let behaviour = st.control.get();
    let nonce = match behaviour {
        FiBehaviour::WrongNonce => format!("{}-autre", grant.request.nonce),
        _ => grant.request.nonce.clone(),
    };
    let acr = match behaviour {
        FiBehaviour::AssertAcr(level) => level,
        _ => grant.request.acr,
    };
    let amr = if grant.card.is_some() {
        AMR_CARD
    } else if grant.second_factor {
        AMR_PASSWORD_AND_CODE
    } else {
        AMR_PASSWORD
    };
    let digest = Sha256::digest(access_token.as_bytes());
    let at_hash = URL_SAFE_NO_PAD.encode(digest.get(..16).unwrap_or_default());
    let claims: Map<String, Value> = [
        ("iss", json!(st.asserted_issuer())),
        ("sub", json!(subject(st.kind(), grant.citizen))),
        ("aud", json!(grant.request.client_id)),
        ("exp", json!((now + ID_TOKEN_TTL).unix_timestamp())),
        ("iat", json!(now.unix_timestamp())),
        ("auth_time", json!(grant.auth_time.unix_timestamp())),
        ("nonce", json!(nonce)),
        ("acr", json!(acr.as_str())),
        ("amr", json!(amr)),
        ("at_hash", json!(at_hash)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let jwt = st.key.sign(&claims)?;
    Ok(match behaviour {
        FiBehaviour::TamperedIdToken => tamper_signature(&jwt),
        _ => jwt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        assert_eq!(form_decode("a%3Ab+c%25"), "a:b c%");
        assert_eq!(form_decode("plain"), "plain");
        assert_eq!(form_decode("bad%zz"), "bad%zz");
        assert_eq!(form_decode("end%4"), "end%4");
    }

    #[test]
    fn verifier_syntax() {
        assert!(is_verifier(&"a".repeat(43)));
        assert!(!is_verifier(&"a".repeat(42)));
        assert!(!is_verifier(&"a".repeat(129)));
        assert!(!is_verifier(&format!("{}!", "a".repeat(43))));
    }
}
