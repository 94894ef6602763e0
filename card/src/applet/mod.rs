//! The applet: a state machine from command APDUs to response APDUs.
//!
//! [`VirtualCard`] holds what a real chip keeps in non-volatile memory
//! ([`CardContent`]: files, key, CAN, PIN and PUK with their counters) and
//! what it forgets at every reset (its session, seen through
//! [`SessionState`]: selected application and file, whether the PIN was
//! verified, the PACE channel). One file per command group: `select`, `read`, `reference` (VERIFY, CHANGE REFERENCE DATA,
//! RESET RETRY COUNTER), `authenticate` (INTERNAL AUTHENTICATE), `pace`
//! (MSE:SET AT, GENERAL AUTHENTICATE). Secure messaging is unwrapped and
//! wrapped here, around the dispatch.

mod authenticate;
pub mod files;
mod pace;
mod read;
mod reference;
mod select;

use std::fmt;

use p256::ecdsa::SigningKey;

use crate::apdu::{Command, Response};
use crate::entropy::{Entropy, OsEntropy};
use crate::pin::{Can, Guarded, PIN_LEN, PUK_LEN};
use crate::sm::SecureMessaging;
use crate::status::StatusWord;
use files::File;

/// The applet's AID: `F0 50 49 56 4F 54 01` (`F0` then "PIVOT", version 1).
/// A first nibble `F` is the ISO 7816-5 category of proprietary,
/// unregistered identifiers: no RID is claimed.
pub const AID: [u8; 7] = [0xF0, 0x50, 0x49, 0x56, 0x4F, 0x54, 0x01];

/// Instruction bytes the applet knows.
pub mod ins {
    /// SELECT.
    pub const SELECT: u8 = 0xA4;
    /// READ BINARY.
    pub const READ_BINARY: u8 = 0xB0;
    /// VERIFY.
    pub const VERIFY: u8 = 0x20;
    /// CHANGE REFERENCE DATA.
    pub const CHANGE_REFERENCE_DATA: u8 = 0x24;
    /// RESET RETRY COUNTER.
    pub const RESET_RETRY_COUNTER: u8 = 0x2C;
    /// INTERNAL AUTHENTICATE.
    pub const INTERNAL_AUTHENTICATE: u8 = 0x88;
    /// MANAGE SECURITY ENVIRONMENT (MSE:SET AT for PACE).
    pub const MSE: u8 = 0x22;
    /// GENERAL AUTHENTICATE (the PACE steps).
    pub const GENERAL_AUTHENTICATE: u8 = 0x86;
}

/// P2 of VERIFY, CHANGE REFERENCE DATA and RESET RETRY COUNTER: the
/// holder's PIN, a specific (application-local) reference.
pub const PIN_REFERENCE: u8 = 0x81;

/// What the card keeps across resets.
#[derive(Clone, Debug)]
pub struct CardContent {
    /// `EF.Identity` bytes (a [`crate::holder::Holder`] as TLV).
    pub identity: Vec<u8>,
    /// `EF.IdentitySig`: the issuing CA's `r || s` over `EF.Identity`.
    pub identity_signature: Vec<u8>,
    /// `EF.CardCert`: the card certificate, DER.
    pub card_certificate: Vec<u8>,
    /// `EF.IssuerCert`: the issuing CA's certificate, DER.
    pub issuer_certificate: Vec<u8>,
    /// The card's private key; never leaves the card.
    pub key: SigningKey,
    /// The PIN and its counter.
    pub pin: Guarded<PIN_LEN>,
    /// The PUK and its counter.
    pub puk: Guarded<PUK_LEN>,
    /// The card access number, the PACE password (printed on the card).
    pub can: Can,
}

/// What the card forgets at every reset, power cycle or new SELECT.
#[derive(Clone, Debug, Default)]
struct Session {
    selected: bool,
    current: Option<File>,
    pin_verified: bool,
    pace: pace::Pace,
    sm: Option<SecureMessaging>,
}

/// A view of the session, for tests and diagnostics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionState {
    /// The applet is selected.
    pub selected: bool,
    /// The current elementary file.
    pub current: Option<File>,
    /// The PIN was verified since the applet was selected.
    pub pin_verified: bool,
    /// A PACE channel is open.
    pub secure: bool,
}

/// The virtual card: feed it command APDUs, get response APDUs.
pub struct VirtualCard {
    content: CardContent,
    card_access: Vec<u8>,
    entropy: Box<dyn Entropy>,
    session: Session,
}

impl fmt::Debug for VirtualCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VirtualCard")
            .field("session", &self.session_state())
            .finish_non_exhaustive()
    }
}

/// How a class byte asks for a command to be processed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Plain,
    Protected,
}

impl VirtualCard {
    /// A card freshly powered on, drawing PACE randomness from the OS.
    pub fn new(content: CardContent) -> Self {
        Self::with_entropy(content, Box::new(OsEntropy))
    }

    /// A card with its own random source (reproducible tests).
    pub fn with_entropy(content: CardContent, entropy: Box<dyn Entropy>) -> Self {
        Self {
            content,
            card_access: crate::pace::card_access(),
            entropy,
            session: Session::default(),
        }
    }

    /// Cold or warm reset, or power off: the session is forgotten (no
    /// application selected, PIN no longer verified, no PACE channel);
    /// counters stay.
    pub fn reset(&mut self) {
        self.session = Session::default();
    }

    /// The current session.
    pub fn session_state(&self) -> SessionState {
        SessionState {
            selected: self.session.selected,
            current: self.session.current,
            pin_verified: self.session.pin_verified,
            secure: self.session.sm.is_some(),
        }
    }

    /// PIN tries left.
    pub fn pin_tries(&self) -> u8 {
        self.content.pin.tries()
    }

    /// PUK tries left.
    pub fn puk_tries(&self) -> u8 {
        self.content.puk.tries()
    }

    /// Processes one command APDU's bytes; a malformed one gets `67 00`.
    pub fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        let response = match Command::parse(apdu) {
            Ok(command) => self.handle(&command),
            Err(_) => Response::status(StatusWord::WRONG_LENGTH),
        };
        response.to_bytes()
    }

    /// Processes one parsed command: unwraps secure messaging, dispatches,
    /// wraps the answer. A plain command ends an open channel; a protected
    /// one that does not verify ends it too, answered in plain.
    pub fn handle(&mut self, command: &Command) -> Response {
        match check_class(command.cla, command.ins) {
            Err(sw) => Response::status(sw),
            Ok(Class::Plain) => {
                if self.session.sm.is_some() {
                    self.end_channel();
                }
                self.dispatch(command, false)
            }
            Ok(Class::Protected) => {
                let Some(sm) = self.session.sm.as_mut() else {
                    return Response::status(StatusWord::SECURE_MESSAGING_NOT_SUPPORTED);
                };
                let inner = match sm.unprotect_command(command) {
                    Ok(inner) => inner,
                    Err(e) => {
                        self.end_channel();
                        return Response::status(e.status());
                    }
                };
                let response = self.dispatch(&inner, true);
                match self.session.sm.as_mut() {
                    Some(sm) => sm.protect_response(&response),
                    // The command closed the channel (SELECT of another application).
                    None => response,
                }
            }
        }
    }

    fn end_channel(&mut self) {
        self.session.sm = None;
        self.session.pace = pace::Pace::Idle;
        self.session.pin_verified = false;
    }

    fn dispatch(&mut self, command: &Command, secure: bool) -> Response {
        if command.ins == ins::SELECT {
            return self.select(command, secure);
        }
        if !self.session.selected {
            return match command.ins {
                ins::READ_BINARY
                | ins::VERIFY
                | ins::CHANGE_REFERENCE_DATA
                | ins::RESET_RETRY_COUNTER
                | ins::INTERNAL_AUTHENTICATE
                | ins::MSE
                | ins::GENERAL_AUTHENTICATE => {
                    Response::status(StatusWord::CONDITIONS_NOT_SATISFIED)
                }
                _ => Response::status(StatusWord::INS_NOT_SUPPORTED),
            };
        }
        match command.ins {
            ins::READ_BINARY => self.read_binary(command, secure),
            ins::MSE | ins::GENERAL_AUTHENTICATE if secure => {
                Response::status(StatusWord::CONDITIONS_NOT_SATISFIED)
            }
            ins::MSE => self.mse_set_at(command),
            ins::GENERAL_AUTHENTICATE => self.general_authenticate(command),
            ins::VERIFY
            | ins::CHANGE_REFERENCE_DATA
            | ins::RESET_RETRY_COUNTER
            | ins::INTERNAL_AUTHENTICATE
                if !secure =>
            {
                Response::status(StatusWord::SECURITY_STATUS_NOT_SATISFIED)
            }
            ins::VERIFY => self.verify(command),
            ins::CHANGE_REFERENCE_DATA => self.change_reference_data(command),
            ins::RESET_RETRY_COUNTER => self.reset_retry_counter(command),
            ins::INTERNAL_AUTHENTICATE => self.internal_authenticate(command),
            _ => Response::status(StatusWord::INS_NOT_SUPPORTED),
        }
    }
}

/// CLA `00` (plain) and `0C` (secure messaging) are accepted, and `10`
/// (chaining) for GENERAL AUTHENTICATE only; the other interindustry bits
/// each have their own refusal so that a client learns what is missing.
fn check_class(cla: u8, ins: u8) -> Result<Class, StatusWord> {
    match cla {
        0x00 => Ok(Class::Plain),
        0x0C => Ok(Class::Protected),
        0x10 if ins == ins::GENERAL_AUTHENTICATE => Ok(Class::Plain),
        _ if cla & 0x80 != 0 => Err(StatusWord::CLA_NOT_SUPPORTED),
        _ if cla & 0x40 != 0 || cla & 0x03 != 0 => Err(StatusWord::LOGICAL_CHANNEL_NOT_SUPPORTED),
        _ if cla & 0x10 != 0 => Err(StatusWord::CHAINING_NOT_SUPPORTED),
        _ if cla & 0x0C != 0 => Err(StatusWord::SECURE_MESSAGING_NOT_SUPPORTED),
        _ => Err(StatusWord::CLA_NOT_SUPPORTED),
    }
}

#[cfg(test)]
mod tests;
