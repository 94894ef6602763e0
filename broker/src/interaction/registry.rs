//! The civil-registry (RNIPP) check between the FI login and the
//! confirmation page. Found or corrected: the login goes on with the
//! registry's identity beside the FI's. Any other answer stops it with its
//! own page and an OAuth error for the service. A registry that does not
//! answer gets a retry page (the FI login is kept, sealed in the session).
//! Skipped on SSO: the session's login was checked when it was made.

use axum::{
    Form,
    extract::{Path, State},
    response::Response,
};
use axum_extra::extract::SignedCookieJar;
use pivot_proto::{
    citizen::EventCode,
    oauth::{OAuthError, OAuthErrorCode},
    rnipp::{RnippOutcome, RnippQuery},
};
use serde::Deserialize;

use crate::{
    citizen::events::Event,
    error::{BrokerError, PageError},
    interaction::{csrf_failed, flow::Outcome, interaction},
    session::{Interaction, Session, SsoLogin},
    state::AppState,
};

/// What the check decided.
enum Checked {
    /// The login goes on with this (registry identity attached).
    Verified(Box<SsoLogin>),
    /// The registry refused the identity: page and OAuth error.
    Refused(PageError, OAuthError),
    /// The registry did not answer: retry page.
    Unavailable,
}

async fn check(s: &AppState, mut login: SsoLogin) -> Checked {
    let Some(registry) = &s.registry else {
        return Checked::Verified(Box::new(login));
    };
    let query = RnippQuery::from_identity(&login.identity.pivot);
    let outcome = match registry.check(&query).await {
        Ok(o) => o,
        Err(e) if e.is_transient() => {
            tracing::warn!(error = %e, "civil registry unavailable");
            return Checked::Unavailable;
        }
        Err(e) => {
            tracing::error!(error = %e, "civil registry answered outside the protocol");
            return Checked::Unavailable;
        }
    };
    tracing::info!(outcome = outcome.as_str(), fi = %login.fi_id, "civil registry check");
    let (code, title, desc) = match &outcome {
        RnippOutcome::Found(identity) | RnippOutcome::Corrected { identity, .. } => {
            login.registry = Some(identity.clone());
            return Checked::Verified(Box::new(login));
        }
        RnippOutcome::NotFound => (
            "Y010001",
            "Identité non reconnue",
            "identity not found in the civil registry",
        ),
        RnippOutcome::MarriedNameOnly => (
            "Y010002",
            "Nom de naissance attendu",
            "identity known to the civil registry under another family name",
        ),
        RnippOutcome::Deceased => (
            "Y010003",
            "Connexion impossible",
            "the civil registry reports this person as deceased",
        ),
        RnippOutcome::Rejected { reason } => {
            tracing::warn!(%reason, "civil registry rejected the query");
            (
                "Y010004",
                "Vérification de votre identité refusée",
                "the civil registry rejected the identity check",
            )
        }
        _ => return Checked::Unavailable,
    };
    // The French explanation is shared with the app (pivot-proto).
    let message = outcome.error_message_fr().unwrap_or_default();
    Checked::Refused(
        PageError::bad_request(code, title, message),
        OAuthError::new(OAuthErrorCode::AccessDenied, desc),
    )
}

impl AppState {
    /// Runs the check for a fresh FI login of interaction `i`: on to the
    /// confirmation, a refusal, or a retry.
    ///
    /// # Errors
    /// Storage failures.
    pub(super) async fn verify_login(
        &self,
        session: &mut Session,
        mut i: Interaction,
        login: SsoLogin,
    ) -> Result<Outcome, BrokerError> {
        let s = self;
        let mut checked = check(s, login.clone()).await;
        if let Checked::Verified(l) = &checked {
            s.record(
                Event::new(EventCode::FcVerified)
                    .login(l)
                    .client(&i.request.client_id, &i.client_name)
                    .session(&session.data.trace),
            )
            .await;
            if let Err(refusal) = s.account_gate(l, &session.data.trace).await? {
                checked = Checked::Refused(
                    refusal.page(&s.cfg.platform_name),
                    OAuthError::new(OAuthErrorCode::AccessDenied, refusal.description()),
                );
            }
        }
        match checked {
            Checked::Verified(login) => {
                session.data.sso = Some(*login);
                i.authenticated = true;
                i.unverified = None;
                i.failure = None;
                session.data.interactions.insert(i.id.clone(), i);
                // A new login: a new session id (no session fixation).
                s.renew_session(session).await?;
                Ok(Outcome::Confirm)
            }
            Checked::Refused(page, err) => {
                i.unverified = None;
                i.failure = Some(err);
                session.data.interactions.insert(i.id.clone(), i);
                Ok(Outcome::Refused(
                    page.with_status(axum::http::StatusCode::FORBIDDEN),
                ))
            }
            Checked::Unavailable => {
                i.unverified = Some(login.clone());
                i.failure = Some(OAuthError::new(
                    OAuthErrorCode::TemporarilyUnavailable,
                    "the civil registry is unavailable",
                ));
                session.data.interactions.insert(i.id.clone(), i);
                Ok(Outcome::RegistryUnavailable { fi_id: login.fi_id })
            }
        }
    }

    /// Checks the kept FI login of interaction `id` again.
    ///
    /// # Errors
    /// The "expired" page; storage failures.
    pub(super) async fn retry_registry(
        &self,
        session: &mut Session,
        id: &str,
    ) -> Result<Outcome, BrokerError> {
        let i = interaction(self, session, id)?.clone();
        let Some(login) = i.unverified.clone() else {
            return Ok(Outcome::Chooser { unavailable: None });
        };
        self.verify_login(session, i, login).await
    }
}

/// The retry form.
#[derive(Debug, Deserialize)]
pub struct RetryForm {
    csrf: String,
}

/// `POST /interaction/{id}/registry/retry`: checks the kept FI login again.
pub async fn retry(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    Path(id): Path<String>,
    Form(form): Form<RetryForm>,
) -> Result<Response, BrokerError> {
    let mut session = s.load_session(&jar).await?;
    if !session.csrf_ok(&form.csrf) {
        return Err(csrf_failed());
    }
    let outcome = s.retry_registry(&mut session, &id).await?;
    s.respond(jar, session, &id, outcome).await
}
