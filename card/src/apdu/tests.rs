use proptest::prelude::*;

use super::*;

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

#[test]
fn case_1() {
    let c = Command::parse(&hex("00 A4 04 0C")).unwrap();
    assert_eq!(c, Command::new(0x00, 0xA4, 0x04, 0x0C));
    assert_eq!(c.to_bytes().unwrap(), hex("00 A4 04 0C"));
}

#[test]
fn case_2_short_le_00_means_256() {
    let c = Command::parse(&hex("00 B0 00 00 00")).unwrap();
    assert_eq!(c.le, Some(256));
    assert!(c.data.is_empty());
    assert!(!c.extended);
    assert_eq!(c.to_bytes().unwrap(), hex("00 B0 00 00 00"));
    assert_eq!(Command::parse(&hex("00 B0 00 00 10")).unwrap().le, Some(16));
}

#[test]
fn case_3_short() {
    let c = Command::parse(&hex("00 20 00 81 04 31 32 33 34")).unwrap();
    assert_eq!(c.data, b"1234");
    assert_eq!(c.le, None);
    assert_eq!(c.to_bytes().unwrap(), hex("00 20 00 81 04 31 32 33 34"));
}

#[test]
fn case_4_short() {
    let c = Command::parse(&hex("00 88 00 00 02 AA BB 00")).unwrap();
    assert_eq!(c.data, [0xAA, 0xBB]);
    assert_eq!(c.le, Some(256));
    assert_eq!(c.to_bytes().unwrap(), hex("00 88 00 00 02 AA BB 00"));
}

#[test]
fn case_2_extended_le_0000_means_65536() {
    let c = Command::parse(&hex("00 B0 00 00 00 00 00")).unwrap();
    assert!(c.extended);
    assert_eq!(c.le, Some(65_536));
    assert_eq!(c.to_bytes().unwrap(), hex("00 B0 00 00 00 00 00"));
    let c = Command::parse(&hex("00 B0 00 00 00 01 F4")).unwrap();
    assert_eq!(c.le, Some(500));
    assert_eq!(c.to_bytes().unwrap(), hex("00 B0 00 00 00 01 F4"));
}

#[test]
fn case_3_and_4_extended() {
    let mut bytes = hex("00 88 00 00 00 01 00");
    bytes.extend(std::iter::repeat_n(0x5A, 256));
    let c = Command::parse(&bytes).unwrap();
    assert!(c.extended);
    assert_eq!(c.data.len(), 256);
    assert_eq!(c.le, None);
    assert_eq!(c.to_bytes().unwrap(), bytes);

    bytes.extend([0x00, 0x40]);
    let c = Command::parse(&bytes).unwrap();
    assert_eq!(c.le, Some(64));
    assert_eq!(c.to_bytes().unwrap(), bytes);
}

#[test]
fn encoder_switches_to_extended_when_lengths_need_it() {
    let c = Command::new(0, 0xB0, 0, 0).with_le(257);
    assert_eq!(c.to_bytes().unwrap(), hex("00 B0 00 00 00 01 01"));
    let c = Command::new(0, 0x88, 0, 0)
        .with_data(vec![1; 300])
        .with_le(64);
    let bytes = c.to_bytes().unwrap();
    assert_eq!(&bytes[4..7], &[0x00, 0x01, 0x2C]);
    assert_eq!(&bytes[bytes.len() - 2..], &[0x00, 0x40]);
    let forced = Command::new(0, 0x88, 0, 0)
        .with_data(vec![1, 2])
        .with_le(64)
        .extended();
    assert_eq!(
        forced.to_bytes().unwrap(),
        hex("00 88 00 00 00 00 02 01 02 00 40")
    );
}

#[test]
fn encoder_refuses_impossible_lengths() {
    assert_eq!(
        Command::new(0, 0, 0, 0).with_le(65_537).to_bytes(),
        Err(ApduError::TooLong)
    );
    assert_eq!(
        Command::new(0, 0, 0, 0).with_le(0).to_bytes(),
        Err(ApduError::TooLong)
    );
    assert_eq!(
        Command::new(0, 0, 0, 0)
            .with_data(vec![0; 65_536])
            .to_bytes(),
        Err(ApduError::TooLong)
    );
}

#[test]
fn malformed_commands() {
    for bad in [
        "",
        "00",
        "00 A4 04",
        // Lc says 4, 3 bytes follow.
        "00 20 00 81 04 31 32 33",
        // Lc says 1, 3 bytes follow (one too many for case 4S).
        "00 20 00 81 01 31 32 33",
        // 00 then a single byte: neither short nor extended.
        "00 B0 00 00 00 10",
        // Extended Lc of 0.
        "00 88 00 00 00 00 00 01",
        // Extended Lc 2, 1 byte follows.
        "00 88 00 00 00 00 02 01",
        // Extended Lc 1, data, one Le byte (extended Le has two).
        "00 88 00 00 00 00 01 AA 00",
    ] {
        assert!(Command::parse(&hex(bad)).is_err(), "{bad} parsed");
    }
    assert_eq!(Command::parse(&[0, 1, 2]), Err(ApduError::TooShort));
}

#[test]
fn responses() {
    let r = Response::parse(&hex("01 02 90 00")).unwrap();
    assert_eq!(r, Response::ok(vec![1, 2]));
    assert_eq!(r.to_bytes(), hex("01 02 90 00"));
    let r = Response::parse(&hex("63 C2")).unwrap();
    assert_eq!(r.sw.remaining_tries(), Some(2));
    assert!(r.data.is_empty());
    assert_eq!(Response::parse(&[0x90]), Err(ApduError::ResponseTooShort));
    assert_eq!(
        Response::status(StatusWord::NOT_FOUND).to_bytes(),
        hex("6A 82")
    );
}

fn any_command() -> impl Strategy<Value = Command> {
    (
        any::<[u8; 4]>(),
        prop::collection::vec(any::<u8>(), 0..600),
        prop::option::of(1usize..=MAX_LE),
        any::<bool>(),
    )
        .prop_map(|([cla, ins, p1, p2], data, le, extended)| {
            let mut c = Command::new(cla, ins, p1, p2).with_data(data);
            c.le = le;
            c.extended = extended;
            c
        })
}

proptest! {
    #[test]
    fn encode_then_parse_is_identity(c in any_command()) {
        let bytes = c.to_bytes().unwrap();
        let parsed = Command::parse(&bytes).unwrap();
        prop_assert_eq!(&parsed.data, &c.data);
        prop_assert_eq!(parsed.le, c.le);
        prop_assert_eq!([parsed.cla, parsed.ins, parsed.p1, parsed.p2], [c.cla, c.ins, c.p1, c.p2]);
        // A case 1 command has no length field, so no form either.
        if !c.data.is_empty() || c.le.is_some() {
            prop_assert_eq!(
                parsed.extended,
                c.extended || c.data.len() > 255 || c.le.unwrap_or(0) > 256
            );
        }
        prop_assert_eq!(parsed.to_bytes().unwrap(), bytes);
    }

    #[test]
    fn parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(c) = Command::parse(&bytes) {
            // Whatever parses encodes back to the same bytes.
            prop_assert_eq!(c.to_bytes().unwrap(), bytes);
        }
    }
}
