//! The commands the interface invokes (names and arguments as in
//! `ui/src/bridge.rs`), thin over [`AppState`]. Arguments arrive in
//! camelCase (`deviceId`, `requestId`, `fiId`), as Tauri names them.

use pivot_proto::citizen::{
    DeviceView, FraudReportAck, FraudReportRequest, HistoryPage, PreferencesUpdate, PreferencesView,
};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::error::AppError;
use crate::state::AppState;

/// The citizen's session, as `sign_in` answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The given names to greet the citizen with, if known.
    pub given_name: Option<String>,
}

/// What follows the identity-provider login.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FiOutcome {
    /// The service asked for data: the citizen decides now.
    ConsentNeeded,
    /// Nothing to decide: the login is over.
    Done,
}

/// Signs the citizen in to "Mon espace" in the system browser (loopback
/// redirect).
#[tauri::command]
pub async fn sign_in(state: State<'_, AppState>) -> Result<Session, AppError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(AppError::internal)?;
    state.sign_in(listener, crate::open_browser).await?;
    Ok(Session { given_name: None })
}

/// Signs the citizen out.
#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>) -> Result<(), AppError> {
    state.sign_out().await
}

/// The history of the last six months.
#[tauri::command]
pub async fn history(state: State<'_, AppState>) -> Result<HistoryPage, AppError> {
    state.history().await
}

/// The preferences.
#[tauri::command]
pub async fn preferences(state: State<'_, AppState>) -> Result<PreferencesView, AppError> {
    state.preferences().await
}

/// Changes the preferences.
#[tauri::command]
pub async fn update_preferences(
    state: State<'_, AppState>,
    update: PreferencesUpdate,
) -> Result<PreferencesView, AppError> {
    state.update_preferences(&update).await
}

/// The devices that logged the citizen in.
#[tauri::command]
pub async fn devices(state: State<'_, AppState>) -> Result<Vec<DeviceView>, AppError> {
    state.devices().await
}

/// Forgets a device.
#[tauri::command]
pub async fn forget_device(state: State<'_, AppState>, device_id: String) -> Result<(), AppError> {
    state.forget_device(&device_id).await
}

/// Trusts this device (the broker has no API for it yet).
#[tauri::command]
pub async fn trust_device(state: State<'_, AppState>) -> Result<DeviceView, AppError> {
    let _ = state;
    Err(AppError::not_yet_available(
        "Faire confiance à cet appareil",
    ))
}

/// Sends a fraud report.
#[tauri::command]
pub async fn report(
    state: State<'_, AppState>,
    report: FraudReportRequest,
) -> Result<FraudReportAck, AppError> {
    state.report(&report).await
}

/// The login a service asked for: none, or (while the broker's interaction
/// API is not wired) a clear "not yet available".
#[tauri::command]
pub async fn pending_request(
    state: State<'_, AppState>,
) -> Result<Option<serde_json::Value>, AppError> {
    match state.links().pending()? {
        None => Ok(None),
        Some(_) => Err(AppError::not_yet_available("La connexion à un service")),
    }
}

/// Logs in with the chosen identity provider (not yet available).
#[tauri::command]
pub async fn choose_fi(
    state: State<'_, AppState>,
    request_id: String,
    fi_id: String,
) -> Result<FiOutcome, AppError> {
    let _ = (state, request_id, fi_id);
    Err(AppError::not_yet_available("Le choix du compte"))
}

/// Sends the citizen's data decision (not yet available).
#[tauri::command]
pub async fn consent(
    state: State<'_, AppState>,
    request_id: String,
    scopes: Vec<String>,
) -> Result<(), AppError> {
    let _ = (state, request_id, scopes);
    Err(AppError::not_yet_available("Le partage de données"))
}
