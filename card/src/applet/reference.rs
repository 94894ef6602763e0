//! VERIFY, CHANGE REFERENCE DATA and RESET RETRY COUNTER: the PIN and PUK.

use super::{PIN_REFERENCE, VirtualCard};
use crate::apdu::{Command, Response};
use crate::pin::{Check, PIN_LEN, PUK_LEN, Pin, Puk};
use crate::status::StatusWord;

impl VirtualCard {
    /// `00 20 00 81 [04 PIN]`: with the PIN, verifies it; without data,
    /// answers the PIN's state (`90 00` verified, `63 Cx`, `69 83`).
    pub(super) fn verify(&mut self, command: &Command) -> Response {
        if command.p1 != 0x00 || command.p2 != PIN_REFERENCE {
            return Response::status(StatusWord::WRONG_P1_P2);
        }
        if command.le.is_some() {
            return Response::status(StatusWord::WRONG_LENGTH);
        }
        if command.data.is_empty() {
            let pin = &self.content.pin;
            return Response::status(if pin.is_blocked() {
                StatusWord::AUTHENTICATION_BLOCKED
            } else if self.session.pin_verified {
                StatusWord::OK
            } else {
                StatusWord::tries_left(pin.tries())
            });
        }
        if command.data.len() != PIN_LEN {
            return Response::status(StatusWord::WRONG_LENGTH);
        }
        let Some(candidate) = Pin::parse(&command.data) else {
            return Response::status(StatusWord::WRONG_DATA);
        };
        // A failed VERIFY also drops an earlier verification.
        self.session.pin_verified = false;
        match self.content.pin.check(&candidate) {
            Check::Ok => {
                self.session.pin_verified = true;
                Response::status(StatusWord::OK)
            }
            Check::Wrong(left) => Response::status(wrong(left)),
            Check::Blocked => Response::status(StatusWord::AUTHENTICATION_BLOCKED),
        }
    }

    /// `00 24 00 81 08 old-PIN new-PIN`: changes the PIN; a wrong old PIN
    /// counts as a failed VERIFY. On success the PIN counts as verified.
    pub(super) fn change_reference_data(&mut self, command: &Command) -> Response {
        if command.p1 != 0x00 || command.p2 != PIN_REFERENCE {
            return Response::status(StatusWord::WRONG_P1_P2);
        }
        if command.data.len() != 2 * PIN_LEN || command.le.is_some() {
            return Response::status(StatusWord::WRONG_LENGTH);
        }
        let (old, new) = command.data.split_at(PIN_LEN);
        let (Some(old), Some(new)) = (Pin::parse(old), Pin::parse(new)) else {
            return Response::status(StatusWord::WRONG_DATA);
        };
        self.session.pin_verified = false;
        match self.content.pin.check(&old) {
            Check::Ok => {
                self.content.pin.set(new);
                self.session.pin_verified = true;
                Response::status(StatusWord::OK)
            }
            Check::Wrong(left) => Response::status(wrong(left)),
            Check::Blocked => Response::status(StatusWord::AUTHENTICATION_BLOCKED),
        }
    }

    /// `00 2C 00 81 0C PUK new-PIN`: with the right PUK, sets a new PIN and
    /// gives back its 3 tries (blocked or not). The PIN is not verified by
    /// this: a VERIFY must follow.
    pub(super) fn reset_retry_counter(&mut self, command: &Command) -> Response {
        if command.p1 != 0x00 || command.p2 != PIN_REFERENCE {
            return Response::status(StatusWord::WRONG_P1_P2);
        }
        if command.data.len() != PUK_LEN + PIN_LEN || command.le.is_some() {
            return Response::status(StatusWord::WRONG_LENGTH);
        }
        let (puk, new) = command.data.split_at(PUK_LEN);
        let (Some(puk), Some(new)) = (Puk::parse(puk), Pin::parse(new)) else {
            return Response::status(StatusWord::WRONG_DATA);
        };
        self.session.pin_verified = false;
        match self.content.puk.check(&puk) {
            Check::Ok => {
                self.content.pin.set(new);
                Response::status(StatusWord::OK)
            }
            Check::Wrong(left) => Response::status(wrong(left)),
            Check::Blocked => Response::status(StatusWord::AUTHENTICATION_BLOCKED),
        }
    }
}

/// `63 Cx`, or `69 83` when that wrong try was the last.
fn wrong(left: u8) -> StatusWord {
    if left == 0 {
        StatusWord::AUTHENTICATION_BLOCKED
    } else {
        StatusWord::tries_left(left)
    }
}
