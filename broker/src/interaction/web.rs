//! The web pages' side of the state machine: stores the browser's session
//! and turns an [`Outcome`] into a redirect or a page.

use axum::{
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::SignedCookieJar;

use crate::{
    error::{BrokerError, PageError},
    interaction::flow::Outcome,
    session::Session,
    state::AppState,
};

/// Seconds the registry's retry page asks to wait.
pub const REGISTRY_RETRY_SECS: u32 = 5;

impl AppState {
    /// Saves the session and answers the browser with what follows a step
    /// of interaction `id`.
    ///
    /// # Errors
    /// Storage or template failures.
    pub async fn respond(
        &self,
        jar: SignedCookieJar,
        session: Session,
        id: &str,
        outcome: Outcome,
    ) -> Result<Response, BrokerError> {
        let jar = self.save_session(jar, &session).await?;
        let client_name = session
            .data
            .interactions
            .get(id)
            .map(|i| i.client_name.clone())
            .unwrap_or_default();
        let to = |path: String| Ok((jar.clone(), Redirect::to(&path)).into_response());
        match outcome {
            Outcome::Chooser { unavailable: None } => to(format!("/interaction/{id}")),
            Outcome::Chooser {
                unavailable: Some(fi),
            } => to(format!("/interaction/{id}?unavailable={fi}")),
            Outcome::FiLogin { url, .. } | Outcome::Return { url, .. } => to(url),
            Outcome::Confirm | Outcome::AgreementMissing => {
                to(format!("/interaction/{id}/confirm"))
            }
            Outcome::Consent => to(format!("/interaction/{id}/consent")),
            Outcome::FiFailed { title, message } => {
                let page = PageError::bad_request("Y020001", title, message)
                    .with_action("Choisir un autre compte", format!("/interaction/{id}"));
                Ok((jar, BrokerError::from(page)).into_response())
            }
            Outcome::Refused(page) => {
                let page = page.with_action(
                    format!("Revenir sur {client_name}"),
                    format!("/interaction/{id}/cancel"),
                );
                Ok((jar, BrokerError::from(page)).into_response())
            }
            Outcome::RegistryUnavailable { fi_id } => {
                let html = self.templates.render(
                    "broker/registry_unavailable.html",
                    minijinja::context! {
                        lang => "fr",
                        site_name => self.cfg.platform_name,
                        client_name,
                        interaction_id => id,
                        csrf => session.data.csrf,
                        fi_name => self.fis.name(&fi_id),
                    },
                )?;
                Ok((
                    StatusCode::SERVICE_UNAVAILABLE,
                    jar,
                    [(header::RETRY_AFTER, REGISTRY_RETRY_SECS.to_string())],
                    html,
                )
                    .into_response())
            }
        }
    }
}
