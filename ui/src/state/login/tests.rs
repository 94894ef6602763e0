//! The login's transitions, step by step, from the broker's views.

use pivot_proto::data::DataRequest;
use pivot_proto::eidas::Eidas;
use pivot_proto::interaction::{FiOption, IdentitySummary, LoginMethod, ServiceView};

use super::*;
use crate::api::Session;
use crate::bridge::BridgeError;
use crate::state::{Action, Banner};

fn datum(scope: &str, label: &str, provider: &str) -> DataRequest {
    DataRequest {
        scope: scope.into(),
        label: label.into(),
        provider_id: provider.to_lowercase(),
        provider_name: provider.into(),
    }
}

pub(crate) fn view_at(step: Step) -> InteractionView {
    InteractionView {
        id: "int-1".into(),
        service: ServiceView {
            client_id: "fs-lyon".into(),
            name: "Mairie de Lyon".into(),
            public_service: false,
        },
        level: Eidas::Eidas2,
        identity_items: vec!["Prénoms".into(), "Nom de naissance".into()],
        data: vec![
            datum("dgfip_rfr", "revenu fiscal de référence", "DGFIP"),
            datum("dgfip_nbpart", "nombre de parts", "DGFIP"),
            datum("cnaf_qf", "quotient familial", "CNAF"),
        ],
        step,
    }
}

pub(crate) fn choose_fi_view() -> InteractionView {
    view_at(Step::ChooseFi {
        identity_providers: vec![
            FiOption {
                id: "impots".into(),
                name: "impots.gouv.fr".into(),
                available: true,
            },
            FiOption {
                id: "eidas3".into(),
                name: "Carte d'identité".into(),
                available: false,
            },
        ],
        notice: None,
    })
}

fn fi_login() -> Step {
    Step::FiLogin {
        fi_id: "impots".into(),
        fi_name: "impots.gouv.fr".into(),
        authorization_url: "https://fi.example/authorize".into(),
        callback_url: "https://pivot.example/api/v2/fi/callback".into(),
        method: LoginMethod::Web,
    }
}

fn confirm(agreement_required: bool) -> Step {
    Step::Confirm {
        identity: IdentitySummary {
            given_name: "Angela Claire".into(),
            family_name: "DUBOIS".into(),
            female: true,
            birthdate: "24 août 1962".into(),
            birthplace: "Paris, FRANCE".into(),
        },
        fi_name: "impots.gouv.fr".into(),
        agreement_required,
    }
}

fn returned(success: bool) -> Step {
    Step::Return {
        redirect_url: "https://fs.example/cb?code=c".into(),
        success,
    }
}

fn started() -> State {
    State::default().apply(Action::PendingLoaded(Some(choose_fi_view())))
}

fn at(step: Step) -> State {
    started()
        .apply(Action::Navigate(Screen::Login))
        .apply(Action::LoginUpdated(view_at(step)))
}

fn step_of(s: &State) -> &'static str {
    step_name(&s.login.as_ref().unwrap().view.step)
}

#[test]
fn a_new_login_shows_who_asks_before_any_step() {
    let s = started();
    assert_eq!(s.screen, Screen::LoginRequest);
    let login = s.login.as_ref().unwrap();
    assert_eq!(login.view.level, Eidas::Eidas2);
    assert!(login.ticked.is_empty());
    assert!(!login.agreement && !login.trust_device);
    // Even when the broker is already at the provider step.
    let s = State::default().apply(Action::PendingLoaded(Some(view_at(fi_login()))));
    assert_eq!(s.screen, Screen::LoginRequest);
    // Continuing shows the step.
    let s = started().apply(Action::Navigate(Screen::Login));
    assert_eq!(s.screen, Screen::Login);
}

#[test]
fn the_same_login_loaded_again_keeps_the_screen() {
    let s = at(fi_login()).apply(Action::PendingLoaded(Some(view_at(fi_login()))));
    assert_eq!(s.screen, Screen::Login);
    assert_eq!(step_of(&s), "fi_login");
}

#[test]
fn no_login_leaves_the_login_screens() {
    let s = at(fi_login()).apply(Action::PendingLoaded(None));
    assert!(s.login.is_none());
    assert_eq!(s.screen, Screen::Home);
    let s = State::default()
        .apply(Action::Navigate(Screen::SignIn))
        .apply(Action::PendingLoaded(None));
    assert_eq!(s.screen, Screen::SignIn);
}

#[test]
fn each_answer_moves_to_its_step() {
    let s = at(fi_login());
    assert_eq!(s.screen, Screen::Login);
    assert_eq!(step_of(&s), "fi_login");
    let s = s.apply(Action::LoginUpdated(view_at(Step::RegistryUnavailable {
        fi_name: "impots.gouv.fr".into(),
        retry_after_secs: 5,
    })));
    assert_eq!(step_of(&s), "registry_unavailable");
    let s = s.apply(Action::LoginUpdated(view_at(confirm(true))));
    assert_eq!(step_of(&s), "confirm");
    let s = s.apply(Action::LoginUpdated(view_at(Step::Consent)));
    assert_eq!(step_of(&s), "consent");
    assert_eq!(s.screen, Screen::Login);
}

#[test]
fn an_answer_about_another_login_is_ignored() {
    let mut other = view_at(Step::Consent);
    other.id = "int-2".into();
    let s = at(fi_login()).apply(Action::LoginUpdated(other));
    assert_eq!(step_of(&s), "fi_login");
}

#[test]
fn an_event_without_a_login_in_the_state_adopts_it() {
    let s = State::default().apply(Action::LoginUpdated(view_at(confirm(false))));
    assert_eq!(s.screen, Screen::Login);
    assert_eq!(step_of(&s), "confirm");
}

#[test]
fn a_closed_provider_window_is_noticed_until_the_next_answer() {
    let s = at(fi_login()).apply(Action::FiWindowClosed("int-1".into()));
    assert!(s.login.as_ref().unwrap().fi_window_closed);
    // Reopened: the shell answers the same step, the window is open again.
    let s = s.apply(Action::LoginUpdated(view_at(fi_login())));
    assert!(!s.login.as_ref().unwrap().fi_window_closed);
    // Another login's window, or another step: nothing.
    let s = at(fi_login()).apply(Action::FiWindowClosed("int-2".into()));
    assert!(!s.login.as_ref().unwrap().fi_window_closed);
    let s = at(Step::Consent).apply(Action::FiWindowClosed("int-1".into()));
    assert!(!s.login.as_ref().unwrap().fi_window_closed);
}

#[test]
fn a_private_service_needs_the_agreement_to_confirm() {
    let s = at(confirm(true));
    assert!(!s.can_confirm());
    let s = s.apply(Action::SetTrustDevice(true));
    assert!(!s.can_confirm(), "trusting the device is not agreeing");
    let s = s.apply(Action::SetAgreement(true));
    assert!(s.can_confirm());
    let login = s.login.as_ref().unwrap();
    assert!(login.agreement && login.trust_device);
    let s = s.apply(Action::SetAgreement(false));
    assert!(!s.can_confirm());
    // A public service needs none; another step cannot confirm.
    assert!(at(confirm(false)).can_confirm());
    assert!(!at(Step::Consent).can_confirm());
    assert!(!State::default().can_confirm());
}

#[test]
fn toggles_tick_and_untick_only_asked_data() {
    let s = at(Step::Consent)
        .apply(Action::ToggleDatum("dgfip_rfr".into()))
        .apply(Action::ToggleDatum("cnaf_qf".into()))
        .apply(Action::ToggleDatum("cnaf_qf".into()))
        .apply(Action::ToggleDatum("not_asked".into()));
    let ticked: Vec<_> = s.login.as_ref().unwrap().ticked.iter().cloned().collect();
    assert_eq!(ticked, vec!["dgfip_rfr".to_owned()]);
}

#[test]
fn consent_choices_grant_exactly_the_expected_scopes() {
    let s = at(Step::Consent)
        .apply(Action::ToggleDatum("cnaf_qf".into()))
        .apply(Action::ToggleDatum("dgfip_rfr".into()));
    assert_eq!(
        s.granted_scopes(ConsentChoice::AcceptAll),
        ["dgfip_rfr", "dgfip_nbpart", "cnaf_qf"]
    );
    assert_eq!(
        s.granted_scopes(ConsentChoice::OnlyTicked),
        ["dgfip_rfr", "cnaf_qf"],
        "ticked ones, in the order asked"
    );
    assert!(s.granted_scopes(ConsentChoice::RefuseAll).is_empty());
    assert!(
        at(Step::Consent)
            .granted_scopes(ConsentChoice::OnlyTicked)
            .is_empty()
    );
    assert!(
        State::default()
            .granted_scopes(ConsentChoice::AcceptAll)
            .is_empty()
    );
}

#[test]
fn the_return_step_ends_the_login_and_says_go_back_to_the_browser() {
    let s = at(Step::Consent)
        .apply(Action::Busy)
        .apply(Action::LoginUpdated(view_at(returned(true))));
    assert!(!s.busy);
    assert!(s.login.is_none());
    assert_eq!(s.screen, Screen::LoginDone);
    assert_eq!(
        s.done,
        Some(LoginEnd::Success {
            service: "Mairie de Lyon".into()
        })
    );
    // Leaving the end screen forgets it.
    let s = s.apply(Action::Navigate(Screen::Home));
    assert_eq!(s.done, None);
    assert_eq!(s.screen, Screen::Home);
}

#[test]
fn cancelling_or_a_refusal_ends_without_success() {
    let s = at(Step::Refused {
        code: "Y010001".into(),
        title: "Identité introuvable".into(),
        message: "Contactez votre mairie.".into(),
    })
    .apply(Action::LoginUpdated(view_at(returned(false))));
    assert_eq!(
        s.done,
        Some(LoginEnd::Cancelled {
            service: "Mairie de Lyon".into()
        })
    );
    // A login that started already over (e.g. `prompt=none`).
    let s = State::default().apply(Action::PendingLoaded(Some(view_at(returned(false)))));
    assert_eq!(s.screen, Screen::LoginDone);
}

#[test]
fn an_error_handed_back_to_the_service_ends_the_login_with_its_message() {
    let s = at(confirm(true)).apply(Action::Failed(BridgeError::ReturnedToService(
        "Votre compte est bloqué.".into(),
    )));
    assert!(s.login.is_none());
    assert_eq!(s.screen, Screen::LoginDone);
    assert_eq!(
        s.done,
        Some(LoginEnd::Returned {
            service: Some("Mairie de Lyon".into()),
            message: "Votre compte est bloqué.".into()
        })
    );
    assert_eq!(s.banner, None);
}

#[test]
fn an_expired_login_ends_with_its_message() {
    let s = at(fi_login()).apply(Action::Failed(BridgeError::InteractionExpired(
        "Cette connexion a expiré.".into(),
    )));
    assert!(s.login.is_none());
    assert_eq!(s.screen, Screen::LoginDone);
    assert_eq!(
        s.done,
        Some(LoginEnd::Expired {
            message: "Cette connexion a expiré.".into()
        })
    );
}

#[test]
fn other_errors_keep_the_step_and_show_the_message() {
    let s = at(confirm(true)).apply(Action::Failed(BridgeError::Refused(
        "Cochez la case.".into(),
    )));
    assert_eq!(step_of(&s), "confirm");
    assert_eq!(s.screen, Screen::Login);
    assert_eq!(s.banner, Some(Banner::Error("Cochez la case.".into())));
    // The next answer clears it.
    let s = s.apply(Action::LoginUpdated(view_at(Step::Consent)));
    assert_eq!(s.banner, None);
    let s = at(Step::Consent).apply(Action::Failed(BridgeError::Offline));
    assert_eq!(s.banner, Some(Banner::Offline));
    assert!(s.login.is_some());
}

#[test]
fn signing_in_or_out_keeps_the_login() {
    let s = at(Step::Consent)
        .apply(Action::SignedIn(Session {
            given_name: Some("Angela".into()),
        }))
        .apply(Action::SignedOut);
    assert_eq!(step_of(&s), "consent");
}
