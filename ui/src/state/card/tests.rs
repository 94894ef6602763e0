//! The card screen in the reducer: when it shows, the reader used, the
//! form's checks, the card's problems and the PIN unblocking.

use pivot_proto::card_auth::CardProblem;
use pivot_proto::card_reader::{CardPresence, Reader, ReaderList, ReaderService};
use pivot_proto::interaction::{IdentitySummary, LoginMethod, Step};

use super::*;
use crate::bridge::BridgeError;
use crate::state::login::tests::{choose_fi_view, view_at};
use crate::state::{Action, Banner, Screen, State, step_name};

fn fi_login(method: LoginMethod) -> Step {
    Step::FiLogin {
        fi_id: "france_identite".into(),
        fi_name: "France Identité".into(),
        authorization_url: "https://fi.example/authorize".into(),
        callback_url: "https://pivot.example/api/v2/fi/callback".into(),
        method,
    }
}

fn confirm() -> Step {
    Step::Confirm {
        identity: IdentitySummary {
            given_name: "Angela Claire".into(),
            family_name: "DUBOIS".into(),
            female: true,
            birthdate: "24 août 1962".into(),
            birthplace: "Paris, FRANCE".into(),
        },
        fi_name: "France Identité".into(),
        agreement_required: false,
    }
}

fn reader(name: &str, card: CardPresence) -> Reader {
    Reader {
        name: name.into(),
        card,
    }
}

fn ready(readers: Vec<Reader>) -> ReaderList {
    ReaderList {
        service: ReaderService::Ready,
        readers,
    }
}

fn one_card() -> ReaderList {
    ready(vec![reader("Lecteur A", CardPresence::Present)])
}

/// At the card step, the readers read.
fn at_card() -> State {
    State::default()
        .apply(Action::PendingLoaded(Some(choose_fi_view())))
        .apply(Action::Navigate(Screen::Login))
        .apply(Action::LoginUpdated(view_at(fi_login(LoginMethod::Card))))
        .apply(Action::CardReaders(one_card()))
}

fn card(s: &State) -> &CardForm {
    s.card_form().expect("at the card step")
}

fn typed(s: State, can: &str, pin: &str) -> State {
    s.apply(Action::EditCard(CardField::Can, Code::new(can)))
        .apply(Action::EditCard(CardField::Pin, Code::new(pin)))
}

/// Typed, sent: the component dispatches `CardSubmitted` then the call
/// marks the state busy.
fn sent(s: State, call: CardCall) -> State {
    s.apply(Action::CardSubmitted(call)).apply(Action::Busy)
}

fn failed(s: State, problem: CardProblem) -> State {
    s.apply(Action::Failed(BridgeError::Card(problem)))
}

#[test]
fn the_card_screen_shows_only_for_a_card_provider() {
    let web = State::default()
        .apply(Action::PendingLoaded(Some(choose_fi_view())))
        .apply(Action::Navigate(Screen::Login))
        .apply(Action::LoginUpdated(view_at(fi_login(LoginMethod::Web))));
    assert_eq!(
        step_name(&web.login.as_ref().unwrap().view.step),
        "fi_login"
    );
    assert!(web.card_form().is_none());
    assert_eq!(
        web.web_fi_login(),
        Some("int-1"),
        "Continue opens the window"
    );

    let s = at_card();
    assert_eq!(s.screen, Screen::Login);
    assert_eq!(
        step_name(&s.login.as_ref().unwrap().view.step),
        "card_login"
    );
    assert!(s.card_form().is_some());
    assert_eq!(s.web_fi_login(), None, "no window for the card");
    assert!(is_card_step(&fi_login(LoginMethod::Card)));
    assert!(!is_card_step(&fi_login(LoginMethod::Web)));
    assert!(!is_card_step(&Step::Consent));
}

#[test]
fn the_reader_status_follows_the_shell() {
    let s = at_card();
    let fresh = State::default()
        .apply(Action::PendingLoaded(Some(view_at(fi_login(
            LoginMethod::Card,
        )))))
        .apply(Action::Navigate(Screen::Login));
    assert_eq!(card(&fresh).reader_status(), ReaderStatus::Searching);
    assert!(!card(&fresh).card_ready());

    let status =
        |list: ReaderList| card(&s.clone().apply(Action::CardReaders(list))).reader_status();
    assert_eq!(status(ReaderList::default()), ReaderStatus::NoService);
    assert_eq!(
        status(ReaderList {
            service: ReaderService::Unsupported,
            readers: vec![],
        }),
        ReaderStatus::Unsupported
    );
    assert_eq!(status(ready(vec![])), ReaderStatus::NoReader);
    assert_eq!(
        status(ready(vec![reader("Lecteur A", CardPresence::Absent)])),
        ReaderStatus::NoCard("Lecteur A".into())
    );
    assert_eq!(
        status(ready(vec![reader("Lecteur A", CardPresence::Mute)])),
        ReaderStatus::Mute("Lecteur A".into())
    );
    assert_eq!(
        status(ready(vec![reader("Lecteur A", CardPresence::InUse)])),
        ReaderStatus::InUse("Lecteur A".into())
    );
    assert_eq!(
        card(&s).reader_status(),
        ReaderStatus::Present("Lecteur A".into())
    );
    assert!(card(&s).card_ready());
}

#[test]
fn the_reader_with_the_card_is_chosen_and_the_citizen_may_choose() {
    // Two readers, the card on the second: it is used.
    let s = at_card().apply(Action::CardReaders(ready(vec![
        reader("Lecteur A", CardPresence::Absent),
        reader("Lecteur B", CardPresence::Present),
    ])));
    assert_eq!(card(&s).reader.as_deref(), Some("Lecteur B"));
    // The card is taken off: the reader stays, waiting for it.
    let s = s.apply(Action::CardReaders(ready(vec![
        reader("Lecteur A", CardPresence::Absent),
        reader("Lecteur B", CardPresence::Absent),
    ])));
    assert_eq!(
        card(&s).reader_status(),
        ReaderStatus::NoCard("Lecteur B".into())
    );
    // Put on the other reader: that one.
    let s = s.apply(Action::CardReaders(ready(vec![
        reader("Lecteur A", CardPresence::Present),
        reader("Lecteur B", CardPresence::Absent),
    ])));
    assert_eq!(card(&s).reader.as_deref(), Some("Lecteur A"));
    // Cards on both: the citizen's choice stays.
    let both = ready(vec![
        reader("Lecteur A", CardPresence::Present),
        reader("Lecteur B", CardPresence::Present),
    ]);
    let s = s
        .apply(Action::CardReaders(both.clone()))
        .apply(Action::SelectCardReader("Lecteur B".into()))
        .apply(Action::CardReaders(both));
    assert_eq!(card(&s).reader.as_deref(), Some("Lecteur B"));
    // A reader that is not plugged in cannot be chosen.
    let s = s.apply(Action::SelectCardReader("Lecteur Z".into()));
    assert_eq!(card(&s).reader.as_deref(), Some("Lecteur B"));
    // Unplugged: another one.
    let s = s.apply(Action::CardReaders(ready(vec![reader(
        "Lecteur A",
        CardPresence::Absent,
    )])));
    assert_eq!(card(&s).reader.as_deref(), Some("Lecteur A"));
    let s = s.apply(Action::CardReaders(ready(vec![])));
    assert_eq!(card(&s).reader, None);
    assert_eq!(card(&s).reader_status(), ReaderStatus::NoReader);
}

#[test]
fn reader_events_away_from_the_card_step_are_ignored() {
    let s = State::default()
        .apply(Action::PendingLoaded(Some(choose_fi_view())))
        .apply(Action::CardReaders(one_card()))
        .apply(Action::EditCard(CardField::Pin, Code::new("1234")));
    assert_eq!(s.login.as_ref().unwrap().card, CardForm::default());
    let s = State::default().apply(Action::CardReaders(one_card()));
    assert!(s.login.is_none());
}

#[test]
fn the_form_is_checked_before_anything_is_sent() {
    let s = typed(at_card(), "12345", "12a4");
    assert_eq!(card(&s).invalid_fields(), [CardField::Can, CardField::Pin]);
    assert!(
        card(&s).shown_errors().is_empty(),
        "no error before a submit"
    );
    assert_eq!(card(&s).login_request("int-1"), None);
    let s = s.apply(Action::CardInvalid);
    assert_eq!(card(&s).shown_errors(), [CardField::Can, CardField::Pin]);
    // Errors follow the typing from then on.
    let s = s.apply(Action::EditCard(CardField::Can, Code::new("123456")));
    assert_eq!(card(&s).shown_errors(), [CardField::Pin]);
    for pin in ["123", "12345", "١٢٣٤", " 1234"] {
        let s = s
            .clone()
            .apply(Action::EditCard(CardField::Pin, Code::new(pin)));
        assert_eq!(card(&s).shown_errors(), [CardField::Pin], "{pin}");
    }
    let s = s.apply(Action::EditCard(CardField::Pin, Code::new("1234")));
    assert!(card(&s).shown_errors().is_empty());
    let request = card(&s).login_request("int-1").unwrap();
    assert_eq!(
        (request.interaction_id.as_str(), request.reader.as_str()),
        ("int-1", "Lecteur A")
    );
    assert_eq!(
        (request.can.as_str(), request.pin.as_str()),
        ("123456", "1234")
    );
    assert_eq!(card(&s).unblock_request(), None, "not the unblocking form");
    // No reader: nothing to send.
    let s = s.apply(Action::CardReaders(ready(vec![])));
    assert_eq!(card(&s).login_request("int-1"), None);
    assert!(!card(&s).card_ready());
}

#[test]
fn sending_clears_the_pin_and_keeps_the_can() {
    let s = sent(typed(at_card(), "123456", "1234"), CardCall::Login);
    assert!(s.busy);
    let form = card(&s);
    assert_eq!(form.pending, Some(CardCall::Login));
    assert!(form.pin.is_empty());
    assert_eq!(form.can.as_str(), "123456");
}

#[test]
fn a_wrong_pin_shows_the_tries_left_and_clears_the_pin() {
    let s = failed(
        sent(typed(at_card(), "123456", "1111"), CardCall::Login),
        CardProblem::WrongPin { tries_left: 2 },
    );
    assert!(!s.busy);
    assert_eq!(s.banner, None, "the card screen shows it");
    assert_eq!(
        step_name(&s.login.as_ref().unwrap().view.step),
        "card_login"
    );
    let form = card(&s);
    assert_eq!(
        form.issue,
        Some(CardIssue::Problem(CardProblem::WrongPin { tries_left: 2 }))
    );
    assert_eq!(form.issue.as_ref().unwrap().tries_left(), Some(2));
    assert_eq!(form.pending, None);
    assert!(form.pin.is_empty());
    assert_eq!(form.can.as_str(), "123456");
    assert_eq!(form.mode, CardMode::Login);
    assert_eq!(form.failures, 1);
    // The next try clears the problem.
    let s = sent(typed(s, "123456", "1234"), CardCall::Login);
    assert_eq!(card(&s).issue, None);
}

#[test]
fn a_wrong_can_clears_the_can_too() {
    let s = failed(
        sent(typed(at_card(), "999999", "1234"), CardCall::Login),
        CardProblem::WrongCan,
    );
    let form = card(&s);
    assert!(form.can.is_empty() && form.pin.is_empty());
    assert_eq!(form.issue.as_ref().unwrap().tries_left(), None);
}

#[test]
fn the_providers_refusal_shows_its_message() {
    let s = sent(typed(at_card(), "123456", "1234"), CardCall::Login).apply(Action::Failed(
        BridgeError::CardRefused("Votre carte a expiré.".into()),
    ));
    assert_eq!(
        card(&s).issue,
        Some(CardIssue::Refused("Votre carte a expiré.".into()))
    );
    assert_eq!(s.banner, None);
    assert_eq!(card(&s).can.as_str(), "123456");
}

#[test]
fn other_failures_end_the_call_with_a_banner() {
    let s = sent(typed(at_card(), "123456", "1234"), CardCall::Login)
        .apply(Action::Failed(BridgeError::Offline));
    assert_eq!(s.banner, Some(Banner::Offline));
    assert_eq!(card(&s).pending, None);
    assert_eq!(card(&s).issue, None);
    // A card problem away from the card step is an ordinary error.
    let s = State::default()
        .apply(Action::PendingLoaded(Some(choose_fi_view())))
        .apply(Action::Failed(BridgeError::Card(CardProblem::NoCard)));
    assert!(matches!(s.banner, Some(Banner::Error(m)) if m.contains("retirée")));
}

#[test]
fn a_blocked_pin_opens_the_unblocking_form() {
    let s = failed(
        sent(typed(at_card(), "123456", "1234"), CardCall::Login),
        CardProblem::PinBlocked,
    );
    assert_eq!(card(&s).mode, CardMode::Unblock);
    assert_eq!(
        card(&s).issue,
        Some(CardIssue::Problem(CardProblem::PinBlocked))
    );
    assert_eq!(
        card(&s).fields(),
        [
            CardField::Can,
            CardField::Puk,
            CardField::NewPin,
            CardField::NewPinConfirm
        ]
    );
    assert_eq!(card(&s).login_request("int-1"), None, "not the login form");

    let s = s
        .apply(Action::EditCard(CardField::Puk, Code::new("12345678")))
        .apply(Action::EditCard(CardField::NewPin, Code::new("4321")))
        .apply(Action::EditCard(
            CardField::NewPinConfirm,
            Code::new("4320"),
        ))
        .apply(Action::CardInvalid);
    assert_eq!(card(&s).shown_errors(), [CardField::NewPinConfirm]);
    assert_eq!(card(&s).unblock_request(), None);
    let s = s.apply(Action::EditCard(
        CardField::NewPinConfirm,
        Code::new("4321"),
    ));
    let request = card(&s).unblock_request().unwrap();
    assert_eq!(
        (
            request.reader.as_str(),
            request.can.as_str(),
            request.puk.as_str(),
            request.new_pin.as_str()
        ),
        ("Lecteur A", "123456", "12345678", "4321")
    );

    let s = sent(s, CardCall::Unblock);
    let form = card(&s);
    assert_eq!(form.pending, Some(CardCall::Unblock));
    assert!(form.puk.is_empty() && form.new_pin.is_empty() && form.new_pin_confirm.is_empty());
    assert_eq!(form.can.as_str(), "123456");

    let s = s.apply(Action::CardUnblocked);
    assert!(!s.busy);
    let form = card(&s);
    assert!(form.unblocked);
    assert_eq!(form.mode, CardMode::Login);
    assert_eq!((form.issue.clone(), form.pending), (None, None));
    assert_eq!(
        form.can.as_str(),
        "123456",
        "ready to log in with the new PIN"
    );
}

#[test]
fn a_wrong_or_blocked_puk_stays_on_the_unblocking_form() {
    let s = at_card()
        .apply(Action::ShowCardUnblock(true))
        .apply(Action::EditCard(CardField::Can, Code::new("123456")))
        .apply(Action::EditCard(CardField::Puk, Code::new("00000000")));
    assert_eq!(card(&s).mode, CardMode::Unblock);
    let s = failed(
        sent(s, CardCall::Unblock),
        CardProblem::WrongPuk { tries_left: 1 },
    );
    assert_eq!(card(&s).mode, CardMode::Unblock);
    assert_eq!(card(&s).issue.as_ref().unwrap().tries_left(), Some(1));
    assert!(card(&s).puk.is_empty());
    let s = failed(sent(s, CardCall::Unblock), CardProblem::PukBlocked);
    assert_eq!(
        card(&s).issue,
        Some(CardIssue::Problem(CardProblem::PukBlocked))
    );
    // Back to the login form: what was typed there is gone, the CAN stays.
    let s = s.apply(Action::ShowCardUnblock(false));
    assert_eq!(card(&s).mode, CardMode::Login);
    assert_eq!(card(&s).issue, None);
    assert_eq!(card(&s).can.as_str(), "123456");
}

#[test]
fn leaving_the_card_step_forgets_the_form() {
    let s = typed(at_card(), "123456", "1234");
    // The same step again (read again): the form stays, the call is over.
    let again = s
        .clone()
        .apply(Action::LoginUpdated(view_at(fi_login(LoginMethod::Card))));
    assert_eq!(card(&again).can.as_str(), "123456");
    assert!(card(&again).readers.is_some());
    // Success: the confirmation, and nothing of the card left.
    let s = sent(s, CardCall::Login).apply(Action::LoginUpdated(view_at(confirm())));
    assert!(!s.busy);
    assert_eq!(step_name(&s.login.as_ref().unwrap().view.step), "confirm");
    assert_eq!(s.login.as_ref().unwrap().card, CardForm::default());
    // Another way to log in: the provider list, and nothing left either.
    let s = typed(at_card(), "123456", "1234").apply(Action::LoginUpdated(choose_fi_view()));
    assert_eq!(s.login.as_ref().unwrap().card, CardForm::default());
}

#[test]
fn typed_numbers_never_show_in_debug() {
    let s = typed(at_card(), "918273", "4655")
        .apply(Action::ShowCardUnblock(true))
        .apply(Action::EditCard(CardField::Puk, Code::new("56473829")))
        .apply(Action::EditCard(CardField::NewPin, Code::new("7391")))
        .apply(Action::EditCard(
            CardField::NewPinConfirm,
            Code::new("7391"),
        ));
    let shown = [
        format!("{s:?}"),
        format!("{:?}", card(&s)),
        format!("{:?}", Action::EditCard(CardField::Pin, Code::new("4655"))),
        format!("{:?}", Code::new("4655")),
    ];
    for text in &shown {
        for secret in ["918273", "56473829", "7391", "4655"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    assert!(shown[1].contains("[redacted]"));
    assert_eq!(shown[3], "[redacted]");
}
