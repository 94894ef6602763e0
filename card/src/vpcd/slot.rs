//! A vpcd reader whose card can be taken out and swapped while it runs:
//! each inserted card is served by its own thread ([`VpcdClient::run`]);
//! removing it closes the connection, which vpcd reports as a card
//! removal, and gives the card back with its state (PIN counters).

use std::thread::{self, JoinHandle};

use super::client::{StopHandle, VpcdClient};
use crate::applet::VirtualCard;

/// One vpcd slot, empty or holding a card.
#[derive(Debug)]
pub struct CardSlot {
    client: VpcdClient,
    inserted: Option<Inserted>,
}

#[derive(Debug)]
struct Inserted {
    stop: StopHandle,
    thread: JoinHandle<VirtualCard>,
}

impl CardSlot {
    /// An empty slot of the reader `client` reaches.
    pub fn new(client: VpcdClient) -> Self {
        Self {
            client,
            inserted: None,
        }
    }

    /// Inserts `card`: a thread connects it to vpcd (again whenever vpcd
    /// goes away) until it is removed. Returns the card that was there.
    pub fn insert(&mut self, card: VirtualCard) -> Option<VirtualCard> {
        let previous = self.remove();
        let stop = StopHandle::new();
        let thread = {
            let stop = stop.clone();
            let client = self.client.clone();
            let mut card = card;
            thread::spawn(move || {
                client.run(&mut card, &stop);
                card
            })
        };
        self.inserted = Some(Inserted { stop, thread });
        previous
    }

    /// Takes the card out (vpcd sees it removed) and gives it back, or
    /// `None` when the slot was empty or its thread failed.
    pub fn remove(&mut self) -> Option<VirtualCard> {
        let inserted = self.inserted.take()?;
        inserted.stop.stop();
        inserted.thread.join().ok()
    }

    /// Whether a card is inserted (whether vpcd is listening or not).
    pub fn is_occupied(&self) -> bool {
        self.inserted.is_some()
    }
}

impl Drop for CardSlot {
    fn drop(&mut self) {
        self.remove();
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;

    use super::*;
    use crate::atr::ATR;
    use crate::sandbox::issue_test_card;
    use crate::vpcd::protocol::exchange;

    fn card(citizen: &str) -> VirtualCard {
        issue_test_card(citizen).unwrap()
    }

    /// Whether the card side closed the connection.
    fn closed(vpcd: &mut TcpStream) -> bool {
        vpcd.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        matches!(vpcd.read(&mut [0u8; 1]), Ok(0))
    }

    const SELECT: [u8; 12] = [
        0x00, 0xA4, 0x04, 0x0C, 0x07, 0xF0, 0x50, 0x49, 0x56, 0x4F, 0x54, 0x01,
    ];

    #[test]
    fn cards_are_inserted_removed_and_swapped() {
        // Given a fake vpcd and an empty slot,
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut slot = CardSlot::new(VpcdClient {
            retry: Duration::from_millis(20),
            ..VpcdClient::local(port)
        });
        assert!(!slot.is_occupied());
        assert!(slot.remove().is_none());

        // when a card is inserted, it connects and answers;
        assert!(slot.insert(card("eric-mercier")).is_none());
        assert!(slot.is_occupied());
        let (mut vpcd, _) = listener.accept().unwrap();
        assert_eq!(exchange(&mut vpcd, &[0x04]), ATR);
        assert_eq!(exchange(&mut vpcd, &SELECT), [0x90, 0x00]);

        // when another is inserted, the first is given back and the
        // connection closes, and the new card connects;
        let eric = slot.insert(card("carmen-garcia")).unwrap();
        assert_eq!(eric.pin_tries(), 3);
        assert!(closed(&mut vpcd));
        let (mut vpcd, _) = listener.accept().unwrap();
        assert_eq!(exchange(&mut vpcd, &SELECT), [0x90, 0x00]);

        // when it is removed, the connection closes and nothing connects.
        let carmen = slot.remove().unwrap();
        assert_eq!(carmen.pin_tries(), 0, "Carmen's card has its PIN blocked");
        assert!(!slot.is_occupied());
        assert!(closed(&mut vpcd));
        listener.set_nonblocking(true).unwrap();
        assert!(listener.accept().is_err());
    }
}
