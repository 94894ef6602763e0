//! The ID-card login in the reducer: the readers the shell reports and the
//! one used, the numbers typed (never shown by `Debug`, cleared after each
//! try), what went wrong on the card, and the PIN unblocking with the PUK.
//!
//! The screen shows while the login is at [`Step::FiLogin`] with
//! [`LoginMethod::Card`]; leaving that step forgets the whole form.

use pivot_proto::card_auth::CardProblem;
use pivot_proto::card_reader::{
    CAN_LEN, CardLoginRequest, CardPresence, CardUnblockRequest, PIN_LEN, PUK_LEN, ReaderList,
    ReaderService, is_code,
};
use pivot_proto::interaction::{LoginMethod, Step};

/// A number the citizen typed (card access number, PIN, PUK): `Debug`
/// never shows it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Code(String);

impl Code {
    /// The number as typed.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The digits, for the input field and the request.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether nothing is typed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn clear(&mut self) {
        self.0.clear();
    }
}

impl std::fmt::Debug for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A field of the card screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardField {
    /// The card access number printed on the card.
    Can,
    /// The PIN.
    Pin,
    /// The PUK (unblocking).
    Puk,
    /// The new PIN (unblocking).
    NewPin,
    /// The new PIN again (unblocking).
    NewPinConfirm,
}

impl CardField {
    /// The input's `id` in the page.
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            CardField::Can => "card-can",
            CardField::Pin => "card-pin",
            CardField::Puk => "card-puk",
            CardField::NewPin => "card-new-pin",
            CardField::NewPinConfirm => "card-new-pin-confirm",
        }
    }

    /// How many digits it takes.
    #[must_use]
    pub fn digits(self) -> usize {
        match self {
            CardField::Can => CAN_LEN,
            CardField::Pin | CardField::NewPin | CardField::NewPinConfirm => PIN_LEN,
            CardField::Puk => PUK_LEN,
        }
    }

    /// Whether the screen hides what is typed (every secret but the card
    /// access number, which is printed on the card).
    #[must_use]
    pub fn is_secret(self) -> bool {
        self != CardField::Can
    }
}

/// Which form the card screen shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CardMode {
    /// Card access number and PIN, to log in.
    #[default]
    Login,
    /// Card access number, PUK and a new PIN, to unblock the PIN.
    Unblock,
}

/// A call to the shell about the card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardCall {
    /// `card_login`.
    Login,
    /// `card_unblock`.
    Unblock,
}

/// Why the last try failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CardIssue {
    /// On the card's side.
    Problem(CardProblem),
    /// The identity provider refused the card, with its French message.
    Refused(String),
}

impl CardIssue {
    /// The tries left to show prominently (wrong PIN or PUK).
    #[must_use]
    pub fn tries_left(&self) -> Option<u8> {
        match self {
            CardIssue::Problem(
                CardProblem::WrongPin { tries_left } | CardProblem::WrongPuk { tries_left },
            ) => Some(*tries_left),
            _ => None,
        }
    }
}

/// What the reader chosen says, for the status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReaderStatus {
    /// The shell has not told yet.
    Searching,
    /// No smart-card service on this computer.
    NoService,
    /// No card transport on this platform yet (mobile: NFC).
    Unsupported,
    /// No reader plugged in.
    NoReader,
    /// This reader has no card.
    NoCard(String),
    /// A card that answers is on this reader.
    Present(String),
    /// The card on this reader does not answer.
    Mute(String),
    /// Another program holds the card on this reader.
    InUse(String),
}

/// The card screen's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CardForm {
    /// The readers, once the shell told.
    pub readers: Option<ReaderList>,
    /// The reader used (a name of [`CardForm::readers`]).
    pub reader: Option<String>,
    /// The form shown.
    pub mode: CardMode,
    /// The card access number.
    pub can: Code,
    /// The PIN.
    pub pin: Code,
    /// The PUK.
    pub puk: Code,
    /// The new PIN.
    pub new_pin: Code,
    /// The new PIN, again.
    pub new_pin_confirm: Code,
    /// A submit found invalid fields: show their errors (live from then on).
    pub show_errors: bool,
    /// Why the last try failed.
    pub issue: Option<CardIssue>,
    /// The PIN was just unblocked.
    pub unblocked: bool,
    /// The call running, if any.
    pub pending: Option<CardCall>,
    /// Failed tries so far (the screen moves the focus after each).
    pub failures: u32,
}

/// Whether `step` is a provider login with the ID card.
#[must_use]
pub fn is_card_step(step: &Step) -> bool {
    matches!(
        step,
        Step::FiLogin {
            method: LoginMethod::Card,
            ..
        }
    )
}

/// The reader to use with `list`, `current` being the one used so far:
/// it stays while its card answers; otherwise the first reader whose card
/// answers; otherwise it stays if still plugged in; otherwise the first
/// reader.
#[must_use]
pub fn choose_reader(list: &ReaderList, current: Option<&str>) -> Option<String> {
    let current = current.and_then(|name| list.readers.iter().find(|r| r.name == name));
    current
        .filter(|r| r.card == CardPresence::Present)
        .or_else(|| list.with_card())
        .or(current)
        .or_else(|| list.readers.first())
        .map(|r| r.name.clone())
}

impl CardForm {
    /// The shell's readers changed.
    pub fn readers_changed(&mut self, list: ReaderList) {
        self.reader = choose_reader(&list, self.reader.as_deref());
        self.readers = Some(list);
    }

    /// The citizen chose a reader (ignored if it is not plugged in).
    pub fn select_reader(&mut self, name: &str) {
        let plugged = self
            .readers
            .iter()
            .flat_map(|l| &l.readers)
            .any(|r| r.name == name);
        if plugged {
            self.reader = Some(name.to_owned());
        }
    }

    /// What the reader used says.
    #[must_use]
    pub fn reader_status(&self) -> ReaderStatus {
        let Some(list) = &self.readers else {
            return ReaderStatus::Searching;
        };
        match list.service {
            ReaderService::Unavailable => return ReaderStatus::NoService,
            ReaderService::Unsupported => return ReaderStatus::Unsupported,
            ReaderService::Ready => {}
        }
        let reader = self
            .reader
            .as_deref()
            .and_then(|name| list.readers.iter().find(|r| r.name == name));
        let Some(reader) = reader else {
            return ReaderStatus::NoReader;
        };
        let name = reader.name.clone();
        match reader.card {
            CardPresence::Absent => ReaderStatus::NoCard(name),
            CardPresence::Present => ReaderStatus::Present(name),
            CardPresence::Mute => ReaderStatus::Mute(name),
            CardPresence::InUse => ReaderStatus::InUse(name),
        }
    }

    /// Whether a card that answers is on the reader used.
    #[must_use]
    pub fn card_ready(&self) -> bool {
        matches!(self.reader_status(), ReaderStatus::Present(_))
    }

    /// The fields of the form shown.
    #[must_use]
    pub fn fields(&self) -> &'static [CardField] {
        match self.mode {
            CardMode::Login => &[CardField::Can, CardField::Pin],
            CardMode::Unblock => &[
                CardField::Can,
                CardField::Puk,
                CardField::NewPin,
                CardField::NewPinConfirm,
            ],
        }
    }

    /// What is typed in `field`.
    #[must_use]
    pub fn value(&self, field: CardField) -> &Code {
        match field {
            CardField::Can => &self.can,
            CardField::Pin => &self.pin,
            CardField::Puk => &self.puk,
            CardField::NewPin => &self.new_pin,
            CardField::NewPinConfirm => &self.new_pin_confirm,
        }
    }

    fn value_mut(&mut self, field: CardField) -> &mut Code {
        match field {
            CardField::Can => &mut self.can,
            CardField::Pin => &mut self.pin,
            CardField::Puk => &mut self.puk,
            CardField::NewPin => &mut self.new_pin,
            CardField::NewPinConfirm => &mut self.new_pin_confirm,
        }
    }

    /// Whether `field` holds what it must: its number of digits, and for
    /// the confirmation the same new PIN.
    #[must_use]
    pub fn is_valid(&self, field: CardField) -> bool {
        match field {
            CardField::NewPinConfirm => self.new_pin_confirm == self.new_pin,
            _ => is_code(self.value(field).as_str(), field.digits()),
        }
    }

    /// The invalid fields of the form shown.
    #[must_use]
    pub fn invalid_fields(&self) -> Vec<CardField> {
        self.fields()
            .iter()
            .copied()
            .filter(|f| !self.is_valid(*f))
            .collect()
    }

    /// The errors to show: none before a submit found one.
    #[must_use]
    pub fn shown_errors(&self) -> Vec<CardField> {
        if self.show_errors {
            self.invalid_fields()
        } else {
            Vec::new()
        }
    }

    /// The `card_login` request for this form, if it is complete and a
    /// reader is chosen.
    #[must_use]
    pub fn login_request(&self, interaction_id: &str) -> Option<CardLoginRequest> {
        if self.mode != CardMode::Login || !self.invalid_fields().is_empty() {
            return None;
        }
        Some(CardLoginRequest {
            interaction_id: interaction_id.to_owned(),
            reader: self.reader.clone()?,
            can: self.can.as_str().to_owned(),
            pin: self.pin.as_str().to_owned(),
        })
    }

    /// The `card_unblock` request for this form, if it is complete and a
    /// reader is chosen.
    #[must_use]
    pub fn unblock_request(&self) -> Option<CardUnblockRequest> {
        if self.mode != CardMode::Unblock || !self.invalid_fields().is_empty() {
            return None;
        }
        Some(CardUnblockRequest {
            reader: self.reader.clone()?,
            can: self.can.as_str().to_owned(),
            puk: self.puk.as_str().to_owned(),
            new_pin: self.new_pin.as_str().to_owned(),
        })
    }

    /// The citizen typed in `field`.
    pub fn edit(&mut self, field: CardField, value: Code) {
        *self.value_mut(field) = value;
    }

    /// Opens (or closes) the unblocking form; whatever secret was typed
    /// goes.
    pub fn show_unblock(&mut self, open: bool) {
        self.mode = if open {
            CardMode::Unblock
        } else {
            CardMode::Login
        };
        self.forget_secrets();
        self.show_errors = false;
        self.issue = None;
        self.unblocked = false;
    }

    /// A call left with what was typed: the secrets leave the state.
    pub fn submitted(&mut self, call: CardCall) {
        self.pending = Some(call);
        self.forget_secrets();
        self.show_errors = false;
        self.issue = None;
        self.unblocked = false;
    }

    /// The call failed on the card's side or at the provider.
    pub fn failed(&mut self, issue: CardIssue) {
        self.call_ended();
        match issue {
            CardIssue::Problem(CardProblem::WrongCan) => self.can.clear(),
            CardIssue::Problem(CardProblem::PinBlocked) => self.mode = CardMode::Unblock,
            _ => {}
        }
        self.issue = Some(issue);
        self.failures = self.failures.saturating_add(1);
    }

    /// The PIN was unblocked: back to the login, with the new PIN.
    pub fn unblock_done(&mut self) {
        self.call_ended();
        self.mode = CardMode::Login;
        self.issue = None;
        self.unblocked = true;
    }

    /// The call is over, whatever its outcome.
    pub fn call_ended(&mut self) {
        self.pending = None;
        self.forget_secrets();
    }

    fn forget_secrets(&mut self) {
        for field in [
            CardField::Pin,
            CardField::Puk,
            CardField::NewPin,
            CardField::NewPinConfirm,
        ] {
            self.value_mut(field).clear();
        }
    }
}

#[cfg(test)]
mod tests;
