//! The API's handlers: each translates between JSON and the citizen-space
//! functions of [`AppState`].

use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use pivot_proto::{
    citizen::{
        DeviceView, FraudReportAck, FraudReportRequest, HistoryPage, PreferencesUpdate,
        PreferencesView,
    },
    oauth::OAuthErrorCode,
};

use crate::{
    citizen::{
        api::auth::ApiCitizen,
        history::HistoryFilter,
        report::{ReportSource, Reported},
    },
    error::BrokerError,
    state::AppState,
};

fn invalid(desc: impl Into<String>) -> BrokerError {
    BrokerError::oauth(OAuthErrorCode::InvalidRequest, desc)
}

/// The citizen's history of the last six months, newest first.
#[utoipa::path(
    get, path = "/api/v2/citizen/history", tag = "citizen",
    params(HistoryFilter),
    responses(
        (status = 200, description = "Connections and data checks", body = HistoryPage),
        (status = 401, description = "Missing, unknown, expired or revoked token"),
        (status = 403, description = "The token lacks the citizen_space scope"),
    ),
    security(("bearer" = []))
)]
pub async fn history(
    State(s): State<AppState>,
    ApiCitizen(c): ApiCitizen,
    Query(filter): Query<HistoryFilter>,
) -> Result<Json<HistoryPage>, BrokerError> {
    Ok(Json(s.history(&c.identity_hash, &filter).await?))
}

/// The identity providers (blocked or not) and the alert setting.
#[utoipa::path(
    get, path = "/api/v2/citizen/preferences", tag = "citizen",
    responses((status = 200, body = PreferencesView), (status = 401), (status = 403)),
    security(("bearer" = []))
)]
pub async fn preferences(
    State(s): State<AppState>,
    ApiCitizen(c): ApiCitizen,
) -> Result<Json<PreferencesView>, BrokerError> {
    Ok(Json(s.preferences_view(&c).await?))
}

/// Changes the preferences (absent members are kept); the change is
/// e-mailed. Blocking the provider of the token's login is refused.
#[utoipa::path(
    patch, path = "/api/v2/citizen/preferences", tag = "citizen",
    request_body = PreferencesUpdate,
    responses(
        (status = 200, body = PreferencesView),
        (status = 400, description = "invalid_request: provider in use or unknown"),
        (status = 401), (status = 403),
    ),
    security(("bearer" = []))
)]
pub async fn update_preferences(
    State(s): State<AppState>,
    ApiCitizen(c): ApiCitizen,
    body: axum::body::Bytes,
) -> Result<Json<PreferencesView>, BrokerError> {
    let update: PreferencesUpdate =
        serde_json::from_slice(&body).map_err(|e| invalid(format!("body: {e}")))?;
    match s.update_preferences(&c, &update).await? {
        Ok((view, _)) => Ok(Json(view)),
        Err(e) => Err(invalid(e.to_string())),
    }
}

/// The devices that logged the citizen in.
#[utoipa::path(
    get, path = "/api/v2/citizen/devices", tag = "citizen",
    responses((status = 200, body = Vec<DeviceView>), (status = 401), (status = 403)),
    security(("bearer" = []))
)]
pub async fn devices(
    State(s): State<AppState>,
    ApiCitizen(c): ApiCitizen,
) -> Result<Json<Vec<DeviceView>>, BrokerError> {
    Ok(Json(s.device_views(&c).await?))
}

/// Trusts the app making the request (the device of the token's DPoP key):
/// no connection alert from it for 90 days.
#[utoipa::path(
    post, path = "/api/v2/citizen/devices/current/trust", tag = "citizen",
    responses(
        (status = 200, body = DeviceView),
        (status = 400, description = "invalid_request: the token is not bound to an app's key"),
        (status = 401), (status = 403),
    ),
    security(("bearer" = []))
)]
pub async fn trust_current_device(
    State(s): State<AppState>,
    ApiCitizen(c): ApiCitizen,
) -> Result<Json<DeviceView>, BrokerError> {
    s.trust_app_device(&c)
        .await?
        .map(Json)
        .ok_or_else(|| invalid("only the app's DPoP-bound token names a device"))
}

/// Forgets a device (its next login alerts again).
#[utoipa::path(
    delete, path = "/api/v2/citizen/devices/{id}", tag = "citizen",
    params(("id" = String, Path, description = "Device id")),
    responses(
        (status = 204, description = "Forgotten"),
        (status = 404, description = "Not a device of this citizen"),
        (status = 401), (status = 403),
    ),
    security(("bearer" = []))
)]
pub async fn forget_device(
    State(s): State<AppState>,
    ApiCitizen(c): ApiCitizen,
    Path(id): Path<String>,
) -> Result<Response, BrokerError> {
    if s.forget_device(&c, &id).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Ok((
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({"error": "not_found", "error_description": "no such device"})),
        )
            .into_response())
    }
}

/// Reports a connection the citizen did not make; support is mailed and
/// the contact address gets an acknowledgement.
#[utoipa::path(
    post, path = "/api/v2/citizen/reports", tag = "citizen",
    request_body = FraudReportRequest,
    responses(
        (status = 201, body = FraudReportAck),
        (status = 400, description = "invalid_request: contact or message unusable"),
        (status = 401), (status = 403),
    ),
    security(("bearer" = []))
)]
pub async fn report(
    State(s): State<AppState>,
    ApiCitizen(c): ApiCitizen,
    body: axum::body::Bytes,
) -> Result<Response, BrokerError> {
    let req: FraudReportRequest =
        serde_json::from_slice(&body).map_err(|e| invalid(format!("body: {e}")))?;
    req.validate().map_err(|e| invalid(e.to_string()))?;
    let entry = match &req.reference {
        Some(r) => Some(
            s.history_entry(&c.identity_hash, r)
                .await?
                .ok_or_else(|| invalid("reference is not an entry of your history"))?,
        ),
        None => None,
    };
    let reported = Reported {
        identity_hash: Some(c.identity_hash.clone()),
        entry,
        context: None,
    };
    let ack = s.file_report(&req, &reported, ReportSource::Api).await?;
    Ok((StatusCode::CREATED, Json(ack)).into_response())
}
