//! Desktop only: the identity provider's login in its own window.
//!
//! [`open`] shows the provider's `authorization_url` in a new webview window
//! (label [`LABEL`]). The window loads remote pages only, and no capability
//! names it: it can call no command of the app. Its navigations are watched
//! ([`FiWatch`]); the one to the broker's `callback_url` is stopped, the
//! window closed, and the address's query sent to the broker, whose answer
//! goes to the main window as [`EVENT_UPDATED`] (or [`EVENT_FAILED`]).
//! Closing the window before that sends [`EVENT_FI_CLOSED`].

use std::sync::Arc;

use pivot_proto::interaction::{InteractionView, LoginMethod, Step};
use tauri::webview::NewWindowResponse;
use tauri::{AppHandle, Emitter as _, Manager as _, Runtime, WebviewUrl, WebviewWindowBuilder};
use url::Url;

use crate::error::AppError;
use crate::login::{EVENT_FAILED, EVENT_FI_CLOSED, EVENT_UPDATED, FiWatch};
use crate::state::AppState;

/// The provider window's label.
pub const LABEL: &str = "fi-login";

/// The label of the app's own window, where events go.
pub const MAIN: &str = "main";

/// Opens the provider's window for a [`Step::FiLogin`] view (nothing for
/// another step). An open one is sent to the new address.
///
/// # Errors
/// [`AppError::Internal`] if the window cannot be made or the addresses are
/// not `https` (`http` on a loopback address).
pub fn open<R: Runtime>(app: &AppHandle<R>, view: &InteractionView) -> Result<(), AppError> {
    let Step::FiLogin {
        fi_name,
        authorization_url,
        method: LoginMethod::Web,
        ..
    } = &view.step
    else {
        // Another step, or a card provider: the app runs the card login
        // itself (crate::card::login), no window.
        return Ok(());
    };
    let start = Url::parse(authorization_url)
        .ok()
        .filter(is_secure)
        .ok_or_else(|| AppError::internal("the provider's address is not https"))?;
    let watch = FiWatch::for_view(view)
        .map(Arc::new)
        .ok_or_else(|| AppError::internal("unreadable callback address"))?;
    if let Some(window) = app.get_webview_window(LABEL) {
        // The same login (one at a time; cancelling closes the window), the
        // same broker callback: only the provider may have changed.
        window
            .set_title(&format!("Connexion avec {fi_name}"))
            .map_err(AppError::internal)?;
        window.navigate(start).map_err(AppError::internal)?;
        return window.set_focus().map_err(AppError::internal);
    }
    let handle = app.clone();
    let on_nav = Arc::clone(&watch);
    let window = WebviewWindowBuilder::new(app, LABEL, WebviewUrl::External(start))
        .title(format!("Connexion avec {fi_name}"))
        .inner_size(800.0, 700.0)
        .on_navigation(move |url| navigation(&handle, &on_nav, url))
        .on_new_window(|_, _| NewWindowResponse::Deny)
        .build()
        .map_err(AppError::internal)?;
    let handle = app.clone();
    window.on_window_event(move |event| {
        if matches!(event, tauri::WindowEvent::Destroyed) && !watch.fired() {
            let _ = handle.emit_to(MAIN, EVENT_FI_CLOSED, watch.interaction_id.clone());
        }
    });
    Ok(())
}

/// Closes the provider's window, if open.
pub fn close<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(LABEL) {
        let _ = window.close();
    }
}

/// Decides one navigation of the provider's window: every address but the
/// broker's callback loads; the callback is stopped and, the first time,
/// handed to [`finish`].
pub fn navigation<R: Runtime>(app: &AppHandle<R>, watch: &FiWatch, url: &Url) -> bool {
    if !watch.intercepts(url) {
        return true;
    }
    if watch.fire() {
        let app = app.clone();
        let id = watch.interaction_id.clone();
        let url = url.clone();
        tauri::async_runtime::spawn(async move { finish(&app, &id, &url).await });
    }
    false
}

/// Closes the window, sends the callback to the broker and tells the main
/// window.
pub async fn finish<R: Runtime>(app: &AppHandle<R>, interaction_id: &str, url: &Url) {
    close(app);
    let state = app.state::<AppState>();
    let sent = match state.fi_callback(interaction_id, url).await {
        Ok(view) => app.emit_to(MAIN, EVENT_UPDATED, view),
        Err(error) => app.emit_to(MAIN, EVENT_FAILED, serde_json::json!(error)),
    };
    if let Err(e) = sent {
        eprintln!("pivot-app: cannot tell the main window: {e}");
    }
}

/// `https`, or `http` on a loopback IP address (the sandbox).
fn is_secure(url: &Url) -> bool {
    match (url.scheme(), url.host()) {
        ("https", Some(_)) => true,
        ("http", Some(url::Host::Ipv4(ip))) => ip.is_loopback(),
        ("http", Some(url::Host::Ipv6(ip))) => ip.is_loopback(),
        _ => false,
    }
}
