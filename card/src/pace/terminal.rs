//! The terminal's side of PACE, and the channel it opens: a
//! [`CardTransport`] that protects every command, so that
//! [`crate::client::CardClient`] works unchanged on top of it.

use p256::ProjectivePoint;

use crate::apdu::{ApduError, Command, Response};
use crate::applet::AID;
use crate::applet::files::EF_CARD_ACCESS;
use crate::entropy::{Entropy, EntropyError};
use crate::pace::{
    CAN_REFERENCE, PARAMETER_ID, PROTOCOL_OID, SessionKeys, crypt_nonce, decode_point,
    encode_point, map_generator, password_key, random_scalar, token, x_coordinate,
};
use crate::pin::Can;
use crate::sm::{SecureMessaging, SmError};
use crate::status::StatusWord;
use crate::tlv;
use crate::transport::CardTransport;

/// Why PACE or the channel failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PaceError<E> {
    /// The transport failed.
    #[error("card transport: {0}")]
    Transport(E),
    /// An APDU could not be encoded or the answer parsed.
    #[error("APDU: {0}")]
    Apdu(#[from] ApduError),
    /// The card refused a step of the protocol.
    #[error("the card refused PACE step {step} with {sw}")]
    Refused {
        /// `select`, `card access`, `set at`, or the GENERAL AUTHENTICATE step 1 to 4.
        step: &'static str,
        /// Its status word.
        sw: StatusWord,
    },
    /// The card does not offer PACE-ECDH-GM-AES-128 on P-256.
    #[error("the card does not offer the expected PACE protocol")]
    Unsupported,
    /// Wrong CAN: the card refused the terminal's token (`63 00`).
    #[error("wrong CAN")]
    WrongCan,
    /// An answer that does not follow the protocol, or a card token that
    /// does not verify.
    #[error("the card's PACE answer is malformed or does not authenticate: {0}")]
    Protocol(&'static str),
    /// No random bytes.
    #[error(transparent)]
    Entropy(#[from] EntropyError),
    /// A protected response that does not verify.
    #[error("secure messaging: {0}")]
    Sm(#[from] SmError),
}

/// A PACE channel to the card over `T`.
#[derive(Debug)]
pub struct PaceChannel<T> {
    transport: T,
    sm: SecureMessaging,
}

type Result<T, E> = std::result::Result<T, PaceError<E>>;

fn send<T: CardTransport>(transport: &mut T, command: &Command) -> Result<Response, T::Error> {
    let bytes = transport
        .transmit(&command.to_bytes()?)
        .map_err(PaceError::Transport)?;
    Ok(Response::parse(&bytes)?)
}

fn expect<T: CardTransport>(
    transport: &mut T,
    command: &Command,
    step: &'static str,
) -> Result<Vec<u8>, T::Error> {
    let response = send(transport, command)?;
    if response.sw.is_ok() {
        Ok(response.data)
    } else {
        Err(PaceError::Refused {
            step,
            sw: response.sw,
        })
    }
}

/// GENERAL AUTHENTICATE with `7C { tag value }` (chained but for the
/// last step); returns the value of `answer_tag` in the card's `7C`.
fn general_authenticate<T: CardTransport>(
    transport: &mut T,
    object: Option<(u16, &[u8])>,
    answer_tag: u16,
    last: bool,
    step: &'static str,
) -> Result<Vec<u8>, T::Error> {
    let inner = object.map_or_else(Vec::new, |(tag, value)| tlv::encode(tag, value));
    let command = Command::new(if last { 0x00 } else { 0x10 }, 0x86, 0x00, 0x00)
        .with_data(tlv::encode(0x7C, &inner))
        .with_le(256);
    let response = send(transport, &command)?;
    if response.sw == StatusWord(0x6300) && last {
        return Err(PaceError::WrongCan);
    }
    if !response.sw.is_ok() {
        return Err(PaceError::Refused {
            step,
            sw: response.sw,
        });
    }
    let (outer, rest) =
        tlv::parse_one(&response.data).map_err(|_| PaceError::Protocol("not a 7C template"))?;
    if outer.tag != 0x7C || !rest.is_empty() {
        return Err(PaceError::Protocol("not a 7C template"));
    }
    tlv::parse(outer.value)
        .ok()
        .and_then(|objects| objects.into_iter().find(|o| o.tag == answer_tag))
        .map(|o| o.value.to_vec())
        .ok_or(PaceError::Protocol("answer data object missing"))
}

impl<T: CardTransport> PaceChannel<T> {
    /// Selects the applet, checks EF.CardAccess, runs PACE with `can`.
    pub fn establish(
        mut transport: T,
        can: &Can,
        entropy: &mut dyn Entropy,
    ) -> Result<Self, T::Error> {
        let t = &mut transport;
        expect(
            t,
            &Command::new(0x00, 0xA4, 0x04, 0x0C).with_data(AID),
            "select",
        )?;
        expect(
            t,
            &Command::new(0x00, 0xA4, 0x02, 0x0C).with_data(EF_CARD_ACCESS.to_be_bytes()),
            "card access",
        )?;
        let read = send(t, &Command::new(0x00, 0xB0, 0x00, 0x00).with_le(256))?;
        // The whole file fits in 256 bytes: `62 82` is its normal end.
        if read.sw != StatusWord::END_OF_FILE && !read.sw.is_ok() {
            return Err(PaceError::Refused {
                step: "card access",
                sw: read.sw,
            });
        }
        let card_access = read.data;
        if !card_access
            .windows(PROTOCOL_OID.len())
            .any(|w| w == PROTOCOL_OID)
        {
            return Err(PaceError::Unsupported);
        }

        // MSE:SET AT — the protocol, the CAN, P-256.
        let mut at = tlv::encode(0x80, &PROTOCOL_OID);
        at.extend(tlv::encode(0x83, &[CAN_REFERENCE]));
        at.extend(tlv::encode(0x84, &[PARAMETER_ID]));
        expect(
            t,
            &Command::new(0x00, 0x22, 0xC1, 0xA4).with_data(at),
            "set at",
        )?;

        // 1. The encrypted nonce.
        let z = general_authenticate(t, None, 0x80, false, "1 (nonce)")?;
        let z: [u8; 16] = z
            .try_into()
            .map_err(|_| PaceError::Protocol("nonce is not 16 bytes"))?;
        let nonce = crypt_nonce(&password_key(can), &z, false);

        // 2. Generic mapping.
        let sk_map = random_scalar(entropy)?;
        let pk_map = encode_point(&(ProjectivePoint::GENERATOR * *sk_map));
        let card_map = general_authenticate(t, Some((0x81, &pk_map)), 0x82, false, "2 (mapping)")?;
        let card_map_point =
            decode_point(&card_map).ok_or(PaceError::Protocol("bad mapping point"))?;
        let generator = map_generator(&nonce, &(card_map_point * *sk_map))
            .ok_or(PaceError::Protocol("degenerate mapping"))?;

        // 3. Key agreement on the mapped generator.
        let sk = random_scalar(entropy)?;
        let pk = encode_point(&(generator * *sk));
        let card_pk = general_authenticate(t, Some((0x83, &pk)), 0x84, false, "3 (key agreement)")?;
        if card_pk == card_map {
            return Err(PaceError::Protocol("card reused its mapping key"));
        }
        let card_point = decode_point(&card_pk).ok_or(PaceError::Protocol("bad card key"))?;
        let keys = SessionKeys::derive(&x_coordinate(&(card_point * *sk)));

        // 4. Mutual authentication.
        let our_token = token(&keys.mac, &card_pk);
        let card_token =
            general_authenticate(t, Some((0x85, &our_token)), 0x86, true, "4 (tokens)")?;
        if card_token != token(&keys.mac, &pk) {
            return Err(PaceError::Protocol("card token does not verify"));
        }
        Ok(Self {
            transport,
            sm: SecureMessaging::new(keys),
        })
    }

    /// The transport back (the channel is over).
    pub fn into_inner(self) -> T {
        self.transport
    }

    /// The transport and the channel's state, to drive both by hand.
    pub fn into_parts(self) -> (T, SecureMessaging) {
        (self.transport, self.sm)
    }

    /// The transport, e.g. to reach a virtual card in tests.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }
}

impl<T: CardTransport> CardTransport for PaceChannel<T>
where
    PaceError<T::Error>: std::error::Error + Send + Sync + 'static,
{
    type Error = PaceError<T::Error>;

    fn transmit(&mut self, apdu: &[u8]) -> std::result::Result<Vec<u8>, Self::Error> {
        let command = Command::parse(apdu)?;
        let protected = self.sm.protect_command(&command);
        let response = send(&mut self.transport, &protected)?;
        Ok(self.sm.unprotect_response(&response)?.to_bytes())
    }
}
