//! The citizen's browser session: a signed, HttpOnly, SameSite=Lax cookie
//! (Secure outside loopback) holding a random id; the data lives server-side,
//! sealed, keyed by the id's hash.

use std::collections::BTreeMap;

use axum_extra::extract::{
    SignedCookieJar,
    cookie::{Cookie, SameSite},
};
use pivot_proto::{
    eidas::Eidas,
    identity::{FiIdentity, PivotIdentity},
    oauth::{AuthorizeRequest, OAuthError},
};
use serde::{Deserialize, Serialize};

use crate::{
    crypto::{random_token, sha256_hex},
    error::BrokerError,
    state::AppState,
};

/// Default name of the session cookie (the low platform's; each platform
/// has its own, so that two platforms on one host keep their sessions).
pub const COOKIE: &str = "pivot_session";

/// A login at an FI, the basis of SSO. Holds the FI identity: it only ever
/// lives sealed in the session store.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SsoLogin {
    /// The validated identity, as the FI sent it.
    pub identity: FiIdentity,
    /// The civil registry's identity (found or corrected); `None` when no
    /// registry is configured.
    #[serde(default)]
    pub registry: Option<PivotIdentity>,
    /// Which FI.
    pub fi_id: String,
    /// The level the FI asserted.
    pub acr: Eidas,
    /// Authentication methods the FI reported.
    pub amr: Vec<String>,
    /// When the citizen authenticated (Unix seconds).
    pub auth_time: i64,
    /// The FI's ID token, kept for logging out at the FI.
    pub fi_id_token: String,
}

/// A login at an FI in progress.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FiPending {
    /// Which FI.
    pub fi_id: String,
    /// `state` sent to the FI.
    pub state: String,
    /// `nonce` sent to the FI.
    pub nonce: String,
    /// PKCE verifier.
    pub pkce_verifier: String,
    /// When a fresh authentication was demanded: the FI's `auth_time` must
    /// not be older than this.
    #[serde(default)]
    pub fresh_since: Option<i64>,
}

/// One authorization request from an FS, from `/authorize` to the code.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Interaction {
    /// Random id, in the interaction URLs.
    pub id: String,
    /// The validated request.
    pub request: AuthorizeRequest,
    /// The FS's display name.
    pub client_name: String,
    /// Creation time.
    pub created_at: i64,
    /// FI login in progress.
    pub fi: Option<FiPending>,
    /// The session's SSO login may be used for this request.
    pub authenticated: bool,
    /// An FI login waiting for the civil-registry check (kept to retry the
    /// check when the registry was unavailable).
    #[serde(default)]
    pub unverified: Option<SsoLogin>,
    /// Why the login cannot go on: sent to the service when the citizen
    /// returns to it (`access_denied` when unset).
    #[serde(default)]
    pub failure: Option<OAuthError>,
    /// The citizen confirmed the identity page (and, for a private service,
    /// agreed to share it); the data-consent step may follow.
    #[serde(default)]
    pub confirmed: bool,
    /// The citizen ticked "Faire confiance à cet appareil".
    #[serde(default)]
    pub trust_device: bool,
}

/// A logout waiting for the FI to send the citizen back.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingLogout {
    /// State sent to the FI.
    pub state: String,
    /// Where the FS wants the citizen afterwards (already validated).
    pub redirect: String,
}

/// What the server keeps for a browser.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SessionData {
    /// CSRF token of the forms.
    pub csrf: String,
    /// Creation time (non-sliding sessions expire from it).
    pub created_at: i64,
    /// Requests in progress, by id.
    pub interactions: BTreeMap<String, Interaction>,
    /// The finished FI login, if any.
    pub sso: Option<SsoLogin>,
    /// A logout in progress.
    pub pending_logout: Option<PendingLogout>,
    /// The grants issued to services from this browser session (most
    /// recent last, at most [`MAX_SESSION_GRANTS`]): logging out revokes
    /// their access tokens, so that no service nor data provider acts on a
    /// login the citizen ended.
    #[serde(default)]
    pub grants: Vec<String>,
    /// Random id tying this browser session's events together (kept when
    /// the session id is renewed at login).
    #[serde(default)]
    pub trace: String,
    /// Services already sent a connection alert in this session (at most
    /// one per service per session).
    #[serde(default)]
    pub alerted: Vec<String>,
    /// The citizen space's login in progress, if any.
    #[serde(default)]
    pub space_pending: Option<crate::citizen::web::SpacePending>,
    /// The citizen space's login.
    #[serde(default)]
    pub space: Option<crate::citizen::web::SpaceLogin>,
    /// The connection a "Ce n'est pas vous ?" concerns, kept for the fraud
    /// report form.
    #[serde(default)]
    pub report_context: Option<crate::citizen::report::ReportContext>,
}

/// How many grant ids a session remembers.
pub const MAX_SESSION_GRANTS: usize = 64;

impl SessionData {
    /// Remembers a grant issued from this session.
    pub fn remember_grant(&mut self, grant_id: String) {
        self.grants.push(grant_id);
        let extra = self.grants.len().saturating_sub(MAX_SESSION_GRANTS);
        self.grants.drain(..extra);
    }
}

/// A loaded session.
#[derive(Debug)]
pub struct Session {
    id: String,
    /// The session of the citizen app holding a device key (its id derives
    /// from the key's thumbprint, never from a cookie).
    app: bool,
    /// Its data.
    pub data: SessionData,
}

/// Prefix of app session ids (`app.<jkt>`). A cookie cannot carry one: the
/// cookie is signed by the broker, which only ever signs random ids.
const APP_SESSION_PREFIX: &str = "app.";

/// Interactions kept per session at most (oldest dropped).
const MAX_INTERACTIONS: usize = 8;

impl Session {
    /// Checks a submitted CSRF token.
    #[must_use]
    pub fn csrf_ok(&self, submitted: &str) -> bool {
        // (the CSRF token is per session, renewed at login)
        !self.data.csrf.is_empty() && crate::crypto::ct_eq(&self.data.csrf, submitted)
    }

    /// Whether this is the citizen app's session (JSON interaction).
    #[must_use]
    pub fn is_app(&self) -> bool {
        self.app
    }

    /// Adds an interaction, dropping the oldest beyond the limit.
    pub fn add_interaction(&mut self, i: Interaction) {
        self.data.interactions.insert(i.id.clone(), i);
        while self.data.interactions.len() > MAX_INTERACTIONS {
            let oldest = self
                .data
                .interactions
                .values()
                .min_by_key(|i| i.created_at)
                .map(|i| i.id.clone());
            if let Some(id) = oldest {
                self.data.interactions.remove(&id);
            }
        }
    }
}

impl AppState {
    /// Loads the browser's session, or starts a fresh one (not yet stored).
    ///
    /// # Errors
    /// On storage failure. A session that does not open is treated as absent.
    pub async fn load_session(&self, jar: &SignedCookieJar) -> Result<Session, BrokerError> {
        match jar.get(&self.cfg.session_cookie) {
            Some(c) => self.open_session(c.value().to_owned(), false).await,
            None => self.open_session(random_token(32), false).await,
        }
    }

    /// Loads the citizen app's session for the device key `jkt` (its DPoP
    /// key thumbprint), or starts a fresh one (not yet stored).
    ///
    /// # Errors
    /// On storage failure.
    pub async fn load_app_session(&self, jkt: &str) -> Result<Session, BrokerError> {
        self.open_session(format!("{APP_SESSION_PREFIX}{jkt}"), true)
            .await
    }

    async fn open_session(&self, id: String, app: bool) -> Result<Session, BrokerError> {
        let now = self.now();
        let hash = sha256_hex(&id);
        if let Some(blob) = self.store.session(&hash, now).await? {
            if let Ok(mut data) = self.sealer.open_json::<SessionData>(&blob, hash.as_bytes()) {
                if !self.cfg.session_sliding && data.created_at + self.cfg.session_ttl_secs <= now {
                    // A non-sliding session's login is over.
                    data.sso = None;
                }
                return Ok(Session { id, app, data });
            }
            tracing::warn!("session blob did not open; starting a new session");
        }
        // An unknown browser id is replaced (never adopt an id a browser
        // chose); an app id is the key's.
        let id = if app { id } else { random_token(32) };
        Ok(Session {
            id,
            app,
            data: SessionData {
                csrf: random_token(32),
                created_at: now,
                trace: random_token(16),
                ..SessionData::default()
            },
        })
    }

    /// Stores the session and returns the jar with its cookie set.
    ///
    /// # Errors
    /// On storage or sealing failure.
    pub async fn save_session(
        &self,
        jar: SignedCookieJar,
        s: &Session,
    ) -> Result<SignedCookieJar, BrokerError> {
        self.store_session(s).await?;
        Ok(jar.add(self.session_cookie(s.id.clone())))
    }

    /// Stores the session (without touching any cookie).
    ///
    /// # Errors
    /// On storage or sealing failure.
    pub async fn store_session(&self, s: &Session) -> Result<(), BrokerError> {
        let now = self.now();
        let ttl = self.cfg.session_ttl_secs;
        let expires_at = if self.cfg.session_sliding {
            now + ttl
        } else {
            // The login ends at created_at + ttl; a request started before
            // then may still be finishing at the FI: the row lives as long
            // as its newest interaction (the SSO login itself is dropped on
            // load once its time is over).
            let newest = s
                .data
                .interactions
                .values()
                .map(|i| i.created_at + self.cfg.interaction_ttl_secs)
                .max()
                .unwrap_or(0);
            (s.data.created_at + ttl).max(newest)
        };
        let hash = sha256_hex(&s.id);
        let blob = self.sealer.seal_json(&s.data, hash.as_bytes())?;
        self.store.put_session(&hash, &blob, expires_at).await?;
        Ok(())
    }

    /// Gives the session a new id and CSRF token and deletes the old row.
    /// Called when the session gains a login, so that an id planted in the
    /// browser beforehand (session fixation) is worthless afterwards. The
    /// caller then saves the session.
    ///
    /// # Errors
    /// On storage failure.
    pub async fn renew_session(&self, s: &mut Session) -> Result<(), BrokerError> {
        if !s.app {
            // (an app session's id is its key's: nothing could be planted)
            self.store.delete_session(&sha256_hex(&s.id)).await?;
            s.id = random_token(32);
        }
        s.data.csrf = random_token(32);
        // A non-sliding session lasts from its latest login.
        s.data.created_at = self.now();
        Ok(())
    }

    /// Ends the session server-side and removes the cookie.
    ///
    /// # Errors
    /// On storage failure.
    pub async fn end_session(
        &self,
        jar: SignedCookieJar,
        s: &Session,
    ) -> Result<SignedCookieJar, BrokerError> {
        let mut revoked = 0;
        for grant in &s.data.grants {
            revoked += self.store.revoke_grant(grant).await?;
        }
        if revoked > 0 {
            tracing::info!(revoked, "logout revoked the session's access tokens");
        }
        self.store.delete_session(&sha256_hex(&s.id)).await?;
        Ok(jar.remove(self.session_cookie(String::new())))
    }

    fn session_cookie(&self, value: String) -> Cookie<'static> {
        // A browser-session cookie (no Max-Age): the server-side expiry rules.
        Cookie::build((self.cfg.session_cookie.clone(), value))
            .path("/")
            .http_only(true)
            .secure(self.cfg.secure_cookies)
            .same_site(SameSite::Lax)
            .build()
    }
}
