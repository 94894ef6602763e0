//! HTTP handlers: translate requests into session and relying-party calls.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;

use super::error::FsError;
use super::oidc::RelyingParty;
use super::pages;
use super::quotient::{self, ManualForm};
use super::session::{Session, SessionId, SessionStore};
use super::{FsKey, FsSpec};
use crate::clock::SharedClock;
use crate::web::Templates;

/// Shared state of one demo service provider.
#[derive(Clone)]
pub(crate) struct AppState(Arc<Inner>);

struct Inner {
    spec: FsSpec,
    cookie_name: String,
    templates: Templates,
    sessions: SessionStore,
    rp: RelyingParty,
    /// For data providers.
    http: reqwest::Client,
    clock: SharedClock,
    /// The published JWKS of a service that decrypts.
    jwks: Option<serde_json::Value>,
}

impl AppState {
    pub fn new(
        spec: FsSpec,
        templates: Templates,
        http: reqwest::Client,
        clock: SharedClock,
        key: Option<FsKey>,
    ) -> Self {
        let jwks = key.as_ref().map(|k| k.public_jwks().clone());
        Self(Arc::new(Inner {
            cookie_name: spec.cookie_name(),
            rp: RelyingParty::new(spec.clone(), http.clone(), clock.clone(), key),
            http,
            jwks,
            spec,
            templates,
            sessions: SessionStore::default(),
            clock,
        }))
    }
}

impl Inner {
    fn cookie<'a>(&self, jar: &'a CookieJar) -> Option<&'a str> {
        jar.get(&self.cookie_name).map(Cookie::value)
    }

    /// The session of this browser, created (and its cookie set) if needed.
    fn session(&self, jar: CookieJar) -> (CookieJar, SessionId) {
        let (id, created) = self
            .sessions
            .load_or_create(self.cookie(&jar), self.clock.now());
        if !created {
            return (jar, id);
        }
        let cookie = Cookie::build((self.cookie_name.clone(), id.as_str().to_owned()))
            .path("/")
            .http_only(true)
            .secure(self.spec.secure_cookie())
            .same_site(SameSite::Lax)
            .build();
        (jar.add(cookie), id)
    }

    fn error(&self, err: &FsError) -> Response {
        pages::error_response(&self.templates, &self.spec, err)
    }

    fn respond(&self, result: Result<Response, FsError>) -> Response {
        result.unwrap_or_else(|e| self.error(&e))
    }

    /// The home page of this session: the plain demo page, or the
    /// family-quotient démarche with its form as `typed` (after a refused
    /// manual entry).
    fn home_page(
        &self,
        session: &Session,
        now: time::OffsetDateTime,
        typed: Option<(&ManualForm, &quotient::FormErrors)>,
    ) -> Result<Response, FsError> {
        let login = session.login.as_ref();
        if self.spec.quotient.is_none() {
            return pages::home(&self.templates, &self.spec, &session.csrf, login);
        }
        let offered = quotient::offered_years(now);
        let view = quotient::view::build(&offered, session.quotient.as_ref(), typed);
        let status = if typed.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        pages::quotient_home(
            &self.templates,
            &self.spec,
            &session.csrf,
            login,
            &view,
            status,
        )
    }
}

/// A form carrying the session's anti-CSRF token (and, for a
/// family-quotient service, the income year chosen).
#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    annee: Option<String>,
}

/// `GET /`: the FranceConnect button, or the citizen's claims; for a
/// family-quotient service, the démarche.
pub(crate) async fn home(State(state): State<AppState>, jar: CookieJar) -> Response {
    let s = &state.0;
    let (jar, id) = s.session(jar);
    let now = s.clock.now();
    let page = s
        .sessions
        .with(Some(id.as_str()), now, |session| {
            s.home_page(session, now, None)
        })
        .unwrap_or(Err(FsError::Csrf));
    (jar, s.respond(page)).into_response()
}

/// `GET /.well-known/jwks.json`: the public key the broker encrypts to
/// (404 for a service that does not decrypt).
pub(crate) async fn jwks(State(state): State<AppState>) -> Response {
    let s = &state.0;
    match &s.jwks {
        Some(jwks) => Json(jwks.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `POST /login`: redirects to the broker's authorization endpoint.
pub(crate) async fn login(
    State(state): State<AppState>,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> Response {
    let s = &state.0;
    let now = s.clock.now();
    let cookie = s.cookie(&jar);
    let csrf_ok = s
        .sessions
        .with(cookie, now, |session| session.csrf_matches(&form.csrf))
        .unwrap_or(false);
    if !csrf_ok {
        return s.error(&FsError::Csrf);
    }
    let provider = match s.rp.provider(false).await {
        Ok(p) => p,
        Err(e) => return s.error(&e),
    };
    let (url, mut pending) = s.rp.authorization_url(&provider);
    if s.spec.quotient.is_some() {
        let offered = quotient::offered_years(now);
        pending.annee = Some(quotient::chosen_year(form.annee.as_deref(), &offered));
    }
    let stored = s
        .sessions
        .with(cookie, s.clock.now(), |session| {
            session.add_pending(pending)
        })
        .is_some();
    if !stored {
        return s.error(&FsError::Csrf);
    }
    Redirect::to(url.as_str()).into_response()
}

/// Parameters of the authorization response.
#[derive(Debug, Deserialize)]
pub(crate) struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /callback`: the broker's authorization response.
pub(crate) async fn callback(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let s = &state.0;
    let result = async {
        // RFC 9207: a response that does not come from our broker is
        // refused before anything else, errors included.
        s.rp.check_response_issuer(q.iss.as_deref())?;
        let now = s.clock.now();
        let pending = q.state.as_deref().and_then(|st| {
            s.sessions
                .with(s.cookie(&jar), now, |session| session.take_pending(st, now))
                .flatten()
        });
        if let Some(error) = q.error.as_deref() {
            return pages::oauth_error(
                &s.templates,
                &s.spec,
                error,
                q.error_description.as_deref(),
            );
        }
        let pending = pending.ok_or(FsError::UnknownState)?;
        let code = q.code.clone().ok_or(FsError::MissingCode)?;
        let annee = pending.annee;
        let login = s.rp.finish_login(pending, code).await?;
        // Right away, while the access token is valid (60 s).
        let record = match &s.spec.quotient {
            Some(spec) => {
                let offered = quotient::offered_years(s.clock.now());
                let annee = annee.unwrap_or_else(|| quotient::chosen_year(None, &offered));
                Some(
                    quotient::after_login(
                        spec,
                        &s.http,
                        &s.spec.scopes,
                        &login.granted_scopes,
                        &login.access_token,
                        annee,
                    )
                    .await,
                )
            }
            None => None,
        };
        let stored = s
            .sessions
            .with(s.cookie(&jar), s.clock.now(), |session| {
                session.login = Some(login);
                if record.is_some() {
                    session.quotient = record;
                }
            })
            .is_some();
        if !stored {
            return Err(FsError::UnknownState);
        }
        Ok(Redirect::to("/").into_response())
    }
    .await;
    s.respond(result)
}

/// `GET /me.json`: the current citizen's claims, for HTTP tests, and the
/// family quotient (`quotient`) once obtained or typed. 401 when there is
/// neither.
pub(crate) async fn me(State(state): State<AppState>, jar: CookieJar) -> Response {
    let s = &state.0;
    let body = s
        .sessions
        .with(s.cookie(&jar), s.clock.now(), |session| {
            let mut body = serde_json::Map::new();
            if let Some(l) = &session.login {
                body.insert("userinfo".into(), serde_json::json!(l.userinfo));
                body.insert("id_token".into(), serde_json::json!(l.id_token_claims));
            }
            if let Some(q) = &session.quotient {
                body.insert("quotient".into(), q.to_json());
            }
            (!body.is_empty()).then_some(serde_json::Value::Object(body))
        })
        .flatten();
    match body {
        Some(body) => Json(body).into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({ "error": "not_logged_in" })),
        )
            .into_response(),
    }
}

/// `POST /logout`: ends the local session, then the broker's.
pub(crate) async fn logout(
    State(state): State<AppState>,
    jar: CookieJar,
    Form(form): Form<CsrfForm>,
) -> Response {
    let s = &state.0;
    let cookie = s.cookie(&jar);
    let login = s.sessions.with(cookie, s.clock.now(), |session| {
        session.csrf_matches(&form.csrf).then(|| {
            session.quotient = None;
            session.login.take()
        })
    });
    let id_token = match login {
        None | Some(None) => return s.error(&FsError::Csrf),
        Some(Some(None)) => return Redirect::to("/").into_response(),
        Some(Some(Some(login))) => login.id_token,
    };
    let (url, logout_state) = match s.rp.logout_url(&id_token).await {
        Ok(v) => v,
        Err(e) => return s.error(&e),
    };
    s.sessions.with(cookie, s.clock.now(), |session| {
        session.logout_state = Some(logout_state);
    });
    Redirect::to(url.as_str()).into_response()
}

/// Parameters of the return from the broker's logout.
#[derive(Debug, Deserialize)]
pub(crate) struct LoggedOutQuery {
    state: Option<String>,
}

/// `GET /logged-out`: back from the broker's logout.
pub(crate) async fn logged_out(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(q): Query<LoggedOutQuery>,
) -> Response {
    let s = &state.0;
    let ok = s
        .sessions
        .with(s.cookie(&jar), s.clock.now(), |session| {
            match (session.logout_state.as_deref(), q.state.as_deref()) {
                (Some(expected), Some(got)) if super::session::same_secret(expected, got) => {
                    session.logout_state = None;
                    true
                }
                _ => false,
            }
        })
        .unwrap_or(false);
    if !ok {
        return s.error(&FsError::UnknownLogoutState);
    }
    s.respond(pages::logged_out(&s.templates, &s.spec))
}

/// `POST /quotient` (family-quotient services): the manual form. A valid
/// entry is kept and shown on the home page; otherwise the page comes back
/// (422) with the values typed and a message per field.
pub(crate) async fn quotient_manual(
    State(state): State<AppState>,
    jar: CookieJar,
    Form(form): Form<ManualForm>,
) -> Response {
    let s = &state.0;
    let now = s.clock.now();
    let offered = quotient::offered_years(now);
    let result = s
        .sessions
        .with(s.cookie(&jar), now, |session| {
            if !session.csrf_matches(&form.csrf) {
                return Err(FsError::Csrf);
            }
            match quotient::validate(&form, &offered) {
                Ok(values) => {
                    let granted = session
                        .login
                        .as_ref()
                        .map(|l| l.granted_scopes.clone())
                        .unwrap_or_default();
                    session.quotient = Some(quotient::manual_record(
                        values,
                        session.quotient.as_ref(),
                        granted,
                    ));
                    Ok(Redirect::to("/").into_response())
                }
                Err(errors) => s.home_page(session, now, Some((&form, &errors))),
            }
        })
        .unwrap_or(Err(FsError::Csrf));
    s.respond(result)
}
