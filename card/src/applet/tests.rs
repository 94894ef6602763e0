//! Every command and status word of the applet, on the sandbox's cards.

use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};

use super::*;
use crate::auth::signed_message;
use crate::entropy::SeededEntropy;
use crate::holder::Holder;
use crate::pace::terminal::{PaceChannel, PaceError};
use crate::pin::Can;
use crate::sandbox::{find, issue_test_card, sandbox_pki};

/// The card and a terminal that talks to it, in plain or through PACE.
struct Term {
    card: VirtualCard,
    sm: Option<SecureMessaging>,
}

impl Term {
    /// A freshly powered card, nothing selected, no channel.
    fn plain(citizen: &str) -> Self {
        let card = issue_test_card(citizen).unwrap();
        Self { card, sm: None }
    }

    /// Selects the applet and opens a PACE channel with the card's CAN.
    fn pace(&mut self) {
        let can = Can::parse(b"123456").unwrap();
        self.pace_with(&can).unwrap();
    }

    fn pace_with(&mut self, can: &Can) -> Result<(), PaceError<std::convert::Infallible>> {
        let mut entropy = SeededEntropy::new(b"terminal");
        let channel = PaceChannel::establish(&mut self.card, can, &mut entropy)?;
        self.sm = Some(channel.into_parts().1);
        Ok(())
    }

    fn reset(&mut self) {
        self.card.reset();
        self.sm = None;
    }

    /// Sends hex through the channel when open (a plain answer to a
    /// protected command ends it), in plain otherwise.
    fn send(&mut self, apdu: &str) -> (Vec<u8>, u16) {
        let bytes = hex(apdu);
        let Some(sm) = self.sm.as_mut() else {
            return self.raw(apdu);
        };
        let command = Command::parse(&bytes).unwrap();
        let protected = sm.protect_command(&command).to_bytes().unwrap();
        let response = Response::parse(&self.card.process(&protected)).unwrap();
        match sm.unprotect_response(&response) {
            Ok(r) => (r.data, r.sw.0),
            Err(_) => {
                self.sm = None;
                (response.data, response.sw.0)
            }
        }
    }

    /// Sends hex bytes as they are.
    fn raw(&mut self, apdu: &str) -> (Vec<u8>, u16) {
        let r = Response::parse(&self.card.process(&hex(apdu))).unwrap();
        (r.data, r.sw.0)
    }
}

/// A card with the PACE channel open (eric-mercier's, CAN 123456).
fn eric() -> Term {
    card("eric-mercier")
}

fn card(citizen: &str) -> Term {
    let mut t = Term::plain(citizen);
    let can = find(citizen).unwrap().can;
    t.pace_with(&Can::parse(can.as_bytes()).unwrap()).unwrap();
    t
}

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

fn send(t: &mut Term, apdu: &str) -> (Vec<u8>, u16) {
    t.send(apdu)
}

fn sw(card: &mut Term, apdu: &str) -> u16 {
    send(card, apdu).1
}

const SELECT: &str = "00 A4 04 0C 07 F0 50 49 56 4F 54 01";
const VERIFY_1234: &str = "00 20 00 81 04 31 32 33 34";
const VERIFY_0000: &str = "00 20 00 81 04 30 30 30 30";
const VERIFY_STATUS: &str = "00 20 00 81";
const SELECT_IDENTITY: &str = "00 A4 02 0C 02 01 01";
const SELECT_CARD_CERT: &str = "00 A4 02 0C 02 01 02";
const READ: &str = "00 B0 00 00 00";
const AUTH_16: &str = "00 88 00 00 10 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 00";

fn read_all(card: &mut Term, select: &str) -> Vec<u8> {
    assert_eq!(sw(card, select), 0x9000);
    let mut out = Vec::new();
    loop {
        let [p1, p2] = (out.len() as u16).to_be_bytes();
        let (data, sw) = send(card, &format!("00 B0 {p1:02X} {p2:02X} 00"));
        out.extend(data);
        match sw {
            0x9000 => continue,
            0x6282 => return out,
            other => panic!("READ BINARY answered {other:04X}"),
        }
    }
}

// --- SELECT -------------------------------------------------------------

#[test]
fn select_applet_with_and_without_fci() {
    let mut c = eric();
    let (data, sw) = send(&mut c, "00 A4 04 00 07 F0 50 49 56 4F 54 01 00");
    assert_eq!(sw, 0x9000);
    assert_eq!(
        data,
        hex("6F 14 84 07 F0 50 49 56 4F 54 01 50 09 50 69 76 6F 74 20 65 49 44")
    );
    assert_eq!(send(&mut c, SELECT), (vec![], 0x9000));
    assert!(c.card.session_state().selected);
}

#[test]
fn select_other_application_is_not_found_and_deselects() {
    let mut c = eric();
    assert_eq!(sw(&mut c, SELECT), 0x9000);
    assert_eq!(sw(&mut c, VERIFY_1234), 0x9000);
    // The ICAO eMRTD application is not on this card.
    assert_eq!(sw(&mut c, "00 A4 04 0C 07 A0 00 00 02 47 10 01"), 0x6A82);
    assert_eq!(c.card.session_state(), SessionState::default());
    assert_eq!(sw(&mut c, VERIFY_STATUS), 0x6985);
}

#[test]
fn select_wrong_parameters() {
    let mut c = eric();
    assert_eq!(sw(&mut c, "00 A4 04 08 07 F0 50 49 56 4F 54 01"), 0x6A86);
    assert_eq!(sw(&mut c, "00 A4 00 0C 02 3F 00"), 0x6A86);
    assert_eq!(sw(&mut c, SELECT), 0x9000);
    assert_eq!(sw(&mut c, "00 A4 02 08 02 01 01"), 0x6A86);
    assert_eq!(sw(&mut c, "00 A4 02 0C 01 01"), 0x6700);
}

#[test]
fn select_file_needs_the_applet_and_a_known_id() {
    let mut c = Term::plain("eric-mercier");
    assert_eq!(sw(&mut c, SELECT_CARD_CERT), 0x6A82);
    assert_eq!(sw(&mut c, SELECT), 0x9000);
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 01 99"), 0x6A82);
    assert_eq!(c.card.session_state().current, None);
    assert_eq!(sw(&mut c, SELECT_CARD_CERT), 0x9000);
    assert_eq!(c.card.session_state().current, Some(File::CardCert));
}

#[test]
fn select_file_returns_its_fcp() {
    let mut c = eric();
    sw(&mut c, SELECT);
    let (fcp, sw) = send(&mut c, "00 A4 02 04 02 01 02 00");
    assert_eq!(sw, 0x9000);
    let cert_len = read_all(&mut c, SELECT_CARD_CERT).len() as u16;
    let [hi, lo] = cert_len.to_be_bytes();
    assert_eq!(
        fcp,
        [
            vec![0x62, 0x0B, 0x80, 0x02, hi, lo],
            hex("82 01 01 83 02 01 02")
        ]
        .concat()
    );
}

// --- CLA, INS, malformed ------------------------------------------------

#[test]
fn class_byte_refusals() {
    let mut c = Term::plain("eric-mercier");
    assert_eq!(sw(&mut c, "80 A4 04 0C 07 F0 50 49 56 4F 54 01"), 0x6E00);
    assert_eq!(sw(&mut c, "01 A4 04 0C 07 F0 50 49 56 4F 54 01"), 0x6881);
    assert_eq!(sw(&mut c, "40 A4 04 0C 07 F0 50 49 56 4F 54 01"), 0x6881);
    assert_eq!(sw(&mut c, "0C A4 04 0C 07 F0 50 49 56 4F 54 01"), 0x6882);
    assert_eq!(sw(&mut c, "10 A4 04 0C 07 F0 50 49 56 4F 54 01"), 0x6884);
    assert_eq!(sw(&mut c, "20 A4 04 0C 07 F0 50 49 56 4F 54 01"), 0x6E00);
}

#[test]
fn unknown_instructions_and_malformed_apdus() {
    let mut c = Term::plain("eric-mercier");
    // GET CHALLENGE is not implemented.
    assert_eq!(sw(&mut c, "00 84 00 00 08"), 0x6D00);
    assert_eq!(sw(&mut c, SELECT), 0x9000);
    assert_eq!(sw(&mut c, "00 84 00 00 08"), 0x6D00);
    // MSE:SET AT with another protocol; GENERAL AUTHENTICATE before it.
    assert_eq!(sw(&mut c, "00 22 C1 A4 03 80 01 02"), 0x6A80);
    assert_eq!(sw(&mut c, "10 86 00 00 02 7C 00 00"), 0x6985);
    // Lc says 4, 2 bytes follow.
    assert_eq!(sw(&mut c, "00 20 00 81 04 31 32"), 0x6700);
    assert_eq!(
        Response::parse(&c.card.process(&[0x00, 0xA4])).unwrap().sw,
        StatusWord::WRONG_LENGTH
    );
}

#[test]
fn commands_before_select_are_refused() {
    let mut c = Term::plain("eric-mercier");
    for apdu in [
        READ,
        VERIFY_1234,
        AUTH_16,
        "00 2C 00 81 0C 31 32 33 34 35 36 37 38 31 32 33 34",
        "00 22 C1 A4 00",
        "10 86 00 00 02 7C 00 00",
    ] {
        assert_eq!(sw(&mut c, apdu), 0x6985, "{apdu}");
    }
    assert_eq!(c.card.pin_tries(), 3);
}

// --- READ BINARY --------------------------------------------------------

#[test]
fn read_certificates_without_pin() {
    let pki = sandbox_pki().unwrap();
    let mut c = eric();
    sw(&mut c, SELECT);
    let cert = read_all(&mut c, SELECT_CARD_CERT);
    let parsed = Certificate::from_der(&cert).unwrap();
    assert!(
        parsed
            .tbs_certificate()
            .subject()
            .to_string()
            .contains("PV0000001")
    );
    let issuer = read_all(&mut c, "00 A4 02 0C 02 01 03");
    assert_eq!(issuer, pki.issuing().certificate_der());
    let identity_sig = read_all(&mut c, "00 A4 02 0C 02 01 04");
    assert_eq!(identity_sig.len(), 64);
}

#[test]
fn read_binary_offsets_and_lengths() {
    let mut c = eric();
    sw(&mut c, SELECT);
    let whole = read_all(&mut c, SELECT_CARD_CERT);
    let (part, s) = send(&mut c, "00 B0 00 02 04");
    assert_eq!((part.as_slice(), s), (&whole[2..6], 0x9000));
    // Extended Le reads the file in one go.
    let (all, s) = send(&mut c, "00 B0 00 00 00 00 00");
    assert_eq!((all, s), (whole.clone(), 0x6282));
    let [hi, lo] = (whole.len() as u16).to_be_bytes();
    assert_eq!(
        send(&mut c, &format!("00 B0 {hi:02X} {lo:02X} 00")),
        (vec![], 0x6282)
    );
    let [hi, lo] = (whole.len() as u16 + 1).to_be_bytes();
    assert_eq!(sw(&mut c, &format!("00 B0 {hi:02X} {lo:02X} 00")), 0x6B00);
    // Short EF identifier in P1: not supported.
    assert_eq!(sw(&mut c, "00 B0 81 00 00"), 0x6A86);
    // No Le, or data: wrong length.
    assert_eq!(sw(&mut c, "00 B0 00 00"), 0x6700);
    assert_eq!(sw(&mut c, "00 B0 00 00 01 00 00"), 0x6700);
}

#[test]
fn read_binary_needs_a_current_file() {
    let mut c = eric();
    sw(&mut c, SELECT);
    assert_eq!(sw(&mut c, READ), 0x6985);
}

#[test]
fn identity_needs_the_pin() {
    let mut c = eric();
    sw(&mut c, SELECT);
    assert_eq!(sw(&mut c, SELECT_IDENTITY), 0x9000);
    assert_eq!(sw(&mut c, READ), 0x6982);
    assert_eq!(sw(&mut c, VERIFY_1234), 0x9000);
    let identity = read_all(&mut c, SELECT_IDENTITY);
    let holder = Holder::from_tlv(&identity).unwrap();
    assert_eq!(holder, find("eric-mercier").unwrap().holder());
}

// --- VERIFY -------------------------------------------------------------

#[test]
fn verify_right_pin_and_status() {
    let mut c = eric();
    sw(&mut c, SELECT);
    assert_eq!(sw(&mut c, VERIFY_STATUS), 0x63C3);
    assert_eq!(sw(&mut c, VERIFY_1234), 0x9000);
    assert_eq!(sw(&mut c, VERIFY_STATUS), 0x9000);
    assert!(c.card.session_state().pin_verified);
}

#[test]
fn verify_counts_down_blocks_and_stays_blocked() {
    let mut c = eric();
    sw(&mut c, SELECT);
    assert_eq!(sw(&mut c, VERIFY_0000), 0x63C2);
    assert_eq!(sw(&mut c, VERIFY_STATUS), 0x63C2);
    assert_eq!(sw(&mut c, VERIFY_0000), 0x63C1);
    assert_eq!(sw(&mut c, VERIFY_0000), 0x6983);
    assert_eq!(sw(&mut c, VERIFY_STATUS), 0x6983);
    // Even the right PIN is refused now, and the counter survives a reset.
    assert_eq!(sw(&mut c, VERIFY_1234), 0x6983);
    c.reset();
    c.pace();
    assert_eq!(sw(&mut c, VERIFY_1234), 0x6983);
    assert_eq!(c.card.pin_tries(), 0);
}

#[test]
fn a_right_pin_gives_the_tries_back() {
    let mut c = eric();
    sw(&mut c, SELECT);
    sw(&mut c, VERIFY_0000);
    sw(&mut c, VERIFY_0000);
    assert_eq!(sw(&mut c, VERIFY_1234), 0x9000);
    assert_eq!(c.card.pin_tries(), 3);
}

#[test]
fn a_wrong_pin_drops_an_earlier_verification() {
    let mut c = eric();
    sw(&mut c, SELECT);
    sw(&mut c, VERIFY_1234);
    assert_eq!(sw(&mut c, VERIFY_0000), 0x63C2);
    assert_eq!(sw(&mut c, AUTH_16), 0x6982);
}

#[test]
fn verify_format_errors_cost_no_try() {
    let mut c = eric();
    sw(&mut c, SELECT);
    assert_eq!(sw(&mut c, "00 20 00 81 03 31 32 33"), 0x6700);
    assert_eq!(sw(&mut c, "00 20 00 81 06 31 32 33 34 35 36"), 0x6700);
    assert_eq!(sw(&mut c, "00 20 00 81 04 31 32 33 41"), 0x6A80);
    assert_eq!(sw(&mut c, "00 20 00 80 04 31 32 33 34"), 0x6A86);
    assert_eq!(sw(&mut c, "00 20 01 81 04 31 32 33 34"), 0x6A86);
    assert_eq!(sw(&mut c, "00 20 00 81 04 31 32 33 34 00"), 0x6700);
    assert_eq!(c.card.pin_tries(), 3);
}

#[test]
fn the_pin_is_forgotten_on_reset_and_on_reselect() {
    let mut c = eric();
    sw(&mut c, SELECT);
    sw(&mut c, VERIFY_1234);
    c.reset();
    assert_eq!(c.card.session_state(), SessionState::default());
    c.pace();
    assert_eq!(sw(&mut c, VERIFY_STATUS), 0x63C3);
    assert_eq!(sw(&mut c, AUTH_16), 0x6982);
    sw(&mut c, VERIFY_1234);
    sw(&mut c, SELECT);
    assert_eq!(sw(&mut c, AUTH_16), 0x6982);
    sw(&mut c, SELECT_IDENTITY);
    assert_eq!(sw(&mut c, READ), 0x6982);
}

// --- CHANGE REFERENCE DATA ----------------------------------------------

#[test]
fn change_pin() {
    let mut c = eric();
    sw(&mut c, SELECT);
    assert_eq!(sw(&mut c, "00 24 00 81 08 30 30 30 30 35 35 35 35"), 0x63C2);
    assert_eq!(sw(&mut c, "00 24 00 81 08 31 32 33 34 35 35 35 35"), 0x9000);
    assert_eq!(c.card.pin_tries(), 3);
    assert!(c.card.session_state().pin_verified);
    sw(&mut c, SELECT);
    assert_eq!(sw(&mut c, VERIFY_1234), 0x63C2);
    assert_eq!(sw(&mut c, "00 20 00 81 04 35 35 35 35"), 0x9000);
    assert_eq!(sw(&mut c, "00 24 00 81 04 31 32 33 34"), 0x6700);
    assert_eq!(sw(&mut c, "00 24 00 81 08 35 35 35 35 35 35 35 58"), 0x6A80);
    assert_eq!(sw(&mut c, "00 24 01 81 08 35 35 35 35 31 32 33 34"), 0x6A86);
}

#[test]
fn change_pin_on_a_blocked_pin_is_refused() {
    let mut c = card("carmen-garcia");
    sw(&mut c, SELECT);
    assert_eq!(sw(&mut c, "00 24 00 81 08 31 32 33 34 35 35 35 35"), 0x6983);
}

// --- RESET RETRY COUNTER ------------------------------------------------

const UNBLOCK_CARMEN: &str = "00 2C 00 81 0C 38 37 36 35 34 33 32 31 39 39 39 39";
const WRONG_PUK: &str = "00 2C 00 81 0C 30 30 30 30 30 30 30 30 39 39 39 39";

#[test]
fn blocked_card_is_unblocked_with_the_puk() {
    let mut c = card("carmen-garcia");
    sw(&mut c, SELECT);
    assert_eq!(sw(&mut c, VERIFY_STATUS), 0x6983);
    assert_eq!(sw(&mut c, VERIFY_1234), 0x6983);
    assert_eq!(sw(&mut c, AUTH_16), 0x6982);
    assert_eq!(sw(&mut c, WRONG_PUK), 0x63C9);
    assert_eq!(c.card.puk_tries(), 9);
    assert_eq!(sw(&mut c, UNBLOCK_CARMEN), 0x9000);
    assert_eq!(c.card.puk_tries(), 10);
    // Unblocking does not verify the PIN.
    assert_eq!(sw(&mut c, VERIFY_STATUS), 0x63C3);
    assert_eq!(sw(&mut c, VERIFY_1234), 0x63C2);
    assert_eq!(sw(&mut c, "00 20 00 81 04 39 39 39 39"), 0x9000);
    assert_eq!(sw(&mut c, AUTH_16), 0x9000);
}

#[test]
fn the_puk_blocks_too() {
    let mut c = card("carmen-garcia");
    sw(&mut c, SELECT);
    for left in (1..=9).rev() {
        assert_eq!(sw(&mut c, WRONG_PUK), 0x63C0 | left);
    }
    assert_eq!(sw(&mut c, WRONG_PUK), 0x6983);
    assert_eq!(sw(&mut c, UNBLOCK_CARMEN), 0x6983);
    assert_eq!(c.card.pin_tries(), 0);
}

#[test]
fn reset_retry_counter_format_errors() {
    let mut c = card("carmen-garcia");
    sw(&mut c, SELECT);
    assert_eq!(sw(&mut c, "00 2C 00 81 08 38 37 36 35 34 33 32 31"), 0x6700);
    assert_eq!(
        sw(&mut c, "00 2C 00 81 0C 38 37 36 35 34 33 32 31 39 39 39 41"),
        0x6A80
    );
    assert_eq!(
        sw(&mut c, "00 2C 01 81 0C 38 37 36 35 34 33 32 31 39 39 39 39"),
        0x6A86
    );
    assert_eq!(c.card.puk_tries(), 10);
}

// --- INTERNAL AUTHENTICATE ----------------------------------------------

#[test]
fn internal_authenticate_signs_the_documented_message() {
    let mut c = eric();
    sw(&mut c, SELECT);
    assert_eq!(sw(&mut c, AUTH_16), 0x6982);
    sw(&mut c, VERIFY_1234);
    let (signature, s) = send(&mut c, AUTH_16);
    assert_eq!(s, 0x9000);
    assert_eq!(signature.len(), 64);
    let cert = Certificate::from_der(&read_all(&mut c, SELECT_CARD_CERT)).unwrap();
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .unwrap();
    let key = VerifyingKey::from_public_key_der(&spki).unwrap();
    let challenge: Vec<u8> = (0u8..16).collect();
    key.verify(
        &signed_message(&challenge),
        &Signature::from_slice(&signature).unwrap(),
    )
    .unwrap();
    // Not over the bare challenge.
    assert!(
        key.verify(&challenge, &Signature::from_slice(&signature).unwrap())
            .is_err()
    );
}

#[test]
fn internal_authenticate_lengths_and_parameters() {
    let mut c = eric();
    sw(&mut c, SELECT);
    sw(&mut c, VERIFY_1234);
    // 15 and 65 bytes of challenge.
    let short = format!("00 88 00 00 0F {} 00", "AA ".repeat(15));
    let long = format!("00 88 00 00 41 {} 00", "AA ".repeat(65));
    assert_eq!(sw(&mut c, &short), 0x6A80);
    assert_eq!(sw(&mut c, &long), 0x6A80);
    let max = format!("00 88 00 00 40 {} 00", "AA ".repeat(64));
    assert_eq!(send(&mut c, &max).0.len(), 64);
    // No Le, too small an Le, wrong P1/P2.
    let no_le = format!("00 88 00 00 10 {}", "AA ".repeat(16));
    assert_eq!(sw(&mut c, &no_le), 0x6700);
    let small_le = format!("00 88 00 00 10 {} 20", "AA ".repeat(16));
    assert_eq!(sw(&mut c, &small_le), 0x6C40);
    let p2 = format!("00 88 00 01 10 {} 00", "AA ".repeat(16));
    assert_eq!(sw(&mut c, &p2), 0x6A86);
}

#[test]
fn expired_card_still_signs() {
    // The card has no clock: expiry is the verifier's business.
    let mut c = card("marie-helene-de-la-fontaine-eloise");
    sw(&mut c, SELECT);
    sw(&mut c, VERIFY_1234);
    assert_eq!(sw(&mut c, AUTH_16), 0x9000);
}

// --- PACE and secure messaging ------------------------------------------

#[test]
fn without_pace_only_select_and_card_access_are_open() {
    let mut c = Term::plain("eric-mercier");
    assert_eq!(sw(&mut c, SELECT), 0x9000);
    assert_eq!(sw(&mut c, VERIFY_1234), 0x6982);
    assert_eq!(sw(&mut c, VERIFY_STATUS), 0x6982);
    assert_eq!(sw(&mut c, AUTH_16), 0x6982);
    assert_eq!(
        sw(&mut c, "00 2C 00 81 0C 31 32 33 34 35 36 37 38 31 32 33 34"),
        0x6982
    );
    assert_eq!(sw(&mut c, SELECT_CARD_CERT), 0x9000);
    assert_eq!(sw(&mut c, READ), 0x6982);
    assert_eq!(sw(&mut c, "00 A4 02 0C 02 01 1C"), 0x9000);
    assert_eq!(send(&mut c, READ), (crate::pace::card_access(), 0x6282));
    assert_eq!(c.card.pin_tries(), 3);
}

#[test]
fn a_wrong_can_opens_no_channel() {
    let mut c = Term::plain("eric-mercier");
    assert!(matches!(
        c.pace_with(&Can::parse(b"654321").unwrap()),
        Err(PaceError::WrongCan)
    ));
    assert!(!c.card.session_state().secure);
    assert_eq!(sw(&mut c, VERIFY_1234), 0x6982);
    // The right CAN still works afterwards.
    c.pace();
    assert_eq!(sw(&mut c, VERIFY_1234), 0x9000);
}

#[test]
fn a_plain_command_ends_the_channel() {
    let mut c = eric();
    assert_eq!(sw(&mut c, VERIFY_1234), 0x9000);
    assert!(c.card.session_state().secure);
    assert_eq!(c.raw(VERIFY_STATUS).1, 0x6982);
    let state = c.card.session_state();
    assert!(!state.secure && !state.pin_verified);
}

#[test]
fn a_tampered_or_replayed_command_ends_the_channel() {
    let command = Command::parse(&hex(VERIFY_1234)).unwrap();
    let mut c = eric();
    let sm = c.sm.as_mut().unwrap();
    let mut protected = sm.protect_command(&command).to_bytes().unwrap();
    let last = protected.len() - 2;
    protected[last] ^= 0x01; // inside the MAC
    assert_eq!(c.card.process(&protected), [0x69, 0x88]);
    assert!(!c.card.session_state().secure);

    let mut c = eric();
    let sm = c.sm.as_mut().unwrap();
    let protected = sm.protect_command(&command).to_bytes().unwrap();
    let first = Response::parse(&c.card.process(&protected)).unwrap();
    assert_eq!(sm.unprotect_response(&first).unwrap().sw, StatusWord::OK);
    assert_eq!(c.card.process(&protected), [0x69, 0x88]);
    // A protected command with no channel at all.
    assert_eq!(c.card.process(&protected), [0x68, 0x82]);
}

#[test]
fn protected_answers_hide_the_identity() {
    let mut c = eric();
    sw(&mut c, VERIFY_1234);
    sw(&mut c, SELECT_IDENTITY);
    let sm = c.sm.as_mut().unwrap();
    let protected = sm
        .protect_command(&Command::parse(&hex(READ)).unwrap())
        .to_bytes()
        .unwrap();
    let raw = c.card.process(&protected);
    assert!(!raw.windows(7).any(|w| w == b"MERCIER"));
    let plain = sm
        .unprotect_response(&Response::parse(&raw).unwrap())
        .unwrap();
    assert!(plain.data.windows(7).any(|w| w == b"MERCIER"));
}

#[test]
fn pace_commands_in_the_wrong_order_or_form() {
    const SET_AT: &str = "00 22 C1 A4 0F 80 0A 04 00 7F 00 07 02 02 04 02 02 83 01 02";
    let mut c = Term::plain("eric-mercier");
    sw(&mut c, SELECT);
    // Another password reference (01 = MRZ), other domain parameters (13), other P1.
    assert_eq!(
        sw(
            &mut c,
            "00 22 C1 A4 0F 80 0A 04 00 7F 00 07 02 02 04 02 02 83 01 01"
        ),
        0x6A80
    );
    assert_eq!(
        sw(
            &mut c,
            "00 22 C1 A4 12 80 0A 04 00 7F 00 07 02 02 04 02 02 83 01 02 84 01 0D"
        ),
        0x6A80
    );
    assert_eq!(
        sw(
            &mut c,
            "00 22 41 A4 0F 80 0A 04 00 7F 00 07 02 02 04 02 02 83 01 02"
        ),
        0x6A86
    );
    assert_eq!(sw(&mut c, SET_AT), 0x9000);
    // Step 2 before step 1.
    let point = format!("04 {}", "00 ".repeat(64));
    let step2 = format!("10 86 00 00 45 7C 43 81 41 {point} 00");
    assert_eq!(sw(&mut c, &step2), 0x6985);
    assert_eq!(sw(&mut c, SET_AT), 0x9000);
    let (nonce, s) = send(&mut c, "10 86 00 00 02 7C 00 00");
    assert_eq!(s, 0x9000);
    assert_eq!(nonce.len(), 20);
    assert_eq!(nonce[..4], [0x7C, 0x12, 0x80, 0x10]);
    // A mapping point that is not on the curve.
    assert_eq!(sw(&mut c, &step2), 0x6A80);
    // Not a 7C template.
    assert_eq!(sw(&mut c, SET_AT), 0x9000);
    assert_eq!(sw(&mut c, "10 86 00 00 02 7D 00 00"), 0x6A80);
    // PACE inside the channel is refused.
    let mut c = eric();
    assert_eq!(sw(&mut c, SET_AT), 0x6985);
}
