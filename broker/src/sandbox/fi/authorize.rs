//! `GET|POST /authorize`: validates the request, picks the level to assert
//! from `acr_values`, answers from the FI session (SSO) when it is strong
//! enough, else shows the login form — or, at the card provider, hands the
//! request to [`super::card`].

use std::sync::Arc;

use axum::{
    Form,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use axum_extra::extract::CookieJar;
use pivot_card::holder::Holder;
use pivot_proto::{card_auth::CardAuthErrorCode, interaction::LoginMethod};
use time::{Duration, OffsetDateTime};

use super::{
    FiState, Params, card,
    error::{HttpError, OAuthCode},
    level::needs_second_factor,
    login,
    store::{AuthRequest, CodeGrant},
};
use crate::sandbox::citizens::Citizen;

/// `GET /authorize`.
pub(super) async fn get(
    State(st): State<Arc<FiState>>,
    jar: CookieJar,
    headers: HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    authorize(&st, &jar, &headers, Params::parse(pairs))
}

/// `POST /authorize` (form-encoded, same parameters).
pub(super) async fn post(
    State(st): State<Arc<FiState>>,
    jar: CookieJar,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    authorize(&st, &jar, &headers, Params::parse(pairs))
}

/// What the `prompt` parameter asks.
#[derive(Debug, Default)]
struct Prompt {
    none: bool,
    login: bool,
}

fn authorize(
    st: &FiState,
    jar: &CookieJar,
    headers: &HeaderMap,
    p: Params,
) -> Result<Response, HttpError> {
    let now = st.now();
    // The app asking the card provider for its challenge: errors are JSON.
    let card = st.kind().login_method() == LoginMethod::Card;
    let json = card && card::wants_json(headers);
    let error_page = |title: &str, message: &str| {
        if json {
            Ok(card::refuse(
                CardAuthErrorCode::InvalidRequest,
                message,
                None,
            ))
        } else {
            st.error_page(StatusCode::BAD_REQUEST, title, message)
        }
    };

    // Until the redirect URI is trusted, errors are pages.
    let client = match p.get("client_id") {
        Some(id) if !p.is_duplicated("client_id") => st.client(id),
        _ => {
            return error_page(
                "Requête invalide",
                "Le service qui vous a envoyé ici n'a pas indiqué son identifiant (client_id).",
            );
        }
    };
    let Some(client) = client else {
        return error_page(
            "Service inconnu",
            "Le service qui vous a envoyé ici n'est pas enregistré auprès de ce fournisseur d'identité.",
        );
    };
    let redirect_uri = match p.get("redirect_uri") {
        Some(uri)
            if !p.is_duplicated("redirect_uri")
                && client.redirect_uris.iter().any(|r| r == uri) =>
        {
            uri.to_owned()
        }
        _ => {
            return error_page(
                "Adresse de retour invalide",
                "L'adresse de retour (redirect_uri) demandée n'est pas enregistrée pour ce service. Par sécurité, vous n'y êtes pas renvoyé.",
            );
        }
    };

    // From here on, errors go back to the client (for the app: as the
    // way back of a JSON refusal).
    let state = p.get("state").map(str::to_owned);
    let fail = |code: OAuthCode, description: &str| {
        if json {
            let back = error_url(st, &redirect_uri, state.as_deref(), code, description)?;
            return Ok(card::refuse(
                CardAuthErrorCode::InvalidRequest,
                "FranceConnect a transmis une demande de connexion que France Identité ne peut pas traiter. Revenez au choix du compte pour réessayer.",
                Some(back),
            ));
        }
        redirect_error(st, &redirect_uri, state.as_deref(), code, description)
    };
    if let Some(dup) = p.duplicated.first() {
        return fail(
            OAuthCode::InvalidRequest,
            &format!("duplicated parameter {dup}"),
        );
    }
    if p.get("response_type") != Some("code") {
        return fail(
            OAuthCode::UnsupportedResponseType,
            "only response_type=code is supported",
        );
    }
    let scopes: Vec<String> = p
        .get("scope")
        .unwrap_or_default()
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if !scopes.iter().any(|s| s == "openid") {
        return fail(OAuthCode::InvalidScope, "scope must contain openid");
    }
    let Some(state) = state.clone() else {
        return fail(OAuthCode::InvalidRequest, "state is required");
    };
    let Some(nonce) = p.get("nonce") else {
        return fail(OAuthCode::InvalidRequest, "nonce is required");
    };
    if p.get("code_challenge_method") != Some("S256") {
        return fail(
            OAuthCode::InvalidRequest,
            "PKCE is required with code_challenge_method=S256",
        );
    }
    let code_challenge = match p.get("code_challenge") {
        Some(c) if is_s256_challenge(c) => c.to_owned(),
        _ => {
            return fail(
                OAuthCode::InvalidRequest,
                "code_challenge must be a base64url SHA-256 (43 characters)",
            );
        }
    };
    let mut prompt = Prompt::default();
    for value in p.get("prompt").unwrap_or_default().split(' ') {
        match value {
            "" | "consent" | "select_account" => {}
            "none" => prompt.none = true,
            "login" => prompt.login = true,
            _ => return fail(OAuthCode::InvalidRequest, "unsupported prompt value"),
        }
    }
    if prompt.none && (prompt.login || p.get("prompt").is_some_and(|v| v.contains(' '))) {
        return fail(
            OAuthCode::InvalidRequest,
            "prompt=none cannot be combined with other values",
        );
    }
    let max_age = match p.get("max_age").map(str::parse::<u32>) {
        None => None,
        Some(Ok(secs)) => Some(Duration::seconds(i64::from(secs))),
        Some(Err(_)) => return fail(OAuthCode::InvalidRequest, "max_age must be an integer"),
    };

    let acr = st.level_for(p.get("acr_values"));
    let second_factor = needs_second_factor(acr);
    let request = AuthRequest {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.clone(),
        state,
        nonce: nonce.to_owned(),
        code_challenge,
        scopes,
        acr,
    };

    // The card provider opens no session: every login proves the card.
    if card {
        if prompt.none {
            return fail(
                OAuthCode::LoginRequired,
                "every login at this identity provider takes the ID card",
            );
        }
        return card::start(st, request, json);
    }

    // SSO at the FI: a live session strong enough for the level answers at
    // once unless the client insists on a fresh login.
    let session = jar
        .get(&st.cookie_name())
        .and_then(|c| st.store.session(c.value(), now))
        .filter(|s| max_age.is_none_or(|age| s.auth_time + age >= now))
        .filter(|s| s.second_factor || !second_factor);
    match session {
        Some(s) if !prompt.login => {
            return issue_code(st, request, s.citizen, s.auth_time, s.second_factor, now);
        }
        _ if prompt.none => {
            return fail(
                OAuthCode::LoginRequired,
                "the citizen is not logged in at this identity provider",
            );
        }
        _ => {}
    }

    let pending_id = st.store.new_pending(request, now);
    login::render_form(
        st,
        &pending_id,
        login::FormState {
            second_factor,
            ..login::FormState::default()
        },
    )
}

/// A PKCE S256 challenge: 43 base64url characters.
fn is_s256_challenge(c: &str) -> bool {
    c.len() == 43
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Redirects to the (validated) client with a code for `citizen`, who
/// logged in at `auth_time` with a password and, when `second_factor`, a
/// one-time code.
pub(super) fn issue_code(
    st: &FiState,
    request: AuthRequest,
    citizen: &'static Citizen,
    auth_time: OffsetDateTime,
    second_factor: bool,
    now: OffsetDateTime,
) -> Result<Response, HttpError> {
    let redirect_uri = request.redirect_uri.clone();
    let state = request.state.clone();
    let grant = CodeGrant::new(request, citizen, auth_time, second_factor, now);
    let code = st.store.new_code(grant, now);
    redirect_to_client(st, &redirect_uri, &[("code", &code), ("state", &state)])
}

/// The (validated) client's redirect URI with a code for the holder of a
/// verified ID card, whose provider account is `citizen`, logged in now.
pub(super) fn code_url(
    st: &FiState,
    request: AuthRequest,
    citizen: &'static Citizen,
    card: Arc<Holder>,
    now: OffsetDateTime,
) -> Result<String, HttpError> {
    let redirect_uri = request.redirect_uri.clone();
    let state = request.state.clone();
    let mut grant = CodeGrant::new(request, citizen, now, true, now);
    grant.card = Some(card);
    let code = st.store.new_code(grant, now);
    client_url(st, &redirect_uri, &[("code", &code), ("state", &state)])
}

/// The (validated) client's redirect URI with an OAuth error.
fn error_url(
    st: &FiState,
    redirect_uri: &str,
    state: Option<&str>,
    code: OAuthCode,
    description: &str,
) -> Result<String, HttpError> {
    let mut params = vec![("error", code.as_str()), ("error_description", description)];
    if let Some(s) = state {
        params.push(("state", s));
    }
    client_url(st, redirect_uri, &params)
}

/// Redirects to the (validated) client with an OAuth error.
pub(super) fn redirect_error(
    st: &FiState,
    redirect_uri: &str,
    state: Option<&str>,
    code: OAuthCode,
    description: &str,
) -> Result<Response, HttpError> {
    let url = error_url(st, redirect_uri, state, code, description)?;
    Ok(found(url))
}

/// A `302 Found` to a validated redirect URI with the given parameters plus
/// the RFC 9207 `iss`.
fn redirect_to_client(
    st: &FiState,
    redirect_uri: &str,
    params: &[(&str, &str)],
) -> Result<Response, HttpError> {
    Ok(found(client_url(st, redirect_uri, params)?))
}

fn found(url: String) -> Response {
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, url),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}

/// A validated redirect URI with the given parameters plus the RFC 9207
/// `iss`.
pub(super) fn client_url(
    st: &FiState,
    redirect_uri: &str,
    params: &[(&str, &str)],
) -> Result<String, HttpError> {
    let mut url = url::Url::parse(redirect_uri).map_err(|_| {
        HttpError::Internal(super::FiError::ClientUri {
            client_id: String::new(),
            uri: redirect_uri.to_owned(),
        })
    })?;
    let iss = st.asserted_issuer();
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        q.append_pair("iss", &iss);
    }
    Ok(url.to_string())
}
