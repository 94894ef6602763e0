//! The app's state and its reducer: every screen, every transition, no I/O.
//! Components dispatch an [`Action`]; the calls to the shell happen in the
//! components, which dispatch the result.

use std::collections::BTreeSet;
use std::rc::Rc;

use pivot_proto::citizen::{
    DeviceView, FraudReportAck, FraudReportError, FraudReportRequest, HistoryEntry, HistoryPage,
    PreferencesUpdate, PreferencesView,
};
use yew::Reducible;

use pivot_proto::card_reader::ReaderList;
use pivot_proto::interaction::InteractionView;

use crate::api::Session;
use crate::bridge::BridgeError;
use crate::i18n::Lang;

mod card;
mod login;

pub use card::{
    CardCall, CardField, CardForm, CardIssue, CardMode, Code, ReaderStatus, choose_reader,
    is_card_step,
};
pub use login::{Login, LoginEnd, step_name};

/// Seconds in a day (date filters cover whole days).
pub const DAY_SECS: i64 = 24 * 3600;

/// A screen of the app.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Screen {
    /// The welcome screen.
    #[default]
    Home,
    /// Sign in to "Mon espace".
    SignIn,
    /// A service's login request: who asks, which level, which data.
    LoginRequest,
    /// The current step of the login (provider choice, provider login,
    /// civil registry, confirmation, consent, refusal).
    Login,
    /// The login is over: back to the browser.
    LoginDone,
    /// The history of connections and data checks.
    History,
    /// Blocked and allowed identity providers, alerts.
    Preferences,
    /// Known and trusted devices.
    Devices,
    /// A fraud report.
    Report,
}

impl Screen {
    /// Screens of "Mon espace", which need a signed-in citizen.
    #[must_use]
    pub fn needs_session(self) -> bool {
        matches!(
            self,
            Screen::History | Screen::Preferences | Screen::Devices | Screen::Report
        )
    }

    /// Screens of a login in progress, which need a pending request.
    #[must_use]
    pub fn needs_request(self) -> bool {
        matches!(self, Screen::LoginRequest | Screen::Login)
    }
}

/// A message shown above the screen (in an `aria-live` region).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Banner {
    /// The broker cannot be reached.
    Offline,
    /// The page runs outside the app.
    NotInApp,
    /// The session expired: sign in again.
    SessionExpired,
    /// The in-use identity provider cannot be blocked.
    InUseCannotBlock,
    /// Preferences saved.
    PreferencesSaved,
    /// A device was forgotten.
    DeviceForgotten,
    /// This device is trusted.
    DeviceTrusted,
    /// A fraud report was received.
    ReportSent {
        /// Its reference.
        reference: String,
    },
    /// Any other failure, with its message.
    Error(String),
}

impl Banner {
    /// Whether the banner reports a problem (`fr-alert--error`/`--warning`)
    /// rather than a success or information.
    #[must_use]
    pub fn is_problem(&self) -> bool {
        matches!(
            self,
            Banner::Offline
                | Banner::NotInApp
                | Banner::SessionExpired
                | Banner::InUseCannotBlock
                | Banner::Error(_)
        )
    }
}

/// How the citizen answered the data request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsentChoice {
    /// Every datum asked.
    AcceptAll,
    /// Only the ticked data.
    OnlyTicked,
    /// No datum.
    RefuseAll,
}

/// The history filters (all optional; dates are Unix seconds at midnight UTC).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    /// Exact service name.
    pub service: Option<String>,
    /// Exact identity-provider name.
    pub identity_provider: Option<String>,
    /// First day included.
    pub from: Option<i64>,
    /// Last day included.
    pub to: Option<i64>,
}

impl HistoryFilter {
    /// Whether `entry` passes the filters.
    #[must_use]
    pub fn matches(&self, entry: &HistoryEntry) -> bool {
        self.service.as_ref().is_none_or(|s| *s == entry.service)
            && self
                .identity_provider
                .as_ref()
                .is_none_or(|fi| entry.identity_provider.as_ref() == Some(fi))
            && self.from.is_none_or(|from| entry.at >= from)
            && self.to.is_none_or(|to| entry.at < to + DAY_SECS)
    }

    /// Whether no filter is set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The fraud-report form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportForm {
    /// The history entry concerned, if the citizen came from one.
    pub reference: Option<String>,
    /// The contact address.
    pub contact_email: String,
    /// The message.
    pub message: String,
    /// The validation error of the last attempt.
    pub error: Option<FraudReportError>,
    /// The acknowledgement, once sent.
    pub ack: Option<FraudReportAck>,
}

impl ReportForm {
    /// The request to send, checked with [`FraudReportRequest::validate`].
    ///
    /// # Errors
    /// The first problem of the form.
    pub fn to_request(&self) -> Result<FraudReportRequest, FraudReportError> {
        let request = FraudReportRequest {
            reference: self.reference.clone(),
            contact_email: self.contact_email.trim().to_owned(),
            message: self.message.trim().to_owned(),
        };
        request.validate()?;
        Ok(request)
    }
}

/// A field of the fraud-report form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportField {
    /// The contact address.
    Contact,
    /// The message.
    Message,
}

/// Everything the interface shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    /// The interface language.
    pub lang: Lang,
    /// The current screen.
    pub screen: Screen,
    /// The citizen's session in "Mon espace", if signed in.
    pub session: Option<Session>,
    /// A call to the shell is running.
    pub busy: bool,
    /// The message above the screen.
    pub banner: Option<Banner>,
    /// The service's login in progress.
    pub login: Option<Login>,
    /// How the last login ended (the "back to your browser" screen).
    pub done: Option<LoginEnd>,
    /// The history, once loaded.
    pub history: Option<HistoryPage>,
    /// The history filters.
    pub filter: HistoryFilter,
    /// The preferences as loaded or edited, before saving.
    pub preferences: Option<PreferencesView>,
    /// Whether the edited preferences differ from the saved ones.
    pub preferences_dirty: bool,
    /// The devices, once loaded.
    pub devices: Option<Vec<DeviceView>>,
    /// The fraud-report form.
    pub report: ReportForm,
}

/// Everything that changes the state.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Switch the interface language.
    SetLang(Lang),
    /// Go to a screen (guarded: "Mon espace" needs a session, a login
    /// screen needs a pending request).
    Navigate(Screen),
    /// A call to the shell started.
    Busy,
    /// A call to the shell failed.
    Failed(BridgeError),
    /// Close the banner.
    DismissBanner,
    /// Signed in to "Mon espace".
    SignedIn(Session),
    /// Signed out: personal data leave the state.
    SignedOut,
    /// The service's login (or none) was read: started from a link, or
    /// the one in progress.
    PendingLoaded(Option<InteractionView>),
    /// The broker answered a step of the login.
    LoginUpdated(InteractionView),
    /// The citizen closed the provider's window (the interaction id).
    FiWindowClosed(String),
    /// Tick or untick a datum.
    ToggleDatum(String),
    /// Tick or untick the identity agreement.
    SetAgreement(bool),
    /// Tick or untick "trust this device".
    SetTrustDevice(bool),
    /// The card readers changed (the shell's event, or its answer).
    CardReaders(ReaderList),
    /// The citizen chose a card reader.
    SelectCardReader(String),
    /// The citizen typed in a field of the card screen.
    EditCard(CardField, Code),
    /// The card form was sent with invalid fields: show their errors.
    CardInvalid,
    /// A card call left with the form's numbers (they leave the state).
    CardSubmitted(CardCall),
    /// Open (`true`) or close the PIN unblocking form.
    ShowCardUnblock(bool),
    /// The card's PIN was unblocked.
    CardUnblocked,
    /// The history was loaded.
    HistoryLoaded(HistoryPage),
    /// The history filters changed.
    SetFilter(HistoryFilter),
    /// Block or allow an identity provider (refused for the one in use).
    ToggleFiBlocked(String),
    /// Connection alerts on or off.
    SetAlerts(bool),
    /// The preferences were loaded or saved.
    PreferencesLoaded {
        /// The view.
        view: PreferencesView,
        /// After a save (shows a confirmation).
        saved: bool,
    },
    /// The devices were loaded.
    DevicesLoaded(Vec<DeviceView>),
    /// A device was forgotten.
    DeviceForgotten(String),
    /// This device was trusted.
    DeviceTrusted(DeviceView),
    /// Open the report form, about a history entry or not.
    StartReport(Option<String>),
    /// A field of the report form changed.
    EditReport(ReportField, String),
    /// The report form did not validate.
    ReportInvalid(FraudReportError),
    /// The report was received.
    ReportSent(FraudReportAck),
}

impl State {
    /// The history entries that pass the filters, newest first.
    #[must_use]
    pub fn filtered_history(&self) -> Vec<&HistoryEntry> {
        let Some(page) = &self.history else {
            return Vec::new();
        };
        page.entries
            .iter()
            .filter(|e| self.filter.matches(e))
            .collect()
    }

    /// The services of the history, sorted, each once (filter options).
    #[must_use]
    pub fn history_services(&self) -> Vec<String> {
        let set: BTreeSet<&str> = self
            .history
            .iter()
            .flat_map(|p| &p.entries)
            .map(|e| e.service.as_str())
            .collect();
        set.into_iter().map(str::to_owned).collect()
    }

    /// The identity providers of the history, sorted, each once.
    #[must_use]
    pub fn history_identity_providers(&self) -> Vec<String> {
        let set: BTreeSet<&str> = self
            .history
            .iter()
            .flat_map(|p| &p.entries)
            .filter_map(|e| e.identity_provider.as_deref())
            .collect();
        set.into_iter().map(str::to_owned).collect()
    }

    /// The change to send for the edited preferences.
    #[must_use]
    pub fn preferences_update(&self) -> Option<PreferencesUpdate> {
        let view = self.preferences.as_ref()?;
        Some(PreferencesUpdate {
            blocked_fis: Some(
                view.identity_providers
                    .iter()
                    .filter(|f| f.blocked && !f.in_use)
                    .map(|f| f.id.clone())
                    .collect(),
            ),
            connection_alerts: Some(view.connection_alerts),
        })
    }

    /// Applies one action.
    #[must_use]
    pub fn apply(mut self, action: Action) -> Self {
        if action_ends_a_call(&action) {
            self.busy = false;
        }
        match action {
            Action::SetLang(lang) => self.lang = lang,
            Action::Navigate(screen) => self.navigate(screen),
            Action::Busy => self.busy = true,
            Action::Failed(error) => self.fail(error),
            Action::DismissBanner => self.banner = None,
            Action::SignedIn(session) => {
                self.session = Some(session);
                self.banner = None;
                if self.screen == Screen::SignIn {
                    self.screen = Screen::Home;
                }
            }
            Action::SignedOut => {
                let lang = self.lang;
                let login = self.login.take();
                let done = self.done.take();
                self = State {
                    lang,
                    login,
                    done,
                    ..State::default()
                };
            }
            Action::PendingLoaded(view) => self.login_loaded(view),
            Action::LoginUpdated(view) => self.login_updated(view),
            Action::FiWindowClosed(id) => self.fi_window_closed(&id),
            Action::ToggleDatum(scope) => self.toggle_datum(scope),
            Action::SetAgreement(on) => {
                if let Some(login) = &mut self.login {
                    login.agreement = on;
                }
            }
            Action::SetTrustDevice(on) => {
                if let Some(login) = &mut self.login {
                    login.trust_device = on;
                }
            }
            Action::CardReaders(list) => {
                if let Some(card) = self.card_form_mut() {
                    card.readers_changed(list);
                }
            }
            Action::SelectCardReader(name) => {
                if let Some(card) = self.card_form_mut() {
                    card.select_reader(&name);
                }
            }
            Action::EditCard(field, value) => {
                if let Some(card) = self.card_form_mut() {
                    card.edit(field, value);
                }
            }
            Action::CardInvalid => {
                if let Some(card) = self.card_form_mut() {
                    card.show_errors = true;
                }
            }
            Action::CardSubmitted(call) => {
                if let Some(card) = self.card_form_mut() {
                    card.submitted(call);
                }
            }
            Action::ShowCardUnblock(open) => {
                if let Some(card) = self.card_form_mut() {
                    card.show_unblock(open);
                }
            }
            Action::CardUnblocked => {
                if let Some(card) = self.card_form_mut() {
                    card.unblock_done();
                }
            }
            Action::HistoryLoaded(page) => self.history = Some(page),
            Action::SetFilter(filter) => self.filter = filter,
            Action::ToggleFiBlocked(id) => self.toggle_fi(&id),
            Action::SetAlerts(on) => {
                if let Some(view) = &mut self.preferences {
                    view.connection_alerts = on;
                    self.preferences_dirty = true;
                }
            }
            Action::PreferencesLoaded { view, saved } => {
                self.preferences = Some(view);
                self.preferences_dirty = false;
                if saved {
                    self.banner = Some(Banner::PreferencesSaved);
                }
            }
            Action::DevicesLoaded(devices) => self.devices = Some(devices),
            Action::DeviceForgotten(id) => {
                if let Some(devices) = &mut self.devices {
                    devices.retain(|d| d.id != id);
                }
                self.banner = Some(Banner::DeviceForgotten);
            }
            Action::DeviceTrusted(device) => {
                if let Some(devices) = &mut self.devices {
                    match devices.iter_mut().find(|d| d.id == device.id) {
                        Some(slot) => *slot = device,
                        None => devices.push(device),
                    }
                } else {
                    self.devices = Some(vec![device]);
                }
                self.banner = Some(Banner::DeviceTrusted);
            }
            Action::StartReport(reference) => {
                self.report = ReportForm {
                    reference,
                    ..ReportForm::default()
                };
                self.navigate(Screen::Report);
            }
            Action::EditReport(field, value) => {
                match field {
                    ReportField::Contact => self.report.contact_email = value,
                    ReportField::Message => self.report.message = value,
                }
                self.report.error = None;
            }
            Action::ReportInvalid(error) => self.report.error = Some(error),
            Action::ReportSent(ack) => {
                self.banner = Some(Banner::ReportSent {
                    reference: ack.reference.clone(),
                });
                self.report = ReportForm {
                    ack: Some(ack),
                    ..ReportForm::default()
                };
            }
        }
        self
    }

    fn navigate(&mut self, screen: Screen) {
        if screen.needs_session() && self.session.is_none() {
            self.screen = Screen::SignIn;
        } else if (screen.needs_request() && self.login.is_none())
            || (screen == Screen::LoginDone && self.done.is_none())
        {
            self.screen = Screen::Home;
        } else {
            self.screen = screen;
        }
        if self.screen != Screen::LoginDone {
            self.done = None;
        }
        // A message about the previous screen does not follow the citizen,
        // but connectivity and session problems stay visible.
        if !matches!(
            self.banner,
            Some(Banner::Offline | Banner::NotInApp | Banner::SessionExpired)
        ) {
            self.banner = None;
        }
    }

    fn fail(&mut self, error: BridgeError) {
        // The card's problems and the provider's refusal of the card show
        // on the card screen; any failure ends its call.
        if let Some(card) = self.card_form_mut() {
            match &error {
                BridgeError::Card(problem) => {
                    card.failed(CardIssue::Problem(*problem));
                    return;
                }
                BridgeError::CardRefused(message) => {
                    card.failed(CardIssue::Refused(message.clone()));
                    return;
                }
                _ => card.call_ended(),
            }
        }
        self.banner = Some(match error {
            BridgeError::Offline => Banner::Offline,
            BridgeError::NotInApp => Banner::NotInApp,
            BridgeError::ReturnedToService(message) => {
                let service = self.login_service();
                self.end_with(LoginEnd::Returned { service, message });
                return;
            }
            BridgeError::InteractionExpired(message) => {
                self.end_with(LoginEnd::Expired { message });
                return;
            }
            BridgeError::SessionExpired => {
                self.session = None;
                self.history = None;
                self.preferences = None;
                self.preferences_dirty = false;
                self.devices = None;
                self.report = ReportForm::default();
                self.screen = Screen::SignIn;
                Banner::SessionExpired
            }
            other => Banner::Error(other.to_string()),
        });
    }

    fn toggle_fi(&mut self, id: &str) {
        let Some(view) = &mut self.preferences else {
            return;
        };
        let Some(fi) = view.identity_providers.iter_mut().find(|f| f.id == id) else {
            return;
        };
        if fi.in_use {
            fi.blocked = false;
            self.banner = Some(Banner::InUseCannotBlock);
            return;
        }
        fi.blocked = !fi.blocked;
        self.preferences_dirty = true;
    }
}

/// Whether `action` is the end of a call to the shell (clears `busy`).
fn action_ends_a_call(action: &Action) -> bool {
    matches!(
        action,
        Action::Failed(_)
            | Action::SignedIn(_)
            | Action::SignedOut
            | Action::PendingLoaded(_)
            | Action::LoginUpdated(_)
            | Action::CardUnblocked
            | Action::HistoryLoaded(_)
            | Action::PreferencesLoaded { .. }
            | Action::DevicesLoaded(_)
            | Action::DeviceForgotten(_)
            | Action::DeviceTrusted(_)
            | Action::ReportSent(_)
            | Action::ReportInvalid(_)
    )
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        Rc::new(Rc::unwrap_or_clone(self).apply(action))
    }
}

#[cfg(test)]
mod tests;
