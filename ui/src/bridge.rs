//! The only place that talks to the Tauri shell: `invoke(cmd, args)` through
//! `window.__TAURI__.core.invoke` (the shell sets `withGlobalTauri`), and one
//! typed wrapper per command.
//!
//! Outside the app (the page opened in a plain browser, or native unit tests)
//! every call fails with [`BridgeError::NotInApp`] instead of panicking.
//!
//! A command that fails rejects with either a string (the message) or an
//! object `{ "code": "...", "message": "..." }`; the codes `offline` and
//! `session_expired` have their own variant (see [`BridgeError::from_rejection`]).

use pivot_proto::citizen::{
    DeviceView, FraudReportAck, FraudReportRequest, HistoryPage, PreferencesUpdate, PreferencesView,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::{ChooseFiArgs, ConsentArgs, DeviceArgs, FiOutcome, PendingRequest, Session};

/// Why a command failed, with a French message for the citizen.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BridgeError {
    /// The page does not run inside the app (`window.__TAURI__` is missing).
    #[error("cette page fonctionne dans l'application Pivot : ouvrez l'application")]
    NotInApp,
    /// The broker cannot be reached.
    #[error("le service est injoignable : vérifiez votre connexion puis réessayez")]
    Offline,
    /// The citizen's session is over: they must sign in again.
    #[error("votre session a expiré : connectez-vous à nouveau")]
    SessionExpired,
    /// The shell or the broker refused the command, with its message.
    #[error("{0}")]
    Refused(String),
    /// The shell answered something the interface does not understand.
    #[error("réponse inattendue de l'application ({0})")]
    Decode(String),
}

impl BridgeError {
    /// Reads the value a failed command rejected with.
    #[must_use]
    pub fn from_rejection(value: &serde_json::Value) -> Self {
        use serde_json::Value;
        match value {
            Value::String(message) => Self::from_code_and_message(None, message),
            Value::Object(map) => {
                let code = map.get("code").and_then(Value::as_str);
                let message = map
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                Self::from_code_and_message(code, message)
            }
            other => Self::Decode(other.to_string()),
        }
    }

    fn from_code_and_message(code: Option<&str>, message: &str) -> Self {
        match code {
            Some("offline") => Self::Offline,
            Some("session_expired" | "unauthorized") => Self::SessionExpired,
            Some("not_in_app") => Self::NotInApp,
            _ if message.trim().is_empty() => {
                Self::Refused("l'opération a échoué, réessayez plus tard".to_owned())
            }
            _ => Self::Refused(message.to_owned()),
        }
    }
}

/// No arguments.
#[derive(Serialize)]
struct NoArgs {}

#[derive(Serialize)]
struct UpdateArgs<'a> {
    update: &'a PreferencesUpdate,
}

#[derive(Serialize)]
struct ReportArgs<'a> {
    report: &'a FraudReportRequest,
}

#[cfg(target_arch = "wasm32")]
mod js {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], catch)]
        pub async fn invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
    }

    /// Whether `window.__TAURI__.core.invoke` exists.
    pub fn in_app() -> bool {
        let Some(window) = web_sys::window() else {
            return false;
        };
        let get = |target: &JsValue, key: &str| {
            js_sys::Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
        };
        let tauri = get(&window, "__TAURI__");
        if tauri.is_undefined() || tauri.is_null() {
            return false;
        }
        let core = get(&tauri, "core");
        if core.is_undefined() || core.is_null() {
            return false;
        }
        get(&core, "invoke").is_function()
    }
}

/// Runs `cmd` with `args` and decodes its answer.
///
/// # Errors
/// See [`BridgeError`].
#[cfg(target_arch = "wasm32")]
pub async fn invoke<A: Serialize, T: DeserializeOwned>(
    cmd: &str,
    args: &A,
) -> Result<T, BridgeError> {
    if !js::in_app() {
        return Err(BridgeError::NotInApp);
    }
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    let args = args
        .serialize(&serializer)
        .map_err(|e| BridgeError::Decode(e.to_string()))?;
    match js::invoke(cmd, args).await {
        Ok(value) => {
            serde_wasm_bindgen::from_value(value).map_err(|e| BridgeError::Decode(e.to_string()))
        }
        Err(rejection) => {
            match serde_wasm_bindgen::from_value::<serde_json::Value>(rejection.clone()) {
                Ok(v @ (serde_json::Value::Object(_) | serde_json::Value::String(_))) => {
                    Err(BridgeError::from_rejection(&v))
                }
                // A thrown JavaScript error: keep its message.
                _ => Err(rejection
                    .dyn_ref::<js_sys::Error>()
                    .map(|e| BridgeError::Refused(String::from(e.message())))
                    .unwrap_or(BridgeError::Decode(format!("{rejection:?}")))),
            }
        }
    }
}

/// Outside a browser there is no shell to talk to.
///
/// # Errors
/// Always [`BridgeError::NotInApp`].
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::unused_async)]
pub async fn invoke<A: Serialize, T: DeserializeOwned>(
    _cmd: &str,
    _args: &A,
) -> Result<T, BridgeError> {
    Err(BridgeError::NotInApp)
}

#[cfg(target_arch = "wasm32")]
use wasm_bindgen::JsCast as _;

/// Signs the citizen in to "Mon espace" (the shell runs the browser login).
///
/// # Errors
/// See [`BridgeError`].
pub async fn sign_in() -> Result<Session, BridgeError> {
    invoke("sign_in", &NoArgs {}).await
}

/// Signs the citizen out.
///
/// # Errors
/// See [`BridgeError`].
pub async fn sign_out() -> Result<(), BridgeError> {
    invoke("sign_out", &NoArgs {}).await
}

/// The history of the last six months.
///
/// # Errors
/// See [`BridgeError`].
pub async fn history() -> Result<HistoryPage, BridgeError> {
    invoke("history", &NoArgs {}).await
}

/// The preferences.
///
/// # Errors
/// See [`BridgeError`].
pub async fn preferences() -> Result<PreferencesView, BridgeError> {
    invoke("preferences", &NoArgs {}).await
}

/// Changes the preferences; answers the new ones.
///
/// # Errors
/// See [`BridgeError`].
pub async fn update_preferences(
    update: &PreferencesUpdate,
) -> Result<PreferencesView, BridgeError> {
    invoke("update_preferences", &UpdateArgs { update }).await
}

/// The devices that logged the citizen in.
///
/// # Errors
/// See [`BridgeError`].
pub async fn devices() -> Result<Vec<DeviceView>, BridgeError> {
    invoke("devices", &NoArgs {}).await
}

/// Forgets a device.
///
/// # Errors
/// See [`BridgeError`].
pub async fn forget_device(device_id: &str) -> Result<(), BridgeError> {
    let args = DeviceArgs {
        device_id: device_id.to_owned(),
    };
    invoke("forget_device", &args).await
}

/// Trusts this device; answers it as it now is.
///
/// # Errors
/// See [`BridgeError`].
pub async fn trust_device() -> Result<DeviceView, BridgeError> {
    invoke("trust_device", &NoArgs {}).await
}

/// Sends a fraud report.
///
/// # Errors
/// See [`BridgeError`].
pub async fn report(report: &FraudReportRequest) -> Result<FraudReportAck, BridgeError> {
    invoke("report", &ReportArgs { report }).await
}

/// The login a service asked for, if one is waiting.
///
/// # Errors
/// See [`BridgeError`].
pub async fn pending_request() -> Result<Option<PendingRequest>, BridgeError> {
    invoke("pending_request", &NoArgs {}).await
}

/// Logs in with the chosen identity provider.
///
/// # Errors
/// See [`BridgeError`].
pub async fn choose_fi(request_id: &str, fi_id: &str) -> Result<FiOutcome, BridgeError> {
    let args = ChooseFiArgs {
        request_id: request_id.to_owned(),
        fi_id: fi_id.to_owned(),
    };
    invoke("choose_fi", &args).await
}

/// Sends the citizen's data decision: exactly the granted scopes.
///
/// # Errors
/// See [`BridgeError`].
pub async fn consent(request_id: &str, scopes: Vec<String>) -> Result<(), BridgeError> {
    let args = ConsentArgs {
        request_id: request_id.to_owned(),
        scopes,
    };
    invoke("consent", &args).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rejections_map_to_variants() {
        assert_eq!(
            BridgeError::from_rejection(&json!({"code": "offline", "message": "x"})),
            BridgeError::Offline
        );
        assert_eq!(
            BridgeError::from_rejection(&json!({"code": "session_expired"})),
            BridgeError::SessionExpired
        );
        assert_eq!(
            BridgeError::from_rejection(&json!({"code": "forbidden", "message": "Refusé"})),
            BridgeError::Refused("Refusé".into())
        );
        assert_eq!(
            BridgeError::from_rejection(&json!("compte bloqué")),
            BridgeError::Refused("compte bloqué".into())
        );
        assert!(matches!(
            BridgeError::from_rejection(&json!(42)),
            BridgeError::Decode(_)
        ));
        assert!(matches!(
            BridgeError::from_rejection(&json!({})),
            BridgeError::Refused(m) if !m.is_empty()
        ));
    }

    #[test]
    fn messages_are_french() {
        assert!(BridgeError::NotInApp.to_string().contains("application"));
        assert!(BridgeError::SessionExpired.to_string().contains("session"));
    }

    #[test]
    fn outside_the_app_calls_fail_cleanly() {
        let r = futures_lite_block_on(history());
        assert_eq!(r, Err(BridgeError::NotInApp));
    }

    #[test]
    fn arguments_use_the_shell_names() {
        let args = ChooseFiArgs {
            request_id: "r1".into(),
            fi_id: "impots".into(),
        };
        assert_eq!(
            serde_json::to_value(args).unwrap(),
            json!({"requestId": "r1", "fiId": "impots"})
        );
        let update = PreferencesUpdate::default();
        assert_eq!(
            serde_json::to_value(UpdateArgs { update: &update }).unwrap(),
            json!({"update": {"blocked_fis": null, "connection_alerts": null}})
        );
    }

    /// Polls a future that never waits (the native stub) to completion.
    fn futures_lite_block_on<F: std::future::Future>(f: F) -> F::Output {
        use std::task::{Context, Poll, Waker};
        let mut f = std::pin::pin!(f);
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }
}
