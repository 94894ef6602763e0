//! Recording the steps of logins and of the use of their tokens.
//!
//! An event that cannot be written is logged and does not stop the
//! citizen: the log serves the citizen and operators, it must never be the
//! reason a login fails.

use pivot_proto::{
    citizen::{EventCode, SharedDatum},
    data::DataRequest,
    eidas::Eidas,
    identity::PivotIdentity,
    sub::identity_hash,
};

use crate::{crypto::random_token, session::SsoLogin, state::AppState, storage::EventRecord};

/// An event being built.
#[derive(Clone, Debug)]
pub struct Event(EventRecord);

impl Event {
    /// A new event of `code` (time and reference are set when recorded).
    #[must_use]
    pub fn new(code: EventCode) -> Self {
        Self(EventRecord {
            reference: String::new(),
            at: 0,
            code,
            identity_hash: None,
            session_ref: None,
            client_id: None,
            client_name: None,
            fi_id: None,
            acr: None,
            data: Vec::new(),
            details: None,
        })
    }

    /// The citizen (by the checked identity).
    #[must_use]
    pub fn identity(mut self, checked: &PivotIdentity) -> Self {
        self.0.identity_hash = Some(identity_hash(checked).as_str().to_owned());
        self
    }

    /// The citizen, by identity hash.
    #[must_use]
    pub fn identity_hash(mut self, hash: &str) -> Self {
        self.0.identity_hash = Some(hash.to_owned());
        self
    }

    /// The citizen, identity provider and level of a login.
    #[must_use]
    pub fn login(self, login: &SsoLogin) -> Self {
        let fi = login.fi_id.clone();
        let acr = login.acr;
        let mut e = self.identity(login_identity(login));
        e.0.fi_id = Some(fi);
        e.0.acr = Some(acr);
        e
    }

    /// The browser session.
    #[must_use]
    pub fn session(mut self, trace: &str) -> Self {
        if !trace.is_empty() {
            self.0.session_ref = Some(trace.to_owned());
        }
        self
    }

    /// The service.
    #[must_use]
    pub fn client(mut self, client_id: &str, name: &str) -> Self {
        self.0.client_id = Some(client_id.to_owned());
        self.0.client_name = Some(name.to_owned());
        self
    }

    /// The identity provider.
    #[must_use]
    pub fn fi(mut self, fi_id: &str) -> Self {
        self.0.fi_id = Some(fi_id.to_owned());
        self
    }

    /// The level.
    #[must_use]
    pub fn acr(mut self, acr: Eidas) -> Self {
        self.0.acr = Some(acr);
        self
    }

    /// The data concerned.
    #[must_use]
    pub fn data(mut self, data: &[DataRequest]) -> Self {
        self.0.data = data.iter().map(shared).collect();
        self
    }

    /// An operator detail (never identity data).
    #[must_use]
    pub fn details(mut self, details: impl Into<String>) -> Self {
        self.0.details = Some(details.into());
        self
    }
}

/// A datum as the history shows it.
#[must_use]
pub fn shared(d: &DataRequest) -> SharedDatum {
    SharedDatum {
        scope: d.scope.clone(),
        label: d.label.clone(),
        provider: d.provider_name.clone(),
    }
}

/// The identity the civil registry checked for a login (the FI's when no
/// registry is configured): the one accounts are keyed by.
#[must_use]
pub fn login_identity(login: &SsoLogin) -> &PivotIdentity {
    login.registry.as_ref().unwrap_or(&login.identity.pivot)
}

/// The account key of a login.
#[must_use]
pub fn login_hash(login: &SsoLogin) -> String {
    identity_hash(login_identity(login)).as_str().to_owned()
}

impl AppState {
    /// Records an event now; returns its reference. Failures are logged.
    pub async fn record(&self, event: Event) -> String {
        let mut e = event.0;
        e.reference = random_token(12);
        e.at = self.now();
        tracing::info!(
            code = e.code.as_str(),
            reference = %e.reference,
            client = e.client_id.as_deref().unwrap_or("-"),
            fi = e.fi_id.as_deref().unwrap_or("-"),
            "event"
        );
        if let Err(err) = self.store.record_event(&e).await {
            tracing::error!(code = e.code.as_str(), error = %err, "event not recorded");
        }
        e.reference
    }
}
