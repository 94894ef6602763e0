//! Client authentication at the token and revocation endpoints:
//! `client_secret_basic`, `client_secret_post`, `private_key_jwt` (RFC 7523)
//! and public clients. The method used must be the one registered.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, header};
use base64::{Engine, engine::general_purpose::STANDARD};
use josekit::{
    jwk::Jwk,
    jws::{ES256, JwsVerifier, PS256, RS256},
    jwt,
};
use pivot_proto::oauth::OAuthErrorCode;

use crate::{
    crypto::{ct_eq, sha256_hex},
    error::BrokerError,
    state::AppState,
    storage::{ClientAuthMethod, ClientRecord, ClientRole},
};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// Longest accepted client-assertion lifetime.
const MAX_ASSERTION_SECS: i64 = 300;

fn invalid(desc: &str) -> BrokerError {
    BrokerError::oauth(OAuthErrorCode::InvalidClient, desc)
}

fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, BrokerError> {
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let v = v
        .to_str()
        .map_err(|_| invalid("malformed Authorization header"))?;
    let Some(b64) = v
        .strip_prefix("Basic ")
        .or_else(|| v.strip_prefix("basic "))
    else {
        return Err(invalid("unsupported Authorization scheme"));
    };
    let raw = STANDARD
        .decode(b64.trim())
        .map_err(|_| invalid("malformed Basic credentials"))?;
    let raw = String::from_utf8(raw).map_err(|_| invalid("malformed Basic credentials"))?;
    let (id, secret) = raw
        .split_once(':')
        .ok_or_else(|| invalid("malformed Basic credentials"))?;
    // RFC 6749 §2.3.1: both parts are form-urlencoded.
    let dec = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Ok(Some((
        dec(id).unwrap_or_default(),
        dec(secret).unwrap_or_default(),
    )))
}

/// Authenticates the calling partner, which must have `role` (a data
/// provider cannot use the token endpoint, nor a service `/checktoken`);
/// removes the credentials from `form`.
///
/// # Errors
/// `invalid_client` (401) on any failure, without saying which part failed.
pub async fn authenticate(
    s: &AppState,
    headers: &HeaderMap,
    form: &mut BTreeMap<String, String>,
    audience: &str,
    role: ClientRole,
) -> Result<ClientRecord, BrokerError> {
    let client = authenticate_any(s, headers, form, audience).await?;
    if client.role != role {
        return Err(invalid("client authentication failed"));
    }
    Ok(client)
}

async fn authenticate_any(
    s: &AppState,
    headers: &HeaderMap,
    form: &mut BTreeMap<String, String>,
    audience: &str,
) -> Result<ClientRecord, BrokerError> {
    let basic = basic_credentials(headers)?;
    let form_id = form.remove("client_id");
    let form_secret = form.remove("client_secret");
    let assertion_type = form.remove("client_assertion_type");
    let assertion = form.remove("client_assertion");
    let methods = usize::from(basic.is_some())
        + usize::from(form_secret.is_some())
        + usize::from(assertion.is_some());
    if methods > 1 {
        return Err(BrokerError::oauth(
            OAuthErrorCode::InvalidRequest,
            "more than one client authentication method",
        ));
    }

    if let Some((id, secret)) = basic {
        if form_id.as_deref().is_some_and(|f| f != id) {
            return Err(invalid("client_id differs from the authenticated client"));
        }
        return check_secret(s, &id, &secret, ClientAuthMethod::ClientSecretBasic).await;
    }
    if let Some(secret) = form_secret {
        let id = form_id.ok_or_else(|| invalid("client_id missing"))?;
        return check_secret(s, &id, &secret, ClientAuthMethod::ClientSecretPost).await;
    }
    if let Some(assertion) = assertion {
        if assertion_type.as_deref() != Some(ASSERTION_TYPE) {
            return Err(invalid("unsupported client_assertion_type"));
        }
        return check_assertion(s, form_id.as_deref(), &assertion, audience).await;
    }
    let id = form_id.ok_or_else(|| invalid("client authentication missing"))?;
    let client = s
        .store
        .client(&id)
        .await?
        .ok_or_else(|| invalid("unknown client"))?;
    if client.auth_method != ClientAuthMethod::None {
        return Err(invalid("client authentication missing"));
    }
    Ok(client)
}

async fn check_secret(
    s: &AppState,
    id: &str,
    secret: &str,
    method: ClientAuthMethod,
) -> Result<ClientRecord, BrokerError> {
    let client = s.store.client(id).await?;
    // Hash even for an unknown client so timing says nothing about ids.
    let presented = sha256_hex(secret);
    let ok = client.as_ref().is_some_and(|c| {
        c.auth_method == method
            && c.secret_hash
                .as_deref()
                .is_some_and(|h| ct_eq(h, &presented))
    });
    match client {
        Some(c) if ok => Ok(c),
        _ => Err(invalid("client authentication failed")),
    }
}

fn verifier_for(jwk: &Jwk, alg: &str) -> Option<Box<dyn JwsVerifier>> {
    match alg {
        "ES256" => ES256
            .verifier_from_jwk(jwk)
            .ok()
            .map(|v| Box::new(v) as Box<dyn JwsVerifier>),
        "RS256" => RS256
            .verifier_from_jwk(jwk)
            .ok()
            .map(|v| Box::new(v) as Box<dyn JwsVerifier>),
        "PS256" => PS256
            .verifier_from_jwk(jwk)
            .ok()
            .map(|v| Box::new(v) as Box<dyn JwsVerifier>),
        _ => None,
    }
}

async fn check_assertion(
    s: &AppState,
    form_id: Option<&str>,
    assertion: &str,
    audience: &str,
) -> Result<ClientRecord, BrokerError> {
    let header =
        jwt::decode_header(assertion).map_err(|_| invalid("malformed client_assertion"))?;
    // The client is named by the assertion's `iss`/`sub`; read them after
    // verification only. The unverified `sub` only selects the key set.
    let unverified = assertion
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .ok_or_else(|| invalid("malformed client_assertion"))?;
    let claimed = unverified
        .get("sub")
        .and_then(|v| v.as_str())
        .ok_or_else(|| invalid("assertion without sub"))?;
    if form_id.is_some_and(|f| f != claimed) {
        return Err(invalid("client_id differs from the assertion"));
    }
    let client = s
        .store
        .client(claimed)
        .await?
        .ok_or_else(|| invalid("client authentication failed"))?;
    if client.auth_method != ClientAuthMethod::PrivateKeyJwt {
        return Err(invalid("client authentication failed"));
    }
    let alg = header
        .claim("alg")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned();
    let kid = header
        .claim("kid")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let keys: Vec<Jwk> = client
        .jwks
        .as_ref()
        .and_then(|j| j.get("keys"))
        .and_then(|k| k.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|k| k.as_object().and_then(|m| Jwk::from_map(m.clone()).ok()))
                .collect()
        })
        .unwrap_or_default();
    let verifiers: Vec<Box<dyn JwsVerifier>> = keys
        .iter()
        .filter(|k| kid.is_none() || k.key_id() == kid.as_deref())
        .filter_map(|k| verifier_for(k, &alg))
        .collect();
    let payload = verifiers
        .iter()
        .find_map(|v| jwt::decode_with_verifier(assertion, v.as_ref()).ok())
        .map(|(p, _)| p)
        .ok_or_else(|| invalid("client authentication failed"))?;
    let now = s.now();
    let claims = payload.claims_set();
    let str_claim = |k: &str| claims.get(k).and_then(|v| v.as_str());
    if str_claim("iss") != Some(client.client_id.as_str())
        || str_claim("sub") != Some(client.client_id.as_str())
    {
        return Err(invalid("assertion iss/sub must be the client id"));
    }
    let aud_ok = match claims.get("aud") {
        Some(serde_json::Value::String(a)) => a == audience || *a == s.cfg.issuer,
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .any(|x| x.as_str() == Some(audience) || x.as_str() == Some(&s.cfg.issuer)),
        _ => false,
    };
    if !aud_ok {
        return Err(invalid("assertion audience is not this endpoint"));
    }
    let exp = claims
        .get("exp")
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(|| invalid("assertion without exp"))?;
    if exp <= now || exp > now + MAX_ASSERTION_SECS {
        return Err(invalid("assertion expired or too long-lived"));
    }
    let jti = str_claim("jti").ok_or_else(|| invalid("assertion without jti"))?;
    if !s
        .store
        .record_jti(&format!("{}:{jti}", client.client_id), exp)
        .await?
    {
        return Err(invalid("assertion replayed"));
    }
    Ok(client)
}
