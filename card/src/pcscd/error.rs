//! Why a private pcscd could not start.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Why [`super::PrivatePcscd::start`] failed. Each message says what to
/// install or allow.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PcscdError {
    /// A program is not installed (neither on `PATH` nor in `/usr/sbin`,
    /// `/sbin`, `/usr/bin`, `/bin`).
    #[error("{program} is missing: install the Debian package {package}")]
    MissingProgram {
        /// The program, e.g. `pcscd`.
        program: &'static str,
        /// The Debian package that ships it.
        package: &'static str,
    },
    /// vsmartcard's reader driver is not installed.
    #[error("{} is missing: install the Debian package vsmartcard-vpcd", path.display())]
    MissingDriver {
        /// Where pcscd would load it from.
        path: PathBuf,
    },
    /// No pair of consecutive free TCP ports was found for vpcd's two slots.
    #[error("no two consecutive free TCP ports for vpcd's readers")]
    NoFreePort,
    /// Preparing the private directory or starting the process failed.
    #[error("{action}: {source}")]
    Io {
        /// What was being done, e.g. `creating /tmp/pivot-pcscd-1-0`.
        action: String,
        /// The system's error.
        #[source]
        source: io::Error,
    },
    /// `unshare --mount` was refused, or `/run/pcscd` could not be
    /// replaced in the new namespace: this needs root, or unprivileged
    /// user namespaces (a container without `CAP_SYS_ADMIN` has neither).
    #[error(
        "cannot give pcscd a private /run/pcscd: `unshare --mount` needs root or unprivileged \
         user namespaces (kernel.unprivileged_userns_clone=1, a container with CAP_SYS_ADMIN); \
         log:\n{log}"
    )]
    NoNamespace {
        /// What `unshare` and the shell in the namespace said.
        log: String,
    },
    /// pcscd stopped before it said it was ready.
    #[error("pcscd exited before it was ready ({status}); log:\n{log}")]
    Exited {
        /// Its exit status, as the system describes it.
        status: String,
        /// Its output.
        log: String,
    },
    /// pcscd did not say it was ready in time; it was stopped.
    #[error("pcscd was not ready within {} s; log:\n{log}", timeout.as_secs())]
    NotReady {
        /// How long it was given.
        timeout: Duration,
        /// Its output so far.
        log: String,
    },
}

impl PcscdError {
    pub(super) fn io(action: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            action: action.into(),
            source,
        }
    }
}
