//! The card's side of PACE: MSE:SET AT then four GENERAL AUTHENTICATE
//! steps; on success the session gets its secure-messaging channel.

use p256::{NonZeroScalar, ProjectivePoint};
use subtle::ConstantTimeEq;

use super::VirtualCard;
use crate::apdu::{Command, Response};
use crate::pace::{
    CAN_REFERENCE, PARAMETER_ID, PROTOCOL_OID, SessionKeys, crypt_nonce, decode_point,
    encode_point, map_generator, password_key, random_scalar, token, x_coordinate,
};
use crate::sm::SecureMessaging;
use crate::status::StatusWord;
use crate::tlv;

/// Where the card is in the protocol.
#[derive(Clone, Debug, Default)]
pub(crate) enum Pace {
    /// No PACE under way.
    #[default]
    Idle,
    /// MSE:SET AT accepted.
    Started,
    /// Step 1 done: the nonce `s` was sent encrypted.
    NonceSent { nonce: [u8; 16] },
    /// Step 2 done: the mapped generator.
    Mapped {
        generator: ProjectivePoint,
        map_key: Vec<u8>,
    },
    /// Step 3 done: keys agreed, tokens to exchange.
    Agreed {
        keys: SessionKeys,
        terminal_key: Vec<u8>,
        card_key: Vec<u8>,
    },
}

/// `63 00`: the terminal's token does not verify (wrong CAN).
const AUTHENTICATION_FAILED: StatusWord = StatusWord(0x6300);

impl VirtualCard {
    /// `00 22 C1 A4 Lc 80 <OID> 83 01 02 [84 01 0C]`.
    pub(super) fn mse_set_at(&mut self, command: &Command) -> Response {
        if command.p1 != 0xC1 || command.p2 != 0xA4 {
            return Response::status(StatusWord::WRONG_P1_P2);
        }
        self.session.pace = Pace::Idle;
        self.session.pin_verified = false;
        let Ok(objects) = tlv::parse(&command.data) else {
            return Response::status(StatusWord::WRONG_DATA);
        };
        let find = |tag| objects.iter().find(|o| o.tag == tag).map(|o| o.value);
        let protocol_ok = find(0x80) == Some(&PROTOCOL_OID[..]);
        let password_ok = find(0x83) == Some(&[CAN_REFERENCE][..]);
        let parameters_ok = find(0x84).is_none_or(|p| p == [PARAMETER_ID]);
        if !(protocol_ok && password_ok && parameters_ok) {
            return Response::status(StatusWord::WRONG_DATA);
        }
        self.session.pace = Pace::Started;
        Response::status(StatusWord::OK)
    }

    /// `10 86 00 00 Lc 7C … 00` (steps 1–3), `00 86 00 00 Lc 7C … 00` (step 4).
    pub(super) fn general_authenticate(&mut self, command: &Command) -> Response {
        if command.p1 != 0x00 || command.p2 != 0x00 {
            return Response::status(StatusWord::WRONG_P1_P2);
        }
        let state = std::mem::take(&mut self.session.pace);
        let input = match tlv::parse_one(&command.data) {
            Ok((outer, [])) if outer.tag == 0x7C => tlv::parse(outer.value).ok(),
            _ => None,
        };
        let Some(input) = input else {
            return Response::status(StatusWord::WRONG_DATA);
        };
        let value = |tag| input.iter().find(|o| o.tag == tag).map(|o| o.value);
        let answer = |tag, value: &[u8]| Response::ok(tlv::encode(0x7C, &tlv::encode(tag, value)));
        match state {
            Pace::Started if input.is_empty() => {
                let mut nonce = [0u8; 16];
                if self.entropy.fill(&mut nonce).is_err() {
                    return Response::status(StatusWord::INTERNAL_ERROR);
                }
                let z = crypt_nonce(&password_key(&self.content.can), &nonce, true);
                self.session.pace = Pace::NonceSent { nonce };
                answer(0x80, &z)
            }
            Pace::NonceSent { nonce } => {
                let Some(terminal) = value(0x81).and_then(decode_point) else {
                    return Response::status(StatusWord::WRONG_DATA);
                };
                let Some(sk) = self.scalar() else {
                    return Response::status(StatusWord::INTERNAL_ERROR);
                };
                let Some(generator) = map_generator(&nonce, &(terminal * *sk)) else {
                    return Response::status(StatusWord::WRONG_DATA);
                };
                let map_key = encode_point(&(ProjectivePoint::GENERATOR * *sk));
                let response = answer(0x82, &map_key);
                self.session.pace = Pace::Mapped { generator, map_key };
                response
            }
            Pace::Mapped { generator, map_key } => {
                let Some(terminal_key) = value(0x83) else {
                    return Response::status(StatusWord::WRONG_DATA);
                };
                let Some(terminal) = decode_point(terminal_key) else {
                    return Response::status(StatusWord::WRONG_DATA);
                };
                let Some(sk) = self.scalar() else {
                    return Response::status(StatusWord::INTERNAL_ERROR);
                };
                let card_key = encode_point(&(generator * *sk));
                if card_key == map_key || terminal_key.len() != card_key.len() {
                    return Response::status(StatusWord::WRONG_DATA);
                }
                let keys = SessionKeys::derive(&x_coordinate(&(terminal * *sk)));
                let response = answer(0x84, &card_key);
                self.session.pace = Pace::Agreed {
                    keys,
                    terminal_key: terminal_key.to_vec(),
                    card_key,
                };
                response
            }
            Pace::Agreed {
                keys,
                terminal_key,
                card_key,
            } => {
                let Some(terminal_token) = value(0x85) else {
                    return Response::status(StatusWord::WRONG_DATA);
                };
                let expected = token(&keys.mac, &card_key);
                if !bool::from(expected.ct_eq(terminal_token)) {
                    return Response::status(AUTHENTICATION_FAILED);
                }
                let response = answer(0x86, &token(&keys.mac, &terminal_key));
                self.session.sm = Some(SecureMessaging::new(keys));
                response
            }
            Pace::Idle | Pace::Started => Response::status(StatusWord::CONDITIONS_NOT_SATISFIED),
        }
    }

    fn scalar(&mut self) -> Option<NonZeroScalar> {
        random_scalar(self.entropy.as_mut()).ok()
    }
}
