//! The call to the tax data provider (FD):
//! `GET {tax_api}/api/v1/revenus/{annee}` with the access token of the
//! login, bounded in time and size. The token is sent, never logged.

use std::time::Duration;

use openidconnect::AccessToken;
use reqwest::header::ACCEPT;
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::calc::{Parts, Rfr};
use crate::sandbox::fs::oidc::read_limited;

/// Upper bound of the whole call (the access token lives 60 s: there is no
/// point waiting longer).
pub(crate) const TIMEOUT: Duration = Duration::from_secs(5);
/// Largest answer read.
const MAX_BYTES: usize = 16 * 1024;

/// The data the tax API returned; a member is absent when its scope was not
/// granted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TaxData {
    /// Revenu fiscal de référence (`dgfip_rfr`).
    pub rfr: Option<Rfr>,
    /// Nombre de parts (`dgfip_nbpart`).
    pub parts: Option<Parts>,
}

/// Why the tax API gave no data.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TaxApiError {
    /// 404: no tax return for this citizen and year.
    #[error("no tax return for this citizen and year")]
    NotFound,
    /// 401 or 403: the token is expired, revoked or lacks the scope.
    #[error("token refused: HTTP {status} {error}")]
    TokenRefused {
        /// The HTTP status.
        status: u16,
        /// The `error` member of the answer.
        error: String,
    },
    /// 503 or any other unexpected status.
    #[error("HTTP {status} {error}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The `error` member of the answer.
        error: String,
    },
    /// No answer: connection refused, time-out.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// An answer that is not the one expected (not JSON, another year,
    /// impossible amounts).
    #[error("unexpected answer: {0}")]
    Invalid(String),
}

/// The `…/api/v1/revenus/{annee}` URL under the API's base URL.
pub(crate) fn revenus_url(base: &Url, annee: i32) -> Result<Url, TaxApiError> {
    let url = format!(
        "{}/api/v1/revenus/{annee}",
        base.as_str().trim_end_matches('/')
    );
    Url::parse(&url).map_err(|e| TaxApiError::Invalid(format!("URL {url:?}: {e}")))
}

/// Asks the tax API for the income of `annee` with the login's access token.
pub(crate) async fn fetch(
    http: &reqwest::Client,
    base: &Url,
    annee: i32,
    token: &AccessToken,
) -> Result<TaxData, TaxApiError> {
    let url = revenus_url(base, annee)?;
    match tokio::time::timeout(TIMEOUT, call(http, url, annee, token)).await {
        Ok(result) => result,
        Err(_) => Err(TaxApiError::Unreachable(format!(
            "no answer within {TIMEOUT:?}"
        ))),
    }
}

async fn call(
    http: &reqwest::Client,
    url: Url,
    annee: i32,
    token: &AccessToken,
) -> Result<TaxData, TaxApiError> {
    let response = http
        .get(url)
        .bearer_auth(token.secret())
        .header(ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| TaxApiError::Unreachable(e.without_url().to_string()))?;
    let status = response.status();
    let body = read_limited(response, MAX_BYTES)
        .await
        .map_err(TaxApiError::Unreachable)?;
    if status.is_success() {
        return parse(&body, annee);
    }
    let error = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    Err(match status.as_u16() {
        404 => TaxApiError::NotFound,
        status @ (401 | 403) => TaxApiError::TokenRefused { status, error },
        status => TaxApiError::Status { status, error },
    })
}

/// The answer's body, as the contract describes it.
#[derive(Deserialize)]
struct Revenus {
    annee: Option<i64>,
    #[serde(default)]
    revenu_fiscal_de_reference: Value,
    #[serde(default)]
    nombre_de_parts: Value,
}

/// Reads a successful answer for `annee`.
pub(crate) fn parse(body: &[u8], annee: i32) -> Result<TaxData, TaxApiError> {
    let r: Revenus = serde_json::from_slice(body)
        .map_err(|e| TaxApiError::Invalid(format!("not the expected JSON: {e}")))?;
    if let Some(got) = r.annee
        && got != i64::from(annee)
    {
        return Err(TaxApiError::Invalid(format!(
            "asked for {annee}, answered for {got}"
        )));
    }
    let rfr = match &r.revenu_fiscal_de_reference {
        Value::Null => None,
        v => Some(
            whole_number(v)
                .and_then(Rfr::from_euros)
                .ok_or_else(|| TaxApiError::Invalid(format!("revenu_fiscal_de_reference {v}")))?,
        ),
    };
    let parts = match &r.nombre_de_parts {
        Value::Null => None,
        v => Some(
            v.as_f64()
                .and_then(Parts::from_f64)
                .ok_or_else(|| TaxApiError::Invalid(format!("nombre_de_parts {v}")))?,
        ),
    };
    Ok(TaxData { rfr, parts })
}

/// A JSON number without decimals (`38450` or `38450.0`).
fn whole_number(v: &Value) -> Option<i64> {
    if let Some(n) = v.as_i64() {
        return Some(n);
    }
    let f = v.as_f64()?;
    // Bounded and integral: the conversion is exact.
    #[allow(clippy::cast_possible_truncation)]
    let n = f as i64;
    (f.fract() == 0.0 && f.abs() < 1e15).then_some(n)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn answers_are_read_member_by_member() {
        let full = br#"{"annee": 2024, "revenu_fiscal_de_reference": 38450,
            "nombre_de_parts": 2.5, "situation_familiale": "Mari\u00e9(e)"}"#;
        let data = parse(full, 2024).unwrap();
        assert_eq!(data.rfr.unwrap().cents(), 3_845_000);
        assert!((data.parts.unwrap().as_f64() - 2.5).abs() < f64::EPSILON);

        let rfr_only = br#"{"annee": 2024, "revenu_fiscal_de_reference": 12000.0}"#;
        let data = parse(rfr_only, 2024).unwrap();
        assert_eq!(data.rfr.unwrap().cents(), 1_200_000);
        assert_eq!(data.parts, None);

        assert_eq!(parse(b"{}", 2024).unwrap(), TaxData::default());
    }

    #[test]
    fn impossible_answers_are_refused() {
        for body in [
            &br#"{"annee": 2023, "revenu_fiscal_de_reference": 1}"#[..],
            br#"{"revenu_fiscal_de_reference": -5}"#,
            br#"{"revenu_fiscal_de_reference": "38450"}"#,
            br#"{"revenu_fiscal_de_reference": 12.5}"#,
            br#"{"nombre_de_parts": 0}"#,
            br#"{"nombre_de_parts": 1.3}"#,
            br#"{"nombre_de_parts": "2,5"}"#,
            b"<html>",
            b"[]",
        ] {
            assert!(
                matches!(parse(body, 2024), Err(TaxApiError::Invalid(_))),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn the_url_is_under_the_base() {
        let base = Url::parse("http://127.0.0.1:7300").unwrap();
        assert_eq!(
            revenus_url(&base, 2024).unwrap().as_str(),
            "http://127.0.0.1:7300/api/v1/revenus/2024"
        );
        let base = Url::parse("https://fd.example/dgfip/").unwrap();
        assert_eq!(
            revenus_url(&base, 2022).unwrap().as_str(),
            "https://fd.example/dgfip/api/v1/revenus/2022"
        );
    }
}
