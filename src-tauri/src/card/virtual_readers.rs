//! Readers with sandbox virtual cards, in process, for the shell's tests:
//! the same [`CardReaders`] the PC/SC module implements, with cards that
//! keep their PIN counters between connections.

use std::sync::{Arc, Mutex};

use pivot_card::sandbox::issue_test_card;
use pivot_card::{CardTransport, VirtualCard};
use pivot_proto::card_auth::CardProblem;
use pivot_proto::card_reader::{CardPresence, Reader, ReaderList, ReaderService};

use super::readers::{CardLink, CardReaders, LinkError};

type Shared = Arc<Mutex<VirtualCard>>;

/// The sandbox card of `citizen`.
///
/// # Panics
/// When `citizen` has no test card (a test's mistake).
#[must_use]
pub fn card_of(citizen: &str) -> VirtualCard {
    #[allow(clippy::expect_used)]
    issue_test_card(citizen).expect("a sandbox citizen's card")
}

/// A link to a shared card, which stops answering after `budget` commands
/// (`None`: never).
struct Link {
    card: Shared,
    budget: Option<usize>,
}

impl CardTransport for Link {
    type Error = LinkError;

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, LinkError> {
        if let Some(budget) = &mut self.budget {
            if *budget == 0 {
                return Err(LinkError::Removed);
            }
            *budget -= 1;
        }
        let mut card = self
            .card
            .lock()
            .map_err(|_| LinkError::Other("poisoned".into()))?;
        Ok(card.process(apdu))
    }
}

/// A card without the Pivot applet: every command is "file not found".
struct Blank;

impl CardTransport for Blank {
    type Error = LinkError;

    fn transmit(&mut self, _apdu: &[u8]) -> Result<Vec<u8>, LinkError> {
        Ok(vec![0x6A, 0x82])
    }
}

/// A link to a fresh card of `citizen`.
#[must_use]
pub fn link_to(citizen: &str) -> CardLink {
    Box::new(Link {
        card: Arc::new(Mutex::new(card_of(citizen))),
        budget: None,
    })
}

/// A link to a card that is not an ID card.
#[must_use]
pub fn blank_link() -> CardLink {
    Box::new(Blank)
}

/// A link to `citizen`'s card, taken off the reader after `commands`.
#[must_use]
pub fn removed_after(citizen: &str, commands: usize) -> CardLink {
    Box::new(Link {
        card: Arc::new(Mutex::new(card_of(citizen))),
        budget: Some(commands),
    })
}

/// Readers, each with a card or none.
#[derive(Default)]
pub struct VirtualReaders {
    readers: Mutex<Vec<(String, Option<Shared>)>>,
}

impl VirtualReaders {
    /// One reader named `name` holding `citizen`'s card.
    #[must_use]
    pub fn with_card(name: &str, citizen: &str) -> Self {
        let readers = Self::default();
        readers.plug(name);
        readers.insert(name, card_of(citizen));
        readers
    }

    /// Plugs an empty reader.
    pub fn plug(&self, name: &str) {
        if let Ok(mut r) = self.readers.lock() {
            r.push((name.to_owned(), None));
        }
    }

    /// Takes the card off reader `name`.
    pub fn remove(&self, name: &str) {
        if let Ok(mut r) = self.readers.lock() {
            for (n, slot) in r.iter_mut() {
                if n == name {
                    *slot = None;
                }
            }
        }
    }

    /// Puts `card` on reader `name`.
    pub fn insert(&self, name: &str, card: VirtualCard) {
        if let Ok(mut r) = self.readers.lock() {
            for (n, slot) in r.iter_mut() {
                if n == name {
                    *slot = Some(Arc::new(Mutex::new(card)));
                    return;
                }
            }
        }
    }
}

impl CardReaders for VirtualReaders {
    fn list(&self) -> ReaderList {
        let readers = self
            .readers
            .lock()
            .map(|r| {
                r.iter()
                    .map(|(name, card)| Reader {
                        name: name.clone(),
                        card: if card.is_some() {
                            CardPresence::Present
                        } else {
                            CardPresence::Absent
                        },
                    })
                    .collect()
            })
            .unwrap_or_default();
        ReaderList {
            service: ReaderService::Ready,
            readers,
        }
    }

    fn connect(&self, reader: &str) -> Result<CardLink, CardProblem> {
        let readers = self.readers.lock().map_err(|_| CardProblem::NoReader)?;
        let (_, slot) = readers
            .iter()
            .find(|(n, _)| n == reader)
            .ok_or(CardProblem::NoReader)?;
        let card = slot.clone().ok_or(CardProblem::NoCard)?;
        Ok(Box::new(Link { card, budget: None }))
    }
}
