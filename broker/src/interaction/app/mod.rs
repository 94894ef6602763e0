//! The JSON twin of the login pages, for the citizen app
//! ([`pivot_proto::interaction`] documents the endpoints). The same steps
//! as the pages run (the files of [`super`]); only the session and the
//! answers differ: the session is the app's, found by the DPoP key each
//! request proves, and every outcome becomes a
//! [`Step`](pivot_proto::interaction::Step).

mod handlers;
mod view;

use axum::{
    Router,
    http::{HeaderMap, StatusCode},
    routing::{get, post},
};
use pivot_proto::interaction::APP_INTERACTIONS_PATH;

use crate::{error::BrokerError, op::dpop, session::Session, state::AppState};

/// The app's interaction routes.
pub fn routes() -> Router<AppState> {
    let p = APP_INTERACTIONS_PATH;
    Router::new()
        .route(p, post(handlers::start))
        .route(&format!("{p}/{{id}}"), get(handlers::show))
        .route(&format!("{p}/{{id}}/fi"), post(handlers::choose))
        .route(
            &format!("{p}/{{id}}/fi/callback"),
            post(handlers::fi_callback),
        )
        .route(&format!("{p}/{{id}}/registry/retry"), post(handlers::retry))
        .route(&format!("{p}/{{id}}/confirm"), post(handlers::confirm))
        .route(&format!("{p}/{{id}}/consent"), post(handlers::consent))
        .route(&format!("{p}/{{id}}/cancel"), post(handlers::cancel))
}

/// The app session of a request: its DPoP proof for `method` on `path`
/// names the device key, whose session it is.
async fn app_session(
    s: &AppState,
    headers: &HeaderMap,
    method: &str,
    path: &str,
) -> Result<(String, Session), BrokerError> {
    let unproven = |message: &str| {
        BrokerError::app(
            StatusCode::UNAUTHORIZED,
            "invalid_dpop_proof",
            format!("L'application n'a pas pu prouver qu'elle détient sa clé ({message})."),
        )
    };
    let proof = dpop::header(headers)
        .map_err(|_| unproven("plusieurs preuves"))?
        .ok_or_else(|| unproven("preuve absente"))?;
    let url = s.cfg.url(path);
    let proof = match s.verify_dpop(proof, method, &url, None).await {
        Ok(p) => p,
        Err(BrokerError::OAuth { error, .. }) => {
            tracing::info!(reason = ?error.error_description, "app interaction: DPoP proof refused");
            return Err(unproven("preuve invalide"));
        }
        Err(e) => return Err(e.for_app()),
    };
    let session = s
        .load_app_session(&proof.jkt)
        .await
        .map_err(BrokerError::for_app)?;
    Ok((proof.jkt, session))
}
