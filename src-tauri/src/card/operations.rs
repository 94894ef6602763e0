//! What the app asks of a card, over a [`CardLink`]: sign a provider's
//! challenge, unblock the PIN. Blocking calls (run them off the async
//! runtime); every card status becomes the [`CardProblem`] to show.

use pivot_card::client::{CardAnswer, CardClient, ClientError};
use pivot_card::entropy::OsEntropy;
use pivot_card::pace::terminal::{PaceChannel, PaceError};
use pivot_card::pin::{Can, Pin, Puk};
use pivot_proto::card_auth::CardProblem;

use super::readers::{CardLink, LinkError};

/// Why a card operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CardFailure {
    /// Something the citizen can act on.
    #[error("{0:?}")]
    Problem(CardProblem),
    /// A failure of the app itself (no randomness); the detail is for logs.
    #[error("card operation: {0}")]
    Internal(String),
}

impl From<CardProblem> for CardFailure {
    fn from(p: CardProblem) -> Self {
        Self::Problem(p)
    }
}

/// PACE with `can` over `link`.
fn open<'a>(
    link: &'a mut CardLink,
    can: &Can,
) -> Result<PaceChannel<&'a mut CardLink>, CardFailure> {
    PaceChannel::establish(link, can, &mut OsEntropy).map_err(|e| match e {
        PaceError::WrongCan => CardFailure::Problem(CardProblem::WrongCan),
        PaceError::Transport(link) => CardFailure::Problem(link.problem()),
        PaceError::Entropy(e) => CardFailure::Internal(e.to_string()),
        // No applet, no PACE, answers off the protocol: not our ID card.
        PaceError::Refused { .. }
        | PaceError::Unsupported
        | PaceError::Protocol(_)
        | PaceError::Apdu(_)
        | PaceError::Sm(_) => CardFailure::Problem(CardProblem::NotAnIdCard),
        // A future variant: not a card we can use.
        _ => CardFailure::Problem(CardProblem::NotAnIdCard),
    })
}

/// A failure inside the PACE channel; `code` says what a wrong code or a
/// block means (PIN or PUK).
fn inside(e: ClientError<PaceError<LinkError>>, code: Code) -> CardFailure {
    let problem = match e {
        ClientError::WrongCode(tries_left) => match code {
            Code::Pin => CardProblem::WrongPin { tries_left },
            Code::Puk => CardProblem::WrongPuk { tries_left },
        },
        ClientError::Blocked => match code {
            Code::Pin => CardProblem::PinBlocked,
            Code::Puk => CardProblem::PukBlocked,
        },
        ClientError::Transport(PaceError::Transport(link)) => link.problem(),
        ClientError::Transport(PaceError::Entropy(e)) => {
            return CardFailure::Internal(e.to_string());
        }
        ClientError::NoApplet
        | ClientError::Transport(_)
        | ClientError::Apdu(_)
        | ClientError::Status(_) => CardProblem::NotAnIdCard,
        // A future variant of the client's errors.
        _ => CardProblem::NotAnIdCard,
    };
    CardFailure::Problem(problem)
}

#[derive(Clone, Copy)]
enum Code {
    Pin,
    Puk,
}

/// PACE with the card access number, the PIN, then the card's signature
/// of `challenge` with its certificates and signed identity.
///
/// # Errors
/// See [`CardFailure`].
pub fn sign(
    link: &mut CardLink,
    can: &Can,
    pin: &Pin,
    challenge: &[u8],
) -> Result<CardAnswer, CardFailure> {
    let channel = open(link, can)?;
    CardClient::new(channel)
        .authenticate(pin, challenge)
        .map_err(|e| inside(e, Code::Pin))
}

/// PACE with the card access number, then a new PIN with the PUK. A wrong
/// or blocked PUK is reported as such.
///
/// # Errors
/// See [`CardFailure`].
pub fn unblock(
    link: &mut CardLink,
    can: &Can,
    puk: &Puk,
    new_pin: &Pin,
) -> Result<(), CardFailure> {
    let channel = open(link, can)?;
    let mut client = CardClient::new(channel);
    client.select().map_err(|e| inside(e, Code::Puk))?;
    client
        .unblock_pin(puk, new_pin)
        .map_err(|e| inside(e, Code::Puk))
}

#[cfg(test)]
mod tests {
    use pivot_card::sandbox::{find, sandbox_pki};
    use pivot_card::verify::verify;

    use super::*;
    use crate::card::virtual_readers::link_to;

    fn codes(citizen: &str) -> (Can, Pin, Puk) {
        let t = find(citizen).unwrap();
        (
            Can::parse(t.can.as_bytes()).unwrap(),
            Pin::parse(t.pin.as_bytes()).unwrap(),
            Puk::parse(t.puk.as_bytes()).unwrap(),
        )
    }

    #[test]
    fn the_card_signs_the_challenge_and_the_signature_verifies() {
        let (can, pin, _) = codes("eric-mercier");
        let mut link = link_to("eric-mercier");
        let answer = sign(&mut link, &can, &pin, &[9; 32]).unwrap();
        let pki = sandbox_pki().unwrap();
        let issued = find("eric-mercier").unwrap().issued;
        let holder = verify(
            &answer.evidence(&[9; 32]),
            pki.root().certificate_der(),
            issued.next_day().unwrap().midnight().assume_utc(),
        )
        .unwrap();
        assert!(format!("{holder:?}").contains("MERCIER"), "{holder:?}");
    }

    #[test]
    fn wrong_codes_become_the_problems_the_citizen_sees() {
        let (can, pin, _) = codes("eric-mercier");
        let mut link = link_to("eric-mercier");
        let wrong_can = Can::parse(b"000000").unwrap();
        assert!(matches!(
            sign(&mut link, &wrong_can, &pin, &[1; 32]),
            Err(CardFailure::Problem(CardProblem::WrongCan))
        ));
        let wrong_pin = Pin::parse(b"9999").unwrap();
        for left in [2, 1] {
            assert!(matches!(
                sign(&mut link, &can, &wrong_pin, &[1; 32]),
                Err(CardFailure::Problem(CardProblem::WrongPin { tries_left })) if tries_left == left
            ));
        }
        assert!(matches!(
            sign(&mut link, &can, &wrong_pin, &[1; 32]),
            Err(CardFailure::Problem(CardProblem::PinBlocked))
        ));
        // Blocked: even the right PIN is refused now.
        assert!(matches!(
            sign(&mut link, &can, &pin, &[1; 32]),
            Err(CardFailure::Problem(CardProblem::PinBlocked))
        ));
    }

    #[test]
    fn the_puk_unblocks_a_blocked_pin() {
        let (can, _, puk) = codes("carmen-garcia");
        let mut link = link_to("carmen-garcia");
        let new_pin = Pin::parse(b"2468").unwrap();
        let wrong_puk = Puk::parse(b"00000000").unwrap();
        assert!(matches!(
            unblock(&mut link, &can, &wrong_puk, &new_pin),
            Err(CardFailure::Problem(CardProblem::WrongPuk {
                tries_left: 9
            }))
        ));
        unblock(&mut link, &can, &puk, &new_pin).unwrap();
        sign(&mut link, &can, &new_pin, &[3; 32]).unwrap();
    }

    #[test]
    fn a_card_without_the_applet_is_not_an_id_card() {
        let (can, pin, _) = codes("eric-mercier");
        let mut link = crate::card::virtual_readers::blank_link();
        assert!(matches!(
            sign(&mut link, &can, &pin, &[1; 32]),
            Err(CardFailure::Problem(CardProblem::NotAnIdCard))
        ));
    }

    #[test]
    fn a_card_removed_mid_way_says_so() {
        let (can, pin, _) = codes("eric-mercier");
        // The card answers PACE's first commands, then is gone.
        let mut link = crate::card::virtual_readers::removed_after("eric-mercier", 3);
        assert!(matches!(
            sign(&mut link, &can, &pin, &[1; 32]),
            Err(CardFailure::Problem(CardProblem::NoCard))
        ));
    }
}
