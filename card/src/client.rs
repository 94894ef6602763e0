//! The host side of the applet: typed calls over any [`CardTransport`],
//! for the app's card module and the tests.

use crate::apdu::{ApduError, Command, Response};
use crate::applet::files::{EF_CARD_CERT, EF_IDENTITY, EF_IDENTITY_SIG, EF_ISSUER_CERT};
use crate::applet::{AID, PIN_REFERENCE, ins};
use crate::pin::{Pin, Puk};
use crate::status::StatusWord;
use crate::transport::CardTransport;
use crate::verify::CardEvidence;

/// Why a call to the card failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError<E> {
    /// The transport failed.
    #[error("card transport: {0}")]
    Transport(E),
    /// The card's answer is not a response APDU, or a command could not
    /// be encoded.
    #[error("APDU: {0}")]
    Apdu(#[from] ApduError),
    /// Wrong PIN or PUK; this many tries left.
    #[error("wrong code, {0} tries left")]
    WrongCode(u8),
    /// The PIN (or the PUK) is blocked.
    #[error("blocked")]
    Blocked,
    /// The applet is not on this card.
    #[error("the Pivot eID applet is not on this card")]
    NoApplet,
    /// Any other status word.
    #[error("the card answered {0}")]
    Status(StatusWord),
}

/// The PIN's state, as VERIFY without data reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinStatus {
    /// Verified in this session.
    Verified,
    /// Not verified; this many tries left.
    TriesLeft(u8),
    /// Blocked: only the PUK helps.
    Blocked,
}

/// Everything an identity provider needs from one card, read in one go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardAnswer {
    /// INTERNAL AUTHENTICATE's `r || s`.
    pub signature: Vec<u8>,
    /// `EF.CardCert`.
    pub card_certificate: Vec<u8>,
    /// `EF.IssuerCert`.
    pub issuer_certificate: Vec<u8>,
    /// `EF.Identity`.
    pub identity: Vec<u8>,
    /// `EF.IdentitySig`.
    pub identity_signature: Vec<u8>,
}

impl CardAnswer {
    /// The answer with its challenge, for [`crate::verify::verify`].
    pub fn evidence<'a>(&'a self, challenge: &'a [u8]) -> CardEvidence<'a> {
        CardEvidence {
            challenge,
            signature: &self.signature,
            card_certificate: &self.card_certificate,
            issuer_certificate: &self.issuer_certificate,
            identity: &self.identity,
            identity_signature: &self.identity_signature,
        }
    }
}

/// Typed calls to the applet.
#[derive(Debug)]
pub struct CardClient<T> {
    transport: T,
}

type Result<T, E> = std::result::Result<T, ClientError<E>>;

impl<T: CardTransport> CardClient<T> {
    /// A client over `transport`.
    pub fn new(transport: T) -> Self {
        Self { transport }
    }

    /// The transport back.
    pub fn into_inner(self) -> T {
        self.transport
    }

    /// Sends a command, parses the response (any status word).
    pub fn send(&mut self, command: &Command) -> Result<Response, T::Error> {
        let bytes = self
            .transport
            .transmit(&command.to_bytes()?)
            .map_err(ClientError::Transport)?;
        Ok(Response::parse(&bytes)?)
    }

    fn expect_ok(&mut self, command: &Command) -> Result<Vec<u8>, T::Error> {
        let response = self.send(command)?;
        match response.sw {
            StatusWord::OK => Ok(response.data),
            sw => Err(code_error(sw)),
        }
    }

    /// SELECT the applet by AID (no FCI).
    pub fn select(&mut self) -> Result<(), T::Error> {
        let response = self.send(&Command::new(0x00, ins::SELECT, 0x04, 0x0C).with_data(AID))?;
        match response.sw {
            StatusWord::OK => Ok(()),
            StatusWord::NOT_FOUND => Err(ClientError::NoApplet),
            sw => Err(ClientError::Status(sw)),
        }
    }

    /// The PIN's state, without spending a try.
    pub fn pin_status(&mut self) -> Result<PinStatus, T::Error> {
        let response = self.send(&Command::new(0x00, ins::VERIFY, 0x00, PIN_REFERENCE))?;
        match response.sw {
            StatusWord::OK => Ok(PinStatus::Verified),
            StatusWord::AUTHENTICATION_BLOCKED => Ok(PinStatus::Blocked),
            sw => match sw.remaining_tries() {
                Some(n) => Ok(PinStatus::TriesLeft(n)),
                None => Err(ClientError::Status(sw)),
            },
        }
    }

    /// VERIFY the PIN.
    pub fn verify_pin(&mut self, pin: &Pin) -> Result<(), T::Error> {
        self.expect_ok(
            &Command::new(0x00, ins::VERIFY, 0x00, PIN_REFERENCE).with_data(pin.as_bytes()),
        )
        .map(drop)
    }

    /// CHANGE REFERENCE DATA: a new PIN, with the current one.
    pub fn change_pin(&mut self, old: &Pin, new: &Pin) -> Result<(), T::Error> {
        let data = [old.as_bytes(), new.as_bytes()].concat();
        self.expect_ok(
            &Command::new(0x00, ins::CHANGE_REFERENCE_DATA, 0x00, PIN_REFERENCE).with_data(data),
        )
        .map(drop)
    }

    /// RESET RETRY COUNTER: a new PIN, with the PUK.
    pub fn unblock_pin(&mut self, puk: &Puk, new: &Pin) -> Result<(), T::Error> {
        let data = [puk.as_bytes(), new.as_bytes()].concat();
        self.expect_ok(
            &Command::new(0x00, ins::RESET_RETRY_COUNTER, 0x00, PIN_REFERENCE).with_data(data),
        )
        .map(drop)
    }

    /// SELECT a file then READ BINARY it whole, 256 bytes at a time.
    pub fn read_file(&mut self, file_id: u16) -> Result<Vec<u8>, T::Error> {
        self.expect_ok(
            &Command::new(0x00, ins::SELECT, 0x02, 0x0C).with_data(file_id.to_be_bytes()),
        )?;
        let mut content = Vec::new();
        loop {
            let offset = u16::try_from(content.len())
                .ok()
                .filter(|o| *o <= 0x7FFF)
                .ok_or(ClientError::Status(StatusWord::WRONG_OFFSET))?;
            let [p1, p2] = offset.to_be_bytes();
            let response = self.send(&Command::new(0x00, ins::READ_BINARY, p1, p2).with_le(256))?;
            match response.sw {
                StatusWord::OK => content.extend_from_slice(&response.data),
                StatusWord::END_OF_FILE => {
                    content.extend_from_slice(&response.data);
                    return Ok(content);
                }
                sw => return Err(code_error(sw)),
            }
        }
    }

    /// INTERNAL AUTHENTICATE: the card's `r || s` over the challenge.
    pub fn internal_authenticate(&mut self, challenge: &[u8]) -> Result<Vec<u8>, T::Error> {
        self.expect_ok(
            &Command::new(0x00, ins::INTERNAL_AUTHENTICATE, 0x00, 0x00)
                .with_data(challenge)
                .with_le(256),
        )
    }

    /// SELECT, VERIFY, then everything an identity provider verifies.
    pub fn authenticate(&mut self, pin: &Pin, challenge: &[u8]) -> Result<CardAnswer, T::Error> {
        self.select()?;
        self.verify_pin(pin)?;
        Ok(CardAnswer {
            signature: self.internal_authenticate(challenge)?,
            card_certificate: self.read_file(EF_CARD_CERT)?,
            issuer_certificate: self.read_file(EF_ISSUER_CERT)?,
            identity: self.read_file(EF_IDENTITY)?,
            identity_signature: self.read_file(EF_IDENTITY_SIG)?,
        })
    }
}

fn code_error<E>(sw: StatusWord) -> ClientError<E> {
    match (sw, sw.remaining_tries()) {
        (_, Some(n)) => ClientError::WrongCode(n),
        (StatusWord::AUTHENTICATION_BLOCKED, None) => ClientError::Blocked,
        (sw, None) => ClientError::Status(sw),
    }
}
