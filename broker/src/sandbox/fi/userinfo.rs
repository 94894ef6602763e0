//! `GET|POST /userinfo`: the citizen's identity, filtered by the granted
//! scopes.

use std::{collections::BTreeSet, sync::Arc};

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value};

use super::{
    FiKind, FiState,
    error::{HttpError, OAuthCode},
    subject,
};
use crate::sandbox::citizens::Citizen;

/// Identity claims an FI can release.
pub(super) const IDENTITY_CLAIMS: &[&str] = &[
    "given_name",
    "family_name",
    "birthdate",
    "gender",
    "birthplace",
    "birthcountry",
    "email",
    "preferred_username",
];

/// Claims granted by a set of scopes: the federation's scope table
/// (`pivot_proto::scope`), limited to what an FI can release.
pub(super) fn claims_for_scopes(scopes: &[String]) -> BTreeSet<&'static str> {
    scopes
        .iter()
        .flat_map(|s| pivot_proto::scope::claims_for_scope(s).iter().copied())
        .filter(|c| IDENTITY_CLAIMS.contains(c))
        .collect()
}

/// The userinfo document of `citizen` for `scopes`.
pub(super) fn userinfo_claims(
    kind: FiKind,
    citizen: &Citizen,
    scopes: &[String],
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("sub".into(), subject(kind, citizen).into());
    for claim in claims_for_scopes(scopes) {
        let value = match claim {
            "given_name" => Some(citizen.given_name),
            "family_name" => Some(citizen.family_name),
            "birthdate" => Some(citizen.birthdate),
            "gender" => Some(citizen.gender),
            "birthplace" => Some(citizen.birthplace),
            "birthcountry" => Some(citizen.birthcountry),
            "email" => Some(citizen.email),
            "preferred_username" => citizen.preferred_username,
            _ => None,
        };
        if let Some(v) = value {
            m.insert(claim.into(), v.into());
        }
    }
    m
}

/// The token of an `Authorization: Bearer` header.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// `GET|POST /userinfo`.
pub(super) async fn userinfo(
    State(st): State<Arc<FiState>>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    let token = bearer(&headers).ok_or(HttpError::Bearer(
        OAuthCode::InvalidToken,
        "missing bearer access token",
    ))?;
    let grant = st
        .store
        .access_token(token, st.now())
        .ok_or(HttpError::Bearer(
            OAuthCode::InvalidToken,
            "unknown or expired access token",
        ))?;
    let claims = userinfo_claims(st.kind(), grant.citizen, &grant.scopes);
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(claims)).into_response())
}
