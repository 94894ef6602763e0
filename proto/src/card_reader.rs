//! The citizen app's card readers and card commands, between its shell and
//! its interface.
//!
//! The shell watches the PC/SC readers (plug/unplug, card in/out) and sends
//! the whole [`ReaderList`] as the event [`EVENT_READERS`] at each change;
//! the command `card_readers` answers it on demand. The card login of a
//! provider whose [`LoginMethod`](crate::interaction::LoginMethod) is
//! `card` is the command `card_login` with a [`CardLoginRequest`]; unblocking
//! a PIN with the PUK is `card_unblock` with a [`CardUnblockRequest`]. What
//! goes wrong on the card is a [`CardProblem`](crate::card_auth::CardProblem).
//!
//! The numbers typed never reach logs: the requests' `Debug` redacts them.

use serde::{Deserialize, Serialize};

/// Event from the shell: the readers changed (payload: [`ReaderList`]).
pub const EVENT_READERS: &str = "card-readers";

/// Digits of the card access number printed on the card.
pub const CAN_LEN: usize = 6;
/// Digits of the PIN.
pub const PIN_LEN: usize = 4;
/// Digits of the PUK.
pub const PUK_LEN: usize = 8;

/// Whether `value` is exactly `len` ASCII digits.
#[must_use]
pub fn is_code(value: &str, len: usize) -> bool {
    value.len() == len && value.bytes().all(|b| b.is_ascii_digit())
}

/// Whether the platform can read cards at all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReaderService {
    /// The smart-card service answers; see the readers.
    Ready,
    /// No smart-card service (pcscd not running or not installed).
    #[default]
    Unavailable,
    /// This platform has no card transport in the app yet (mobile: NFC).
    Unsupported,
}

/// What is on a reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardPresence {
    /// No card.
    Absent,
    /// A card that answers.
    Present,
    /// A card that does not answer (upside down, damaged).
    Mute,
    /// A card another program holds.
    InUse,
}

/// A card reader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reader {
    /// Its PC/SC name ("Virtual PCD 00 00", "REINER SCT cyberJack RFID…").
    pub name: String,
    /// What is on it.
    pub card: CardPresence,
}

/// The readers and their cards, as the shell last saw them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaderList {
    /// Whether cards can be read at all.
    pub service: ReaderService,
    /// The readers, in the order the system lists them.
    pub readers: Vec<Reader>,
}

impl ReaderList {
    /// The reader to use: the first with a card that answers.
    #[must_use]
    pub fn with_card(&self) -> Option<&Reader> {
        self.readers
            .iter()
            .find(|r| r.card == CardPresence::Present)
    }
}

/// Arguments of `card_login`: sign the provider's challenge with the card
/// on `reader`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardLoginRequest {
    /// The login in progress, at its card step.
    pub interaction_id: String,
    /// The reader's name, as in [`Reader::name`].
    pub reader: String,
    /// The card access number ([`CAN_LEN`] digits).
    pub can: String,
    /// The PIN ([`PIN_LEN`] digits).
    pub pin: String,
}

impl std::fmt::Debug for CardLoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardLoginRequest")
            .field("interaction_id", &self.interaction_id)
            .field("reader", &self.reader)
            .field("can", &"[redacted]")
            .field("pin", &"[redacted]")
            .finish()
    }
}

/// Arguments of `card_unblock`: a new PIN for a blocked card, with its PUK.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardUnblockRequest {
    /// The reader's name.
    pub reader: String,
    /// The card access number.
    pub can: String,
    /// The PUK ([`PUK_LEN`] digits), from the letter sent with the card.
    pub puk: String,
    /// The new PIN ([`PIN_LEN`] digits).
    pub new_pin: String,
}

impl std::fmt::Debug for CardUnblockRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardUnblockRequest")
            .field("reader", &self.reader)
            .field("can", &"[redacted]")
            .field("puk", &"[redacted]")
            .field("new_pin", &"[redacted]")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_exact_digit_strings() {
        assert!(is_code("123456", CAN_LEN));
        assert!(is_code("0000", PIN_LEN));
        for no in ["12345", "1234567", "12a456", "", "١٢٣٤٥٦", " 12345"] {
            assert!(!is_code(no, CAN_LEN), "{no}");
        }
    }

    #[test]
    fn the_reader_list_on_the_wire() {
        let list = ReaderList {
            service: ReaderService::Ready,
            readers: vec![
                Reader {
                    name: "Lecteur A".into(),
                    card: CardPresence::Absent,
                },
                Reader {
                    name: "Virtual PCD 00 00".into(),
                    card: CardPresence::Present,
                },
            ],
        };
        assert_eq!(
            serde_json::to_value(&list).unwrap(),
            serde_json::json!({"service": "ready", "readers": [
                {"name": "Lecteur A", "card": "absent"},
                {"name": "Virtual PCD 00 00", "card": "present"}
            ]})
        );
        assert_eq!(list.with_card().unwrap().name, "Virtual PCD 00 00");
        assert_eq!(ReaderList::default().service, ReaderService::Unavailable);
        assert!(ReaderList::default().with_card().is_none());
    }

    #[test]
    fn typed_numbers_never_show_in_debug() {
        let login = CardLoginRequest {
            interaction_id: "i1".into(),
            reader: "R".into(),
            can: "123456".into(),
            pin: "1234".into(),
        };
        let unblock = CardUnblockRequest {
            reader: "R".into(),
            can: "123456".into(),
            puk: "87654321".into(),
            new_pin: "4321".into(),
        };
        for shown in [format!("{login:?}"), format!("{unblock:?}")] {
            for secret in ["123456", "1234", "87654321", "4321"] {
                assert!(!shown.contains(secret), "{shown}");
            }
        }
    }
}
