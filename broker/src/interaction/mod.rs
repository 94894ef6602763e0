//! The citizen's steps between `/authorize` and the code: choice of FI,
//! FI callback, confirmation, data consent. Server-rendered pages with CSRF-protected forms.

pub mod app;
pub mod callback;
pub mod chooser;
pub mod confirm;
pub mod consent;
pub mod flow;
pub mod registry;
pub mod web;

use axum::{
    Router,
    routing::{get, post},
};

use crate::{
    error::{BrokerError, PageError},
    session::{Interaction, Session},
    state::AppState,
};

/// The interaction routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/interaction/{id}", get(chooser::chooser))
        .route("/interaction/{id}/fi", post(chooser::choose))
        .route("/interaction/{id}/cancel", get(chooser::cancel))
        .route(
            "/interaction/{id}/confirm",
            get(confirm::page).post(confirm::proceed),
        )
        .route(
            "/interaction/{id}/consent",
            get(consent::page).post(consent::decide),
        )
        .route("/interaction/{id}/not-me", get(confirm::not_me))
        .route("/interaction/{id}/registry/retry", post(registry::retry))
        .route("/api/v2/fi/callback", get(callback::callback))
        .route(
            "/api/v2/fi/logout-callback",
            get(crate::op::session_end::fi_logout_callback),
        )
        .merge(app::routes())
}

/// The page shown when an interaction is unknown or expired.
#[must_use]
pub fn expired() -> BrokerError {
    PageError::bad_request(
        "Y000410",
        "Votre demande de connexion a expiré",
        "Retournez sur le site du service et cliquez de nouveau sur le bouton FranceConnect.",
    )
    .into()
}

/// The live interaction `id` of the session.
///
/// # Errors
/// The "expired" page when it is unknown or too old.
pub fn interaction<'a>(
    s: &AppState,
    session: &'a Session,
    id: &str,
) -> Result<&'a Interaction, BrokerError> {
    session
        .data
        .interactions
        .get(id)
        .filter(|i| s.now() - i.created_at < s.cfg.interaction_ttl_secs)
        .ok_or_else(expired)
}

/// The page shown for a forged or stale form.
#[must_use]
pub fn csrf_failed() -> BrokerError {
    PageError::bad_request(
        "Y000403",
        "Formulaire expiré",
        "Ce formulaire n'est plus valide. Retournez sur le site du service pour recommencer.",
    )
    .with_status(axum::http::StatusCode::FORBIDDEN)
    .into()
}
