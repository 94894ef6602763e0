//! The API's OpenAPI document, generated from the handlers and the
//! `pivot-proto` types with `utoipa`.

use axum::{Json, response::IntoResponse};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
};

use crate::citizen::api::handlers;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pivot citizen space API",
        description = "History, preferences, devices and fraud reports of the citizen named by the access token (scope citizen_space)."
    ),
    paths(
        handlers::history,
        handlers::preferences,
        handlers::update_preferences,
        handlers::devices,
        handlers::forget_device,
        handlers::trust_current_device,
        handlers::report
    ),
    modifiers(&BearerAuth),
    tags((name = "citizen", description = "The citizen's own records"))
)]
pub struct ApiDoc;

/// `GET /api/v2/citizen/openapi.json`
pub async fn document() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}
