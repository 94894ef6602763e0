//! A service's login through the broker's JSON twin: the link received
//! starts it, each command answers the next [`InteractionView`], and the
//! end — [`Step::Return`], or an error carrying a `return_url` — is handed
//! back to the browser the service runs in.
//!
//! One login at a time. The addresses handed back must lead to the
//! `redirect_uri` of the request the link carried: the app never sends the
//! browser elsewhere.

use std::sync::atomic::{AtomicBool, Ordering};

use pivot_proto::interaction::{
    ChooseFi, ConfirmAnswer, ConsentAnswer, FiCallback, InteractionView, Step,
};
use url::Url;

use crate::error::AppError;
use crate::interaction::{INTERACTION_EXPIRED, InteractionAt, TwinError};
use crate::state::AppState;

/// Event to the main window: the login moved on (payload: the
/// [`InteractionView`]), after the provider's window came back.
pub const EVENT_UPDATED: &str = "interaction-updated";

/// Event to the main window: sending the provider's answer failed
/// (payload: the [`AppError`], `{code, message}`).
pub const EVENT_FAILED: &str = "interaction-failed";

/// Event to the main window: the citizen closed the provider's window
/// before the end (payload: the interaction id).
pub const EVENT_FI_CLOSED: &str = "fi-login-closed";

/// Event to the main window: a service's login request arrived by link
/// while the app runs (no payload: ask `pending_request`).
pub const EVENT_LINK: &str = "login-requested";

/// The login in progress.
#[derive(Clone, Debug)]
pub struct CurrentLogin {
    /// Where it lives.
    pub at: InteractionAt,
    /// The service's `redirect_uri`, the only place the browser goes back to.
    pub redirect_uri: String,
    /// The last view the broker gave.
    pub view: InteractionView,
    /// At a card provider: the broker callback that leaves it (the
    /// challenge's `cancel_url`, or a refusal's `return_url`).
    pub card_exit: Option<String>,
}

/// Whether `url` is the broker's `callback_url` (same scheme, host and
/// port, same path): only that navigation of the provider's window is
/// stopped. A lookalike host or a longer path is not.
#[must_use]
pub fn is_fi_callback(callback_url: &Url, url: &Url) -> bool {
    url.scheme() == callback_url.scheme()
        && url.host() == callback_url.host()
        && url.port_or_known_default() == callback_url.port_or_known_default()
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == callback_url.path()
}

/// Whether `url` leads back to the service's `redirect_uri` (same origin
/// and path; the query carries the code or the error).
#[must_use]
pub fn returns_to(url: &str, redirect_uri: &str) -> bool {
    let (Ok(url), Ok(target)) = (Url::parse(url), Url::parse(redirect_uri)) else {
        return false;
    };
    matches!(url.scheme(), "https" | "http")
        && url.origin() == target.origin()
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == target.path()
}

/// The provider window's watch over its navigations: it stops the first
/// one to the broker's callback.
#[derive(Debug)]
pub struct FiWatch {
    /// The login.
    pub interaction_id: String,
    callback: Url,
    fired: AtomicBool,
}

impl FiWatch {
    /// The watch of a [`Step::FiLogin`] view (`None` for another step or
    /// an unreadable callback address).
    #[must_use]
    pub fn for_view(view: &InteractionView) -> Option<Self> {
        let Step::FiLogin { callback_url, .. } = &view.step else {
            return None;
        };
        Some(Self {
            interaction_id: view.id.clone(),
            callback: Url::parse(callback_url).ok()?,
            fired: AtomicBool::new(false),
        })
    }

    /// Whether `url` must be stopped and sent to the broker.
    #[must_use]
    pub fn intercepts(&self, url: &Url) -> bool {
        is_fi_callback(&self.callback, url)
    }

    /// Marks the callback as sent; `true` the first time only.
    pub fn fire(&self) -> bool {
        !self.fired.swap(true, Ordering::SeqCst)
    }

    /// Whether the callback was sent.
    #[must_use]
    pub fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }
}

/// Where a login's end may send the browser.
pub(crate) struct Context {
    broker: Url,
    redirect_uri: String,
}

impl AppState {
    /// Starts the service's login waiting as a link, at the broker it
    /// names; without one, the login in progress, if any. The link is
    /// consumed once the broker has answered (kept when it is out of reach).
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn start_login(&self) -> Result<Option<InteractionView>, AppError> {
        let Some(request) = self.links().pending()? else {
            return Ok(self.login_lock()?.as_ref().map(|c| c.view.clone()));
        };
        let result = self
            .twin
            .start(&request, self.device_key(), self.clock.now())
            .await;
        if !matches!(result, Err(TwinError::App(AppError::Offline))) {
            self.links().take_pending(&request)?;
        }
        let context = Context {
            broker: request.broker_origin.clone(),
            redirect_uri: request.redirect_uri.clone(),
        };
        self.settle(&context, result).map(Some)
    }

    /// The login's current step, read again.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn login_view(&self, interaction_id: &str) -> Result<InteractionView, AppError> {
        let (at, context) = self.current(interaction_id)?;
        let result = self
            .twin
            .get(&at, self.device_key(), self.clock.now())
            .await;
        self.settle(&context, result)
    }

    /// The view of the login in progress, as last received.
    ///
    /// # Errors
    /// [`AppError::Invalid`] if `interaction_id` is not the login in progress.
    pub fn login_last_view(&self, interaction_id: &str) -> Result<InteractionView, AppError> {
        self.current(interaction_id)?;
        self.login_lock()?
            .as_ref()
            .map(|c| c.view.clone())
            .ok_or_else(no_login)
    }

    /// Chooses the identity provider.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn choose_fi(
        &self,
        interaction_id: &str,
        fi_id: &str,
    ) -> Result<InteractionView, AppError> {
        let (at, context) = self.current(interaction_id)?;
        let body = ChooseFi {
            fi: fi_id.to_owned(),
        };
        let result = self
            .twin
            .choose_fi(&at, &body, self.device_key(), self.clock.now())
            .await;
        self.settle(&context, result)
    }

    /// Sends the provider's redirect to the broker's callback, as the
    /// provider's window saw it.
    ///
    /// # Errors
    /// [`AppError::Invalid`] if the login is not at the provider step or
    /// `url` is not its callback; otherwise see [`AppError`].
    pub async fn fi_callback(
        &self,
        interaction_id: &str,
        url: &Url,
    ) -> Result<InteractionView, AppError> {
        let (at, context) = self.current(interaction_id)?;
        let expected = self
            .login_lock()?
            .as_ref()
            .and_then(|c| FiWatch::for_view(&c.view));
        if !expected.is_some_and(|w| w.intercepts(url)) {
            return Err(AppError::Invalid(
                "cette adresse n'est pas le retour attendu du fournisseur d'identité".into(),
            ));
        }
        let body = FiCallback::from_url(url);
        let result = self
            .twin
            .fi_callback(&at, &body, self.device_key(), self.clock.now())
            .await;
        self.settle(&context, result)
    }

    /// Asks the civil registry again.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn retry_registry(&self, interaction_id: &str) -> Result<InteractionView, AppError> {
        let (at, context) = self.current(interaction_id)?;
        let result = self
            .twin
            .retry_registry(&at, self.device_key(), self.clock.now())
            .await;
        self.settle(&context, result)
    }

    /// Confirms the identity.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn confirm_login(
        &self,
        interaction_id: &str,
        answer: &ConfirmAnswer,
    ) -> Result<InteractionView, AppError> {
        let (at, context) = self.current(interaction_id)?;
        let result = self
            .twin
            .confirm(&at, answer, self.device_key(), self.clock.now())
            .await;
        self.settle(&context, result)
    }

    /// Sends the data decision: exactly the accepted scopes.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn consent(
        &self,
        interaction_id: &str,
        accepted: Vec<String>,
    ) -> Result<InteractionView, AppError> {
        let (at, context) = self.current(interaction_id)?;
        let body = ConsentAnswer { accepted };
        let result = self
            .twin
            .consent(&at, &body, self.device_key(), self.clock.now())
            .await;
        self.settle(&context, result)
    }

    /// Abandons the login: the service hears of it.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn cancel_login(&self, interaction_id: &str) -> Result<InteractionView, AppError> {
        let (at, context) = self.current(interaction_id)?;
        let result = self
            .twin
            .cancel(&at, self.device_key(), self.clock.now())
            .await;
        self.settle(&context, result)
    }

    /// Where `interaction_id` lives, if it is the login in progress.
    pub(crate) fn current(
        &self,
        interaction_id: &str,
    ) -> Result<(InteractionAt, Context), AppError> {
        let guard = self.login_lock()?;
        let current = guard
            .as_ref()
            .filter(|c| c.at.id == interaction_id)
            .ok_or_else(no_login)?;
        Ok((
            current.at.clone(),
            Context {
                broker: current.at.broker.clone(),
                redirect_uri: current.redirect_uri.clone(),
            },
        ))
    }

    /// Keeps the new view, or ends the login: [`Step::Return`] and errors
    /// with a `return_url` send the browser back to the service.
    fn settle(
        &self,
        context: &Context,
        result: Result<InteractionView, TwinError>,
    ) -> Result<InteractionView, AppError> {
        match result {
            Ok(view) => {
                if let Step::Return { redirect_url, .. } = &view.step {
                    *self.login_lock()? = None;
                    self.hand_back(redirect_url, &context.redirect_uri)?;
                } else {
                    *self.login_lock()? = Some(CurrentLogin {
                        at: InteractionAt {
                            broker: context.broker.clone(),
                            id: view.id.clone(),
                        },
                        redirect_uri: context.redirect_uri.clone(),
                        view: view.clone(),
                        card_exit: None,
                    });
                }
                Ok(view)
            }
            Err(TwinError::Broker { status, error }) => {
                if let Some(return_url) = &error.return_url {
                    *self.login_lock()? = None;
                    self.hand_back(return_url, &context.redirect_uri)?;
                    return Err(AppError::ReturnedToService(error.message));
                }
                if error.error == INTERACTION_EXPIRED {
                    *self.login_lock()? = None;
                }
                Err(TwinError::Broker { status, error }.into_app_error())
            }
            Err(TwinError::App(e)) => Err(e),
        }
    }

    /// Opens `url` in the browser, if it leads to the service.
    fn hand_back(&self, url: &str, redirect_uri: &str) -> Result<(), AppError> {
        if !returns_to(url, redirect_uri) {
            return Err(AppError::internal(format!(
                "the broker's return address does not lead to the service's redirect_uri {redirect_uri}"
            )));
        }
        let url = Url::parse(url).map_err(AppError::internal)?;
        self.open_url(&url)
    }
}

fn no_login() -> AppError {
    AppError::Invalid("cette connexion n'est plus en cours : recommencez depuis le service".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn only_the_callback_itself_is_intercepted() {
        let cb = url("http://127.0.0.1:7000/api/v2/fi/callback");
        for yes in [
            "http://127.0.0.1:7000/api/v2/fi/callback?code=a&state=s",
            "http://127.0.0.1:7000/api/v2/fi/callback",
            "http://127.0.0.1:7000/api/v2/fi/callback?error=access_denied#x",
        ] {
            assert!(is_fi_callback(&cb, &url(yes)), "{yes}");
        }
        for no in [
            "http://127.0.0.1:7001/api/v2/fi/callback?code=a",
            "https://127.0.0.1:7000/api/v2/fi/callback?code=a",
            "http://127.0.0.2:7000/api/v2/fi/callback?code=a",
            "http://127.0.0.1:7000/api/v2/fi/callbackx?code=a",
            "http://127.0.0.1:7000/api/v2/fi/callback/x?code=a",
            "http://127.0.0.1:7000/api/v2/fi/?next=/api/v2/fi/callback",
            "http://user@127.0.0.1:7000/api/v2/fi/callback?code=a",
            "http://fi.example/login?redirect=http://127.0.0.1:7000/api/v2/fi/callback",
        ] {
            assert!(!is_fi_callback(&cb, &url(no)), "{no}");
        }
        let cb = url("https://pivot.example/api/v2/fi/callback");
        assert!(is_fi_callback(
            &cb,
            &url("https://pivot.example:443/api/v2/fi/callback?code=a")
        ));
        for no in [
            "https://pivot.example.evil.fr/api/v2/fi/callback?code=a",
            "https://evil-pivot.example/api/v2/fi/callback?code=a",
            "https://pivot.example@evil.fr/api/v2/fi/callback?code=a",
            "http://pivot.example/api/v2/fi/callback?code=a",
        ] {
            assert!(!is_fi_callback(&cb, &url(no)), "{no}");
        }
    }

    #[test]
    fn the_watch_fires_once() {
        let view: InteractionView = serde_json::from_value(serde_json::json!({
            "id": "i1",
            "service": {"client_id": "c", "name": "S", "public_service": true},
            "level": "eidas1", "identity_items": [], "data": [],
            "step": "fi_login", "fi_id": "f", "fi_name": "F",
            "authorization_url": "https://fi.example/authorize",
            "callback_url": "https://pivot.example/api/v2/fi/callback"
        }))
        .unwrap();
        let watch = FiWatch::for_view(&view).unwrap();
        assert!(watch.intercepts(&url("https://pivot.example/api/v2/fi/callback?code=c")));
        assert!(!watch.intercepts(&url("https://fi.example/authorize")));
        assert!(!watch.fired());
        assert!(watch.fire());
        assert!(!watch.fire());
        assert!(watch.fired());
    }

    #[test]
    fn the_browser_only_goes_back_to_the_service() {
        let uri = "https://fs.example/login/callback";
        assert!(returns_to(
            "https://fs.example/login/callback?code=x&state=s",
            uri
        ));
        for no in [
            "https://fs.example.evil.fr/login/callback?code=x",
            "https://fs.example/other?code=x",
            "http://fs.example/login/callback?code=x",
            "https://a@fs.example/login/callback?code=x",
            "javascript:alert(1)",
            "not a url",
        ] {
            assert!(!returns_to(no, uri), "{no}");
        }
    }
}
