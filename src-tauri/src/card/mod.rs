//! The ID card: readers, the card's answer to a provider's challenge, and
//! the card login of a provider whose method is `card`
//! (`pivot_proto::card_auth`).
//!
//! The card itself is reached through [`CardReaders`]: PC/SC on the desktop
//! ([`pcsc`], readers watched live by [`watch`]), NFC on mobile (planned:
//! `src-tauri/NFC.md`), virtual cards in tests. Everything above it —
//! PACE with the card access number, the PIN, the signature, the provider's
//! challenge and the relay to the broker — is the same for all of them.
//!
//! Card operations block (a PC/SC call waits for the card): they run on
//! Tokio's blocking pool, under a time-out.

pub mod login;
pub mod operations;
pub mod provider;
pub mod readers;

#[cfg(desktop)]
pub mod pcsc;
#[cfg(desktop)]
pub mod watch;

#[cfg(test)]
pub mod virtual_readers;

pub use readers::{CardLink, CardReaders, LinkError, NoReaders};
