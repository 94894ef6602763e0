//! `GET|POST /session/end`: RP-initiated logout (OpenID Connect
//! RP-Initiated Logout 1.0).

use std::sync::Arc;

use axum::{
    Form,
    extract::{Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use axum_extra::extract::{CookieJar, cookie::Cookie};
use serde_json::{Value, json};

use super::{FiClientReg, FiState, Params, error::HttpError};

/// `GET /session/end`.
pub(super) async fn get(
    State(st): State<Arc<FiState>>,
    jar: CookieJar,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    end_session(&st, jar, &Params::parse(pairs))
}

/// `POST /session/end` (form-encoded, same parameters).
pub(super) async fn post(
    State(st): State<Arc<FiState>>,
    jar: CookieJar,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    end_session(&st, jar, &Params::parse(pairs))
}

/// The client named by a valid `id_token_hint` (signed by this FI) and/or
/// `client_id`; `None` when neither identifies one, or they disagree.
fn identified_client<'a>(st: &'a FiState, p: &Params) -> Option<&'a FiClientReg> {
    let from_hint = match p.get("id_token_hint") {
        Some(hint) => {
            let claims = st.key.verify(hint)?;
            let aud = match claims.get("aud") {
                Some(Value::String(a)) => a.clone(),
                Some(Value::Array(list)) => list.first()?.as_str()?.to_owned(),
                _ => return None,
            };
            Some(aud)
        }
        None => None,
    };
    let id = match (from_hint, p.get("client_id")) {
        (Some(h), Some(c)) if h != c => return None,
        (Some(h), _) => h,
        (None, Some(c)) => c.to_owned(),
        (None, None) => return None,
    };
    st.client(&id)
}

fn end_session(st: &FiState, jar: CookieJar, p: &Params) -> Result<Response, HttpError> {
    let name = st.cookie_name();
    if let Some(c) = jar.get(&name) {
        st.store.end_session(c.value());
    }
    let jar = jar.remove(Cookie::build(name).path(st.cookie_path()));

    let target = p.get("post_logout_redirect_uri");
    let allowed = target.filter(|uri| {
        !p.duplicated.iter().any(|d| d == "post_logout_redirect_uri")
            && identified_client(st, p)
                .is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r == uri))
    });
    if let Some(mut url) = allowed.and_then(|uri| url::Url::parse(uri).ok()) {
        if let Some(state) = p.get("state") {
            url.query_pairs_mut().append_pair("state", state);
        }
        let redirect = (
            StatusCode::FOUND,
            [
                (header::LOCATION, url.to_string()),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
        );
        return Ok((jar, redirect).into_response());
    }
    let page = st.page(
        StatusCode::OK,
        "fi/logged_out.html",
        json!({ "unknown_return": target.is_some() }),
    )?;
    Ok((jar, page).into_response())
}
