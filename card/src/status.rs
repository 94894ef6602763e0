//! ISO 7816-4 status words (SW1 SW2) the applet answers with.
//!
//! Every value the card can return is a constant here; `SPEC.md` lists
//! the same table with the commands that return each.

use std::fmt;

/// A two-byte status word, `SW1 SW2`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl StatusWord {
    /// `90 00`: success.
    pub const OK: Self = Self(0x9000);
    /// `62 82`: end of file reached before `Le` bytes were read.
    pub const END_OF_FILE: Self = Self(0x6282);
    /// `67 00`: wrong length (malformed APDU, `Lc` or `Le` not as specified).
    pub const WRONG_LENGTH: Self = Self(0x6700);
    /// `68 81`: logical channel not supported (CLA names a channel other than 0).
    pub const LOGICAL_CHANNEL_NOT_SUPPORTED: Self = Self(0x6881);
    /// `68 82`: secure messaging not supported (CLA has the SM bits set).
    pub const SECURE_MESSAGING_NOT_SUPPORTED: Self = Self(0x6882);
    /// `68 84`: command chaining not supported.
    pub const CHAINING_NOT_SUPPORTED: Self = Self(0x6884);
    /// `69 82`: security status not satisfied (the PIN has not been verified).
    pub const SECURITY_STATUS_NOT_SATISFIED: Self = Self(0x6982);
    /// `69 83`: authentication method blocked (PIN or PUK retry counter at 0).
    pub const AUTHENTICATION_BLOCKED: Self = Self(0x6983);
    /// `69 85`: conditions of use not satisfied (no application or no file selected).
    pub const CONDITIONS_NOT_SATISFIED: Self = Self(0x6985);
    /// `6A 80`: incorrect data field (a PIN that is not 4 digits, a challenge
    /// of the wrong size).
    pub const WRONG_DATA: Self = Self(0x6A80);
    /// `6A 82`: application or file not found.
    pub const NOT_FOUND: Self = Self(0x6A82);
    /// `6A 86`: incorrect P1 or P2.
    pub const WRONG_P1_P2: Self = Self(0x6A86);
    /// `6B 00`: offset beyond the end of the file.
    pub const WRONG_OFFSET: Self = Self(0x6B00);
    /// `6D 00`: instruction not supported.
    pub const INS_NOT_SUPPORTED: Self = Self(0x6D00);
    /// `6E 00`: class not supported.
    pub const CLA_NOT_SUPPORTED: Self = Self(0x6E00);
    /// `6F 00`: internal error, no precise diagnosis.
    pub const INTERNAL_ERROR: Self = Self(0x6F00);

    /// `63 Cx`: verification failed, `x` tries left (1 to 15).
    pub const fn tries_left(tries: u8) -> Self {
        Self(0x63C0 | (tries & 0x0F) as u16)
    }

    /// `6C xx`: wrong `Le`; `xx` is the exact length available (`00` = 256).
    pub const fn wrong_le(exact: u8) -> Self {
        Self(0x6C00 | exact as u16)
    }

    /// The tries left when this is a `63 Cx` word.
    pub fn remaining_tries(self) -> Option<u8> {
        (self.0 & 0xFFF0 == 0x63C0).then_some((self.0 & 0x0F) as u8)
    }

    /// First byte.
    pub fn sw1(self) -> u8 {
        (self.0 >> 8) as u8
    }

    /// Second byte.
    pub fn sw2(self) -> u8 {
        (self.0 & 0xFF) as u8
    }

    /// Big-endian bytes, as on the wire.
    pub fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }

    /// `90 00`.
    pub fn is_ok(self) -> bool {
        self == Self::OK
    }
}

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SW {:04X}", self.0)
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02X} {:02X}", self.sw1(), self.sw2())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tries_left_round_trips() {
        for n in 0..=15 {
            let sw = StatusWord::tries_left(n);
            assert_eq!(sw.sw1(), 0x63);
            assert_eq!(sw.remaining_tries(), Some(n));
        }
        assert_eq!(StatusWord::OK.remaining_tries(), None);
        assert_eq!(StatusWord::AUTHENTICATION_BLOCKED.remaining_tries(), None);
    }

    #[test]
    fn displays_as_two_bytes() {
        assert_eq!(StatusWord::wrong_le(0x40).to_string(), "6C 40");
        assert_eq!(StatusWord::OK.to_bytes(), [0x90, 0x00]);
    }
}
