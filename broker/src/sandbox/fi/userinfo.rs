//! `GET|POST /userinfo`: the citizen's identity, filtered by the granted
//! scopes.

use std::{collections::BTreeSet, sync::Arc};

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};
use pivot_card::holder::Holder;
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

/// The userinfo document of `citizen` for `scopes`; after a card login
/// (`card`), the identity is the card's, as its issuer signed it, and only
/// the e-mail address comes from the provider's account.
pub(super) fn userinfo_claims(
    kind: FiKind,
    citizen: &Citizen,
    card: Option<&Holder>,
    scopes: &[String],
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("sub".into(), subject(kind, citizen).into());
    for claim in claims_for_scopes(scopes) {
        let value = match (claim, card) {
            ("email", _) => Some(citizen.email),
            (_, Some(card)) => card_claim(card, claim),
            ("given_name", None) => Some(citizen.given_name),
            ("family_name", None) => Some(citizen.family_name),
            ("birthdate", None) => Some(citizen.birthdate),
            ("gender", None) => Some(citizen.gender),
            ("birthplace", None) => Some(citizen.birthplace),
            ("birthcountry", None) => Some(citizen.birthcountry),
            ("preferred_username", None) => citizen.preferred_username,
            _ => None,
        };
        if let Some(v) = value {
            m.insert(claim.into(), v.into());
        }
    }
    m
}

/// A pivot claim from the card's `EF.Identity` (`card/SPEC.md` 2.1): the
/// usage name is `preferred_username`; no birthplace (born abroad) is the
/// empty string, as the other providers send it.
fn card_claim<'a>(card: &'a Holder, claim: &str) -> Option<&'a str> {
    match claim {
        "given_name" => Some(&card.given_names),
        "family_name" => Some(&card.family_name),
        "birthdate" => Some(&card.birth_date),
        "gender" => Some(card.gender.as_pivot()),
        "birthplace" => Some(card.birthplace.as_deref().unwrap_or_default()),
        "birthcountry" => Some(&card.birth_country),
        "preferred_username" => card.usage_name.as_deref(),
        _ => None,
    }
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
    let claims = userinfo_claims(
        st.kind(),
        grant.citizen,
        grant.card.as_deref(),
        &grant.scopes,
    );
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(claims)).into_response())
}
