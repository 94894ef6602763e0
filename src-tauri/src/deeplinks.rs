//! Links that open the app (`pivot://authorize?...`, `pivot://callback?...`,
//! `https://<broker>/api/v2/authorize?...`), read narrowly by
//! `pivot_proto::deeplink::parse` against the configured broker origins. A
//! service's login waits here until the interface asks for it; a refused link
//! changes nothing.

use std::sync::Mutex;

use pivot_proto::deeplink::{self, AppAuthorize, AppCallback, DeepLink};
use url::Url;

use crate::error::AppError;

/// What a link brought.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Received {
    /// A service asks for a login through the app.
    Authorize,
    /// The broker sent the app's own sign-in back.
    Callback,
}

/// The links received and not yet handled.
#[derive(Debug)]
pub struct DeepLinks {
    allowed_origins: Vec<Url>,
    pending: Mutex<Option<AppAuthorize>>,
    callback: Mutex<Option<AppCallback>>,
}

impl DeepLinks {
    /// Accepts links of the brokers at `allowed_origins` only.
    #[must_use]
    pub fn new(allowed_origins: Vec<Url>) -> Self {
        Self {
            allowed_origins,
            pending: Mutex::new(None),
            callback: Mutex::new(None),
        }
    }

    /// Reads `link`; a service's login replaces any older one waiting.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for any link not exactly of the accepted shapes.
    pub fn receive(&self, link: &str) -> Result<Received, AppError> {
        let parsed = deeplink::parse(link, &self.allowed_origins).map_err(|e| {
            AppError::Invalid(format!(
                "ce lien n'a pas été ouvert : il ne vient pas de Pivot ou il est incomplet ({e})"
            ))
        })?;
        match parsed {
            DeepLink::Authorize(request) => {
                *lock(&self.pending)? = Some(*request);
                Ok(Received::Authorize)
            }
            DeepLink::Callback(callback) => {
                *lock(&self.callback)? = Some(callback);
                Ok(Received::Callback)
            }
        }
    }

    /// The service's login waiting, if any.
    ///
    /// # Errors
    /// [`AppError::Internal`] if the state is broken.
    pub fn pending(&self) -> Result<Option<AppAuthorize>, AppError> {
        Ok(lock(&self.pending)?.clone())
    }

    /// Forgets the service's login waiting, if it is still `request` (a
    /// newer link stays).
    ///
    /// # Errors
    /// [`AppError::Internal`] if the state is broken.
    pub fn take_pending(&self, request: &AppAuthorize) -> Result<(), AppError> {
        let mut pending = lock(&self.pending)?;
        if pending.as_ref() == Some(request) {
            *pending = None;
        }
        Ok(())
    }

    /// Takes the sign-in callback received, if any.
    ///
    /// # Errors
    /// [`AppError::Internal`] if the state is broken.
    pub fn take_callback(&self) -> Result<Option<AppCallback>, AppError> {
        Ok(lock(&self.callback)?.take())
    }

    /// Forgets everything received.
    ///
    /// # Errors
    /// [`AppError::Internal`] if the state is broken.
    pub fn clear(&self) -> Result<(), AppError> {
        *lock(&self.pending)? = None;
        *lock(&self.callback)? = None;
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> Result<std::sync::MutexGuard<'_, T>, AppError> {
    m.lock()
        .map_err(|_| AppError::internal("deep-link state lock poisoned"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BROKER: &str = "https://pivot.example/";

    fn links() -> DeepLinks {
        DeepLinks::new(vec![Url::parse(BROKER).unwrap()])
    }

    fn authorize_query(state: &str) -> String {
        format!(
            "client_id=sp-demo&response_type=code&redirect_uri=https%3A%2F%2Fsp.example%2Fcb\
             &scope=openid%20given_name&state={state}&nonce=n0nce"
        )
    }

    #[test]
    fn a_service_login_waits_until_asked() {
        let l = links();
        let link = format!("pivot://authorize?{}", authorize_query("s1"));
        assert_eq!(l.receive(&link).unwrap(), Received::Authorize);
        let pending = l.pending().unwrap().unwrap();
        assert_eq!(pending.client_id, "sp-demo");
        assert_eq!(pending.state, "s1");
        assert_eq!(pending.broker_origin.as_str(), BROKER);

        let app_link = format!("{BROKER}api/v2/authorize?{}", authorize_query("s2"));
        l.receive(&app_link).unwrap();
        assert_eq!(l.pending().unwrap().unwrap().state, "s2");
        l.clear().unwrap();
        assert_eq!(l.pending().unwrap(), None);
    }

    #[test]
    fn a_callback_from_the_broker_is_kept_once() {
        let l = links();
        let link = "pivot://callback?code=abc&state=xyz&iss=https%3A%2F%2Fpivot.example";
        assert_eq!(l.receive(link).unwrap(), Received::Callback);
        assert!(matches!(
            l.take_callback().unwrap(),
            Some(AppCallback::Code { code, .. }) if code == "abc"
        ));
        assert_eq!(l.take_callback().unwrap(), None);
    }

    #[test]
    fn hostile_links_are_refused_and_change_nothing() {
        let l = links();
        let good = format!("pivot://authorize?{}", authorize_query("good"));
        l.receive(&good).unwrap();
        let q = authorize_query("evil");
        let hostile = [
            String::new(),
            "javascript:alert(1)".into(),
            "file:///etc/passwd".into(),
            format!("pivot://evil?{q}"),
            format!("pivot://authorize/extra?{q}"),
            format!("pivot://authorize:8443?{q}"),
            format!("pivot://authorize?{q}#frag"),
            format!("pivot://authorize?{q}&unknown=1"),
            format!("pivot://authorize?{q}&state=twice"),
            format!("pivot://authorize?{q} "),
            format!("pivot://authorize?{q}&ui_locales=fr\u{202e}"),
            format!("https://evil.example/api/v2/authorize?{q}"),
            format!("https://user@pivot.example/api/v2/authorize?{q}"),
            format!("http://pivot.example/api/v2/authorize?{q}"),
            format!("https://pivot.example/other?{q}"),
            format!(
                "pivot://authorize?{}",
                q.replace("https%3A%2F%2Fsp", "http%3A%2F%2Fsp")
            ),
            format!("pivot://authorize?{}", "a=b&".repeat(3000)),
            "pivot://callback?code=abc&state=xyz&iss=https%3A%2F%2Fevil.example".into(),
            "pivot://callback?code=abc&error=x&state=xyz&iss=https%3A%2F%2Fpivot.example".into(),
            "pivot://callback?code=abc&iss=https%3A%2F%2Fpivot.example".into(),
        ];
        for link in &hostile {
            let err = l.receive(link).expect_err(link);
            assert_eq!(err.code(), "invalid", "{link}");
            assert!(err.to_string().starts_with("ce lien"), "{link}");
        }
        assert_eq!(l.pending().unwrap().unwrap().state, "good");
        assert_eq!(l.take_callback().unwrap(), None);
    }

    #[test]
    fn without_a_configured_broker_nothing_is_accepted() {
        let l = DeepLinks::new(Vec::new());
        let link = format!("pivot://authorize?{}", authorize_query("s"));
        assert!(l.receive(&link).is_err());
    }
}
