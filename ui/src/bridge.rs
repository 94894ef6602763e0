//! The only place that talks to the Tauri shell: `invoke(cmd, args)` through
//! `window.__TAURI__.core.invoke` (the shell sets `withGlobalTauri`), and one
//! typed wrapper per command.
//!
//! Outside the app (the page opened in a plain browser, or native unit tests)
//! every call fails with [`BridgeError::NotInApp`] instead of panicking.
//!
//! A command that fails rejects with either a string (the message) or an
//! object `{ "code": "...", "message": "..." }`; the codes `offline` and
//! `session_expired` have their own variant (see [`BridgeError::from_rejection`]),
//! and so do `interaction_expired` and `returned_to_service`, which end a
//! service's login. The card commands add `card` (a problem on the card's
//! side, the object in the field `card`: a [`CardProblem`]) and
//! `card_refused` (the identity provider refused the card, with its French
//! message).
//!
//! The shell's events (the login's progress after the provider's window)
//! arrive through `window.__TAURI__.event.listen` ([`listen`]).

use pivot_proto::card_auth::CardProblem;
use pivot_proto::card_reader::{CardLoginRequest, CardUnblockRequest, ReaderList};
use pivot_proto::citizen::{
    DeviceView, FraudReportAck, FraudReportRequest, HistoryPage, PreferencesUpdate, PreferencesView,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

use crate::api::{
    ChooseFiArgs, ConfirmArgs, ConsentArgs, DeviceArgs, InteractionArgs, InteractionView, Session,
};

/// The shell's event: the login moved on (payload: an [`InteractionView`]).
pub const EVENT_UPDATED: &str = "interaction-updated";

/// The shell's event: the provider's answer could not be sent (payload:
/// `{code, message}`).
pub const EVENT_FAILED: &str = "interaction-failed";

/// The shell's event: the citizen closed the provider's window (payload:
/// the interaction id).
pub const EVENT_FI_CLOSED: &str = "fi-login-closed";

/// The shell's event: a service's login request arrived by link while the
/// app runs.
pub const EVENT_LINK: &str = "login-requested";

/// The shell's event: the card readers changed (payload: a [`ReaderList`]).
pub use pivot_proto::card_reader::EVENT_READERS;

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
    /// The service's login no longer exists: start again from the service.
    #[error("{0}")]
    InteractionExpired(String),
    /// The broker ended the login and the browser went back to the service.
    #[error("{0}")]
    ReturnedToService(String),
    /// The shell or the broker refused the command, with its message.
    #[error("{0}")]
    Refused(String),
    /// Something went wrong between the app and the ID card (code `card`).
    #[error("{}", .0.message_fr())]
    Card(CardProblem),
    /// The identity provider refused the card (code `card_refused`), with
    /// its French message.
    #[error("{0}")]
    CardRefused(String),
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
            Value::String(message) => Self::from_shell(Rejection {
                message: Some(message.clone()),
                ..Rejection::default()
            }),
            Value::Object(_) => match Rejection::deserialize(value) {
                Ok(rejection) => Self::from_shell(rejection),
                Err(e) => Self::Decode(e.to_string()),
            },
            other => Self::Decode(other.to_string()),
        }
    }

    fn from_shell(rejection: Rejection) -> Self {
        let Rejection {
            code,
            message,
            card,
        } = rejection;
        let message = message.unwrap_or_default();
        if let (Some("card"), Some(problem)) = (code.as_deref(), card) {
            return Self::Card(problem);
        }
        match code.as_deref() {
            Some("offline") => Self::Offline,
            Some("session_expired" | "unauthorized") => Self::SessionExpired,
            Some("not_in_app") => Self::NotInApp,
            Some("interaction_expired") => Self::InteractionExpired(non_empty(
                &message,
                "cette connexion a expiré : recommencez depuis le service",
            )),
            Some("returned_to_service") => Self::ReturnedToService(non_empty(
                &message,
                "la connexion n'a pas abouti : le service en a été informé",
            )),
            Some("card_refused") => Self::CardRefused(non_empty(
                &message,
                "le fournisseur d'identité a refusé cette carte",
            )),
            _ if message.trim().is_empty() => {
                Self::Refused("l'opération a échoué, réessayez plus tard".to_owned())
            }
            _ => Self::Refused(message),
        }
    }
}

/// What a failed command rejects with: the shell's `{code, message}`, and
/// for the card commands the card's problem.
#[derive(Debug, Default, Deserialize)]
struct Rejection {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    /// With `code: "card"`: what went wrong on the card (`None` when
    /// absent or unknown to this version: the message is shown instead).
    #[serde(default, deserialize_with = "known_problem")]
    card: Option<CardProblem>,
}

/// A [`CardProblem`], or `None` for a value this version cannot read.
fn known_problem<'de, D: Deserializer<'de>>(d: D) -> Result<Option<CardProblem>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(serde_json::from_value(value).ok())
}

fn non_empty(message: &str, default: &str) -> String {
    if message.trim().is_empty() {
        default.to_owned()
    } else {
        message.to_owned()
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

/// Arguments of `card_login` and `card_unblock`: `{ request }`.
#[derive(Serialize)]
struct RequestArgs<'a, R> {
    request: &'a R,
}

#[cfg(target_arch = "wasm32")]
mod js {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], catch)]
        pub async fn invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;

        #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "event"], catch)]
        pub async fn listen(
            event: &str,
            handler: &Closure<dyn FnMut(JsValue)>,
        ) -> Result<JsValue, JsValue>;
    }

    /// Whether `window.__TAURI__.event.listen` exists.
    pub fn can_listen() -> bool {
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
        let event = get(&tauri, "event");
        if event.is_undefined() || event.is_null() {
            return false;
        }
        get(&event, "listen").is_function()
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

/// Calls `on` with the payload of every `event` of the shell, for the
/// app's lifetime (nothing outside the app).
#[cfg(target_arch = "wasm32")]
pub fn listen(event: &'static str, on: impl Fn(serde_json::Value) + 'static) {
    use wasm_bindgen::prelude::*;
    if !js::can_listen() {
        return;
    }
    let handler = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        let payload =
            js_sys::Reflect::get(&e, &JsValue::from_str("payload")).unwrap_or(JsValue::NULL);
        on(serde_wasm_bindgen::from_value(payload).unwrap_or(serde_json::Value::Null));
    });
    wasm_bindgen_futures::spawn_local(async move {
        // The handler lives as long as the app: it is never unregistered.
        let _ = js::listen(event, &handler).await;
        handler.forget();
    });
}

/// Outside a browser there are no events.
#[cfg(not(target_arch = "wasm32"))]
pub fn listen(_event: &'static str, _on: impl Fn(serde_json::Value) + 'static) {}

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

/// The service's login: started from the link waiting, or the one in
/// progress, or none.
///
/// # Errors
/// See [`BridgeError`].
pub async fn pending_request() -> Result<Option<InteractionView>, BridgeError> {
    invoke("pending_request", &NoArgs {}).await
}

fn id_args(interaction_id: &str) -> InteractionArgs {
    InteractionArgs {
        interaction_id: interaction_id.to_owned(),
    }
}

/// The login's current step, read again.
///
/// # Errors
/// See [`BridgeError`].
pub async fn interaction(interaction_id: &str) -> Result<InteractionView, BridgeError> {
    invoke("interaction", &id_args(interaction_id)).await
}

/// Chooses the identity provider; its window opens.
///
/// # Errors
/// See [`BridgeError`].
pub async fn choose_fi(interaction_id: &str, fi_id: &str) -> Result<InteractionView, BridgeError> {
    let args = ChooseFiArgs {
        interaction_id: interaction_id.to_owned(),
        fi_id: fi_id.to_owned(),
    };
    invoke("choose_fi", &args).await
}

/// Opens the provider's window again.
///
/// # Errors
/// See [`BridgeError`].
pub async fn open_fi_login(interaction_id: &str) -> Result<InteractionView, BridgeError> {
    invoke("open_fi_login", &id_args(interaction_id)).await
}

/// Asks the civil registry again.
///
/// # Errors
/// See [`BridgeError`].
pub async fn retry_registry(interaction_id: &str) -> Result<InteractionView, BridgeError> {
    invoke("retry_registry", &id_args(interaction_id)).await
}

/// Confirms the identity.
///
/// # Errors
/// See [`BridgeError`].
pub async fn confirm(args: &ConfirmArgs) -> Result<InteractionView, BridgeError> {
    invoke("confirm", args).await
}

/// Sends the citizen's data decision: exactly the accepted scopes.
///
/// # Errors
/// See [`BridgeError`].
pub async fn consent(
    interaction_id: &str,
    accepted: Vec<String>,
) -> Result<InteractionView, BridgeError> {
    let args = ConsentArgs {
        interaction_id: interaction_id.to_owned(),
        accepted,
    };
    invoke("consent", &args).await
}

/// Abandons the login: the service hears of it.
///
/// # Errors
/// See [`BridgeError`].
pub async fn cancel(interaction_id: &str) -> Result<InteractionView, BridgeError> {
    invoke("cancel", &id_args(interaction_id)).await
}

/// The card readers and their cards, as the shell sees them now.
///
/// # Errors
/// See [`BridgeError`].
pub async fn card_readers() -> Result<ReaderList, BridgeError> {
    invoke("card_readers", &NoArgs {}).await
}

/// Logs in with the ID card at the step's provider; answers the next step.
///
/// # Errors
/// See [`BridgeError`]; [`BridgeError::Card`] and
/// [`BridgeError::CardRefused`] leave the login at its card step.
pub async fn card_login(request: &CardLoginRequest) -> Result<InteractionView, BridgeError> {
    invoke("card_login", &RequestArgs { request }).await
}

/// Leaves the card provider: the broker offers the providers again.
///
/// # Errors
/// See [`BridgeError`].
pub async fn card_cancel(interaction_id: &str) -> Result<InteractionView, BridgeError> {
    invoke("card_cancel", &id_args(interaction_id)).await
}

/// Unblocks the card's PIN with its PUK and sets a new PIN.
///
/// # Errors
/// See [`BridgeError`].
pub async fn card_unblock(request: &CardUnblockRequest) -> Result<(), BridgeError> {
    invoke("card_unblock", &RequestArgs { request }).await
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
        assert_eq!(
            BridgeError::from_rejection(
                &json!({"code": "returned_to_service", "message": "Compte bloqué"})
            ),
            BridgeError::ReturnedToService("Compte bloqué".into())
        );
        assert!(matches!(
            BridgeError::from_rejection(&json!({"code": "interaction_expired"})),
            BridgeError::InteractionExpired(m) if m.contains("expiré")
        ));
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
    fn card_rejections_keep_the_problem_or_the_provider_message() {
        assert_eq!(
            BridgeError::from_rejection(&json!({
                "code": "card",
                "message": "Code PIN incorrect.",
                "card": {"problem": "wrong_pin", "tries_left": 2}
            })),
            BridgeError::Card(CardProblem::WrongPin { tries_left: 2 })
        );
        assert_eq!(
            BridgeError::from_rejection(&json!({
                "code": "card", "message": "", "card": {"problem": "pin_blocked"}
            })),
            BridgeError::Card(CardProblem::PinBlocked)
        );
        assert_eq!(
            BridgeError::from_rejection(
                &json!({"code": "card_refused", "message": "Votre carte a expiré."})
            ),
            BridgeError::CardRefused("Votre carte a expiré.".into())
        );
        // A problem this version does not know, or none: the message.
        assert_eq!(
            BridgeError::from_rejection(&json!({
                "code": "card", "message": "La carte a fondu.", "card": {"problem": "melted"}
            })),
            BridgeError::Refused("La carte a fondu.".into())
        );
        assert_eq!(
            BridgeError::from_rejection(&json!({"code": "card", "message": "Carte ?"})),
            BridgeError::Refused("Carte ?".into())
        );
        // Other errors carry no problem, even with a stray field.
        assert_eq!(
            BridgeError::from_rejection(
                &json!({"code": "offline", "message": "", "card": {"problem": "no_card"}})
            ),
            BridgeError::Offline
        );
        assert!(
            BridgeError::Card(CardProblem::WrongCan)
                .to_string()
                .contains("6 chiffres")
        );
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
            interaction_id: "i1".into(),
            fi_id: "impots".into(),
        };
        assert_eq!(
            serde_json::to_value(args).unwrap(),
            json!({"interactionId": "i1", "fiId": "impots"})
        );
        let args = ConfirmArgs {
            interaction_id: "i1".into(),
            identity_agreement: true,
            trust_device: false,
        };
        assert_eq!(
            serde_json::to_value(args).unwrap(),
            json!({"interactionId": "i1", "identityAgreement": true, "trustDevice": false})
        );
        let update = PreferencesUpdate::default();
        assert_eq!(
            serde_json::to_value(UpdateArgs { update: &update }).unwrap(),
            json!({"update": {"blocked_fis": null, "connection_alerts": null}})
        );
        let request = CardLoginRequest {
            interaction_id: "i1".into(),
            reader: "Lecteur".into(),
            can: "123456".into(),
            pin: "1234".into(),
        };
        assert_eq!(
            serde_json::to_value(RequestArgs { request: &request }).unwrap(),
            json!({"request": {"interaction_id": "i1", "reader": "Lecteur", "can": "123456", "pin": "1234"}})
        );
        let request = CardUnblockRequest {
            reader: "Lecteur".into(),
            can: "123456".into(),
            puk: "12345678".into(),
            new_pin: "4321".into(),
        };
        assert_eq!(
            serde_json::to_value(RequestArgs { request: &request }).unwrap(),
            json!({"request": {"reader": "Lecteur", "can": "123456", "puk": "12345678", "new_pin": "4321"}})
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
