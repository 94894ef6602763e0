//! HTTP handlers of the registry service: they only translate between HTTP
//! and [`super::data::search`].

use std::sync::Arc;

use axum::{
    Json,
    extract::{Request, State, rejection::JsonRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use pivot_proto::rnipp::{API_KEY_HEADER, RnippQuery, RnippResponse};
use serde_json::json;
use subtle::ConstantTimeEq;

use super::{RegistryBehaviour, RegistryControl, RegistryState, data};

/// A JSON error answer.
fn error(status: StatusCode, code: &str, description: &str) -> Response {
    let mut response = (
        status,
        Json(json!({ "error": code, "error_description": description })),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Whether the request carries the service's API key (compared in
/// constant time).
fn authorized(headers: &HeaderMap, state: &RegistryState) -> bool {
    headers
        .get(API_KEY_HEADER)
        .is_some_and(|key| bool::from(key.as_bytes().ct_eq(state.spec.api_key.expose().as_bytes())))
}

/// `POST /rnipp/v1/search`.
pub(super) async fn search(
    State(state): State<Arc<RegistryState>>,
    headers: HeaderMap,
    body: Result<Json<RnippQuery>, JsonRejection>,
) -> Response {
    if !authorized(&headers, &state) {
        return error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or wrong API key",
        );
    }
    let query = match body {
        Ok(Json(query)) => query,
        Err(rejection) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &rejection.body_text(),
            );
        }
    };
    let today = state.clock.now().date();
    let lookup = data::search(state.records, &query, today);
    if lookup.slow {
        tokio::time::sleep(state.spec.slow_delay).await;
    }
    let mut response = Json(RnippResponse::from(lookup.outcome)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Any other path.
pub(super) async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

/// Middleware applying [`RegistryBehaviour`].
pub(super) async fn apply_control(
    State(control): State<RegistryControl>,
    req: Request,
    next: Next,
) -> Response {
    match control.get() {
        RegistryBehaviour::Unavailable => {
            let mut response = error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "service temporarily unavailable",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            response
        }
        RegistryBehaviour::Slow(delay) => {
            tokio::time::sleep(delay).await;
            next.run(req).await
        }
        RegistryBehaviour::Normal => next.run(req).await,
    }
}
