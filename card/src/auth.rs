//! The two signed messages of the applet, shared by the card, the issuer
//! and the verifier.
//!
//! INTERNAL AUTHENTICATE: the card key signs the verifier's challenge.
//!
//! ```text
//! M = "PIVOT-EID-AUTH-V1" || 0x00 || challenge
//! signature = ECDSA P-256 over SHA-256(M), returned as r || s (64 bytes)
//! ```
//!
//! The fixed prefix keeps the card key from ever signing bytes that could
//! mean something in another protocol (a certificate's TBS, a JWT, a CMS
//! structure all start differently). The challenge is chosen by the
//! verifier, 16 to 64 bytes; the card adds nothing of its own.
//!
//! `EF.IdentitySig`: the issuing CA signs the holder's identity at issuance.
//!
//! ```text
//! I = "PIVOT-EID-IDENTITY-V1" || 0x00 || EF.Identity
//! signature = ECDSA P-256 over SHA-256(I) with the issuing CA key, r || s
//! ```

use std::ops::RangeInclusive;

/// Domain-separation prefix of every signed message (17 ASCII bytes).
pub const CONTEXT: &[u8] = b"PIVOT-EID-AUTH-V1";
/// Domain-separation prefix of the issuer's identity signature (21 bytes).
pub const IDENTITY_CONTEXT: &[u8] = b"PIVOT-EID-IDENTITY-V1";
/// Accepted challenge lengths.
pub const CHALLENGE_LEN: RangeInclusive<usize> = 16..=64;
/// Length of the `r || s` signature.
pub const SIGNATURE_LEN: usize = 64;

/// The message the card signs for `challenge`.
pub fn signed_message(challenge: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(CONTEXT.len() + 1 + challenge.len());
    m.extend_from_slice(CONTEXT);
    m.push(0x00);
    m.extend_from_slice(challenge);
    m
}

/// The message the issuing CA signs for an `EF.Identity` content.
pub fn identity_message(identity: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(IDENTITY_CONTEXT.len() + 1 + identity.len());
    m.extend_from_slice(IDENTITY_CONTEXT);
    m.push(0x00);
    m.extend_from_slice(identity);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_layout() {
        let m = signed_message(&[0xAA; 16]);
        assert_eq!(&m[..18], b"PIVOT-EID-AUTH-V1\0");
        assert_eq!(m.len(), 34);
        let i = identity_message(&[0x70, 0x00]);
        assert_eq!(i, b"PIVOT-EID-IDENTITY-V1\0\x70\x00");
    }
}
