//! Whether an identified citizen may log in: an account disabled by an
//! operator cannot, nor a login through an identity provider the citizen
//! blocked. Checked after the civil registry and again before a code is
//! issued (an SSO login may outlive the decision).

use pivot_proto::citizen::EventCode;

use crate::{
    citizen::events::{Event, login_hash},
    error::{BrokerError, PageError},
    session::SsoLogin,
    state::AppState,
    storage::AccountRecord,
};

/// Why a login is refused.
#[derive(Debug)]
pub enum Refusal {
    /// Disabled by an operator, with the reason given.
    Disabled(String),
    /// The citizen blocked this identity provider.
    BlockedFi(String),
}

impl Refusal {
    /// The page the citizen sees.
    #[must_use]
    pub fn page(&self, platform: &str) -> PageError {
        match self {
            Self::Disabled(reason) => PageError::bad_request(
                "Y030001",
                "Votre compte est désactivé",
                format!(
                    "Votre compte {platform} a été désactivé : {reason}. Pour le réactiver, contactez le support {platform}."
                ),
            ),
            Self::BlockedFi(fi_name) => PageError::bad_request(
                "Y030002",
                "Compte bloqué par vos préférences",
                format!(
                    "Vous avez bloqué la connexion avec {fi_name} dans votre espace {platform}. Choisissez un autre compte, ou débloquez celui-ci depuis un compte autorisé."
                ),
            ),
        }
        .with_status(axum::http::StatusCode::FORBIDDEN)
    }

    /// What the service is told (`access_denied`).
    #[must_use]
    pub fn description(&self) -> &'static str {
        match self {
            Self::Disabled(_) => "the account is disabled",
            Self::BlockedFi(_) => "the user blocked this identity provider",
        }
    }
}

impl AppState {
    /// Creates or touches the citizen's account and checks it may log in
    /// with `login`; a refusal is recorded.
    ///
    /// # Errors
    /// On storage failure.
    pub async fn account_gate(
        &self,
        login: &SsoLogin,
        trace: &str,
    ) -> Result<Result<AccountRecord, Refusal>, BrokerError> {
        let hash = login_hash(login);
        let account = self.store.touch_account(&hash, self.now()).await?;
        let refusal = if let Some(reason) = &account.disabled_reason {
            Some(Refusal::Disabled(reason.clone()))
        } else if account.preferences.blocks(&login.fi_id) {
            Some(Refusal::BlockedFi(self.fis.name(&login.fi_id)))
        } else {
            None
        };
        match refusal {
            Some(r) => {
                self.record(
                    Event::new(EventCode::FcLoginRefused)
                        .login(login)
                        .session(trace)
                        .details(r.description()),
                )
                .await;
                Ok(Err(r))
            }
            None => Ok(Ok(account)),
        }
    }
}

impl AppState {
    /// Identity providers to leave out of this browser's chooser: those
    /// blocked by every citizen who logged in from it (a shared computer
    /// still shows what one of its users may use). Empty for an unknown
    /// browser.
    ///
    /// # Errors
    /// On storage failure.
    pub async fn hidden_fis(
        &self,
        jar: &axum_extra::extract::SignedCookieJar,
    ) -> Result<Vec<String>, BrokerError> {
        let Some(cookie) = self.device_cookie(jar) else {
            return Ok(Vec::new());
        };
        self.hidden_on(&cookie.id, |hash| cookie.knows(hash)).await
    }

    /// The same for the citizen app holding the key of thumbprint `jkt`
    /// (its proof of possession stands for the cookie).
    ///
    /// # Errors
    /// On storage failure.
    pub async fn hidden_fis_app(&self, jkt: &str) -> Result<Vec<String>, BrokerError> {
        self.hidden_on(&crate::citizen::device::app_device_id(jkt), |_| true)
            .await
    }

    async fn hidden_on(
        &self,
        device_id: &str,
        known: impl Fn(&str) -> bool,
    ) -> Result<Vec<String>, BrokerError> {
        let mut hidden: Option<Vec<String>> = None;
        for hash in self.store.device_identities(device_id).await? {
            if !known(&hash) {
                continue;
            }
            let blocked = self
                .store
                .account(&hash)
                .await?
                .map(|a| a.preferences.blocked_fis)
                .unwrap_or_default();
            hidden = Some(match hidden {
                None => blocked,
                Some(h) => h.into_iter().filter(|f| blocked.contains(f)).collect(),
            });
        }
        Ok(hidden.unwrap_or_default())
    }
}
