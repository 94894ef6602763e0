//! Errors of the sandbox mailbox: starting the SMTP listener, finding a
//! message, rendering a page.

use std::net::SocketAddr;

use crate::web::templates::TemplateError;

/// Why a mailbox operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailboxError {
    /// The SMTP listener could not bind its address (port taken, no
    /// permission…).
    #[error("cannot listen for SMTP on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
    /// The bound listener could not tell its own address.
    #[error("SMTP listener address: {0}")]
    LocalAddr(#[source] std::io::Error),
    /// No message with this id (never received, dropped as the oldest, or
    /// cleared).
    #[error("no message {0} in the mailbox")]
    NotFound(u64),
    /// A mailbox page could not be rendered (a programming error).
    #[error(transparent)]
    Template(#[from] TemplateError),
}
