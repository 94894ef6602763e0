//! vpcd's wire protocol, without I/O.
//!
//! Every message, both ways, is a 2-byte big-endian length then the payload.
//! From vpcd, a 1-byte payload is a control code; anything longer is a
//! command APDU. The card answers the ATR request and APDUs, nothing else.

use crate::apdu::Command;
use crate::applet::VirtualCard;
use crate::atr::ATR;

/// vpcd's port for the first virtual reader (slot 0).
pub const DEFAULT_PORT: u16 = 35963;

/// What vpcd sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message<'a> {
    /// `00`: power off.
    PowerOff,
    /// `01`: power on.
    PowerOn,
    /// `02`: reset.
    Reset,
    /// `04`: send the ATR.
    GetAtr,
    /// A 1-byte payload this client does not know.
    Unknown(u8),
    /// Anything longer: a command APDU.
    Apdu(&'a [u8]),
}

impl<'a> Message<'a> {
    /// Classifies a payload.
    pub fn decode(payload: &'a [u8]) -> Self {
        match payload {
            [0x00] => Message::PowerOff,
            [0x01] => Message::PowerOn,
            [0x02] => Message::Reset,
            [0x04] => Message::GetAtr,
            [other] => Message::Unknown(*other),
            apdu => Message::Apdu(apdu),
        }
    }
}

/// A payload longer than a 2-byte length can say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a vpcd payload is at most 65,535 bytes")]
pub struct TooLong;

/// `len(payload)` as 2 bytes big-endian, then the payload.
pub fn frame(payload: &[u8]) -> Result<Vec<u8>, TooLong> {
    let len = u16::try_from(payload.len()).map_err(|_| TooLong)?;
    let mut out = Vec::with_capacity(payload.len() + 2);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(out)
}

/// What the card does with one message: the reply payload, if any.
/// Power off, power on and reset all start a new card session.
pub fn handle(card: &mut VirtualCard, payload: &[u8]) -> Option<Vec<u8>> {
    match Message::decode(payload) {
        Message::PowerOff | Message::PowerOn | Message::Reset => {
            card.reset();
            None
        }
        Message::GetAtr => Some(ATR.to_vec()),
        Message::Unknown(_) => None,
        Message::Apdu(apdu) => Some(card.process(apdu)),
    }
}

/// The loggable part of an APDU: its header, never its data (a VERIFY
/// carries the PIN).
pub fn header(apdu: &[u8]) -> String {
    match Command::parse(apdu) {
        Ok(c) => format!("{:02X} {:02X} {:02X} {:02X}", c.cla, c.ins, c.p1, c.p2),
        Err(_) => format!("malformed ({} bytes)", apdu.len()),
    }
}

/// Tests of the vpcd client: vpcd's side of one exchange — `payload`
/// framed, the framed reply read back.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) fn exchange(vpcd: &mut std::net::TcpStream, payload: &[u8]) -> Vec<u8> {
    use std::io::{Read as _, Write as _};
    vpcd.write_all(&frame(payload).unwrap()).unwrap();
    let mut len = [0u8; 2];
    vpcd.read_exact(&mut len).unwrap();
    let mut reply = vec![0; usize::from(u16::from_be_bytes(len))];
    vpcd.read_exact(&mut reply).unwrap();
    reply
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::issue_test_card;

    #[test]
    fn control_codes_and_apdus() {
        assert_eq!(Message::decode(&[0]), Message::PowerOff);
        assert_eq!(Message::decode(&[1]), Message::PowerOn);
        assert_eq!(Message::decode(&[2]), Message::Reset);
        assert_eq!(Message::decode(&[4]), Message::GetAtr);
        assert_eq!(Message::decode(&[3]), Message::Unknown(3));
        assert_eq!(
            Message::decode(&[0, 0xA4, 4, 0]),
            Message::Apdu(&[0, 0xA4, 4, 0])
        );
    }

    #[test]
    fn framing() {
        assert_eq!(frame(&[0x90, 0x00]).unwrap(), [0x00, 0x02, 0x90, 0x00]);
        assert_eq!(frame(&[]).unwrap(), [0, 0]);
        assert_eq!(frame(&vec![0; 65_536]), Err(TooLong));
    }

    #[test]
    fn the_card_answers_atr_and_apdus_and_resets() {
        let mut card = issue_test_card("eric-mercier").unwrap();
        assert_eq!(handle(&mut card, &[4]), Some(ATR.to_vec()));
        assert_eq!(handle(&mut card, &[1]), None);
        let select = [
            0x00, 0xA4, 0x04, 0x0C, 0x07, 0xF0, 0x50, 0x49, 0x56, 0x4F, 0x54, 0x01,
        ];
        assert_eq!(handle(&mut card, &select), Some(vec![0x90, 0x00]));
        assert!(card.session_state().selected);
        assert_eq!(handle(&mut card, &[2]), None);
        assert!(!card.session_state().selected);
        assert_eq!(
            header(&[0x00, 0x20, 0x00, 0x81, 0x04, b'1', b'2', b'3', b'4']),
            "00 20 00 81"
        );
    }
}
