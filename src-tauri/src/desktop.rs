//! Desktop only: the configuration from the environment, and links passed on
//! the command line (the system opens `pivot://...` by starting the app with
//! the link as argument).

use url::Url;

use crate::error::AppError;
use crate::state::{AppConfig, AppState, SANDBOX_CLIENT_ID};

/// The broker used when `PIVOT_BROKER_URL` is not set: the local sandbox.
pub const DEFAULT_BROKER: &str = "http://127.0.0.1:7000/";

/// The configuration from `PIVOT_BROKER_URL` (the client id is the sandbox's).
///
/// # Errors
/// [`AppError::Invalid`] if the URL does not parse.
pub fn config_from_env(var: Option<String>) -> Result<AppConfig, AppError> {
    let raw = var.unwrap_or_else(|| DEFAULT_BROKER.to_owned());
    let broker = Url::parse(&raw)
        .map_err(|e| AppError::Invalid(format!("PIVOT_BROKER_URL invalide ({raw}) : {e}")))?;
    Ok(AppConfig {
        broker,
        client_id: SANDBOX_CLIENT_ID.to_owned(),
    })
}

/// Opens `url` in the system browser.
///
/// # Errors
/// [`AppError::Internal`] if the opener cannot be started.
pub fn open_browser(url: &Url) -> Result<(), AppError> {
    let mut command = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(target_os = "windows") {
        let mut c = std::process::Command::new("rundll32");
        c.arg("url.dll,FileProtocolHandler");
        c
    } else {
        std::process::Command::new("xdg-open")
    };
    command
        .arg(url.as_str())
        .spawn()
        .map(drop)
        .map_err(|e| AppError::internal(format!("cannot open the browser: {e}")))
}

/// Reads the links among `args` (the program name excluded); a refused link
/// is reported and skipped.
pub fn receive_args(state: &AppState, args: impl IntoIterator<Item = String>) {
    for arg in args {
        let is_link = ["pivot:", "https:", "http:"]
            .iter()
            .any(|scheme| arg.starts_with(scheme));
        if !is_link {
            continue;
        }
        if let Err(e) = state.links().receive(&arg) {
            eprintln!("pivot-app: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_broker_defaults_to_the_sandbox() {
        assert_eq!(
            config_from_env(None).unwrap().broker.as_str(),
            DEFAULT_BROKER
        );
        assert!(config_from_env(Some("not a url".into())).is_err());
    }
}
