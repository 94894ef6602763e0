//! The in-memory mailbox: every message the sandbox SMTP server accepted,
//! newest first, bounded, with a way for tests to wait for one.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;

/// How many messages are kept by default; the oldest go first.
pub const DEFAULT_CAPACITY: usize = 500;

/// A message as received: envelope, decoded headers and bodies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReceivedMail {
    /// Number given by the mailbox, increasing from 1 in arrival order.
    pub id: u64,
    /// When the message was accepted (Unix time, seconds).
    pub received_at: i64,
    /// The SMTP envelope sender (`MAIL FROM`).
    pub envelope_from: String,
    /// The SMTP envelope recipients (`RCPT TO`), in the order given.
    pub envelope_to: Vec<String>,
    /// The `From` header, as `Name <address>` or the bare address; empty
    /// when missing.
    pub from: String,
    /// The addresses of the `To` header, formatted like [`Self::from`].
    pub to: Vec<String>,
    /// The decoded `Subject` header; empty when missing.
    pub subject: String,
    /// The plain-text body (decoded); derived from the HTML body when the
    /// message has none.
    pub text: String,
    /// The HTML body (decoded), when the message has one.
    pub html: Option<String>,
    /// Size of the message as transmitted after `DATA`, in bytes.
    pub raw_size: usize,
}

impl ReceivedMail {
    /// Whether `address` is among the recipients, envelope or `To` header
    /// (ASCII case-insensitive, `Name <address>` forms included).
    #[must_use]
    pub fn is_for(&self, address: &str) -> bool {
        let wanted = address.trim();
        let matches = |a: &String| {
            a.eq_ignore_ascii_case(wanted)
                || a.rsplit_once('<')
                    .and_then(|(_, rest)| rest.strip_suffix('>'))
                    .is_some_and(|inner| inner.eq_ignore_ascii_case(wanted))
        };
        self.envelope_to.iter().any(matches) || self.to.iter().any(matches)
    }
}

#[derive(Debug)]
struct Inner {
    next_id: u64,
    capacity: usize,
    /// Oldest at the front, newest at the back.
    messages: VecDeque<ReceivedMail>,
}

/// The received messages. Clones share the same mailbox.
#[derive(Clone, Debug)]
pub struct Mailbox {
    inner: Arc<Mutex<Inner>>,
    /// Bumped on every change, so that [`Mailbox::wait_for`] wakes up.
    changes: Arc<watch::Sender<u64>>,
}

impl Default for Mailbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Mailbox {
    /// An empty mailbox keeping [`DEFAULT_CAPACITY`] messages.
    #[must_use]
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    /// An empty mailbox keeping at most `capacity` messages (at least one).
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(Inner {
                next_id: 1,
                capacity: capacity.max(1),
                messages: VecDeque::new(),
            })),
            changes: Arc::new(watch::Sender::new(0)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Stores `mail` under a new id (whatever `mail.id` says), dropping the
    /// oldest message when full. Returns the id given.
    pub fn insert(&self, mut mail: ReceivedMail) -> u64 {
        let id = {
            let mut inner = self.lock();
            let id = inner.next_id;
            inner.next_id += 1;
            mail.id = id;
            while inner.messages.len() >= inner.capacity {
                inner.messages.pop_front();
            }
            inner.messages.push_back(mail);
            id
        };
        self.changed();
        id
    }

    /// Every message, newest first.
    #[must_use]
    pub fn messages(&self) -> Vec<ReceivedMail> {
        self.lock().messages.iter().rev().cloned().collect()
    }

    /// How many messages are held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().messages.len()
    }

    /// Whether the mailbox holds no message.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The message with this id.
    #[must_use]
    pub fn get(&self, id: u64) -> Option<ReceivedMail> {
        self.lock().messages.iter().find(|m| m.id == id).cloned()
    }

    /// Forgets every message (ids keep increasing).
    pub fn clear(&self) {
        self.lock().messages.clear();
        self.changed();
    }

    /// The newest message matching `predicate`, among those already held
    /// or arriving within `timeout`; `None` when none came in time.
    pub async fn wait_for<F>(&self, predicate: F, timeout: Duration) -> Option<ReceivedMail>
    where
        F: Fn(&ReceivedMail) -> bool,
    {
        let mut changes = self.changes.subscribe();
        let wait = async {
            loop {
                // Mark the current version seen before looking, so that a
                // message arriving right after the look wakes us up.
                changes.borrow_and_update();
                let found = self
                    .lock()
                    .messages
                    .iter()
                    .rev()
                    .find(|m| predicate(m))
                    .cloned();
                if found.is_some() {
                    return found;
                }
                if changes.changed().await.is_err() {
                    return None;
                }
            }
        };
        tokio::time::timeout(timeout, wait).await.ok().flatten()
    }
}
