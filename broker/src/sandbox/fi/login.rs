//! The login form: `POST /login` (credentials) and `POST /abandon`. When
//! the level needs a second factor, a right password leads to the one-time
//! code page ([`super::otp`]) instead of back to the client.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use axum_extra::extract::{
    CookieJar,
    cookie::{Cookie, SameSite},
};
use serde_json::json;
use time::OffsetDateTime;

use super::{
    FiState, Params, accounts,
    authorize::{issue_code, redirect_error},
    error::{HttpError, OAuthCode},
    level::needs_second_factor,
    otp,
    store::{MAX_FAILURES, Pending},
};
use crate::sandbox::citizens::Citizen;

/// Name of the hidden field carrying the pending request id.
pub(super) const REQUEST_ID_FIELD: &str = "request_id";

/// How the form is shown.
#[derive(Debug, Default)]
pub(super) struct FormState<'a> {
    /// French error message shown above the form.
    pub error: Option<String>,
    /// Identifier typed before (never the password).
    pub login: &'a str,
    /// Too many failures: only "Abandonner" is offered.
    pub locked: bool,
    /// The level needs a one-time code after the password (announced).
    pub second_factor: bool,
}

/// Renders the login page for a pending request.
pub(super) fn render_form(
    st: &FiState,
    pending_id: &str,
    form: FormState<'_>,
) -> Result<Response, HttpError> {
    let kind = st.kind();
    let accounts: Vec<_> = accounts::demo_logins(kind)
        .into_iter()
        .map(|(c, a)| json!({ "name": c.display_name(), "login": a.login, "password": a.password }))
        .collect();
    let status = match (&form.error, form.locked) {
        (_, true) => StatusCode::FORBIDDEN,
        (Some(_), false) => StatusCode::UNAUTHORIZED,
        (None, false) => StatusCode::OK,
    };
    st.page(
        status,
        "fi/login.html",
        json!({
            "fi": {
                "id": kind.id(),
                "heading": kind.login_heading(),
                "login_label": kind.login_label(),
                "login_hint": kind.login_hint(),
                "login_type": kind.login_input_type(),
                "login_mode": kind.login_input_mode(),
                "password_label": kind.password_label(),
                "password_hint": kind.password_hint(),
            },
            "action": st.local("/login"),
            "abandon_action": st.local("/abandon"),
            "request_id_field": REQUEST_ID_FIELD,
            "request_id": pending_id,
            "error": form.error,
            "login_value": form.login,
            "locked": form.locked,
            "second_factor": form.second_factor,
            "accounts": accounts,
        }),
    )
}

/// The page shown when the pending request is gone.
pub(super) fn expired(st: &FiState) -> Result<Response, HttpError> {
    st.error_page(
        StatusCode::BAD_REQUEST,
        "Demande expirée",
        "Votre demande de connexion a expiré ou n'existe pas. Retournez sur le service en ligne pour recommencer.",
    )
}

/// `POST /login` (fields `login`, `password` and the pending request id).
pub(super) async fn submit(
    State(st): State<Arc<FiState>>,
    jar: CookieJar,
    body: Bytes,
) -> Result<Response, HttpError> {
    let now = st.now();
    let p = Params::from_form(&body);
    let id = p.get(REQUEST_ID_FIELD).unwrap_or_default();
    let Some(pending) = st.store.pending(id, now) else {
        return expired(&st);
    };
    let second_factor = needs_second_factor(pending.request.acr);
    let locked = FormState {
        error: Some(format!(
            "Vous avez saisi {MAX_FAILURES} fois un identifiant ou un mot de passe incorrect. Par sécurité, cette demande de connexion est bloquée : abandonnez-la pour revenir au service."
        )),
        login: "",
        locked: true,
        second_factor,
    };
    if pending.locked() {
        return render_form(&st, id, locked);
    }
    let kind = st.kind();
    let login = p.get("login").unwrap_or_default();
    let password = p.get("password").unwrap_or_default();
    let Some(canonical_login) = kind.normalize_login(login) else {
        return render_form(
            &st,
            id,
            FormState {
                error: Some(kind.login_format_error().to_owned()),
                login,
                locked: false,
                second_factor,
            },
        );
    };
    if password.is_empty() {
        return render_form(
            &st,
            id,
            FormState {
                error: Some("Saisissez votre mot de passe.".to_owned()),
                login,
                locked: false,
                second_factor,
            },
        );
    }
    let Some(citizen) = accounts::find(kind, login, password) else {
        let failures = st
            .store
            .record_failure(id)
            .map_or(MAX_FAILURES, |p| p.failures);
        if failures >= MAX_FAILURES {
            return render_form(&st, id, locked);
        }
        let left = MAX_FAILURES - failures;
        let plural = if left > 1 { "s" } else { "" };
        return render_form(
            &st,
            id,
            FormState {
                error: Some(format!(
                    "{} ou mot de passe incorrect. Il vous reste {left} tentative{plural}.",
                    kind.login_label()
                )),
                login,
                locked: false,
                second_factor,
            },
        );
    };
    if second_factor {
        return otp::send(&st, id, citizen, &canonical_login, now);
    }
    let Some(pending) = st.store.take_pending(id, now) else {
        return expired(&st);
    };
    complete(&st, jar, pending, citizen, false, now)
}

/// Ends a successful login: opens the FI session (cookie) and sends the
/// citizen back to the client with a code.
pub(super) fn complete(
    st: &FiState,
    jar: CookieJar,
    pending: Pending,
    citizen: &'static Citizen,
    second_factor: bool,
    now: OffsetDateTime,
) -> Result<Response, HttpError> {
    let session = st.store.new_session(citizen, now, second_factor, now);
    let cookie = Cookie::build((st.cookie_name(), session))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(st.cookie_secure())
        .path(st.cookie_path())
        .build();
    let redirect = issue_code(st, pending.request, citizen, now, second_factor, now)?;
    Ok((jar.add(cookie), redirect).into_response())
}

/// `POST /abandon`: back to the client with `access_denied`.
pub(super) async fn abandon(
    State(st): State<Arc<FiState>>,
    body: Bytes,
) -> Result<Response, HttpError> {
    let p = Params::from_form(&body);
    let id = p.get(REQUEST_ID_FIELD).unwrap_or_default();
    let Some(pending) = st.store.take_pending(id, st.now()) else {
        return expired(&st);
    };
    let r = pending.request;
    redirect_error(
        &st,
        &r.redirect_uri,
        Some(&r.state),
        OAuthCode::AccessDenied,
        "the citizen cancelled the login",
    )
}
