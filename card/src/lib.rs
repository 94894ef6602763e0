//! Pivot's eID card: the applet specified in `card/SPEC.md`, a virtual card
//! that implements it, the vpcd client that puts it behind a PC/SC reader,
//! the sandbox PKI that issues its certificates and the verifier an identity
//! provider runs on what the card signs.
//!
//! Everything but [`vpcd::client`] is I/O-free.

pub mod apdu;
pub mod applet;
pub mod atr;
pub mod auth;
pub mod client;
pub mod entropy;
pub mod holder;
pub mod issuance;
pub mod pace;
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
