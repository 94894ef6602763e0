//! The SMTP listener's life: start, stop (new connections refused, open
//! ones cut), restart on the same address.
//!
//! Stopping drops the listening socket, so a client gets "connection
//! refused" as from a mail server that is down; it also closes the open
//! connections, so that a sender keeping a pool of connections cannot go
//! on delivering through one of them.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::Mutex;
use tokio::task::{JoinHandle, JoinSet};

use super::error::MailboxError;
use super::smtp::{self, SmtpLimits};
use super::store::Mailbox;
use crate::clock::SharedClock;

/// A running (or stopped) sandbox SMTP server. Clones control the same
/// server; it stops when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct SmtpServer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    addr: SocketAddr,
    mailbox: Mailbox,
    clock: SharedClock,
    limits: SmtpLimits,
    /// The accept loop, owning every connection task; `None` when stopped.
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = self.task.get_mut().take() {
            task.abort();
        }
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, MailboxError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| MailboxError::Bind { addr, source })
}

impl SmtpServer {
    /// Listens on `listen` (port 0: any free port, see
    /// [`Self::local_addr`]) with the default [`SmtpLimits`], storing every
    /// message in `mailbox`, dated by `clock`.
    ///
    /// # Errors
    /// [`MailboxError::Bind`] when the address cannot be bound.
    pub async fn start(
        listen: SocketAddr,
        mailbox: Mailbox,
        clock: SharedClock,
    ) -> Result<Self, MailboxError> {
        Self::start_with_limits(listen, mailbox, clock, SmtpLimits::default()).await
    }

    /// Same as [`Self::start`] with other limits.
    ///
    /// # Errors
    /// [`MailboxError::Bind`] when the address cannot be bound.
    pub async fn start_with_limits(
        listen: SocketAddr,
        mailbox: Mailbox,
        clock: SharedClock,
        limits: SmtpLimits,
    ) -> Result<Self, MailboxError> {
        Self::from_listener(bind(listen).await?, mailbox, clock, limits)
    }

    /// Serves on a listener already bound (the sandbox binds its ports up
    /// front).
    ///
    /// # Errors
    /// [`MailboxError::LocalAddr`] when the listener cannot tell its
    /// address.
    pub fn from_listener(
        listener: TcpListener,
        mailbox: Mailbox,
        clock: SharedClock,
        limits: SmtpLimits,
    ) -> Result<Self, MailboxError> {
        let addr = listener.local_addr().map_err(MailboxError::LocalAddr)?;
        let task = accept_loop(listener, addr, mailbox.clone(), clock.clone(), limits);
        Ok(Self {
            inner: Arc::new(Inner {
                addr,
                mailbox,
                clock,
                limits,
                task: Mutex::new(Some(task)),
            }),
        })
    }

    /// The address listened on (the actual port when started on port 0),
    /// also while stopped.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// The mailbox messages go to.
    #[must_use]
    pub fn mailbox(&self) -> &Mailbox {
        &self.inner.mailbox
    }

    /// Whether the server accepts connections.
    pub async fn is_running(&self) -> bool {
        self.inner
            .task
            .lock()
            .await
            .as_ref()
            .is_some_and(|t| !t.is_finished())
    }

    /// Stops listening and closes the open connections; once this returns,
    /// a new connection is refused. Does nothing when already stopped.
    pub async fn stop(&self) {
        let task = self.inner.task.lock().await.take();
        if let Some(task) = task {
            task.abort();
            // Cancelled: the listener and the connections are dropped.
            let _ = task.await;
            tracing::info!(addr = %self.inner.addr, "sandbox SMTP server stopped");
        }
    }

    /// Listens again on the same address. Does nothing when running.
    ///
    /// # Errors
    /// [`MailboxError::Bind`] when the address has been taken meanwhile.
    pub async fn restart(&self) -> Result<(), MailboxError> {
        let mut task = self.inner.task.lock().await;
        if task.as_ref().is_some_and(|t| !t.is_finished()) {
            return Ok(());
        }
        let listener = bind(self.inner.addr).await?;
        *task = Some(accept_loop(
            listener,
            self.inner.addr,
            self.inner.mailbox.clone(),
            self.inner.clock.clone(),
            self.inner.limits,
        ));
        tracing::info!(addr = %self.inner.addr, "sandbox SMTP server restarted");
        Ok(())
    }
}

/// The accept loop on `listener`. Connection tasks live in a [`JoinSet`]
/// owned by the loop, so aborting the loop closes them too.
fn accept_loop(
    listener: TcpListener,
    addr: SocketAddr,
    mailbox: Mailbox,
    clock: SharedClock,
    limits: SmtpLimits,
) -> JoinHandle<()> {
    tracing::info!(%addr, "sandbox SMTP server listening");
    tokio::spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        if connections.len() >= limits.max_connections {
                            connections.spawn(smtp::refuse_busy(stream));
                            continue;
                        }
                        let (mailbox, clock) = (mailbox.clone(), clock.clone());
                        connections.spawn(async move {
                            if let Err(e) = smtp::serve(stream, peer, mailbox, clock, limits).await {
                                tracing::debug!(%peer, error = %e, "SMTP connection ended");
                            }
                        });
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: wait a
                        // little rather than spin.
                        tracing::warn!(error = %e, "SMTP accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
    })
}
