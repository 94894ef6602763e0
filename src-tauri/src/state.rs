//! The state the commands work on (held with `app.manage`): the broker
//! client, the device key, the secret store, the clock, the session tokens,
//! the links received, the service's login in progress and the opener of
//! the system browser.

use std::sync::{Arc, Mutex};

use pivot_proto::citizen::{
    DeviceView, FraudReportAck, FraudReportRequest, HistoryPage, PreferencesUpdate, PreferencesView,
};
use url::Url;

use crate::broker::{BrokerClient, Credentials};
use crate::card::provider::CardProvider;
use crate::card::{CardReaders, NoReaders};
use crate::clock::Clock;
use crate::deeplinks::DeepLinks;
use crate::device_key::DeviceKey;
use crate::error::AppError;
use crate::interaction::TwinClient;
use crate::login::CurrentLogin;
use crate::secret_store::SecretStore;
use crate::signin::{SignInRequest, wait_for_callback};

/// How long a sign-in waits for the browser.
pub const SIGN_IN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// The name of the refresh token in the secret store.
pub const REFRESH_TOKEN: &str = "refresh-token";

/// Where the app talks to.
#[derive(Clone, Debug)]
pub struct AppConfig {
    /// The broker's URL (`https://pivot.example/`).
    pub broker: Url,
    /// The high-level broker of the federation (FranceConnect+: eidas2 and
    /// eidas3), if any: the app accepts its links too, and runs their
    /// logins there. The citizen's space stays at [`Self::broker`].
    pub high_broker: Option<Url>,
    /// The app's client id at the broker (`sandbox-app` in the sandbox).
    pub client_id: String,
}

/// The app's client id in the sandbox.
pub const SANDBOX_CLIENT_ID: &str = "sandbox-app";

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

/// Opens a URL in the system browser (see [`crate::open_browser`]); tests
/// and automation put their own in with [`AppState::with_opener`].
pub type Opener = Arc<dyn Fn(&Url) -> Result<(), AppError> + Send + Sync>;

/// The app's state.
pub struct AppState {
    broker: BrokerClient,
    pub(crate) twin: TwinClient,
    key: DeviceKey,
    store: Arc<dyn SecretStore>,
    pub(crate) clock: Arc<dyn Clock>,
    session: Mutex<Option<Tokens>>,
    /// Held while renewing: a refresh token is spent at first use, so two
    /// renewals at once would look like a theft to the broker.
    renewing: tokio::sync::Mutex<()>,
    broker_url: Url,
    client_id: String,
    links: DeepLinks,
    login: Mutex<Option<CurrentLogin>>,
    opener: Opener,
    pub(crate) card_readers: Arc<dyn CardReaders>,
    pub(crate) card_provider: CardProvider,
    pub(crate) card_timeout: std::time::Duration,
}

/// Calls the broker with the access token; when it is refused, renews the
/// tokens once and calls again.
macro_rules! with_renewal {
    ($self:ident, |$creds:ident| $call:expr) => {{
        let token = $self.access_token().await?;
        let first = {
            let $creds = $self.creds(&token);
            $call.await
        };
        match first {
            Err(AppError::SessionExpired) => {
                let token = $self.renew(Some(&token)).await?;
                let $creds = $self.creds(&token);
                let again = $call.await;
                $self.after(again)
            }
            other => other,
        }
    }};
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
            renewing: tokio::sync::Mutex::new(()),
            broker_url: config.broker.clone(),
            client_id: config.client_id.clone(),
            links: DeepLinks::new(
                std::iter::once(config.broker.clone())
                    .chain(config.high_broker.clone())
                    .collect(),
            ),
            twin: TwinClient::new()?,
            login: Mutex::new(None),
            opener: Arc::new(crate::open_browser),
            card_readers: Arc::new(NoReaders),
            card_provider: CardProvider::new()?,
            card_timeout: crate::card::login::CARD_TIMEOUT,
        })
    }

    /// The same state opening URLs with `opener` instead of the system
    /// browser.
    #[must_use]
    pub fn with_opener(mut self, opener: Opener) -> Self {
        self.opener = opener;
        self
    }

    /// The same state reading ID cards on `readers` (none by default).
    #[must_use]
    pub fn with_card_readers(mut self, readers: Arc<dyn CardReaders>) -> Self {
        self.card_readers = readers;
        self
    }

    /// The same state giving a card operation at most `timeout`.
    #[must_use]
    pub fn with_card_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.card_timeout = timeout;
        self
    }

    /// Opens `url` in the system browser (or with the opener put in).
    ///
    /// # Errors
    /// [`AppError::Internal`] if no browser can be started.
    pub fn open_url(&self, url: &Url) -> Result<(), AppError> {
        (self.opener)(url)
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

    /// Signs in to "Mon espace": `open` shows `authorize_url` in the
    /// browser, whose answer comes back to `listener` (loopback); the code
    /// is redeemed for DPoP-bound tokens.
    ///
    /// # Errors
    /// See [`AppError`]; [`AppError::Refused`] when the citizen cancels.
    pub async fn sign_in(
        &self,
        listener: tokio::net::TcpListener,
        open: impl FnOnce(&Url) -> Result<(), AppError>,
    ) -> Result<(), AppError> {
        let port = listener.local_addr().map_err(AppError::internal)?.port();
        let redirect_uri = format!("http://127.0.0.1:{port}/callback");
        let request =
            SignInRequest::new(&self.broker_url, &self.client_id, redirect_uri, &self.key)?;
        open(&request.authorize_url)?;
        let query = tokio::time::timeout(SIGN_IN_TIMEOUT, wait_for_callback(&listener))
            .await
            .map_err(|_| {
                AppError::Refused("la connexion n'a pas abouti à temps : recommencez".into())
            })??;
        let code = request.finish(&query, std::slice::from_ref(&self.broker_url))?;
        let answer = self
            .broker
            .exchange_code(
                &self.client_id,
                &code,
                &request.redirect_uri,
                &request.verifier,
                &self.key,
                self.clock.now(),
            )
            .await
            .map_err(|e| match e {
                AppError::SessionExpired => {
                    AppError::Refused("la connexion a été refusée : recommencez".into())
                }
                other => other,
            })?;
        self.set_session(Tokens {
            access_token: answer.access_token,
            refresh_token: answer.refresh_token,
        })
    }

    /// Ends the session: tokens forgotten here and in the store, links
    /// dropped, the refresh token revoked at the broker when it can be
    /// reached (signing out works offline too).
    ///
    /// # Errors
    /// [`AppError::Internal`] if the store fails.
    pub async fn sign_out(&self) -> Result<(), AppError> {
        let _renewing = self.renewing.lock().await;
        let refresh = self.store.get(REFRESH_TOKEN)?;
        *self.session_lock()? = None;
        self.store.delete(REFRESH_TOKEN)?;
        self.links.clear()?;
        if let Some(refresh) = refresh.and_then(|r| String::from_utf8(r).ok()) {
            // Best effort: the local session is over whatever the broker says.
            let _ = self.broker.revoke(&self.client_id, &refresh).await;
        }
        Ok(())
    }

    /// Whether a session is open.
    ///
    /// # Errors
    /// [`AppError::Internal`] if the state is broken.
    pub fn signed_in(&self) -> Result<bool, AppError> {
        Ok(self.session_lock()?.is_some())
    }

    /// The citizen's given names, from the broker's userinfo endpoint.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn given_name(&self) -> Result<Option<String>, AppError> {
        with_renewal!(self, |creds| self.broker.given_name(creds))
    }

    /// The history of the last six months.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn history(&self) -> Result<HistoryPage, AppError> {
        with_renewal!(self, |creds| self.broker.history(creds))
    }

    /// The preferences.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn preferences(&self) -> Result<PreferencesView, AppError> {
        with_renewal!(self, |creds| self.broker.preferences(creds))
    }

    /// Changes the preferences.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn update_preferences(
        &self,
        update: &PreferencesUpdate,
    ) -> Result<PreferencesView, AppError> {
        with_renewal!(self, |creds| self.broker.update_preferences(update, creds))
    }

    /// The devices.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn devices(&self) -> Result<Vec<DeviceView>, AppError> {
        with_renewal!(self, |creds| self.broker.devices(creds))
    }

    /// Forgets a device.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn forget_device(&self, device_id: &str) -> Result<(), AppError> {
        with_renewal!(self, |creds| self.broker.forget_device(device_id, creds))
    }

    /// Trusts this app for 90 days (no connection alerts from it).
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn trust_device(&self) -> Result<DeviceView, AppError> {
        with_renewal!(self, |creds| self.broker.trust_device(creds))
    }

    /// Sends a fraud report, checked here first.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn report(&self, report: &FraudReportRequest) -> Result<FraudReportAck, AppError> {
        report
            .validate()
            .map_err(|e| AppError::Invalid(e.to_string()))?;
        with_renewal!(self, |creds| self.broker.report(report, creds))
    }

    fn creds<'a>(&'a self, access_token: &'a str) -> Credentials<'a> {
        Credentials {
            access_token,
            key: &self.key,
            now: self.clock.now(),
        }
    }

    fn current_access_token(&self) -> Result<Option<String>, AppError> {
        Ok(self
            .session_lock()?
            .as_ref()
            .map(|t| t.access_token.clone()))
    }

    /// The access token in memory, or one renewed with the stored refresh
    /// token (after a restart).
    async fn access_token(&self) -> Result<String, AppError> {
        match self.current_access_token()? {
            Some(token) => Ok(token),
            None => self.renew(None).await,
        }
    }

    /// Renews the tokens with the stored refresh token, unless another call
    /// already replaced `stale`. A refused refresh token ends the session.
    async fn renew(&self, stale: Option<&str>) -> Result<String, AppError> {
        let _renewing = self.renewing.lock().await;
        if let Some(current) = self.current_access_token()?
            && Some(current.as_str()) != stale
        {
            return Ok(current);
        }
        let Some(refresh) = self.store.get(REFRESH_TOKEN)? else {
            *self.session_lock()? = None;
            return Err(AppError::SessionExpired);
        };
        let refresh = String::from_utf8(refresh).map_err(AppError::internal)?;
        let answer = self
            .broker
            .refresh(&self.client_id, &refresh, &self.key, self.clock.now())
            .await;
        match answer {
            Ok(answer) => {
                let access_token = answer.access_token.clone();
                self.set_session(Tokens {
                    access_token: answer.access_token,
                    // No new refresh token: the old one stays usable.
                    refresh_token: answer.refresh_token.or(Some(refresh)),
                })?;
                Ok(access_token)
            }
            Err(AppError::SessionExpired) => {
                *self.session_lock()? = None;
                self.store.delete(REFRESH_TOKEN)?;
                Err(AppError::SessionExpired)
            }
            Err(e) => Err(e),
        }
    }

    /// A token refused even after renewal ends the session here too.
    fn after<T>(&self, result: Result<T, AppError>) -> Result<T, AppError> {
        if matches!(result, Err(AppError::SessionExpired)) {
            *self.session_lock()? = None;
        }
        result
    }

    pub(crate) fn login_lock(
        &self,
    ) -> Result<std::sync::MutexGuard<'_, Option<CurrentLogin>>, AppError> {
        self.login
            .lock()
            .map_err(|_| AppError::internal("login lock poisoned"))
    }

    fn session_lock(&self) -> Result<std::sync::MutexGuard<'_, Option<Tokens>>, AppError> {
        self.session
            .lock()
            .map_err(|_| AppError::internal("session lock poisoned"))
    }
}
