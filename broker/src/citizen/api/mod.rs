//! The citizen-space JSON API for the app, under `/api/v2/citizen`:
//! history, preferences, devices and fraud reports. Every call needs a
//! live access token of the broker carrying the `citizen_space` scope; it
//! only ever reads or changes the token's own citizen. Described by an
//! OpenAPI document at `/api/v2/citizen/openapi.json`.

pub mod auth;
pub mod handlers;
pub mod openapi;

use axum::{
    Router,
    routing::{delete, get, post},
};

use crate::state::AppState;

/// The API's routes (relative to `/api/v2`).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/citizen/history", get(handlers::history))
        .route(
            "/citizen/preferences",
            get(handlers::preferences).patch(handlers::update_preferences),
        )
        .route("/citizen/devices", get(handlers::devices))
        .route("/citizen/devices/{id}", delete(handlers::forget_device))
        .route(
            "/citizen/devices/current/trust",
            post(handlers::trust_current_device),
        )
        .route("/citizen/reports", post(handlers::report))
        .route("/citizen/openapi.json", get(openapi::document))
}
