//! The verifier on real card answers, and on each way they can be wrong.

use time::OffsetDateTime;
use time::macros::datetime;

use super::*;
use crate::applet::VirtualCard;
use crate::client::{CardAnswer, CardClient, ClientError, PinStatus};
use crate::entropy::SeededEntropy;
use crate::issuance::{Period, SandboxPki};
use crate::pace::terminal::PaceChannel;
use crate::pin::{Can, Pin, Puk};
use crate::sandbox::{TestCard, find, sandbox_pki};

const CHALLENGE: &[u8] = b"0123456789abcdef-fi-nonce";
const NOW: OffsetDateTime = datetime!(2026-11-23 12:00 UTC);

fn pin() -> Pin {
    Pin::parse(b"1234").unwrap()
}

fn unblocked(citizen: &str) -> TestCard {
    TestCard {
        pin_blocked: false,
        ..*find(citizen).unwrap()
    }
}

/// The card behind a PACE channel opened with its CAN.
fn channel(pki: &SandboxPki, card: &TestCard) -> CardClient<PaceChannel<VirtualCard>> {
    let can = Can::parse(card.can.as_bytes()).unwrap();
    let mut entropy = SeededEntropy::new(b"terminal");
    CardClient::new(PaceChannel::establish(card.issue(pki).unwrap(), &can, &mut entropy).unwrap())
}

fn answer_with(pki: &SandboxPki, card: &TestCard, challenge: &[u8]) -> CardAnswer {
    channel(pki, card).authenticate(&pin(), challenge).unwrap()
}

fn answer(citizen: &str) -> CardAnswer {
    answer_with(&sandbox_pki().unwrap(), &unblocked(citizen), CHALLENGE)
}

fn root() -> Vec<u8> {
    sandbox_pki().unwrap().root().certificate_der().to_vec()
}

fn other_pki() -> SandboxPki {
    let p = |a, b| Period {
        not_before: a,
        not_after: b,
    };
    SandboxPki::new(
        b"another state's PKI",
        p(
            datetime!(2010-01-01 0:00 UTC),
            datetime!(2049-12-31 0:00 UTC),
        ),
        p(
            datetime!(2010-01-01 0:00 UTC),
            datetime!(2044-12-31 0:00 UTC),
        ),
    )
    .unwrap()
}

#[test]
fn a_valid_card_verifies() {
    let a = answer("eric-mercier");
    let verified = verify(&a.evidence(CHALLENGE), &root(), NOW).unwrap();
    assert_eq!(verified.holder, find("eric-mercier").unwrap().holder());
    assert_eq!(verified.not_after, datetime!(2035-02-28 23:59:59 UTC));
}

#[test]
fn usage_name_and_accents_survive() {
    let a = answer("marie-helene-de-la-fontaine-eloise");
    // Verified while the card was still valid.
    let verified = verify(
        &a.evidence(CHALLENGE),
        &root(),
        datetime!(2020-01-01 0:00 UTC),
    )
    .unwrap();
    assert_eq!(verified.holder.family_name, "DE LA FONTAINE-ÉLOÏSE");
    assert_eq!(verified.holder.usage_name.as_deref(), Some("MARTIN-DUBOIS"));
}

#[test]
fn an_expired_card_is_refused() {
    let a = answer("marie-helene-de-la-fontaine-eloise");
    assert_eq!(
        verify(&a.evidence(CHALLENGE), &root(), NOW),
        Err(VerifyError::Expired {
            role: Role::Card,
            not_after: datetime!(2024-06-09 23:59:59 UTC),
        })
    );
}

#[test]
fn a_card_not_yet_valid_is_refused() {
    let a = answer("eric-mercier");
    assert!(matches!(
        verify(
            &a.evidence(CHALLENGE),
            &root(),
            datetime!(2025-02-28 12:00 UTC)
        ),
        Err(VerifyError::NotYetValid {
            role: Role::Card,
            ..
        })
    ));
}

#[test]
fn an_expired_root_is_refused() {
    let a = answer("eric-mercier");
    assert!(matches!(
        verify(
            &a.evidence(CHALLENGE),
            &root(),
            datetime!(2050-06-01 0:00 UTC)
        ),
        Err(VerifyError::Expired {
            role: Role::Root,
            ..
        })
    ));
}

#[test]
fn a_card_of_another_pki_is_refused() {
    let other = other_pki();
    let a = answer_with(&other, &unblocked("eric-mercier"), CHALLENGE);
    // Same names, other keys: the other issuing CA is not signed by our root.
    assert_eq!(
        verify(&a.evidence(CHALLENGE), &root(), NOW),
        Err(VerifyError::BadCertificateSignature(Role::Issuer))
    );
    // With our issuing CA's certificate in place of theirs.
    let ours = answer("eric-mercier");
    let mixed = CardAnswer {
        issuer_certificate: ours.issuer_certificate.clone(),
        ..a.clone()
    };
    assert_eq!(
        verify(&mixed.evidence(CHALLENGE), &root(), NOW),
        Err(VerifyError::BadCertificateSignature(Role::Card))
    );
    // Trusting their root instead: fine.
    assert!(verify(&a.evidence(CHALLENGE), other.root().certificate_der(), NOW).is_ok());
}

#[test]
fn a_chain_with_the_wrong_issuer_is_refused() {
    let a = answer("eric-mercier");
    let skipped = CardAnswer {
        issuer_certificate: root(),
        ..a
    };
    assert_eq!(
        verify(&skipped.evidence(CHALLENGE), &root(), NOW),
        Err(VerifyError::UnknownIssuer(Role::Card))
    );
}

#[test]
fn a_ca_certificate_is_not_a_card() {
    let pki = sandbox_pki().unwrap();
    let a = answer("eric-mercier");
    let ca_as_card = CardAnswer {
        card_certificate: pki.issuing().certificate_der().to_vec(),
        issuer_certificate: root(),
        ..a
    };
    assert_eq!(
        verify(&ca_as_card.evidence(CHALLENGE), &root(), NOW),
        Err(VerifyError::KeyUsage(Role::Card))
    );
}

#[test]
fn a_signature_by_another_card_is_refused() {
    let eric = answer("eric-mercier");
    let carmen = answer("carmen-garcia");
    let swapped = CardAnswer {
        signature: carmen.signature,
        ..eric
    };
    assert_eq!(
        verify(&swapped.evidence(CHALLENGE), &root(), NOW),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn a_signature_over_another_challenge_is_refused() {
    let a = answer("eric-mercier");
    assert_eq!(
        verify(&a.evidence(b"another challenge, 16+"), &root(), NOW),
        Err(VerifyError::BadSignature)
    );
    assert_eq!(
        verify(&a.evidence(b"short"), &root(), NOW),
        Err(VerifyError::ChallengeLength)
    );
    let truncated = CardAnswer {
        signature: a.signature[..63].to_vec(),
        ..a.clone()
    };
    assert_eq!(
        verify(&truncated.evidence(CHALLENGE), &root(), NOW),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn a_tampered_identity_is_refused() {
    let a = answer("eric-mercier");
    let mut holder = Holder::from_tlv(&a.identity).unwrap();
    holder.birth_date = "1976-03-12".into();
    let tampered = CardAnswer {
        identity: holder.to_tlv(),
        ..a
    };
    assert_eq!(
        verify(&tampered.evidence(CHALLENGE), &root(), NOW),
        Err(VerifyError::BadIdentitySignature)
    );
}

#[test]
fn another_cards_signed_identity_is_refused() {
    let eric = answer("eric-mercier");
    let carmen = answer("carmen-garcia");
    let swapped = CardAnswer {
        identity: carmen.identity,
        identity_signature: carmen.identity_signature,
        ..eric
    };
    assert_eq!(
        verify(&swapped.evidence(CHALLENGE), &root(), NOW),
        Err(VerifyError::CardNumberMismatch {
            identity: "PV0000002".into(),
            certificate: "PV0000001".into(),
        })
    );
}

#[test]
fn garbage_certificates_are_malformed() {
    let a = answer("eric-mercier");
    let garbage = CardAnswer {
        card_certificate: vec![0x30, 0x03, 0x02, 0x01, 0x01],
        ..a.clone()
    };
    assert_eq!(
        verify(&garbage.evidence(CHALLENGE), &root(), NOW),
        Err(VerifyError::Malformed(Role::Card))
    );
    assert_eq!(
        verify(&a.evidence(CHALLENGE), b"not a certificate", NOW),
        Err(VerifyError::Malformed(Role::Root))
    );
}

#[test]
fn the_pki_is_deterministic() {
    let a = sandbox_pki().unwrap();
    let b = sandbox_pki().unwrap();
    assert_eq!(a.root().certificate_der(), b.root().certificate_der());
    let card = find("eric-mercier").unwrap();
    assert_eq!(
        a.issue_card(&card.holder(), card.period())
            .unwrap()
            .certificate,
        b.issue_card(&card.holder(), card.period())
            .unwrap()
            .certificate
    );
    assert_ne!(
        a.root().certificate_der(),
        other_pki().root().certificate_der()
    );
}

#[test]
fn client_reports_pin_states() {
    let pki = sandbox_pki().unwrap();
    let mut client = channel(&pki, find("carmen-garcia").unwrap());
    client.select().unwrap();
    assert_eq!(client.pin_status().unwrap(), PinStatus::Blocked);
    assert!(matches!(
        client.verify_pin(&pin()),
        Err(ClientError::Blocked)
    ));
    let wrong_puk = Puk::parse(b"00000000").unwrap();
    assert!(matches!(
        client.unblock_pin(&wrong_puk, &pin()),
        Err(ClientError::WrongCode(9))
    ));
    client
        .unblock_pin(&Puk::parse(b"87654321").unwrap(), &pin())
        .unwrap();
    assert_eq!(client.pin_status().unwrap(), PinStatus::TriesLeft(3));
    assert!(matches!(
        client.verify_pin(&Pin::parse(b"0000").unwrap()),
        Err(ClientError::WrongCode(2))
    ));
    client.verify_pin(&pin()).unwrap();
    assert_eq!(client.pin_status().unwrap(), PinStatus::Verified);
    client
        .change_pin(&pin(), &Pin::parse(b"2468").unwrap())
        .unwrap();
    client.select().unwrap();
    client.verify_pin(&Pin::parse(b"2468").unwrap()).unwrap();
}
