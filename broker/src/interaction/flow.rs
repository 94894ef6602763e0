//! The login's state machine, shared by the web pages and the app's JSON
//! twin: each step (in its own file) changes the session and says what
//! comes next as an [`Outcome`]; [`super::web`] turns it into a page or a
//! redirect, [`super::app`] into an [`pivot_proto::interaction::Step`].

use crate::error::PageError;

/// What comes after a step.
#[derive(Debug)]
pub enum Outcome {
    /// Choose an identity provider; `unavailable` is the one that just
    /// failed to answer, if any.
    Chooser {
        /// The provider that failed.
        unavailable: Option<String>,
    },
    /// Log in at the provider.
    FiLogin {
        /// The provider.
        fi_id: String,
        /// Its authorization URL.
        url: String,
    },
    /// The provider's answer could not be used: choose again.
    FiFailed {
        /// Title, in French.
        title: String,
        /// What happened, in French.
        message: String,
    },
    /// The civil registry did not answer: the FI login is kept, retry.
    RegistryUnavailable {
        /// The provider the citizen logged in with.
        fi_id: String,
    },
    /// The identity confirmation.
    Confirm,
    /// The confirmation lacked the private service's identity agreement.
    AgreementMissing,
    /// The data consent.
    Consent,
    /// The login cannot go on; the interaction holds the OAuth error the
    /// service gets through `cancel`.
    Refused(PageError),
    /// Back to the service with this URL.
    Return {
        /// The redirect URI with the code or the error.
        url: String,
        /// A code, not an error.
        success: bool,
    },
}
