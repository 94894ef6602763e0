//! The sandbox mailbox: a real SMTP server receiving the e-mails Pivot
//! sends (connection alerts, fraud reports), and a small web site showing
//! them to testers.
//!
//! - [`smtp`]: one SMTP connection, our tokio I/O loop around `mailin`'s
//!   protocol state machine, with its [`SmtpLimits`];
//! - `control`: the listener's life, [`SmtpServer`] (start, stop so that
//!   connections are refused, restart on the same port);
//! - `parse`: a received message decoded by `mail-parser`;
//! - `store`: the in-memory [`Mailbox`] of [`ReceivedMail`], which tests
//!   can wait on ([`Mailbox::wait_for`]);
//! - `pages`: the web pages and JSON API ([`router`]).
//!
//! ```ignore
//! let mailbox = Mailbox::new();
//! let smtp = SmtpServer::start(addr, mailbox.clone(), clock).await?;
//! let web = mailbox::router(mailbox, smtp.clone(), templates);
//! ```

mod control;
mod error;
mod pages;
pub mod parse;
pub mod smtp;
mod store;

#[cfg(test)]
mod tests;

pub use control::SmtpServer;
pub use error::MailboxError;
pub use pages::router;
pub use smtp::SmtpLimits;
pub use store::{DEFAULT_CAPACITY, Mailbox, ReceivedMail};

/// Templates of the mailbox pages, to pass to
/// [`crate::web::Templates::new`].
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "mailbox/list.html",
        include_str!("../../../templates/mailbox/list.html"),
    ),
    (
        "mailbox/mail.html",
        include_str!("../../../templates/mailbox/mail.html"),
    ),
    (
        "mailbox/not_found.html",
        include_str!("../../../templates/mailbox/not_found.html"),
    ),
];
