//! The PIN and PUK: their formats and retry counters.
//!
//! The PIN is 4 digits, as on the French ID card: with 3 tries before
//! blocking, a guesser's chance is 3 in 10,000, and the holder types the
//! code they already know from the real card. The PUK (8 digits, 10 tries)
//! unblocks it and sets a new PIN.

use std::fmt;

use subtle::ConstantTimeEq;

/// PIN length in digits.
pub const PIN_LEN: usize = 4;
/// PUK length in digits.
pub const PUK_LEN: usize = 8;
/// CAN length in digits.
pub const CAN_LEN: usize = 6;
/// PIN tries after issuance, a success or an unblock.
pub const PIN_TRIES: u8 = 3;
/// PUK tries; at 0 the PIN can never be unblocked again.
pub const PUK_TRIES: u8 = 10;

/// A reference datum of `N` ASCII digits (the PIN or the PUK).
#[derive(Clone, PartialEq, Eq)]
pub struct Digits<const N: usize>([u8; N]);

/// The 4-digit PIN.
pub type Pin = Digits<PIN_LEN>;
/// The 8-digit PUK.
pub type Puk = Digits<PUK_LEN>;
/// The 6-digit card access number printed on the card: the PACE password.
pub type Can = Digits<CAN_LEN>;

impl<const N: usize> Digits<N> {
    /// `N` ASCII digits, or `None`.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let array: [u8; N] = bytes.try_into().ok()?;
        array.iter().all(u8::is_ascii_digit).then_some(Self(array))
    }

    /// The digits as sent in a command's data field.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub(crate) fn matches(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl<const N: usize> fmt::Debug for Digits<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A reference datum with its retry counter.
#[derive(Clone, Debug)]
pub struct Guarded<const N: usize> {
    value: Digits<N>,
    tries: u8,
    max: u8,
}

/// What a presentation of the reference datum gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Right value: the counter is back to its maximum.
    Ok,
    /// Wrong value: the counter went down to this (0 = now blocked).
    Wrong(u8),
    /// The counter was already 0: nothing was compared.
    Blocked,
}

impl<const N: usize> Guarded<N> {
    /// A datum with `tries` tries left out of `max`.
    pub fn new(value: Digits<N>, tries: u8, max: u8) -> Self {
        Self {
            value,
            tries: tries.min(max),
            max,
        }
    }

    /// Tries left.
    pub fn tries(&self) -> u8 {
        self.tries
    }

    /// Whether the counter is at 0.
    pub fn is_blocked(&self) -> bool {
        self.tries == 0
    }

    /// Compares in constant time; the counter goes down before the
    /// comparison and back up only on success, so that tearing the card
    /// away mid-command never saves a try.
    pub fn check(&mut self, candidate: &Digits<N>) -> Check {
        if self.tries == 0 {
            return Check::Blocked;
        }
        self.tries -= 1;
        if self.value.matches(candidate) {
            self.tries = self.max;
            Check::Ok
        } else {
            Check::Wrong(self.tries)
        }
    }

    /// Replaces the value and resets the counter (unblock, change).
    pub fn set(&mut self, value: Digits<N>) {
        self.value = value;
        self.tries = self.max;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(Pin::parse(b"1234").is_some());
        assert!(Pin::parse(b"123").is_none());
        assert!(Pin::parse(b"12345").is_none());
        assert!(Pin::parse(b"12a4").is_none());
        assert!(Puk::parse(b"12345678").is_some());
        assert_eq!(format!("{:?}", Pin::parse(b"1234").unwrap()), "[redacted]");
    }

    #[test]
    fn counter_goes_down_blocks_and_resets() {
        let pin = Pin::parse(b"1234").unwrap();
        let wrong = Pin::parse(b"0000").unwrap();
        let mut g = Guarded::new(pin.clone(), PIN_TRIES, PIN_TRIES);
        assert_eq!(g.check(&wrong), Check::Wrong(2));
        assert_eq!(g.check(&pin), Check::Ok);
        assert_eq!(g.tries(), 3);
        assert_eq!(g.check(&wrong), Check::Wrong(2));
        assert_eq!(g.check(&wrong), Check::Wrong(1));
        assert_eq!(g.check(&wrong), Check::Wrong(0));
        assert!(g.is_blocked());
        assert_eq!(g.check(&pin), Check::Blocked);
        g.set(Pin::parse(b"4321").unwrap());
        assert_eq!(g.tries(), 3);
        assert_eq!(g.check(&pin), Check::Wrong(2));
    }
}
