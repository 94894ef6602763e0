//! The outbox: handlers queue mails, one background worker sends them.

use std::{sync::Arc, time::Duration};

use tokio::sync::Notify;

use super::{MailConfig, MailError, MailTransport};
use crate::{
    clock::SharedClock,
    storage::{NewMail, OutboxRow, Storage, StorageError},
};

/// How many due mails are read from storage at a time.
const BATCH: u32 = 50;

/// The mail queue and its sender. Cheap to clone: every clone shares the
/// storage, the transport and the wake-up signal. Run one worker
/// ([`Outbox::spawn`]) per database: two would send the same mail twice.
#[derive(Clone)]
pub struct Outbox {
    store: Arc<dyn Storage>,
    clock: SharedClock,
    notify: Arc<Notify>,
    config: Arc<MailConfig>,
    transport: Arc<dyn MailTransport>,
    /// How often the worker looks for due retries when nothing wakes it.
    pub poll_interval: Duration,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // MailConfig's own Debug redacts the password and the URL's.
        f.debug_struct("Outbox")
            .field("config", &self.config)
            .field("transport", &self.transport)
            .field("poll_interval", &self.poll_interval)
            .finish_non_exhaustive()
    }
}

impl Outbox {
    /// An outbox over `store`, sending through `transport` with the sender
    /// and delays of `config`; the worker polls every second.
    #[must_use]
    pub fn new(
        store: Arc<dyn Storage>,
        clock: SharedClock,
        config: MailConfig,
        transport: Arc<dyn MailTransport>,
    ) -> Self {
        Self {
            store,
            clock,
            notify: Arc::new(Notify::new()),
            config: Arc::new(config),
            transport,
            poll_interval: Duration::from_secs(1),
        }
    }

    /// The configuration (sender, support address, delays).
    #[must_use]
    pub fn config(&self) -> &MailConfig {
        &self.config
    }

    fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    /// Queues a mail, due at once, and wakes the worker. Never sends: the
    /// caller does not wait for SMTP.
    ///
    /// # Errors
    /// Fails when the mail cannot be stored.
    pub async fn queue(&self, mail: NewMail) -> Result<i64, StorageError> {
        let id = self.store.enqueue_mail(&mail, self.now()).await?;
        tracing::debug!(kind = %mail.kind, id, "mail queued");
        self.notify.notify_one();
        Ok(id)
    }

    /// The delay before the next attempt after `attempts` failed ones:
    /// `min(retry_base * 2^attempts, retry_max)`, at least one second.
    #[must_use]
    pub fn backoff_secs(&self, attempts: i64) -> i64 {
        let factor = 2_i64.saturating_pow(u32::try_from(attempts.max(0)).unwrap_or(u32::MAX));
        self.config
            .retry_base_secs
            .saturating_mul(factor)
            .min(self.config.retry_max_secs)
            .max(1)
    }

    /// Sends every mail due now. A sent mail is marked sent (its recipient
    /// and bodies erased); a failed one is retried later with an
    /// exponential back-off, or given up once it is older than
    /// `give_up_after_secs` (or can never be sent). Returns how many were
    /// sent.
    ///
    /// # Errors
    /// Fails when storage fails; mails not yet handled stay due.
    pub async fn run_once(&self) -> Result<usize, StorageError> {
        let start = self.now();
        let mut sent = 0;
        loop {
            // Every mail handled below leaves the due set (sent, given up
            // or rescheduled after `start`), so this loop ends.
            let due = self.store.due_mails(start, BATCH).await?;
            if due.is_empty() {
                return Ok(sent);
            }
            for row in due {
                if self.attempt(row).await? {
                    sent += 1;
                }
            }
        }
    }

    /// One attempt at one mail; `true` when it was sent.
    async fn attempt(&self, row: OutboxRow) -> Result<bool, StorageError> {
        let OutboxRow {
            id,
            mail,
            attempts,
            created_at,
        } = row;
        let attempt = attempts + 1;
        match self.transport.send(&mail, &self.config.from).await {
            Ok(()) => {
                self.store.mail_sent(id, self.now()).await?;
                tracing::info!(kind = %mail.kind, id, attempt, "mail sent");
                Ok(true)
            }
            Err(e) => {
                let error = redact(&e, &mail);
                let now = self.now();
                if e.is_permanent() || now - created_at >= self.config.give_up_after_secs {
                    self.store.mail_failed(id, now, &error).await?;
                    tracing::error!(kind = %mail.kind, id, attempt, %error, "mail given up");
                } else {
                    let delay = self.backoff_secs(attempts);
                    self.store
                        .mail_retry(id, now.saturating_add(delay), &error)
                        .await?;
                    tracing::warn!(
                        kind = %mail.kind, id, attempt, retry_in_secs = delay, %error,
                        "mail not sent, will retry"
                    );
                }
                Ok(false)
            }
        }
    }

    /// Starts the worker: sends what is due, then waits for a queued mail
    /// or [`Self::poll_interval`], forever. Abort the handle to stop it.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                if let Err(e) = self.run_once().await {
                    tracing::error!(error = %e, "outbox run failed");
                }
                tokio::select! {
                    () = self.notify.notified() => {}
                    () = tokio::time::sleep(self.poll_interval) => {}
                }
            }
        })
    }
}

/// The error text to log and store: a server's answer may quote the
/// recipient's address, which must not leave the outbox row.
fn redact(e: &MailError, mail: &NewMail) -> String {
    let mut s = e.to_string();
    let address = mail
        .recipient
        .rsplit_once('<')
        .map_or(mail.recipient.as_str(), |(_, a)| a.trim_end_matches('>'))
        .trim();
    for needle in [mail.recipient.trim(), address] {
        if !needle.is_empty() {
            s = replace_ignore_case(&s, needle, "[recipient]");
        }
    }
    s
}

/// Replaces every ASCII-case-insensitive occurrence of `needle`.
fn replace_ignore_case(haystack: &str, needle: &str, with: &str) -> String {
    let lower_h = haystack.to_ascii_lowercase();
    let lower_n = needle.to_ascii_lowercase();
    let mut out = String::with_capacity(haystack.len());
    let mut last = 0;
    for (i, _) in lower_h.match_indices(&lower_n) {
        if i < last {
            continue;
        }
        out.push_str(haystack.get(last..i).unwrap_or_default());
        out.push_str(with);
        last = i + needle.len();
    }
    out.push_str(haystack.get(last..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests;
