//! The calls to the shell behind the interface's buttons: each marks the
//! state busy, runs one bridge command and dispatches its result (reading
//! the card readers runs in the background, busy or not).

use pivot_proto::card_reader::{CardLoginRequest, CardUnblockRequest};
use pivot_proto::citizen::{FraudReportRequest, PreferencesUpdate};
use yew::UseReducerDispatcher;

use crate::api::ConfirmArgs;
use crate::bridge::{self, BridgeError};
use crate::state::{Action, State};

/// A call to the shell.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Sign in to "Mon espace".
    SignIn,
    /// Sign out.
    SignOut,
    /// Read the pending login request.
    LoadPending,
    /// Read the history.
    LoadHistory,
    /// Read the preferences.
    LoadPreferences,
    /// Save the preferences.
    SavePreferences(PreferencesUpdate),
    /// Read the devices.
    LoadDevices,
    /// Forget a device.
    ForgetDevice(String),
    /// Trust this device.
    TrustDevice,
    /// Send a fraud report.
    SendReport(FraudReportRequest),
    /// Read the login's current step again.
    RefreshLogin(String),
    /// Choose the identity provider (its window opens).
    ChooseFi {
        /// The login.
        interaction_id: String,
        /// The provider.
        fi_id: String,
    },
    /// Open the provider's window again.
    OpenFiLogin(String),
    /// Ask the civil registry again.
    RetryRegistry(String),
    /// Confirm the identity.
    Confirm(ConfirmArgs),
    /// Send the data decision.
    Consent {
        /// The login.
        interaction_id: String,
        /// The scopes it grants.
        accepted: Vec<String>,
    },
    /// Abandon the login (the service hears of it).
    CancelLogin(String),
    /// Read the card readers (not a busy call: the screen stays usable).
    LoadCardReaders,
    /// Log in with the ID card.
    CardLogin(CardLoginRequest),
    /// Unblock the card's PIN with the PUK.
    CardUnblock(CardUnblockRequest),
    /// Leave the card provider for another way to log in.
    CardCancel(String),
}

fn done<T>(result: Result<T, BridgeError>, ok: impl FnOnce(T) -> Action) -> Action {
    match result {
        Ok(value) => ok(value),
        Err(error) => Action::Failed(error),
    }
}

/// Listens to the shell's login events for the app's lifetime: the
/// provider's window came back (the next view, or an error) or was closed.
pub fn listen(dispatcher: &UseReducerDispatcher<State>) {
    let d = dispatcher.clone();
    bridge::listen(bridge::EVENT_UPDATED, move |payload| {
        d.dispatch(match serde_json::from_value(payload) {
            Ok(view) => Action::LoginUpdated(view),
            Err(e) => Action::Failed(BridgeError::Decode(e.to_string())),
        });
    });
    let d = dispatcher.clone();
    bridge::listen(bridge::EVENT_FAILED, move |payload| {
        d.dispatch(Action::Failed(BridgeError::from_rejection(&payload)));
    });
    let d = dispatcher.clone();
    bridge::listen(bridge::EVENT_LINK, move |_| {
        run(Command::LoadPending, d.clone())
    });
    let d = dispatcher.clone();
    bridge::listen(bridge::EVENT_FI_CLOSED, move |payload| {
        if let Some(id) = payload.as_str() {
            d.dispatch(Action::FiWindowClosed(id.to_owned()));
        }
    });
    // The reducer keeps the readers only while the card screen shows.
    let d = dispatcher.clone();
    bridge::listen(bridge::EVENT_READERS, move |payload| {
        d.dispatch(match serde_json::from_value(payload) {
            Ok(list) => Action::CardReaders(list),
            Err(e) => Action::Failed(BridgeError::Decode(e.to_string())),
        });
    });
}

/// Runs `command` in the background, dispatching `Busy` (except for
/// [`Command::LoadCardReaders`]) then its result.
pub fn run(command: Command, dispatcher: UseReducerDispatcher<State>) {
    if command != Command::LoadCardReaders {
        dispatcher.dispatch(Action::Busy);
    }
    wasm_bindgen_futures::spawn_local(async move {
        let action = match command {
            Command::SignIn => done(bridge::sign_in().await, Action::SignedIn),
            Command::SignOut => done(bridge::sign_out().await, |()| Action::SignedOut),
            Command::LoadPending => done(bridge::pending_request().await, Action::PendingLoaded),
            Command::LoadHistory => done(bridge::history().await, Action::HistoryLoaded),
            Command::LoadPreferences => done(bridge::preferences().await, |view| {
                Action::PreferencesLoaded { view, saved: false }
            }),
            Command::SavePreferences(update) => {
                done(bridge::update_preferences(&update).await, |view| {
                    Action::PreferencesLoaded { view, saved: true }
                })
            }
            Command::LoadDevices => done(bridge::devices().await, Action::DevicesLoaded),
            Command::ForgetDevice(id) => done(bridge::forget_device(&id).await, |()| {
                Action::DeviceForgotten(id)
            }),
            Command::TrustDevice => done(bridge::trust_device().await, Action::DeviceTrusted),
            Command::SendReport(report) => done(bridge::report(&report).await, Action::ReportSent),
            Command::RefreshLogin(id) => done(bridge::interaction(&id).await, Action::LoginUpdated),
            Command::ChooseFi {
                interaction_id,
                fi_id,
            } => done(
                bridge::choose_fi(&interaction_id, &fi_id).await,
                Action::LoginUpdated,
            ),
            Command::OpenFiLogin(id) => {
                done(bridge::open_fi_login(&id).await, Action::LoginUpdated)
            }
            Command::RetryRegistry(id) => {
                done(bridge::retry_registry(&id).await, Action::LoginUpdated)
            }
            Command::Confirm(args) => done(bridge::confirm(&args).await, Action::LoginUpdated),
            Command::Consent {
                interaction_id,
                accepted,
            } => done(
                bridge::consent(&interaction_id, accepted).await,
                Action::LoginUpdated,
            ),
            Command::CancelLogin(id) => done(bridge::cancel(&id).await, Action::LoginUpdated),
            Command::LoadCardReaders => done(bridge::card_readers().await, Action::CardReaders),
            Command::CardLogin(request) => {
                done(bridge::card_login(&request).await, Action::LoginUpdated)
            }
            Command::CardUnblock(request) => done(bridge::card_unblock(&request).await, |()| {
                Action::CardUnblocked
            }),
            Command::CardCancel(id) => done(bridge::card_cancel(&id).await, Action::LoginUpdated),
        };
        dispatcher.dispatch(action);
    });
}
