//! BER-TLV as ISO 7816-4 uses it in data fields: one- or two-byte tags,
//! definite lengths of up to three bytes (`81 xx`, `82 xx xx`).
//!
//! Written here because the `der` crate models ASN.1 types, not the
//! application-chosen tags (`80`, `5F 2B`, …) card files use, and the subset
//! needed fits in a few functions.

/// Why bytes are not a TLV sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlvError {
    /// The data ends inside a tag, a length or a value.
    #[error("TLV data ends early")]
    Truncated,
    /// A tag longer than two bytes, or a length form this subset refuses
    /// (indefinite `80`, or more than two length bytes).
    #[error("TLV tag or length outside the supported subset")]
    Unsupported,
}

/// One data object: its tag (one or two bytes, as a big-endian number) and
/// its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// `0x80`, `0x5F2B`, …
    pub tag: u16,
    /// The value bytes.
    pub value: &'a [u8],
}

/// Parses a sequence of data objects that fills `bytes` exactly.
pub fn parse(mut bytes: &[u8]) -> Result<Vec<Tlv<'_>>, TlvError> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (tlv, rest) = parse_one(bytes)?;
        out.push(tlv);
        bytes = rest;
    }
    Ok(out)
}

/// Parses the first data object of `bytes`; returns it and what follows.
pub fn parse_one(bytes: &[u8]) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    let (&first, rest) = bytes.split_first().ok_or(TlvError::Truncated)?;
    let (tag, rest) = if first & 0x1F == 0x1F {
        let (&second, rest) = rest.split_first().ok_or(TlvError::Truncated)?;
        if second & 0x80 != 0 {
            return Err(TlvError::Unsupported);
        }
        (u16::from_be_bytes([first, second]), rest)
    } else {
        (u16::from(first), rest)
    };
    let (&len0, rest) = rest.split_first().ok_or(TlvError::Truncated)?;
    let (len, rest) = match len0 {
        0..=0x7F => (usize::from(len0), rest),
        0x81 => {
            let (&l, rest) = rest.split_first().ok_or(TlvError::Truncated)?;
            (usize::from(l), rest)
        }
        0x82 => match rest {
            [a, b, rest @ ..] => (usize::from(u16::from_be_bytes([*a, *b])), rest),
            _ => return Err(TlvError::Truncated),
        },
        _ => return Err(TlvError::Unsupported),
    };
    if rest.len() < len {
        return Err(TlvError::Truncated);
    }
    let (value, rest) = rest.split_at(len);
    Ok((Tlv { tag, value }, rest))
}

/// Appends one data object (tag, shortest length form, value) to `out`.
///
/// Values longer than 65,535 bytes cannot be encoded in this subset and are
/// a programming error on the card's side: the files are a few hundred bytes.
pub fn push(out: &mut Vec<u8>, tag: u16, value: &[u8]) {
    if tag > 0xFF {
        out.extend_from_slice(&tag.to_be_bytes());
    } else {
        out.push(tag as u8);
    }
    let len = value.len().min(0xFFFF);
    match len {
        0..=0x7F => out.push(len as u8),
        0x80..=0xFF => out.extend_from_slice(&[0x81, len as u8]),
        _ => {
            out.push(0x82);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(&value[..len]);
}

/// One data object as a new vector.
pub fn encode(tag: u16, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 4);
    push(&mut out, tag, value);
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn one_and_two_byte_tags_and_length_forms() {
        let mut out = Vec::new();
        push(&mut out, 0x80, b"abc");
        push(&mut out, 0x5F2B, &[0x20; 0x90]);
        push(&mut out, 0x84, &[0x11; 0x123]);
        assert_eq!(&out[..5], &[0x80, 0x03, b'a', b'b', b'c']);
        assert_eq!(&out[5..9], &[0x5F, 0x2B, 0x81, 0x90]);
        let parsed = parse(&out).unwrap();
        assert_eq!(parsed.len(), 3);
        assert_eq!(parsed[1].tag, 0x5F2B);
        assert_eq!(parsed[2].value.len(), 0x123);
    }

    #[test]
    fn truncated_and_unsupported() {
        assert_eq!(parse(&[0x80, 0x03, 1, 2]), Err(TlvError::Truncated));
        assert_eq!(parse(&[0x5F]), Err(TlvError::Truncated));
        assert_eq!(parse(&[0x80]), Err(TlvError::Truncated));
        assert_eq!(parse(&[0x80, 0x81]), Err(TlvError::Truncated));
        assert_eq!(parse(&[0x80, 0x80]), Err(TlvError::Unsupported));
        assert_eq!(parse(&[0x80, 0x83, 0, 0, 1]), Err(TlvError::Unsupported));
        assert_eq!(parse(&[0x5F, 0x81, 0x01, 0x00]), Err(TlvError::Unsupported));
        assert_eq!(parse(&[]), Ok(vec![]));
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn push_then_parse(tag in prop_oneof![0x80u16..=0x9E, 0x5F01u16..=0x5F7F],
                           value in prop::collection::vec(any::<u8>(), 0..400)) {
            let bytes = encode(tag, &value);
            let parsed = parse(&bytes).unwrap();
            prop_assert_eq!(parsed, vec![Tlv { tag, value: &value }]);
        }
    }
}
