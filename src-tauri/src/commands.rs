//! The commands the interface invokes (names and arguments as in
//! `ui/src/bridge.rs`), thin over [`AppState`]. Arguments arrive in
//! camelCase (`deviceId`, `interactionId`, `fiId`), as Tauri names them.
//! Every step of a service's login answers the next
//! [`InteractionView`]; [`Step::Return`] has already been handed to the
//! browser when it arrives.

use pivot_proto::card_reader::{CardLoginRequest, CardUnblockRequest, ReaderList};
use pivot_proto::citizen::{
    DeviceView, FraudReportAck, FraudReportRequest, HistoryPage, PreferencesUpdate, PreferencesView,
};
use pivot_proto::interaction::{ConfirmAnswer, InteractionView, Step};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime, State};

use crate::error::AppError;
use crate::state::AppState;

/// The citizen's session, as `sign_in` answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The given names to greet the citizen with, if known.
    pub given_name: Option<String>,
}

/// Signs the citizen in to "Mon espace" in the system browser (loopback
/// redirect), then reads their given names to greet them.
#[tauri::command]
pub async fn sign_in(state: State<'_, AppState>) -> Result<Session, AppError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(AppError::internal)?;
    state.sign_in(listener, |url| state.open_url(url)).await?;
    // The greeting is a nicety: no name rather than a failed sign-in.
    let given_name = state.given_name().await.ok().flatten();
    Ok(Session { given_name })
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

/// Trusts this app for 90 days (the device of its key).
#[tauri::command]
pub async fn trust_device(state: State<'_, AppState>) -> Result<DeviceView, AppError> {
    state.trust_device().await
}

/// Sends a fraud report.
#[tauri::command]
pub async fn report(
    state: State<'_, AppState>,
    report: FraudReportRequest,
) -> Result<FraudReportAck, AppError> {
    state.report(&report).await
}

/// The login a service asked for: started at the broker its link names
/// (the link is then consumed), or the login in progress, or none.
#[tauri::command]
pub async fn pending_request(
    state: State<'_, AppState>,
) -> Result<Option<InteractionView>, AppError> {
    state.start_login().await
}

/// The login's current step, read again from the broker.
#[tauri::command]
pub async fn interaction(
    state: State<'_, AppState>,
    interaction_id: String,
) -> Result<InteractionView, AppError> {
    state.login_view(&interaction_id).await
}

/// Chooses the identity provider; at [`Step::FiLogin`] its login opens in
/// its own window, whose end comes as an event (see [`crate::login`]).
#[tauri::command]
pub async fn choose_fi<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    interaction_id: String,
    fi_id: String,
) -> Result<InteractionView, AppError> {
    let view = state.choose_fi(&interaction_id, &fi_id).await?;
    crate::open_fi_login(&app, &view)?;
    Ok(view)
}

/// Opens the provider's window again (closed by the citizen, or a login
/// that started at the provider step).
#[tauri::command]
pub async fn open_fi_login<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    interaction_id: String,
) -> Result<InteractionView, AppError> {
    let view = state.login_last_view(&interaction_id)?;
    if !matches!(view.step, Step::FiLogin { .. }) {
        return Err(AppError::Invalid(
            "la connexion chez le fournisseur d'identité n'est plus en cours".into(),
        ));
    }
    crate::open_fi_login(&app, &view)?;
    Ok(view)
}

/// Asks the civil registry again.
#[tauri::command]
pub async fn retry_registry(
    state: State<'_, AppState>,
    interaction_id: String,
) -> Result<InteractionView, AppError> {
    state.retry_registry(&interaction_id).await
}

/// Confirms the identity (with the identity agreement of a private
/// service, and whether to trust this device).
#[tauri::command]
pub async fn confirm(
    state: State<'_, AppState>,
    interaction_id: String,
    identity_agreement: bool,
    trust_device: bool,
) -> Result<InteractionView, AppError> {
    let answer = ConfirmAnswer {
        identity_agreement,
        trust_device,
    };
    state.confirm_login(&interaction_id, &answer).await
}

/// Sends the data decision: exactly the accepted scopes.
#[tauri::command]
pub async fn consent(
    state: State<'_, AppState>,
    interaction_id: String,
    accepted: Vec<String>,
) -> Result<InteractionView, AppError> {
    state.consent(&interaction_id, accepted).await
}

/// Abandons the login (the provider's window closes): the browser goes
/// back to the service with an error.
#[tauri::command]
pub async fn cancel<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    interaction_id: String,
) -> Result<InteractionView, AppError> {
    crate::close_fi_login(&app);
    state.cancel_login(&interaction_id).await
}

/// The card readers and their cards (the shell also sends them as the
/// event `card-readers` at each change).
#[tauri::command]
pub async fn card_readers(state: State<'_, AppState>) -> Result<ReaderList, AppError> {
    state.card_readers().await
}

/// Logs in at a card provider with the card: the login's next step.
#[tauri::command]
pub async fn card_login(
    state: State<'_, AppState>,
    request: CardLoginRequest,
) -> Result<InteractionView, AppError> {
    state.card_login(request).await
}

/// Leaves the card provider for another one.
#[tauri::command]
pub async fn card_cancel(
    state: State<'_, AppState>,
    interaction_id: String,
) -> Result<InteractionView, AppError> {
    state.card_cancel(&interaction_id).await
}

/// Unblocks the card's PIN with its PUK.
#[tauri::command]
pub async fn card_unblock(
    state: State<'_, AppState>,
    request: CardUnblockRequest,
) -> Result<(), AppError> {
    state.card_unblock(request).await
}
