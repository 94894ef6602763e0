//! The sandbox's test cards: three of the sandbox's test citizens
//! (`broker/src/sandbox/citizens.rs`, copied here field by field so that
//! this crate does not depend on the broker) and the fixed PKI that issues
//! their cards.
//!
//! | citizen | card | PIN | PUK | CAN | state |
//! |---|---|---|---|---|---|
//! | `eric-mercier` | `PV0000001` | `1234` | `12345678` | `123456` | valid until 2035-02-28 |
//! | `carmen-garcia` | `PV0000002` | `1234` | `87654321` | `234567` | PIN blocked (PUK unblocks it) |
//! | `marie-helene-de-la-fontaine-eloise` | `PV0000003` | `1234` | `11223344` | `345678` | expired 2024-06-09 (card and certificate) |
//!
//! Every secret here is public on purpose, like the sandbox's passwords.

use time::macros::{date, time};
use time::{Date, OffsetDateTime, PrimitiveDateTime};

use crate::applet::{CardContent, VirtualCard};
use crate::holder::{Gender, Holder};
use crate::issuance::{IssueError, Period, SandboxPki};
use crate::pin::{Can, Guarded, PIN_TRIES, PUK_TRIES, Pin, Puk};

/// Seed of the sandbox PKI: the same certificates at every start.
pub const SANDBOX_SEED: &[u8] = b"pivot sandbox card PKI, public test material, v1";

/// The sandbox state CA's validity.
pub const ROOT_PERIOD: (Date, Date) = (date!(2010 - 01 - 01), date!(2049 - 12 - 31));
/// The sandbox issuing CA's validity.
pub const ISSUING_PERIOD: (Date, Date) = (date!(2010 - 01 - 01), date!(2044 - 12 - 31));

/// One test card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TestCard {
    /// The sandbox citizen's key, e.g. `eric-mercier`.
    pub citizen: &'static str,
    /// Birth name.
    pub family_name: &'static str,
    /// Given names, space-separated.
    pub given_names: &'static str,
    /// Usage name.
    pub usage_name: Option<&'static str>,
    /// `YYYY-MM-DD`.
    pub birth_date: &'static str,
    /// Gender.
    pub gender: Gender,
    /// INSEE commune code, `None` when born abroad.
    pub birthplace: Option<&'static str>,
    /// INSEE country code.
    pub birth_country: &'static str,
    /// Card number.
    pub card_number: &'static str,
    /// Issue date (the certificate's not-before).
    pub issued: Date,
    /// Expiry date (the certificate's not-after, end of day UTC).
    pub expiry: Date,
    /// The PIN.
    pub pin: &'static str,
    /// The PUK.
    pub puk: &'static str,
    /// The card access number printed on the card: the PACE password.
    pub can: &'static str,
    /// Whether the card leaves the factory with its PIN blocked.
    pub pin_blocked: bool,
}

/// The sandbox's test cards.
pub const TEST_CARDS: &[TestCard] = &[
    TestCard {
        citizen: "eric-mercier",
        family_name: "MERCIER",
        given_names: "Eric",
        usage_name: None,
        birth_date: "1966-03-12",
        gender: Gender::Male,
        birthplace: Some("75056"),
        birth_country: "99100",
        card_number: "PV0000001",
        issued: date!(2025 - 03 - 01),
        expiry: date!(2035 - 02 - 28),
        pin: "1234",
        puk: "12345678",
        can: "123456",
        pin_blocked: false,
    },
    TestCard {
        citizen: "carmen-garcia",
        family_name: "GARCIA",
        given_names: "Carmen Isabel",
        usage_name: None,
        birth_date: "1981-05-23",
        gender: Gender::Female,
        birthplace: None,
        birth_country: "99134",
        card_number: "PV0000002",
        issued: date!(2024 - 09 - 15),
        expiry: date!(2034 - 09 - 14),
        pin: "1234",
        puk: "87654321",
        can: "234567",
        pin_blocked: true,
    },
    TestCard {
        citizen: "marie-helene-de-la-fontaine-eloise",
        family_name: "DE LA FONTAINE-ÉLOÏSE",
        given_names: "Marie-Hélène Élodie",
        usage_name: Some("MARTIN-DUBOIS"),
        birth_date: "1988-11-07",
        gender: Gender::Female,
        birthplace: Some("69123"),
        birth_country: "99100",
        card_number: "PV0000003",
        issued: date!(2014 - 06 - 10),
        expiry: date!(2024 - 06 - 09),
        pin: "1234",
        puk: "11223344",
        can: "345678",
        pin_blocked: false,
    },
];

/// The test card of a sandbox citizen.
pub fn find(citizen: &str) -> Option<&'static TestCard> {
    TEST_CARDS.iter().find(|c| c.citizen == citizen)
}

/// Why a sandbox test card cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum TestCardError {
    /// No test card for this citizen (`pivot-card list`).
    #[error("{0} has no sandbox test card (see `pivot-card list`)")]
    Unknown(String),
    /// Issuing it failed.
    #[error(transparent)]
    Issue(#[from] IssueError),
}

/// The virtual card of `citizen`'s test card, issued by the sandbox PKI.
///
/// # Errors
/// See [`TestCardError`].
pub fn issue_test_card(citizen: &str) -> Result<VirtualCard, TestCardError> {
    let test = find(citizen).ok_or_else(|| TestCardError::Unknown(citizen.to_owned()))?;
    Ok(test.issue(&sandbox_pki()?)?)
}

/// The sandbox PKI (fixed seed and dates).
pub fn sandbox_pki() -> Result<SandboxPki, IssueError> {
    SandboxPki::new(SANDBOX_SEED, period(ROOT_PERIOD), period(ISSUING_PERIOD))
}

fn period((first, last): (Date, Date)) -> Period {
    Period {
        not_before: PrimitiveDateTime::new(first, time!(00:00:00)).assume_utc(),
        not_after: PrimitiveDateTime::new(last, time!(23:59:59)).assume_utc(),
    }
}

impl TestCard {
    /// What goes into `EF.Identity`.
    pub fn holder(&self) -> Holder {
        Holder {
            family_name: self.family_name.into(),
            given_names: self.given_names.into(),
            usage_name: self.usage_name.map(Into::into),
            birth_date: self.birth_date.into(),
            gender: self.gender,
            birthplace: self.birthplace.map(Into::into),
            birth_country: self.birth_country.into(),
            card_number: self.card_number.into(),
            expiry: self.expiry.to_string(),
        }
    }

    /// The certificate's validity: issue day 00:00 to expiry day 23:59:59 UTC.
    pub fn period(&self) -> Period {
        period((self.issued, self.expiry))
    }

    /// Whether the card has expired at `now`.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        now > self.period().not_after
    }

    /// Issues the card with `pki` and puts it in a virtual card.
    pub fn issue(&self, pki: &SandboxPki) -> Result<VirtualCard, IssueError> {
        let issued = pki.issue_card(&self.holder(), self.period())?;
        let pin = Pin::parse(self.pin.as_bytes()).ok_or(IssueError::Secret("PIN"))?;
        let puk = Puk::parse(self.puk.as_bytes()).ok_or(IssueError::Secret("PUK"))?;
        let can = Can::parse(self.can.as_bytes()).ok_or(IssueError::Secret("CAN"))?;
        let pin_tries = if self.pin_blocked { 0 } else { PIN_TRIES };
        Ok(VirtualCard::new(CardContent {
            identity: issued.identity,
            identity_signature: issued.identity_signature,
            card_certificate: issued.certificate,
            issuer_certificate: pki.issuing().certificate_der().to_vec(),
            key: issued.key,
            pin: Guarded::new(pin, pin_tries, PIN_TRIES),
            puk: Guarded::new(puk, PUK_TRIES, PUK_TRIES),
            can,
        }))
    }
}
