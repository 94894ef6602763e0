//! Pivot's citizen app shell (Tauri 2): the commands the Yew interface
//! (`ui/`) invokes, over a state holding the device key (DPoP, RFC 9449), the
//! secret store, the broker client and the deep links received.

pub mod broker;
pub mod card;
pub mod clock;
pub mod commands;
pub mod deeplinks;
pub mod device_key;
pub mod error;
pub mod interaction;
pub mod login;
pub mod secret_store;
pub mod signin;
pub mod state;

#[cfg(test)]
mod card_tests;
#[cfg(test)]
mod command_tests;
#[cfg(test)]
mod login_tests;

#[cfg(desktop)]
pub mod desktop;
#[cfg(desktop)]
pub mod fi_window;

pub use error::AppError;
pub use state::{AppConfig, AppState, Opener, Tokens};

use pivot_proto::interaction::InteractionView;
use tauri::{AppHandle, Builder, Runtime};

/// Opens `url` in the system browser.
///
/// # Errors
/// [`AppError::Internal`] if no browser can be started.
#[cfg(desktop)]
pub fn open_browser(url: &url::Url) -> Result<(), AppError> {
    desktop::open_browser(url)
}

/// Opens `url` in the system browser (not available on mobile yet).
///
/// # Errors
/// Always, on mobile.
#[cfg(mobile)]
pub fn open_browser(_url: &url::Url) -> Result<(), AppError> {
    Err(AppError::not_yet_available("La connexion sur mobile"))
}

/// Opens the identity provider's window of a [`Step::FiLogin`] view.
///
/// [`Step::FiLogin`]: pivot_proto::interaction::Step::FiLogin
///
/// # Errors
/// [`AppError::Internal`] if the window cannot be made.
#[cfg(desktop)]
pub fn open_fi_login<R: Runtime>(
    app: &AppHandle<R>,
    view: &InteractionView,
) -> Result<(), AppError> {
    fi_window::open(app, view)
}

/// Opens the identity provider's window (not available on mobile yet).
///
/// # Errors
/// On mobile, for a [`Step::FiLogin`] view.
///
/// [`Step::FiLogin`]: pivot_proto::interaction::Step::FiLogin
#[cfg(mobile)]
pub fn open_fi_login<R: Runtime>(
    _app: &AppHandle<R>,
    view: &InteractionView,
) -> Result<(), AppError> {
    match view.step {
        pivot_proto::interaction::Step::FiLogin {
            method: pivot_proto::interaction::LoginMethod::Web,
            ..
        } => Err(AppError::not_yet_available(
            "La connexion chez un fournisseur d'identité sur mobile",
        )),
        _ => Ok(()),
    }
}

/// Closes the identity provider's window, if open.
#[cfg(desktop)]
pub fn close_fi_login<R: Runtime>(app: &AppHandle<R>) {
    fi_window::close(app);
}

/// Closes the identity provider's window (none on mobile).
#[cfg(mobile)]
pub fn close_fi_login<R: Runtime>(_app: &AppHandle<R>) {}

/// Registers the state and the commands on `builder` (the real runtime in
/// `main`, Tauri's mock runtime in tests).
#[must_use]
pub fn run<R: Runtime>(builder: Builder<R>, state: AppState) -> Builder<R> {
    builder
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::sign_in,
            commands::sign_out,
            commands::history,
            commands::preferences,
            commands::update_preferences,
            commands::devices,
            commands::forget_device,
            commands::trust_device,
            commands::report,
            commands::pending_request,
            commands::interaction,
            commands::choose_fi,
            commands::open_fi_login,
            commands::retry_registry,
            commands::confirm,
            commands::consent,
            commands::cancel,
            commands::card_readers,
            commands::card_login,
            commands::card_cancel,
            commands::card_unblock,
        ])
}
