//! The calls to the shell behind the interface's buttons: each marks the
//! state busy, runs one bridge command and dispatches its result.

use pivot_proto::citizen::{FraudReportRequest, PreferencesUpdate};
use yew::UseReducerDispatcher;

use crate::bridge::{self, BridgeError};
use crate::state::{Action, ConsentChoice, State};

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
    /// Log in with an identity provider.
    ChooseFi {
        /// The interaction.
        request_id: String,
        /// The provider.
        fi_id: String,
    },
    /// Send the data decision.
    Consent {
        /// The interaction.
        request_id: String,
        /// The citizen's choice.
        choice: ConsentChoice,
        /// The scopes it grants.
        scopes: Vec<String>,
    },
}

fn done<T>(result: Result<T, BridgeError>, ok: impl FnOnce(T) -> Action) -> Action {
    match result {
        Ok(value) => ok(value),
        Err(error) => Action::Failed(error),
    }
}

/// Runs `command` in the background, dispatching `Busy` then its result.
pub fn run(command: Command, dispatcher: UseReducerDispatcher<State>) {
    dispatcher.dispatch(Action::Busy);
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
            Command::ChooseFi { request_id, fi_id } => {
                done(bridge::choose_fi(&request_id, &fi_id).await, |outcome| {
                    Action::FiDone { fi_id, outcome }
                })
            }
            Command::Consent {
                request_id,
                choice,
                scopes,
            } => done(bridge::consent(&request_id, scopes).await, |()| {
                Action::ConsentDone(choice)
            }),
        };
        dispatcher.dispatch(action);
    });
}
