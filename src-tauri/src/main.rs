//! The desktop app: the system's secret store, the broker from
//! `PIVOT_BROKER_URL`, URLs opened with `PIVOT_BROWSER` if set, links from the command line at start, then from the
//! deep-link plugin (a second start hands its link over to the running app
//! through the single-instance plugin).

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use pivot_app::card::pcsc::PcscReaders;
use pivot_app::card::watch::{self, ReaderWatch};
use pivot_app::clock::SystemClock;
use pivot_app::desktop;
use pivot_app::secret_store::KeyringStore;
use pivot_app::{AppError, AppState};
use tauri::{Emitter as _, Manager as _};
use tauri_plugin_deep_link::DeepLinkExt as _;

fn main() -> ExitCode {
    match start() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pivot-app: {e} ({e:?})");
            ExitCode::FAILURE
        }
    }
}

fn start() -> Result<(), AppError> {
    let config = desktop::config_from_env(
        std::env::var("PIVOT_BROKER_URL").ok(),
        std::env::var("PIVOT_BROKER_HIGH_URL").ok(),
    )?;
    let store = KeyringStore::new("fr.gouv.pivot");
    let state = AppState::new(&config, Arc::new(store), Arc::new(SystemClock))?
        .with_opener(desktop::opener_from_env(std::env::var_os(
            desktop::BROWSER_VAR,
        )))
        .with_card_readers(Arc::new(PcscReaders))
        .with_card_timeout(desktop::card_timeout_from_env(
            std::env::var(desktop::CARD_TIMEOUT_VAR).ok(),
        )?);
    desktop::receive_args(&state, std::env::args().skip(1));
    let builder = tauri::Builder::default()
        // First: a second instance only forwards its link, then quits.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_deep_link::init())
        .setup(|app| {
            // The card readers, watched live for the card screen.
            let handle = app.handle().clone();
            let readers = watch::spawn(move |list| {
                let _ = handle.emit(pivot_proto::card_reader::EVENT_READERS, list);
            });
            match readers {
                Ok(w) => {
                    app.manage(CardWatch(Mutex::new(Some(w))));
                }
                Err(e) => eprintln!("pivot-app: cannot watch the card readers: {e}"),
            }
            #[cfg(any(target_os = "linux", target_os = "windows"))]
            if let Err(e) = app.deep_link().register_all() {
                eprintln!("pivot-app: cannot register the pivot:// scheme: {e}");
            }
            let handle = app.handle().clone();
            app.deep_link().on_open_url(move |event| {
                let state = handle.state::<AppState>();
                let mut accepted = false;
                for url in event.urls() {
                    match state.links().receive(url.as_str()) {
                        Ok(_) => accepted = true,
                        Err(e) => eprintln!("pivot-app: {e}"),
                    }
                }
                // The running interface shows the request at once.
                if accepted && let Some(window) = handle.get_webview_window("main") {
                    let _ = window.emit(pivot_app::login::EVENT_LINK, ());
                    let _ = window.set_focus();
                }
            });
            Ok(())
        });
    let app = pivot_app::run(builder, state)
        .build(tauri::generate_context!("../tauri.conf.json"))
        .map_err(AppError::internal)?;
    app.run(|app, event| {
        if let tauri::RunEvent::Exit = event
            && let Some(watch) = app.try_state::<CardWatch>()
            && let Ok(mut slot) = watch.0.lock()
        {
            // SCardCancel, then the thread ends.
            drop(slot.take());
        }
    });
    Ok(())
}

/// The readers' watch, stopped when the app exits.
struct CardWatch(Mutex<Option<ReaderWatch>>);
