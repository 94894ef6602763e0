//! Which login and password each demo FI accepts for a test citizen.
//!
//! The four imitated providers use the citizens' own accounts
//! ([`crate::sandbox::citizens`]). The test provider ([`FiKind::TestHigh`])
//! has no accounts of its own: it accepts each citizen's La Poste account,
//! and a citizen without one logs in with their contact e-mail and
//! [`TEST_HIGH_DEFAULT_PASSWORD`], so that every test citizen can reach
//! `eidas3`.

use subtle::ConstantTimeEq;

use super::FiKind;
use crate::sandbox::citizens::{self, Citizen};

/// Password at [`FiKind::TestHigh`] of the citizens who have no La Poste
/// account (public: sandbox only).
pub const TEST_HIGH_DEFAULT_PASSWORD: &str = "123456";

/// A login and password a demo FI accepts (public sandbox credentials).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DemoLogin {
    /// Identifier typed in the login form.
    pub login: &'static str,
    /// Password typed in the login form.
    pub password: &'static str,
}

impl std::fmt::Debug for DemoLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoLogin")
            .field("login", &self.login)
            .field("password", &"[redacted]")
            .finish()
    }
}

/// The credentials `citizen` types at a demo FI of `kind`, if they can log
/// in there at all.
#[must_use]
pub fn demo_login(kind: FiKind, citizen: &Citizen) -> Option<DemoLogin> {
    match kind {
        FiKind::TestHigh => Some(citizen.account(FiKind::LaPoste).map_or(
            DemoLogin {
                login: citizen.email,
                password: TEST_HIGH_DEFAULT_PASSWORD,
            },
            |a| DemoLogin {
                login: a.login,
                password: a.password,
            },
        )),
        _ => citizen.account(kind).map(|a| DemoLogin {
            login: a.login,
            password: a.password,
        }),
    }
}

/// Every citizen who can log in at a demo FI of `kind`, with the
/// credentials, in a stable order.
#[must_use]
pub fn demo_logins(kind: FiKind) -> Vec<(&'static Citizen, DemoLogin)> {
    citizens::citizens()
        .iter()
        .filter_map(|c| demo_login(kind, c).map(|l| (c, l)))
        .collect()
}

/// The citizen whose credentials at `kind` these are. Logins are compared
/// in their canonical form ([`FiKind::normalize_login`]), passwords in
/// constant time, and every account is checked.
pub(super) fn find(kind: FiKind, login: &str, password: &str) -> Option<&'static Citizen> {
    if kind != FiKind::TestHigh {
        return citizens::find_account(kind, login, password);
    }
    let wanted = kind.normalize_login(login)?;
    let mut found = None;
    for (citizen, l) in demo_logins(kind) {
        let same_login = kind.normalize_login(l.login).as_deref() == Some(wanted.as_str());
        let same_password: bool = l.password.as_bytes().ct_eq(password.as_bytes()).into();
        if same_login && same_password && found.is_none() {
            found = Some(citizen);
        }
    }
    found
}
