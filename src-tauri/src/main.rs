//! The desktop app: the system's secret store, the broker from
//! `PIVOT_BROKER_URL`, links from the command line.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;
use std::sync::Arc;

use pivot_app::clock::SystemClock;
use pivot_app::desktop;
use pivot_app::secret_store::KeyringStore;
use pivot_app::{AppError, AppState};

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
    let config = desktop::config_from_env(std::env::var("PIVOT_BROKER_URL").ok())?;
    let store = KeyringStore::new("fr.gouv.pivot");
    let state = AppState::new(&config, Arc::new(store), Arc::new(SystemClock))?;
    desktop::receive_args(&state, std::env::args().skip(1));
    pivot_app::run(tauri::Builder::default(), state)
        .run(tauri::generate_context!("../tauri.conf.json"))
        .map_err(AppError::internal)
}
