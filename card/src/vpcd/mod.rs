//! The virtual card behind a real PC/SC stack, through vsmartcard's vpcd.
//!
//! pcscd loads the vpcd driver, which listens on 127.0.0.1:35963 (reader
//! "Virtual PCD 00 00") and 35964 (slot 1). A virtual card is a TCP client
//! of that port. `protocol` is the I/O-free part (framing, control codes),
//! `client` the TCP loop with reconnection and a clean stop, `slot` a
//! reader whose card can be removed and swapped at run time.
//! [`crate::pcscd`] starts a private pcscd with such a reader.

pub mod client;
pub mod protocol;
pub mod slot;

pub use client::{StopHandle, VpcdClient};
pub use protocol::DEFAULT_PORT;
pub use slot::CardSlot;
