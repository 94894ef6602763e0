//! The state the commands work on (held with `app.manage`): the broker
//! client, the device key, the secret store, the clock, the session tokens
//! and the links received.

use std::sync::{Arc, Mutex};

use pivot_proto::citizen::{
    DeviceView, FraudReportAck, FraudReportRequest, HistoryPage, PreferencesUpdate, PreferencesView,
};
use url::Url;

use crate::broker::{BrokerClient, Credentials};
use crate::clock::Clock;
use crate::deeplinks::DeepLinks;
use crate::device_key::DeviceKey;
use crate::error::AppError;
use crate::secret_store::SecretStore;

/// The name of the refresh token in the secret store.
pub const REFRESH_TOKEN: &str = "refresh-token";

/// Where the app talks to.
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// The broker's URL (`https://pivot.example/`).
    pub broker: Url,
}

/// The citizen's tokens for "Mon espace".
#[derive(Clone)]
pub struct Tokens {
    /// The DPoP-bound access token.
    pub access_token: String,
    /// The rotating refresh token, if the broker gave one.
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens([redacted])")
    }
}

/// The app's state.
pub struct AppState {
    broker: BrokerClient,
    key: DeviceKey,
    store: Arc<dyn SecretStore>,
    clock: Arc<dyn Clock>,
    session: Mutex<Option<Tokens>>,
    links: DeepLinks,
}

impl AppState {
    /// The state for `config`, with the device key of `store` (made on first start).
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a bad broker URL, [`AppError::Internal`] if
    /// the store fails.
    pub fn new(
        config: &AppConfig,
        store: Arc<dyn SecretStore>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, AppError> {
        let key = DeviceKey::load_or_create(store.as_ref())?;
        Ok(Self {
            broker: BrokerClient::new(&config.broker)?,
            key,
            store,
            clock,
            session: Mutex::new(None),
            links: DeepLinks::new(vec![config.broker.clone()]),
        })
    }

    /// The device key.
    #[must_use]
    pub fn device_key(&self) -> &DeviceKey {
        &self.key
    }

    /// The links received.
    #[must_use]
    pub fn links(&self) -> &DeepLinks {
        &self.links
    }

    /// Starts a session with `tokens`; the refresh token goes to the store.
    ///
    /// # Errors
    /// [`AppError::Internal`] if the store fails.
    pub fn set_session(&self, tokens: Tokens) -> Result<(), AppError> {
        match &tokens.refresh_token {
            Some(refresh) => self.store.set(REFRESH_TOKEN, refresh.as_bytes())?,
            None => self.store.delete(REFRESH_TOKEN)?,
        }
        *self.session_lock()? = Some(tokens);
        Ok(())
    }

    /// Ends the session: tokens forgotten here and in the store, links dropped.
    ///
    /// # Errors
    /// [`AppError::Internal`] if the store fails.
    pub fn sign_out(&self) -> Result<(), AppError> {
        *self.session_lock()? = None;
        self.store.delete(REFRESH_TOKEN)?;
        self.links.clear()
    }

    /// Whether a session is open.
    ///
    /// # Errors
    /// [`AppError::Internal`] if the state is broken.
    pub fn signed_in(&self) -> Result<bool, AppError> {
        Ok(self.session_lock()?.is_some())
    }

    /// The history of the last six months.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn history(&self) -> Result<HistoryPage, AppError> {
        let token = self.access_token()?;
        let r = self.broker.history(self.creds(&token)).await;
        self.after(r)
    }

    /// The preferences.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn preferences(&self) -> Result<PreferencesView, AppError> {
        let token = self.access_token()?;
        let r = self.broker.preferences(self.creds(&token)).await;
        self.after(r)
    }

    /// Changes the preferences.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn update_preferences(
        &self,
        update: &PreferencesUpdate,
    ) -> Result<PreferencesView, AppError> {
        let token = self.access_token()?;
        let r = self
            .broker
            .update_preferences(update, self.creds(&token))
            .await;
        self.after(r)
    }

    /// The devices.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn devices(&self) -> Result<Vec<DeviceView>, AppError> {
        let token = self.access_token()?;
        let r = self.broker.devices(self.creds(&token)).await;
        self.after(r)
    }

    /// Forgets a device.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn forget_device(&self, device_id: &str) -> Result<(), AppError> {
        let token = self.access_token()?;
        let r = self
            .broker
            .forget_device(device_id, self.creds(&token))
            .await;
        self.after(r)
    }

    /// Sends a fraud report, checked here first.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn report(&self, report: &FraudReportRequest) -> Result<FraudReportAck, AppError> {
        report
            .validate()
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        let token = self.access_token()?;
        let r = self.broker.report(report, self.creds(&token)).await;
        self.after(r)
    }

    fn creds<'a>(&'a self, access_token: &'a str) -> Credentials<'a> {
        Credentials {
            access_token,
            key: &self.key,
            now: self.clock.now(),
        }
    }

    fn access_token(&self) -> Result<String, AppError> {
        self.session_lock()?
            .as_ref()
            .map(|t| t.access_token.clone())
            .ok_or(AppError::SessionExpired)
    }

    /// A refused token ends the session here too.
    fn after<T>(&self, result: Result<T, AppError>) -> Result<T, AppError> {
        if matches!(result, Err(AppError::SessionExpired)) {
            *self.session_lock()? = None;
        }
        result
    }

    fn session_lock(&self) -> Result<std::sync::MutexGuard<'_, Option<Tokens>>, AppError> {
        self.session
            .lock()
            .map_err(|_| AppError::internal("session lock poisoned"))
    }
}
