//! The citizen space's web pages: history, preferences, devices, and the
//! login through the broker's own `/authorize` (see [`super::space`]).

pub mod devices_page;
pub mod history_page;
pub mod preferences_page;

use axum::{
    extract::{Query, State},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::SignedCookieJar;
use pivot_proto::{eidas::Eidas, oauth::pkce::s256_challenge};
use serde::{Deserialize, Serialize};

use crate::{
    citizen::space::{Citizen, SPACE_CALLBACK, SPACE_CLIENT_ID, SPACE_SCOPES},
    crypto::{ct_eq, random_token},
    error::{BrokerError, PageError},
    op::{PREFIX, authorize::client_url, token::redeem_code},
    session::Session,
    state::AppState,
};

/// How long a space login lasts (30 minutes).
pub const SPACE_TTL_SECS: i64 = 30 * 60;

/// The space's login in progress (in the sealed session).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SpacePending {
    state: String,
    nonce: String,
    verifier: String,
    return_to: String,
}

/// The space's login (in the sealed session).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SpaceLogin {
    identity_hash: String,
    email: String,
    given_name: String,
    fi_id: String,
    acr: Eidas,
    at: i64,
}

/// Pages of the space that need a login, and where to come back.
fn local_return(path: Option<&str>) -> String {
    match path {
        Some(p) if p.starts_with("/espace") && !p.contains("//") && !p.contains('\\') => {
            p.to_owned()
        }
        _ => "/espace".to_owned(),
    }
}

impl AppState {
    /// The citizen logged in to the space in this session, if the login
    /// is still fresh.
    #[must_use]
    pub fn space_citizen(&self, jar: &SignedCookieJar, session: &Session) -> Option<Citizen> {
        let l = session.data.space.as_ref()?;
        (self.now() - l.at < SPACE_TTL_SECS).then(|| Citizen {
            identity_hash: l.identity_hash.clone(),
            email: l.email.clone(),
            given_name: l.given_name.clone(),
            fi_id: l.fi_id.clone(),
            acr: l.acr,
            device_id: self.device_cookie(jar).map(|c| c.id),
        })
    }

    /// Starts the space login: a redirect to the broker's own `/authorize`.
    ///
    /// # Errors
    /// On storage failure.
    pub async fn space_login(
        &self,
        jar: SignedCookieJar,
        mut session: Session,
        return_to: &str,
    ) -> Result<Response, BrokerError> {
        let pending = SpacePending {
            state: random_token(24),
            nonce: random_token(24),
            verifier: random_token(48),
            return_to: local_return(Some(return_to)),
        };
        let acr = self
            .cfg
            .acr_values
            .first()
            .copied()
            .unwrap_or(Eidas::Eidas1);
        let url = client_url(
            &self.cfg.url(&format!("{PREFIX}/authorize")),
            &[
                ("response_type", "code"),
                ("client_id", SPACE_CLIENT_ID),
                ("redirect_uri", &self.cfg.url(SPACE_CALLBACK)),
                ("scope", &SPACE_SCOPES.join(" ")),
                ("state", &pending.state),
                ("nonce", &pending.nonce),
                ("acr_values", acr.as_str()),
                ("code_challenge", &s256_challenge(&pending.verifier)),
                ("code_challenge_method", "S256"),
                ("prompt", "login"),
            ],
        );
        session.data.space_pending = Some(pending);
        let jar = self.save_session(jar, &session).await?;
        Ok((jar, Redirect::to(&url)).into_response())
    }
}

/// Query of the space pages that need a login.
#[derive(Debug, Default, Deserialize)]
pub struct SpaceQuery {
    /// An error code from the authorization response.
    pub error: Option<String>,
}

/// The authorization response.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

fn login_failed(message: &str) -> BrokerError {
    PageError::bad_request("Y040001", "Connexion à votre espace impossible", message)
        .with_action("Réessayer", "/espace")
        .into()
}

/// `GET /espace/callback`
pub async fn callback(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, BrokerError> {
    let mut session = s.load_session(&jar).await?;
    let Some(pending) = session.data.space_pending.take() else {
        return Ok(Redirect::to("/espace").into_response());
    };
    let state_ok = q
        .state
        .as_deref()
        .is_some_and(|st| ct_eq(st, &pending.state));
    if !state_ok {
        return Err(login_failed(
            "La réponse ne correspond à aucune demande de connexion en cours.",
        ));
    }
    // Saved now: the pending login is single-use whatever follows.
    let jar = s.save_session(jar, &session).await?;
    if let Some(err) = q.error {
        let msg = if err == "access_denied" {
            "La connexion a été annulée ou refusée."
        } else {
            "La connexion n'a pas abouti."
        };
        return Ok((jar, login_failed(msg)).into_response());
    }
    if q.iss.as_deref() != Some(s.cfg.issuer.as_str()) {
        return Ok((jar, login_failed("Réponse d'un autre émetteur.")).into_response());
    }
    let code = q.code.unwrap_or_default();
    let grant = match redeem_code(
        &s,
        SPACE_CLIENT_ID,
        &code,
        Some(&s.cfg.url(SPACE_CALLBACK)),
        Some(&pending.verifier),
    )
    .await
    {
        Ok(g) if ct_eq(&g.nonce, &pending.nonce) => g,
        Ok(_) | Err(BrokerError::OAuth { .. }) => {
            return Ok(
                (jar, login_failed("Le code de connexion n'est pas valide.")).into_response(),
            );
        }
        Err(e) => return Err(e),
    };
    let c = Citizen::from_grant(&grant, None);
    session.data.space = Some(SpaceLogin {
        identity_hash: c.identity_hash,
        email: c.email,
        given_name: c.given_name,
        fi_id: c.fi_id,
        acr: c.acr,
        at: s.now(),
    });
    let jar = s.save_session(jar, &session).await?;
    Ok((jar, Redirect::to(&pending.return_to)).into_response())
}

/// The logout form.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    /// CSRF token.
    pub csrf: String,
}

/// `POST /espace/deconnexion`: leaves the space (the federation session,
/// if any, is left to the services' logout).
pub async fn logout(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Result<Response, BrokerError> {
    let mut session = s.load_session(&jar).await?;
    if !session.csrf_ok(&form.csrf) {
        return Err(crate::interaction::csrf_failed());
    }
    session.data.space = None;
    let jar = s.save_session(jar, &session).await?;
    Ok((jar, Redirect::to("/espace/au-revoir")).into_response())
}

/// `GET /espace/au-revoir`
pub async fn logged_out(State(s): State<AppState>) -> Result<Response, BrokerError> {
    let html = s.templates.render(
        "broker/space_logged_out.html",
        minijinja::context! { lang => "fr", site_name => s.cfg.platform_name },
    )?;
    Ok(html.into_response())
}

/// The citizen of the space, or the login redirect.
pub(crate) async fn require(
    s: &AppState,
    jar: SignedCookieJar,
    return_to: &str,
) -> Result<Result<(Citizen, Session, SignedCookieJar), Response>, BrokerError> {
    let session = s.load_session(&jar).await?;
    match s.space_citizen(&jar, &session) {
        Some(c) => Ok(Ok((c, session, jar))),
        None => Ok(Err(s.space_login(jar, session, return_to).await?)),
    }
}

/// Common page context.
pub(crate) fn nav(s: &AppState, c: &Citizen, session: &Session, active: &str) -> minijinja::Value {
    minijinja::context! {
        lang => "fr",
        site_name => s.cfg.platform_name,
        given_name => c.given_name,
        csrf => session.data.csrf,
        active,
    }
}
