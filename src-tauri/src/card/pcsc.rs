//! Card readers through the system's PC/SC service (`pcsc` crate: pcsc-lite
//! on Linux, WinSCard on Windows, CryptoTokenKit's PC/SC on macOS).
//!
//! A fresh PC/SC context per call: the service may start, stop or restart
//! between two logins (pcscd is socket-activated on most Linux systems).
//! The card is held with an exclusive share for a whole operation, so that
//! no other program interleaves its commands with our secure-messaging
//! session. pcsc-lite clients honour `PCSCLITE_CSOCK_NAME` to reach a
//! private daemon (the sandbox's and the tests').

use std::ffi::{CStr, CString};
use std::time::Duration;

use pcsc::{Context, Error, Protocols, ReaderState, Scope, ShareMode, State};
use pivot_card::CardTransport;
use pivot_proto::card_auth::CardProblem;
use pivot_proto::card_reader::{CardPresence, Reader, ReaderList, ReaderService};

use super::readers::{CardLink, CardReaders, LinkError};

/// The PC/SC readers of this computer.
#[derive(Clone, Copy, Debug, Default)]
pub struct PcscReaders;

/// What a reader's state flags say about its card.
#[must_use]
pub fn presence(state: State) -> CardPresence {
    if !state.contains(State::PRESENT) {
        CardPresence::Absent
    } else if state.contains(State::MUTE) {
        CardPresence::Mute
    } else if state.contains(State::EXCLUSIVE) {
        CardPresence::InUse
    } else {
        CardPresence::Present
    }
}

/// The [`ReaderList`] of `states` (the plug-and-play pseudo reader left out).
#[must_use]
pub fn reader_list(states: &[ReaderState]) -> ReaderList {
    ReaderList {
        service: ReaderService::Ready,
        readers: states
            .iter()
            .filter(|s| !is_pnp(s.name()))
            .filter(|s| !s.event_state().intersects(State::UNKNOWN | State::IGNORE))
            .map(|s| Reader {
                name: s.name().to_string_lossy().into_owned(),
                card: presence(s.event_state()),
            })
            .collect(),
    }
}

/// The readers' names, none when there are none.
///
/// # Errors
/// What PC/SC reports.
pub fn reader_names(ctx: &Context) -> Result<Vec<CString>, Error> {
    match ctx.list_readers_owned() {
        Ok(names) => Ok(names),
        Err(Error::NoReadersAvailable) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// The problem to show for a PC/SC error while connecting.
#[must_use]
pub fn connect_problem(e: Error) -> CardProblem {
    match e {
        Error::NoService | Error::ServiceStopped => CardProblem::NoService,
        Error::NoReadersAvailable | Error::UnknownReader | Error::ReaderUnavailable => {
            CardProblem::NoReader
        }
        Error::SharingViolation => CardProblem::CardBusy,
        Error::Timeout => CardProblem::Timeout,
        Error::UnresponsiveCard | Error::UnpoweredCard | Error::UnsupportedCard => {
            CardProblem::NotAnIdCard
        }
        // NoSmartcard, RemovedCard, ResetCard, and the rest.
        _ => CardProblem::NoCard,
    }
}

/// The link error for a PC/SC error during an exchange.
#[must_use]
pub fn link_error(e: Error) -> LinkError {
    match e {
        Error::RemovedCard | Error::ResetCard | Error::NoSmartcard => LinkError::Removed,
        Error::UnknownReader | Error::ReaderUnavailable => LinkError::ReaderGone,
        Error::Timeout => LinkError::Timeout,
        e => LinkError::Other(e.to_string()),
    }
}

impl CardReaders for PcscReaders {
    fn list(&self) -> ReaderList {
        let Ok(ctx) = Context::establish(Scope::User) else {
            return ReaderList::default();
        };
        let names = match reader_names(&ctx) {
            Ok(n) => n,
            Err(_) => return ReaderList::default(),
        };
        let mut states: Vec<ReaderState> = names
            .into_iter()
            .map(|n| ReaderState::new(n, State::UNAWARE))
            .collect();
        if states.is_empty() {
            return ReaderList {
                service: ReaderService::Ready,
                readers: Vec::new(),
            };
        }
        // UNAWARE states: the call answers at once with the current ones.
        match ctx.get_status_change(Duration::from_millis(500), &mut states) {
            Ok(()) => reader_list(&states),
            Err(_) => ReaderList::default(),
        }
    }

    fn connect(&self, reader: &str) -> Result<CardLink, CardProblem> {
        let ctx = Context::establish(Scope::User).map_err(connect_problem)?;
        let name = CString::new(reader).map_err(|_| CardProblem::NoReader)?;
        let card = ctx
            .connect(&name, ShareMode::Exclusive, Protocols::ANY)
            .map_err(connect_problem)?;
        Ok(Box::new(PcscLink { card }))
    }
}

/// A connected card.
pub struct PcscLink {
    card: pcsc::Card,
}

impl CardTransport for PcscLink {
    type Error = LinkError;

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, LinkError> {
        let mut buffer = vec![0; pcsc::MAX_BUFFER_SIZE_EXTENDED];
        self.card
            .transmit(apdu, &mut buffer)
            .map(<[u8]>::to_vec)
            .map_err(link_error)
    }
}

/// The name of the plug-and-play pseudo reader, to compare with.
#[must_use]
pub fn is_pnp(name: &CStr) -> bool {
    name == pcsc::PNP_NOTIFICATION()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_flags_say_what_is_on_the_reader() {
        assert_eq!(presence(State::EMPTY), CardPresence::Absent);
        assert_eq!(presence(State::PRESENT), CardPresence::Present);
        assert_eq!(
            presence(State::PRESENT | State::INUSE),
            CardPresence::Present
        );
        assert_eq!(
            presence(State::PRESENT | State::EXCLUSIVE | State::INUSE),
            CardPresence::InUse
        );
        assert_eq!(presence(State::PRESENT | State::MUTE), CardPresence::Mute);
    }

    #[test]
    fn every_pcsc_failure_has_a_problem_to_show() {
        assert_eq!(connect_problem(Error::NoService), CardProblem::NoService);
        assert_eq!(
            connect_problem(Error::NoReadersAvailable),
            CardProblem::NoReader
        );
        assert_eq!(connect_problem(Error::UnknownReader), CardProblem::NoReader);
        assert_eq!(connect_problem(Error::NoSmartcard), CardProblem::NoCard);
        assert_eq!(connect_problem(Error::RemovedCard), CardProblem::NoCard);
        assert_eq!(
            connect_problem(Error::SharingViolation),
            CardProblem::CardBusy
        );
        assert_eq!(
            connect_problem(Error::UnresponsiveCard),
            CardProblem::NotAnIdCard
        );
        assert!(matches!(link_error(Error::RemovedCard), LinkError::Removed));
        assert!(matches!(
            link_error(Error::ReaderUnavailable),
            LinkError::ReaderGone
        ));
        assert_eq!(
            link_error(Error::RemovedCard).problem(),
            CardProblem::NoCard
        );
    }
}
