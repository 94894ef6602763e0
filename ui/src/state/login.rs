//! A service's login in the reducer: the broker's [`InteractionView`] of
//! the current step, what the citizen ticked on it, and how the login
//! ended. Every step's answer replaces the view; [`Step::Return`] and the
//! errors that end a login lead to the "back to your browser" screen. At a
//! provider that logs in with the ID card, the card screen's form
//! ([`CardForm`]) lives here as long as the step.

use std::collections::BTreeSet;

use pivot_proto::interaction::{InteractionView, Step};

use super::card::{CardForm, is_card_step};
use super::{ConsentChoice, Screen, State};

/// The login in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login {
    /// The broker's view of the current step.
    pub view: InteractionView,
    /// The data ticked on the consent step (none by default).
    pub ticked: BTreeSet<String>,
    /// The identity agreement of a private service, ticked.
    pub agreement: bool,
    /// "Faire confiance à cet appareil", ticked.
    pub trust_device: bool,
    /// The citizen closed the provider's window before the end.
    pub fi_window_closed: bool,
    /// The card screen, at a provider that logs in with the ID card
    /// (empty at any other step).
    pub card: CardForm,
}

impl Login {
    fn new(view: InteractionView) -> Self {
        Self {
            view,
            ticked: BTreeSet::new(),
            agreement: false,
            trust_device: false,
            fi_window_closed: false,
            card: CardForm::default(),
        }
    }
}

/// How a login ended; the browser now shows the service (or should).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoginEnd {
    /// The service received a code.
    Success {
        /// The service.
        service: String,
    },
    /// The service was told the login did not happen (cancelled or
    /// refused).
    Cancelled {
        /// The service.
        service: String,
    },
    /// The broker stopped the login and told the service, with its message.
    Returned {
        /// The service, if known.
        service: Option<String>,
        /// The broker's message, in French.
        message: String,
    },
    /// The login no longer exists at the broker: start again from the
    /// service.
    Expired {
        /// The broker's message, in French.
        message: String,
    },
}

/// The stable name of a step, to notice a change of step.
#[must_use]
pub fn step_name(step: &Step) -> &'static str {
    match step {
        Step::ChooseFi { .. } => "choose_fi",
        step @ Step::FiLogin { .. } if is_card_step(step) => "card_login",
        Step::FiLogin { .. } => "fi_login",
        Step::RegistryUnavailable { .. } => "registry_unavailable",
        Step::Confirm { .. } => "confirm",
        Step::Consent => "consent",
        Step::Refused { .. } => "refused",
        Step::Return { .. } => "return",
    }
}

impl State {
    /// The scopes a consent choice grants: all asked, exactly the ticked ones
    /// (in the order asked, never a scope that was not asked), or none.
    #[must_use]
    pub fn granted_scopes(&self, choice: ConsentChoice) -> Vec<String> {
        let Some(login) = &self.login else {
            return Vec::new();
        };
        login
            .view
            .data
            .iter()
            .filter(|d| match choice {
                ConsentChoice::AcceptAll => true,
                ConsentChoice::OnlyTicked => login.ticked.contains(&d.scope),
                ConsentChoice::RefuseAll => false,
            })
            .map(|d| d.scope.clone())
            .collect()
    }

    /// Whether the confirmation can be sent: at the confirm step, with the
    /// identity agreement ticked when the service needs it.
    #[must_use]
    pub fn can_confirm(&self) -> bool {
        self.login.as_ref().is_some_and(|l| match &l.view.step {
            Step::Confirm {
                agreement_required, ..
            } => !agreement_required || l.agreement,
            _ => false,
        })
    }

    /// The login the shell started or resumed (or none).
    pub(super) fn login_loaded(&mut self, view: Option<InteractionView>) {
        match view {
            Some(view) if self.login.as_ref().is_some_and(|l| l.view.id == view.id) => {
                self.login_updated(view);
            }
            Some(view) => {
                self.done = None;
                if matches!(view.step, Step::Return { .. }) {
                    self.end_with_view(&view);
                    return;
                }
                self.login = Some(Login::new(view));
                // Who asks, what for, before any provider step.
                self.screen = Screen::LoginRequest;
            }
            None => {
                self.login = None;
                if self.screen.needs_request() {
                    self.screen = Screen::Home;
                }
            }
        }
    }

    /// The broker's answer to a step (or the event after the provider's
    /// window).
    pub(super) fn login_updated(&mut self, view: InteractionView) {
        if let Some(login) = &self.login
            && login.view.id != view.id
        {
            // An answer about another login: stale.
            return;
        }
        if matches!(view.step, Step::Return { .. }) {
            self.end_with_view(&view);
            return;
        }
        let login = self.login.get_or_insert_with(|| Login::new(view.clone()));
        // Any answer means the provider's window is as the shell left it:
        // opened again, or done with.
        login.fi_window_closed = false;
        // The card form lasts as long as the card step; the call, if any,
        // is over.
        if is_card_step(&login.view.step) && is_card_step(&view.step) {
            login.card.call_ended();
        } else {
            login.card = CardForm::default();
        }
        login.view = view;
        if self.screen != Screen::LoginRequest {
            self.screen = Screen::Login;
        }
        self.banner = None;
    }

    /// The login whose provider window the summary's "Continue" opens: at a
    /// provider's login in a web view (the card needs no window).
    #[must_use]
    pub fn web_fi_login(&self) -> Option<&str> {
        self.login
            .as_ref()
            .filter(|l| matches!(l.view.step, Step::FiLogin { .. }) && !is_card_step(&l.view.step))
            .map(|l| l.view.id.as_str())
    }

    /// The card screen's form, when the login is at a card step.
    #[must_use]
    pub fn card_form(&self) -> Option<&CardForm> {
        self.login
            .as_ref()
            .filter(|l| is_card_step(&l.view.step))
            .map(|l| &l.card)
    }

    /// The card screen's form, to change, when the login is at a card step.
    pub(super) fn card_form_mut(&mut self) -> Option<&mut CardForm> {
        self.login
            .as_mut()
            .filter(|l| is_card_step(&l.view.step))
            .map(|l| &mut l.card)
    }

    /// The citizen closed the provider's window.
    pub(super) fn fi_window_closed(&mut self, interaction_id: &str) {
        if let Some(login) = &mut self.login
            && login.view.id == interaction_id
            && matches!(login.view.step, Step::FiLogin { .. })
        {
            login.fi_window_closed = true;
        }
    }

    /// Ticks or unticks a datum that was asked.
    pub(super) fn toggle_datum(&mut self, scope: String) {
        let Some(login) = &mut self.login else {
            return;
        };
        let asked = login.view.data.iter().any(|d| d.scope == scope);
        if asked && !login.ticked.remove(&scope) {
            login.ticked.insert(scope);
        }
    }

    /// The login ends with an error message.
    pub(super) fn end_with(&mut self, end: LoginEnd) {
        self.login = None;
        self.done = Some(end);
        self.screen = Screen::LoginDone;
    }

    fn end_with_view(&mut self, view: &InteractionView) {
        let service = view.service.name.clone();
        let end = match view.step {
            Step::Return { success: true, .. } => LoginEnd::Success { service },
            _ => LoginEnd::Cancelled { service },
        };
        self.end_with(end);
    }

    /// The service of the login in progress, if any.
    #[must_use]
    pub fn login_service(&self) -> Option<String> {
        self.login.as_ref().map(|l| l.view.service.name.clone())
    }
}

#[cfg(test)]
pub(super) mod tests;
