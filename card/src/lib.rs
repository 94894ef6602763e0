//! Pivot's eID card: the applet specified in `card/SPEC.md`, a virtual card
//! that implements it, the vpcd client that puts it behind a PC/SC reader,
//! a private pcscd to run that reader in, the sandbox PKI that issues its
//! certificates and the verifier an identity provider runs on what the card
//! signs.
//!
//! Everything is I/O-free but:
//! - [`vpcd::client`] and [`vpcd::slot`]: TCP to pcscd's vpcd driver, a
//!   thread per inserted card;
//! - [`pcscd`]: starts pcscd in its own mount namespace (processes, a
//!   private directory, free ports);
//! - [`entropy::OsEntropy`]: the operating system's random generator (every
//!   user of randomness takes an [`entropy::Entropy`], so tests pass a
//!   seeded one).

pub mod apdu;
pub mod applet;
pub mod atr;
pub mod auth;
pub mod client;
pub mod entropy;
pub mod holder;
pub mod issuance;
pub mod pace;
pub mod pcscd;
pub mod pin;
pub mod sandbox;
pub mod sm;
pub mod status;
pub mod tlv;
pub mod transport;
pub mod verify;
pub mod vpcd;

pub use apdu::{ApduError, Command, Response};
pub use applet::{AID, CardContent, VirtualCard};
pub use status::StatusWord;
pub use transport::CardTransport;
