//! The one thing the card module needs from a platform: the readers and a
//! channel to the card on one of them.

use pivot_card::CardTransport;
use pivot_proto::card_auth::CardProblem;
use pivot_proto::card_reader::{ReaderList, ReaderService};

/// Why an exchange with the card stopped half-way.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The card was taken off the reader (or reset).
    #[error("the card was removed")]
    Removed,
    /// The reader went away.
    #[error("the reader was unplugged")]
    ReaderGone,
    /// The card did not answer in time.
    #[error("the card did not answer")]
    Timeout,
    /// Anything else the platform reports.
    #[error("card link: {0}")]
    Other(String),
}

impl LinkError {
    /// What the citizen is told.
    #[must_use]
    pub fn problem(&self) -> CardProblem {
        match self {
            Self::Removed | Self::Other(_) => CardProblem::NoCard,
            Self::ReaderGone => CardProblem::NoReader,
            Self::Timeout => CardProblem::Timeout,
        }
    }
}

/// A channel to the card on a reader, held for one whole operation.
pub type CardLink = Box<dyn CardTransport<Error = LinkError> + Send>;

/// The card readers of a platform.
pub trait CardReaders: Send + Sync {
    /// The readers and what is on them, now.
    fn list(&self) -> ReaderList;

    /// A channel to the card on `reader`, exclusive until dropped.
    ///
    /// # Errors
    /// The [`CardProblem`] to show: no service, no such reader, no card,
    /// the card held by another program…
    fn connect(&self, reader: &str) -> Result<CardLink, CardProblem>;
}

/// A platform without a card transport (mobile, until NFC is built).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoReaders;

impl CardReaders for NoReaders {
    fn list(&self) -> ReaderList {
        ReaderList {
            service: ReaderService::Unsupported,
            readers: Vec::new(),
        }
    }

    fn connect(&self, _reader: &str) -> Result<CardLink, CardProblem> {
        Err(CardProblem::NoReader)
    }
}
