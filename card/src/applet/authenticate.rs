//! INTERNAL AUTHENTICATE: the card key signs the verifier's challenge.

use p256::ecdsa::{Signature, signature::Signer};

use super::VirtualCard;
use crate::apdu::{Command, Response};
use crate::auth::{CHALLENGE_LEN, SIGNATURE_LEN, signed_message};
use crate::status::StatusWord;

impl VirtualCard {
    /// `00 88 00 00 Lc challenge 00`: `r || s` of ECDSA P-256/SHA-256 over
    /// [`signed_message`]; needs the PIN verified in this session.
    pub(super) fn internal_authenticate(&mut self, command: &Command) -> Response {
        if command.p1 != 0x00 || command.p2 != 0x00 {
            return Response::status(StatusWord::WRONG_P1_P2);
        }
        let Some(le) = command.le else {
            return Response::status(StatusWord::WRONG_LENGTH);
        };
        if !self.session.pin_verified {
            return Response::status(StatusWord::SECURITY_STATUS_NOT_SATISFIED);
        }
        if !CHALLENGE_LEN.contains(&command.data.len()) {
            return Response::status(StatusWord::WRONG_DATA);
        }
        if le < SIGNATURE_LEN {
            return Response::status(StatusWord::wrong_le(SIGNATURE_LEN as u8));
        }
        // RFC 6979 deterministic nonce: no random source needed on the card.
        let signature: Signature = match self.content.key.try_sign(&signed_message(&command.data)) {
            Ok(signature) => signature,
            Err(_) => return Response::status(StatusWord::INTERNAL_ERROR),
        };
        Response::ok(signature.to_bytes().to_vec())
    }
}
