//! `GET|POST /authorize`: checks the request, then starts an interaction.
//!
//! Until `client_id` and `redirect_uri` are known to match a registered
//! client, errors are shown as a page (never redirected); after, they go back
//! to the FS as OAuth errors with `state` and `iss` (RFC 9207).

use axum::{
    body::Bytes,
    extract::{RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::SignedCookieJar;
use pivot_proto::{
    citizen::{CITIZEN_SPACE_SCOPE, EventCode},
    oauth::{AuthorizeParams, AuthorizeRequest, OAuthError, OAuthErrorCode},
    scope::{is_known_identity_scope, is_rnipp_scope},
};

use crate::{
    citizen::events::Event,
    config::IdentitySource,
    crypto::random_token,
    error::{BrokerError, PageError},
    interaction::flow::Outcome,
    op::form::pairs,
    session::{Interaction, Session},
    state::AppState,
    storage::{ClientAuthMethod, ClientRecord, ClientRole},
};

/// `GET /authorize`
pub async fn authorize_get(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    RawQuery(q): RawQuery,
) -> Result<Response, BrokerError> {
    authorize(s, jar, pairs(q.unwrap_or_default().as_bytes())).await
}

/// `POST /authorize` (form body).
pub async fn authorize_post(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    body: Bytes,
) -> Result<Response, BrokerError> {
    authorize(s, jar, pairs(&body)).await
}

/// Appends parameters to a (validated) client URL.
#[must_use]
pub fn client_url(base: &str, params: &[(&str, &str)]) -> String {
    match url::Url::parse(base) {
        Ok(mut u) => {
            {
                let mut q = u.query_pairs_mut();
                for (k, v) in params {
                    q.append_pair(k, v);
                }
            }
            u.to_string()
        }
        Err(_) => base.to_owned(),
    }
}

/// An OAuth error sent back to the FS's validated redirect URI.
#[must_use]
pub fn error_redirect(
    s: &AppState,
    redirect_uri: &str,
    err: &OAuthError,
    state: Option<&str>,
) -> Response {
    Redirect::to(&error_url(s, redirect_uri, err, state)).into_response()
}

/// The FS's validated redirect URI with an OAuth error (RFC 6749
/// §4.1.2.1, `iss` per RFC 9207).
#[must_use]
pub fn error_url(
    s: &AppState,
    redirect_uri: &str,
    err: &OAuthError,
    state: Option<&str>,
) -> String {
    let mut params = vec![("error", err.error.as_str())];
    if let Some(d) = err.error_description.as_deref() {
        params.push(("error_description", d));
    }
    if let Some(st) = state {
        params.push(("state", st));
    }
    params.push(("iss", &s.cfg.issuer));
    client_url(redirect_uri, &params)
}

fn untrusted(title: &str, message: String) -> BrokerError {
    PageError::bad_request("Y000400", title, message).into()
}

async fn authorize(
    s: AppState,
    jar: SignedCookieJar,
    pairs: Vec<(String, String)>,
) -> Result<Response, BrokerError> {
    let (client, req) = match s.check_request(pairs).await? {
        Ok(checked) => checked,
        Err(Rejection::Page(e)) => return Err(e),
        Err(Rejection::Service {
            redirect_uri,
            error,
            state,
        }) => return Ok(error_redirect(&s, &redirect_uri, &error, state.as_deref())),
    };
    let mut session = s.load_session(&jar).await?;
    let (id, outcome) = s.begin(&mut session, &client, req).await?;
    let jar = s.save_session(jar, &session).await?;
    let next = match outcome {
        Outcome::Confirm => format!("/interaction/{id}/confirm"),
        Outcome::FiLogin { url, .. } => url,
        Outcome::Chooser {
            unavailable: Some(hint),
        } => format!("/interaction/{id}?unavailable={hint}"),
        _ => format!("/interaction/{id}"),
    };
    Ok((
        StatusCode::SEE_OTHER,
        jar,
        [(axum::http::header::LOCATION, next)],
    )
        .into_response())
}

/// Why an authorization request is not taken.
#[derive(Debug)]
pub enum Rejection {
    /// Before the service and its redirect URI are trusted: a page (never a
    /// redirect).
    Page(BrokerError),
    /// After: an OAuth error for the service's redirect URI.
    Service {
        /// The registered redirect URI the request named.
        redirect_uri: String,
        /// The error.
        error: OAuthError,
        /// The request's `state`, as sent.
        state: Option<String>,
    },
}

impl AppState {
    /// Checks an authorization request (the web's `/authorize` and the
    /// app's interactions alike).
    ///
    /// # Errors
    /// Storage failures; the request's own faults are a [`Rejection`].
    pub async fn check_request(
        &self,
        pairs: Vec<(String, String)>,
    ) -> Result<Result<(ClientRecord, AuthorizeRequest), Rejection>, BrokerError> {
        let s = self;
        let params = AuthorizeParams::from_pairs(pairs);
        // 1. Who asks, and where do we answer? Errors here are pages.
        let client_id = match params.client_id() {
            Ok(c) => c,
            Err(e) => {
                return Ok(Err(Rejection::Page(untrusted(
                    "Demande de connexion invalide",
                    format!("Le service n'a pas transmis un identifiant valide ({e})."),
                ))));
            }
        };
        // A data provider is a partner too, but cannot log citizens in.
        let client = s
            .store
            .client(client_id)
            .await?
            .filter(|c| c.role == ClientRole::Service);
        let Some(client) = client else {
            return Ok(Err(Rejection::Page(untrusted(
                "Service inconnu",
                format!(
                    "Le service qui vous a envoyé ici n'est pas enregistré auprès de {}.",
                    s.cfg.platform_name
                ),
            ))));
        };
        let redirect_uri = match params.redirect_uri() {
            Ok(r) => r,
            Err(e) => {
                return Ok(Err(Rejection::Page(untrusted(
                    "Demande de connexion invalide",
                    format!("L'adresse de retour du service est invalide ({e})."),
                ))));
            }
        };
        let native = client.auth_method == ClientAuthMethod::None;
        if !client
            .redirect_uris
            .iter()
            .any(|r| pivot_proto::oauth::redirect::redirect_matches(r, redirect_uri, native))
        {
            return Ok(Err(Rejection::Page(untrusted(
                "Adresse de retour inconnue",
                "L'adresse de retour demandée ne correspond pas à celles que ce service a déclarées."
                    .to_owned(),
            ))));
        }
        let redirect_uri = redirect_uri.to_owned();
        let raw_state = params.state.clone();
        let fail = |error: OAuthError| {
            Ok(Err(Rejection::Service {
                redirect_uri: redirect_uri.clone(),
                error,
                state: raw_state.clone(),
            }))
        };

        // 2. The rest of the request: errors go back to the FS.
        let rules = s
            .cfg
            .authorize_rules(client.auth_method == ClientAuthMethod::None);
        let req = match params.validate(&rules) {
            Ok(r) => r,
            Err(e) => return fail(e),
        };
        if let Err(BrokerError::OAuth { error, .. }) = s.encryption_for(&client) {
            return fail(error);
        }
        let rnipp_claims = s.cfg.identity_source == IdentitySource::Provider;
        let catalogue = s.store.data_catalogue().await?;
        // Allowed for this client, and known: an identity scope of this
        // platform or a datum a registered data provider serves.
        let forbidden: Vec<&str> = req
            .scope
            .iter()
            .filter(|sc| {
                let known = is_known_identity_scope(sc)
                    || (is_rnipp_scope(sc) && rnipp_claims)
                    || catalogue.iter().any(|d| d.scope == *sc)
                    || *sc == CITIZEN_SPACE_SCOPE;
                !known || !client.scopes.iter().any(|c| c == sc)
            })
            .collect();
        if !forbidden.is_empty() {
            return fail(OAuthError::new(
                OAuthErrorCode::InvalidScope,
                format!(
                    "scopes not allowed for this client: {}",
                    forbidden.join(" ")
                ),
            ));
        }
        if let Some(hint) = req.idp_hint.as_deref() {
            let usable =
                client.accepts_fi(hint) && s.fis.get(hint).is_some_and(|fi| fi.serves(req.acr));
            if !usable {
                return fail(OAuthError::new(
                    OAuthErrorCode::InvalidRequest,
                    format!("idp_hint {hint} is not an available identity provider for this level"),
                ));
            }
        }
        Ok(Ok((client, req)))
    }

    /// Starts the interaction of a checked request in `session`: the
    /// confirmation when the session's login can be reused (SSO), the
    /// provider of `idp_hint`, or the chooser.
    ///
    /// # Errors
    /// Storage failures.
    pub async fn begin(
        &self,
        session: &mut Session,
        client: &ClientRecord,
        req: AuthorizeRequest,
    ) -> Result<(String, Outcome), BrokerError> {
        let s = self;
        let now = s.now();
        // SSO: a finished login of a level this platform reuses, at an
        // identity provider this service accepts, unless the service forces
        // a new login.
        let sso_usable =
            !req.prompt_login
                && session.data.sso.as_ref().is_some_and(|l| {
                    s.cfg.sso_allowed(req.acr, l.acr) && client.accepts_fi(&l.fi_id)
                });
        let id = random_token(16);
        s.record(
            Event::new(EventCode::FcAuthorizeInitiated)
                .client(&client.client_id, &client.name)
                .acr(req.acr)
                .session(&session.data.trace)
                .details(if sso_usable { "sso" } else { "new login" }),
        )
        .await;
        let hint = req.idp_hint.clone();
        let (acr, force_login) = (req.acr, s.cfg.force_fi_login(req.acr, req.prompt_login));
        session.add_interaction(Interaction {
            id: id.clone(),
            request: req,
            client_name: client.name.clone(),
            created_at: now,
            fi: None,
            authenticated: sso_usable,
            unverified: None,
            failure: None,
            confirmed: false,
            trust_device: false,
        });
        let outcome = if sso_usable {
            Outcome::Confirm
        } else if let Some(hint) = hint {
            match s.fis.begin(&hint, acr, force_login, now).await {
                Ok((url, pending)) => {
                    if let Some(i) = session.data.interactions.get_mut(&id) {
                        i.fi = Some(pending);
                    }
                    Outcome::FiLogin {
                        fi_id: hint,
                        url: url.to_string(),
                    }
                }
                Err(e) => {
                    tracing::warn!(fi = %hint, error = %e, "idp_hint provider unavailable");
                    Outcome::Chooser {
                        unavailable: Some(hint),
                    }
                }
            }
        } else {
            Outcome::Chooser { unavailable: None }
        };
        Ok((id, outcome))
    }
}
