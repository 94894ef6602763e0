//! HTTP handlers: read the bearer token, have it checked, find the
//! citizen's file and return the granted members.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use pivot_proto::identity::PivotIdentity;

use super::checktoken::{CheckTokenClient, CheckTokenError};
use super::directory::Directory;
use super::error::FdError;
use super::health::{HEALTH_FILES, HealthFile};
use super::tax::{TAX_FILES, TaxFile, TaxYearsView};
use super::{FdSpec, home};
use crate::clock::SharedClock;

/// Longest bearer token accepted (the broker's are far shorter).
const MAX_TOKEN_LEN: usize = 4096;

/// Shared state of one data provider.
pub(crate) struct FdState {
    spec: FdSpec,
    checker: CheckTokenClient,
    clock: SharedClock,
    tax: Directory<TaxFile>,
    health: Directory<HealthFile>,
}

impl FdState {
    /// How many years the tax table is moved forward so that its latest
    /// year is always last year's income (the table is written as of
    /// [`super::tax::TABLE_LATEST_YEAR`]; a sandbox run in 2027 sees the
    /// same people with incomes of 2024–2026).
    fn year_shift(&self) -> i32 {
        self.clock.now().year() - 1 - i32::from(super::tax::TABLE_LATEST_YEAR)
    }

    pub fn new(spec: FdSpec, http: reqwest::Client, clock: SharedClock) -> Self {
        Self {
            checker: CheckTokenClient::new(spec.clone(), http, clock.clone()),
            spec,
            clock,
            tax: Directory::new(TAX_FILES),
            health: Directory::new(HEALTH_FILES),
        }
    }

    /// Checks the request's token: the citizen and a predicate telling
    /// which of this provider's scopes are granted (at least one is).
    async fn authorize(&self, headers: &HeaderMap) -> Result<Granted, FdError> {
        let token = bearer(headers)?;
        let answer = self.checker.check(token).await?;
        let now = self.clock.now().unix_timestamp();
        if !answer.active || answer.exp.is_none_or(|exp| exp <= now) {
            return Err(FdError::InactiveToken);
        }
        let kind = self.spec.kind;
        let scopes: Vec<String> = kind
            .data_scopes()
            .into_iter()
            .map(|d| d.scope)
            .filter(|s| answer.allows(s, now))
            .collect();
        if scopes.is_empty() {
            let all: Vec<String> = kind.data_scopes().into_iter().map(|d| d.scope).collect();
            return Err(FdError::InsufficientScope(all.join(" ")));
        }
        let identity = answer
            .identity
            .ok_or(FdError::CheckToken(CheckTokenError::MissingIdentity))?;
        tracing::debug!(fd = %self.spec.slug, scopes = %scopes.join(" "), "token accepted");
        Ok(Granted { identity, scopes })
    }
}

/// What an accepted token allows.
struct Granted {
    identity: PivotIdentity,
    scopes: Vec<String>,
}

impl Granted {
    fn allows(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}

/// The bearer token of the request (RFC 6750 §2.1). A request without an
/// `Authorization` header, or with another scheme, carries no token; a
/// `Bearer` header whose token is empty, too long or not `b64token`
/// characters, or several `Authorization` headers, is malformed.
fn bearer(headers: &HeaderMap) -> Result<&str, FdError> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(FdError::MissingToken);
    };
    if values.next().is_some() {
        return Err(FdError::MalformedToken);
    }
    let value = value.to_str().map_err(|_| FdError::MalformedToken)?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("Bearer") {
        return Err(FdError::MissingToken);
    }
    let token = token.trim_matches(' ');
    if token.is_empty() || token.len() > MAX_TOKEN_LEN || !is_b64token(token) {
        return Err(FdError::MalformedToken);
    }
    Ok(token)
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// A JSON answer that no cache keeps.
fn personal<T: serde::Serialize>(body: T) -> Response {
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /api/v1/revenus`: the income years on file.
pub(super) async fn tax_years(
    State(state): State<Arc<FdState>>,
    headers: HeaderMap,
) -> Result<Response, FdError> {
    let granted = state.authorize(&headers).await?;
    let file = state.tax.find(&granted.identity).ok_or(FdError::NotFound)?;
    let shift = state.year_shift();
    Ok(personal(TaxYearsView {
        annees: file
            .year_list()
            .into_iter()
            .filter_map(|y| u16::try_from(i32::from(y) + shift).ok())
            .collect(),
    }))
}

/// `GET /api/v1/revenus/{annee}`: one income year.
pub(super) async fn tax_year(
    State(state): State<Arc<FdState>>,
    Path(year): Path<String>,
    headers: HeaderMap,
) -> Result<Response, FdError> {
    let granted = state.authorize(&headers).await?;
    let year = parse_year(&year)?;
    let file = state.tax.find(&granted.identity).ok_or(FdError::NotFound)?;
    let table_year = u16::try_from(i32::from(year) - state.year_shift()).ok();
    let entry = table_year
        .and_then(|y| file.year(y))
        .ok_or(FdError::NotFound)?;
    let mut view = entry.view(|s| granted.allows(s));
    view.annee = year;
    Ok(personal(view))
}

/// A four-digit year.
fn parse_year(s: &str) -> Result<u16, FdError> {
    if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FdError::InvalidYear);
    }
    s.parse().map_err(|_| FdError::InvalidYear)
}

/// `GET /api/v1/assure`: the insured person's file.
pub(super) async fn insured(
    State(state): State<Arc<FdState>>,
    headers: HeaderMap,
) -> Result<Response, FdError> {
    let granted = state.authorize(&headers).await?;
    let file = state
        .health
        .find(&granted.identity)
        .ok_or(FdError::NotFound)?;
    Ok(personal(file.view(|s| granted.allows(s))))
}

/// `GET /`: what this API is, for humans.
pub(super) async fn home(State(state): State<Arc<FdState>>) -> Html<String> {
    Html(home::page(&state.spec))
}

/// Any other path.
pub(super) async fn no_route() -> FdError {
    FdError::NoSuchEndpoint
}

#[cfg(test)]
mod unit {
    use super::*;

    fn with_auth(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn reads_bearer_tokens() {
        assert_eq!(
            bearer(&with_auth(&["Bearer abc.DEF-_~+/=="])).unwrap(),
            "abc.DEF-_~+/=="
        );
        assert_eq!(bearer(&with_auth(&["bearer  abc "])).unwrap(), "abc");
        assert!(matches!(
            bearer(&with_auth(&[])),
            Err(FdError::MissingToken)
        ));
        assert!(matches!(
            bearer(&with_auth(&["Basic YTpi"])),
            Err(FdError::MissingToken)
        ));
        for bad in [
            "Bearer",
            "Bearer ",
            "Bearer a b",
            "Bearer a,b",
            "Bearer ==",
            "Bearer a=b",
        ] {
            assert!(
                matches!(bearer(&with_auth(&[bad])), Err(FdError::MalformedToken)),
                "{bad}"
            );
        }
        let long = format!("Bearer {}", "a".repeat(MAX_TOKEN_LEN + 1));
        assert!(matches!(
            bearer(&with_auth(&[&long])),
            Err(FdError::MalformedToken)
        ));
        assert!(matches!(
            bearer(&with_auth(&["Bearer a", "Bearer b"])),
            Err(FdError::MalformedToken)
        ));
    }

    #[test]
    fn parses_years() {
        assert_eq!(parse_year("2024").unwrap(), 2024);
        for bad in ["24", "20245", "+024", "abcd", "", "２０２４"] {
            assert!(
                matches!(parse_year(bad), Err(FdError::InvalidYear)),
                "{bad}"
            );
        }
    }
}
