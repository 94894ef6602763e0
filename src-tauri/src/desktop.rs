//! Desktop only: the configuration from the environment, the system
//! browser, and links passed on the command line (the system opens
//! `pivot://...` by starting the app with the link as argument).
//!
//! `PIVOT_BROWSER`, when set and not empty, names a program run with the URL
//! as its single argument (no shell) instead of the system's opener
//! (`xdg-open`, `open`, `rundll32`): end-to-end tests and automation use it
//! to follow the app's hand-back to the browser.

use std::ffi::OsString;
use std::sync::Arc;

use url::Url;

use crate::error::AppError;
use crate::state::{AppConfig, AppState, Opener, SANDBOX_CLIENT_ID};

/// The variable naming a program to open URLs with.
pub const BROWSER_VAR: &str = "PIVOT_BROWSER";

/// Seconds a card operation may take (default
/// [`crate::card::login::CARD_TIMEOUT`]), for slow readers.
pub const CARD_TIMEOUT_VAR: &str = "PIVOT_CARD_TIMEOUT_SECS";

/// The card time-out of `PIVOT_CARD_TIMEOUT_SECS` (1 to 600 seconds).
///
/// # Errors
/// [`AppError::Invalid`] for any other value.
pub fn card_timeout_from_env(var: Option<String>) -> Result<std::time::Duration, AppError> {
    match var {
        None => Ok(crate::card::login::CARD_TIMEOUT),
        Some(raw) => raw
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|s| (1..=600).contains(s))
            .map(std::time::Duration::from_secs)
            .ok_or_else(|| {
                AppError::Invalid(format!(
                    "{CARD_TIMEOUT_VAR} invalide ({raw}) : un nombre de secondes entre 1 et 600"
                ))
            }),
    }
}

/// The broker used when `PIVOT_BROKER_URL` is not set: the local sandbox.
pub const DEFAULT_BROKER: &str = "http://127.0.0.1:7000/";

/// The high-level broker (FranceConnect+) used when neither
/// `PIVOT_BROKER_URL` nor `PIVOT_BROKER_HIGH_URL` is set: the local
/// sandbox's.
pub const DEFAULT_HIGH_BROKER: &str = "http://127.0.0.1:7001/";

/// The configuration from `PIVOT_BROKER_URL` and `PIVOT_BROKER_HIGH_URL`
/// (the client id is the sandbox's). Without either, the local sandbox's
/// two brokers; with only the first, no high-level broker.
///
/// # Errors
/// [`AppError::Invalid`] if a URL does not parse.
pub fn config_from_env(var: Option<String>, high: Option<String>) -> Result<AppConfig, AppError> {
    let parse = |name: &str, raw: String| {
        Url::parse(&raw).map_err(|e| AppError::Invalid(format!("{name} invalide ({raw}) : {e}")))
    };
    let high = match (&var, high) {
        (_, Some(raw)) => Some(parse("PIVOT_BROKER_HIGH_URL", raw)?),
        (None, None) => Some(parse(
            "PIVOT_BROKER_HIGH_URL",
            DEFAULT_HIGH_BROKER.to_owned(),
        )?),
        (Some(_), None) => None,
    };
    let broker = parse(
        "PIVOT_BROKER_URL",
        var.unwrap_or_else(|| DEFAULT_BROKER.to_owned()),
    )?;
    Ok(AppConfig {
        broker,
        high_broker: high,
        client_id: SANDBOX_CLIENT_ID.to_owned(),
    })
}

/// Opens `url` in the system browser ([`opener_from_env`] puts the program
/// of `PIVOT_BROWSER` in its place).
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

/// The opener of URLs: `program` (the value of [`BROWSER_VAR`]) when set
/// and not empty, the system browser otherwise.
#[must_use]
pub fn opener_from_env(program: Option<OsString>) -> Opener {
    match program.filter(|p| !p.is_empty()) {
        Some(program) => Arc::new(move |url: &Url| {
            std::process::Command::new(&program)
                .arg(url.as_str())
                .spawn()
                .map(drop)
                .map_err(|e| {
                    AppError::internal(format!("cannot run {}: {e}", program.to_string_lossy()))
                })
        }),
        None => Arc::new(open_browser),
    }
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

    #[cfg(unix)]
    #[test]
    #[allow(clippy::disallowed_methods)] // Polls for the child's output.
    fn pivot_browser_runs_the_named_program_with_the_url() {
        let dir = std::env::temp_dir().join(format!("pivot-browser-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("opened");
        let script = dir.join("browser.sh");
        std::fs::write(
            &script,
            format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", out.display()),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let open = opener_from_env(Some(script.into_os_string()));
        let url = Url::parse("https://fs.example/cb?code=a&state=b").unwrap();
        open(&url).unwrap();
        let mut seen = String::new();
        for _ in 0..100 {
            seen = std::fs::read_to_string(&out).unwrap_or_default();
            if !seen.is_empty() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(seen, url.as_str());
        let missing = opener_from_env(Some("/nonexistent/pivot-browser".into()));
        assert_eq!(missing(&url).unwrap_err().code(), "internal");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_card_time_out_is_configurable_within_bounds() {
        assert_eq!(
            card_timeout_from_env(None).unwrap(),
            crate::card::login::CARD_TIMEOUT
        );
        assert_eq!(
            card_timeout_from_env(Some("90".into())).unwrap(),
            std::time::Duration::from_secs(90)
        );
        for bad in ["0", "601", "-3", "dix", ""] {
            let e = card_timeout_from_env(Some(bad.into())).unwrap_err();
            assert!(e.to_string().contains(CARD_TIMEOUT_VAR), "{bad}");
        }
    }

    #[test]
    fn the_broker_defaults_to_the_sandbox() {
        let c = config_from_env(None, None).unwrap();
        assert_eq!(c.broker.as_str(), DEFAULT_BROKER);
        assert_eq!(c.high_broker.unwrap().as_str(), DEFAULT_HIGH_BROKER);
        let c = config_from_env(Some("https://fc.example/".into()), None).unwrap();
        assert!(c.high_broker.is_none());
        let c = config_from_env(
            Some("https://fc.example/".into()),
            Some("https://fcplus.example/".into()),
        )
        .unwrap();
        assert_eq!(c.high_broker.unwrap().as_str(), "https://fcplus.example/");
        assert!(config_from_env(Some("not a url".into()), None).is_err());
        assert!(config_from_env(None, Some("nope".into())).is_err());
    }
}
