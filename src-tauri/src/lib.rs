//! Pivot's citizen app shell (Tauri 2): the commands the Yew interface
//! (`ui/`) invokes, over a state holding the device key (DPoP, RFC 9449), the
//! secret store, the broker client and the deep links received.

pub mod broker;
pub mod clock;
pub mod commands;
pub mod deeplinks;
pub mod device_key;
pub mod error;
pub mod secret_store;
pub mod signin;
pub mod state;

#[cfg(test)]
mod command_tests;

#[cfg(desktop)]
pub mod desktop;

pub use error::AppError;
pub use state::{AppConfig, AppState, Tokens};

use tauri::{Builder, Runtime};

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
            commands::choose_fi,
            commands::consent,
        ])
}
