//! The one thing a card does for its host: answer a command APDU.
//!
//! The virtual card implements it in-process; the app implements it over
//! PC/SC (`pcsc::Card::transmit`) or NFC, and [`crate::client`] works on
//! top of any of them.

use std::convert::Infallible;

use crate::applet::VirtualCard;

/// A channel to a card.
pub trait CardTransport {
    /// What can go wrong on the way (reader removed, card pulled, …).
    type Error: std::error::Error + Send + Sync + 'static;

    /// Sends one command APDU, returns the response APDU (data and SW).
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Self::Error>;
}

impl CardTransport for VirtualCard {
    type Error = Infallible;

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Infallible> {
        Ok(self.process(apdu))
    }
}

impl<T: CardTransport + ?Sized> CardTransport for &mut T {
    type Error = T::Error;

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Self::Error> {
        (**self).transmit(apdu)
    }
}

impl<T: CardTransport + ?Sized> CardTransport for Box<T> {
    type Error = T::Error;

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Self::Error> {
        (**self).transmit(apdu)
    }
}
