//! The card's answer to reset.
//!
//! ```text
//! 3B           TS: direct convention
//! 8A           T0: TD1 follows, 10 historical bytes
//! 80           TD1: TD2 follows, T=0 offered
//! 01           TD2: T=1 offered
//! 50 49 56 4F 54 20 65 49 44 31   historical bytes: "PIVOT eID1"
//!              (first byte not 00/10/8x: a proprietary format, ISO 7816-4 §8.1.1)
//! 26           TCK: XOR of T0 to the last historical byte
//! ```

/// The ATR the virtual card gives.
pub const ATR: [u8; 15] = [
    0x3B, 0x8A, 0x80, 0x01, 0x50, 0x49, 0x56, 0x4F, 0x54, 0x20, 0x65, 0x49, 0x44, 0x31, 0x26,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_byte_is_the_xor_of_t0_to_the_end() {
        let atr = ATR;
        assert_eq!(atr.len(), 15);
        let historical = usize::from(atr[1] & 0x0F);
        assert_eq!(&atr[4..4 + historical], b"PIVOT eID1");
        let xor = atr[1..].iter().fold(0, |x, b| x ^ b);
        assert_eq!(xor, 0, "TCK makes the XOR of T0..TCK zero");
    }
}
