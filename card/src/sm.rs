//! Secure messaging after PACE (ISO 7816-4 §10, ICAO 9303 part 11 §9.8,
//! AES): command data encrypted in `87`, `Le` in `97`, the status word in
//! `99`, an 8-byte AES-CMAC in `8E` over the send sequence counter, the
//! padded header and the data objects. Both sides: the terminal protects
//! commands and unprotects responses, the card the reverse.

use aes::Aes128;
use aes::cipher::{
    BlockDecryptMut, BlockEncrypt, BlockEncryptMut, KeyInit, KeyIvInit, block_padding::NoPadding,
};
use subtle::ConstantTimeEq;

use crate::apdu::{Command, Response};
use crate::pace::{SessionKeys, mac8};
use crate::status::StatusWord;
use crate::tlv;

/// Why a protected APDU is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SmError {
    /// A mandatory data object (`8E`, `99`) is missing: SW `69 87`.
    #[error("secure messaging data objects missing")]
    Missing,
    /// Wrong MAC, bad padding or unexpected objects: SW `69 88`.
    #[error("secure messaging data objects incorrect")]
    Incorrect,
}

impl SmError {
    /// The status word the card answers with (in plain).
    pub fn status(self) -> StatusWord {
        match self {
            SmError::Missing => StatusWord(0x6987),
            SmError::Incorrect => StatusWord(0x6988),
        }
    }
}

/// One side of an established channel: its keys and send sequence counter.
#[derive(Clone, Debug)]
pub struct SecureMessaging {
    keys: SessionKeys,
    ssc: u128,
}

/// ISO 9797-1 padding method 2 to 16 bytes: `80` then zeros.
fn pad(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    out.push(0x80);
    while !out.len().is_multiple_of(16) {
        out.push(0x00);
    }
    out
}

fn unpad(data: &[u8]) -> Option<&[u8]> {
    let end = data.iter().rposition(|b| *b != 0)?;
    (data[end] == 0x80).then_some(&data[..end])
}

impl SecureMessaging {
    /// A channel with a zero counter, as after PACE.
    pub fn new(keys: SessionKeys) -> Self {
        Self { keys, ssc: 0 }
    }

    fn iv(&self) -> [u8; 16] {
        let mut block = self.ssc.to_be_bytes().into();
        Aes128::new((&self.keys.enc).into()).encrypt_block(&mut block);
        block.into()
    }

    fn encrypt(&self, data: &[u8]) -> Vec<u8> {
        let mut buf = pad(data);
        let len = buf.len();
        let iv = self.iv();
        let _ = cbc::Encryptor::<Aes128>::new((&self.keys.enc).into(), (&iv).into())
            .encrypt_padded_mut::<NoPadding>(&mut buf, len);
        buf
    }

    fn decrypt(&self, cryptogram: &[u8]) -> Result<Vec<u8>, SmError> {
        if cryptogram.is_empty() || !cryptogram.len().is_multiple_of(16) {
            return Err(SmError::Incorrect);
        }
        let mut buf = cryptogram.to_vec();
        let iv = self.iv();
        cbc::Decryptor::<Aes128>::new((&self.keys.enc).into(), (&iv).into())
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .map_err(|_| SmError::Incorrect)?;
        unpad(&buf).map(<[u8]>::to_vec).ok_or(SmError::Incorrect)
    }

    /// MAC over SSC ‖ [padded header] ‖ padded data objects (when any).
    fn mac(&self, header: Option<[u8; 4]>, objects: &[u8]) -> [u8; 8] {
        let mut input = self.ssc.to_be_bytes().to_vec();
        if let Some(header) = header {
            input.extend(pad(&header));
        }
        if !objects.is_empty() {
            input.extend(pad(objects));
        }
        mac8(&self.keys.mac, &input)
    }

    /// Terminal: wraps a plain command (its CLA gets `0C`).
    pub fn protect_command(&mut self, command: &Command) -> Command {
        self.ssc = self.ssc.wrapping_add(1);
        let cla = command.cla | 0x0C;
        let mut objects = Vec::new();
        if !command.data.is_empty() {
            let mut value = vec![0x01];
            value.extend(self.encrypt(&command.data));
            tlv::push(&mut objects, 0x87, &value);
        }
        if let Some(le) = command.le {
            let extended = le > 256 || command.extended;
            let value = if extended {
                ((le % 65_536) as u16).to_be_bytes().to_vec()
            } else {
                vec![(le % 256) as u8]
            };
            tlv::push(&mut objects, 0x97, &value);
        }
        let mac = self.mac(Some([cla, command.ins, command.p1, command.p2]), &objects);
        tlv::push(&mut objects, 0x8E, &mac);
        // The protected answer is longer than the plain one (padding, 87,
        // 99, 8E: up to 32 bytes more): ask for an extended one when a
        // short Le could not hold it.
        let extended = command.extended || command.le.is_some_and(|le| le > 256 - 32);
        let mut protected = Command::new(cla, command.ins, command.p1, command.p2)
            .with_data(objects)
            .with_le(if extended { 65_536 } else { 256 });
        protected.extended = extended;
        protected
    }

    /// Card: checks and unwraps a protected command; the result has the
    /// secure-messaging bits of CLA cleared.
    pub fn unprotect_command(&mut self, command: &Command) -> Result<Command, SmError> {
        self.ssc = self.ssc.wrapping_add(1);
        let objects = tlv::parse(&command.data).map_err(|_| SmError::Incorrect)?;
        let mac_at = objects
            .iter()
            .position(|o| o.tag == 0x8E)
            .ok_or(SmError::Missing)?;
        if mac_at + 1 != objects.len() {
            return Err(SmError::Incorrect);
        }
        let covered_len = command.data.len() - (2 + objects[mac_at].value.len());
        let expected = self.mac(
            Some([command.cla, command.ins, command.p1, command.p2]),
            &command.data[..covered_len],
        );
        if !bool::from(expected.ct_eq(objects[mac_at].value)) {
            return Err(SmError::Incorrect);
        }
        let mut plain = Command::new(command.cla & !0x0C, command.ins, command.p1, command.p2);
        for object in &objects[..mac_at] {
            match (object.tag, object.value) {
                (0x87, [0x01, cryptogram @ ..]) => plain.data = self.decrypt(cryptogram)?,
                (0x97, [le]) => plain.le = Some(if *le == 0 { 256 } else { usize::from(*le) }),
                (0x97, [hi, lo]) => {
                    let n = usize::from(u16::from_be_bytes([*hi, *lo]));
                    plain.le = Some(if n == 0 { 65_536 } else { n });
                    plain.extended = true;
                }
                _ => return Err(SmError::Incorrect),
            }
        }
        Ok(plain)
    }

    /// Card: wraps a plain response.
    pub fn protect_response(&mut self, response: &Response) -> Response {
        self.ssc = self.ssc.wrapping_add(1);
        let mut objects = Vec::new();
        if !response.data.is_empty() {
            let mut value = vec![0x01];
            value.extend(self.encrypt(&response.data));
            tlv::push(&mut objects, 0x87, &value);
        }
        tlv::push(&mut objects, 0x99, &response.sw.to_bytes());
        let mac = self.mac(None, &objects);
        tlv::push(&mut objects, 0x8E, &mac);
        Response {
            data: objects,
            sw: response.sw,
        }
    }

    /// Terminal: checks and unwraps a protected response.
    pub fn unprotect_response(&mut self, response: &Response) -> Result<Response, SmError> {
        self.ssc = self.ssc.wrapping_add(1);
        let objects = tlv::parse(&response.data).map_err(|_| SmError::Incorrect)?;
        let mac_at = objects
            .iter()
            .position(|o| o.tag == 0x8E)
            .ok_or(SmError::Missing)?;
        if mac_at + 1 != objects.len() {
            return Err(SmError::Incorrect);
        }
        let covered_len = response.data.len() - (2 + objects[mac_at].value.len());
        let expected = self.mac(None, &response.data[..covered_len]);
        if !bool::from(expected.ct_eq(objects[mac_at].value)) {
            return Err(SmError::Incorrect);
        }
        let mut data = Vec::new();
        let mut sw = None;
        for object in &objects[..mac_at] {
            match (object.tag, object.value) {
                (0x87, [0x01, cryptogram @ ..]) => data = self.decrypt(cryptogram)?,
                (0x99, [sw1, sw2]) => sw = Some(StatusWord(u16::from_be_bytes([*sw1, *sw2]))),
                _ => return Err(SmError::Incorrect),
            }
        }
        Ok(Response {
            data,
            sw: sw.ok_or(SmError::Missing)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (SecureMessaging, SecureMessaging) {
        let keys = SessionKeys::derive(b"shared secret x-coordinate......");
        (
            SecureMessaging::new(keys.clone()),
            SecureMessaging::new(keys),
        )
    }

    #[test]
    fn commands_and_responses_round_trip() {
        let (mut terminal, mut card) = pair();
        for plain in [
            Command::new(0x00, 0x20, 0x00, 0x81).with_data(b"1234".to_vec()),
            Command::new(0x00, 0xB0, 0x00, 0x00).with_le(256),
            Command::new(0x00, 0xB0, 0x00, 0x00)
                .with_le(65_536)
                .extended(),
            Command::new(0x00, 0x88, 0x00, 0x00)
                .with_data(vec![0xAA; 32])
                .with_le(256),
            Command::new(0x00, 0xA4, 0x04, 0x0C).with_data(vec![0xF0; 16]),
        ] {
            let protected = terminal.protect_command(&plain);
            assert_eq!(protected.cla, 0x0C);
            let bytes = protected.to_bytes().unwrap();
            if !plain.data.is_empty() {
                // The data is not in clear.
                assert!(!bytes.windows(plain.data.len()).any(|w| w == plain.data));
            }
            let unwrapped = card
                .unprotect_command(&Command::parse(&bytes).unwrap())
                .unwrap();
            assert_eq!(unwrapped, plain);
            let response = Response {
                data: vec![0x55; 17],
                sw: StatusWord::END_OF_FILE,
            };
            let protected = card.protect_response(&response);
            assert_eq!(terminal.unprotect_response(&protected).unwrap(), response);
        }
    }

    #[test]
    fn tampering_replay_and_missing_mac_are_refused() {
        let (mut terminal, mut card) = pair();
        let plain = Command::new(0x00, 0x20, 0x00, 0x81).with_data(b"1234".to_vec());
        let protected = terminal.protect_command(&plain);

        let mut tampered = protected.clone();
        tampered.p2 = 0x82;
        assert_eq!(
            card.clone().unprotect_command(&tampered),
            Err(SmError::Incorrect)
        );
        let mut flipped = protected.clone();
        flipped.data[5] ^= 1;
        assert_eq!(
            card.clone().unprotect_command(&flipped),
            Err(SmError::Incorrect)
        );
        let mut no_mac = protected.clone();
        no_mac.data.truncate(no_mac.data.len() - 10);
        assert_eq!(
            card.clone().unprotect_command(&no_mac),
            Err(SmError::Missing)
        );

        // Accepted once; the same bytes again (counter moved on) are not.
        assert!(card.unprotect_command(&protected).is_ok());
        card.protect_response(&Response::status(StatusWord::OK));
        assert_eq!(card.unprotect_command(&protected), Err(SmError::Incorrect));
    }

    #[test]
    fn padding() {
        assert_eq!(pad(&[]), [&[0x80][..], &[0; 15]].concat());
        assert_eq!(pad(&[1; 16]).len(), 32);
        assert_eq!(unpad(&pad(&[1, 0, 0])), Some(&[1, 0, 0][..]));
        assert_eq!(unpad(&[0; 16]), None);
        assert_eq!(unpad(&[1; 16]), None);
    }
}
