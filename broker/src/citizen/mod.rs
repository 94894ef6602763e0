//! The citizen space: what citizens see and control of what is done in
//! their name — the event log and their history, connection alerts by
//! e-mail, devices, preferences (blocked identity providers), fraud
//! reports — as web pages and as a JSON API for the app.
//!
//! Service logic lives in `impl AppState` blocks, one concern per file;
//! [`web`] and [`api`] only translate HTTP.

pub mod alert;
pub mod api;
pub mod device;
pub mod devices;
pub mod events;
pub mod gate;
pub mod history;
pub mod mails;
pub mod preferences;
pub mod report;
pub mod space;
pub mod time_fr;
pub mod web;

use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

/// The web routes of the space and the report form.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/espace", get(web::history_page::page))
        .route("/espace/callback", get(web::callback))
        .route(
            "/espace/preferences",
            get(web::preferences_page::page).post(web::preferences_page::save),
        )
        .route("/espace/appareils", get(web::devices_page::page))
        .route(
            "/espace/appareils/confiance",
            post(web::devices_page::trust),
        )
        .route(
            "/espace/appareils/{id}/oublier",
            post(web::devices_page::forget),
        )
        .route("/espace/deconnexion", post(web::logout))
        .route("/espace/au-revoir", get(web::logged_out))
        .route("/signaler", get(report::page).post(report::submit))
}
