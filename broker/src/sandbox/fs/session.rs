//! In-memory browser sessions of a demo service provider (demo only: lost on
//! restart, bounded in size).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::AccessToken;
use openidconnect::core::CoreIdToken;
use rand::RngCore as _;
use serde_json::Value;
use subtle::ConstantTimeEq as _;
use time::{Duration, OffsetDateTime};

/// Idle lifetime of a session (sliding).
const SESSION_TTL: Duration = Duration::minutes(30);
/// Lifetime of a started login waiting for its callback.
const PENDING_TTL: Duration = Duration::minutes(10);
/// Logins a session may have in flight at once (several tabs).
const MAX_PENDING: usize = 8;
/// Sessions kept at most; the oldest go first beyond this.
const MAX_SESSIONS: usize = 10_000;

/// `n` random bytes, base64url without padding.
pub(crate) fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Compares two secrets in constant time.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A login started by `POST /login`, waiting for the broker's callback.
#[derive(Clone, Debug)]
pub(crate) struct PendingLogin {
    /// The `state` sent to the broker.
    pub state: String,
    /// The `nonce` sent to the broker.
    pub nonce: String,
    /// The PKCE code verifier.
    pub pkce_verifier: String,
    /// When the login started.
    pub started_at: OffsetDateTime,
    /// The income year chosen for the family quotient, if this service
    /// computes one.
    pub annee: Option<i32>,
}

/// What the service knows once the citizen is logged in.
#[derive(Clone, Debug)]
pub(crate) struct LoggedIn {
    /// Userinfo claims, as returned by the broker.
    pub userinfo: BTreeMap<String, Value>,
    /// Verified ID token claims.
    pub id_token_claims: BTreeMap<String, Value>,
    /// The ID token itself, sent back as `id_token_hint` at logout.
    pub id_token: CoreIdToken,
    /// The access token of the login (short-lived), for data providers.
    /// Never shown nor logged: its `Debug` prints `[redacted]`.
    pub access_token: AccessToken,
    /// The scopes the broker granted (its token response's `scope`, or
    /// those requested when it had none).
    pub granted_scopes: Vec<String>,
}

/// One browser session.
#[derive(Debug)]
pub(crate) struct Session {
    /// Anti-CSRF token of the session's forms.
    pub csrf: String,
    /// Logins in flight.
    pending: Vec<PendingLogin>,
    /// The `state` sent with the last logout request.
    pub logout_state: Option<String>,
    /// The logged-in citizen, if any.
    pub login: Option<LoggedIn>,
    /// The family quotient obtained or typed, for a service computing one.
    pub quotient: Option<super::quotient::Record>,
    expires_at: OffsetDateTime,
}

impl Session {
    fn new(now: OffsetDateTime) -> Self {
        Self {
            csrf: random_token(32),
            pending: Vec::new(),
            logout_state: None,
            login: None,
            quotient: None,
            expires_at: now + SESSION_TTL,
        }
    }

    /// Whether `token` is this session's anti-CSRF token.
    pub fn csrf_matches(&self, token: &str) -> bool {
        same_secret(&self.csrf, token)
    }

    /// Records a started login, forgetting the oldest beyond the limit.
    pub fn add_pending(&mut self, pending: PendingLogin) {
        self.pending.push(pending);
        if self.pending.len() > MAX_PENDING {
            let excess = self.pending.len() - MAX_PENDING;
            self.pending.drain(..excess);
        }
    }

    /// Takes the started login with this `state` (single use), if still
    /// valid at `now`.
    pub fn take_pending(&mut self, state: &str, now: OffsetDateTime) -> Option<PendingLogin> {
        self.pending.retain(|p| p.started_at + PENDING_TTL > now);
        let idx = self
            .pending
            .iter()
            .position(|p| same_secret(&p.state, state))?;
        Some(self.pending.remove(idx))
    }
}

/// A session id: 128 random bits, base64url.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct SessionId(String);

impl SessionId {
    /// The cookie value.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// All sessions of one service provider.
#[derive(Debug, Default)]
pub(crate) struct SessionStore {
    inner: Mutex<HashMap<SessionId, Session>>,
}

impl SessionStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, Session>> {
        // A panic while holding the lock cannot leave a session half-written
        // in a way that matters for a demo: keep serving.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The live session with this cookie value, or a new one. Returns the
    /// id and whether it was created (the cookie must then be set).
    pub fn load_or_create(&self, cookie: Option<&str>, now: OffsetDateTime) -> (SessionId, bool) {
        let mut map = self.lock();
        if let Some(id) = cookie.map(|c| SessionId(c.to_owned()))
            && let Some(s) = map.get_mut(&id)
        {
            if s.expires_at > now {
                s.expires_at = now + SESSION_TTL;
                return (id, false);
            }
            map.remove(&id);
        }
        if map.len() >= MAX_SESSIONS {
            map.retain(|_, s| s.expires_at > now);
        }
        if map.len() >= MAX_SESSIONS
            && let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.expires_at)
                .map(|(id, _)| id.clone())
        {
            map.remove(&oldest);
        }
        let id = SessionId(random_token(16));
        map.insert(id.clone(), Session::new(now));
        (id, true)
    }

    /// Runs `f` on the live session with this cookie value; `None` when
    /// there is none.
    pub fn with<R>(
        &self,
        cookie: Option<&str>,
        now: OffsetDateTime,
        f: impl FnOnce(&mut Session) -> R,
    ) -> Option<R> {
        let mut map = self.lock();
        let id = SessionId(cookie?.to_owned());
        let session = map.get_mut(&id)?;
        if session.expires_at <= now {
            map.remove(&id);
            return None;
        }
        session.expires_at = now + SESSION_TTL;
        Some(f(session))
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    fn at(secs: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::seconds(secs)
    }

    #[test]
    fn sessions_expire_and_slide() {
        let store = SessionStore::default();
        let (id, created) = store.load_or_create(None, at(0));
        assert!(created);
        assert_eq!(id.as_str().len(), 22);
        let (same, created) = store.load_or_create(Some(id.as_str()), at(20 * 60));
        assert!(!created);
        assert_eq!(same, id);
        // Slid to 50 min: still alive at 45 min, gone at 51.
        assert!(store.with(Some(id.as_str()), at(45 * 60), |_| ()).is_some());
        assert!(store.with(Some(id.as_str()), at(76 * 60), |_| ()).is_none());
        let (fresh, created) = store.load_or_create(Some(id.as_str()), at(76 * 60));
        assert!(created);
        assert_ne!(fresh, id);
    }

    #[test]
    fn pending_logins_are_single_use_and_expire() {
        let mut s = Session::new(at(0));
        let pending = |state: &str, t| PendingLogin {
            state: state.into(),
            nonce: "n".into(),
            pkce_verifier: "v".into(),
            started_at: at(t),
            annee: None,
        };
        s.add_pending(pending("a", 0));
        s.add_pending(pending("b", 0));
        assert!(s.take_pending("a", at(1)).is_some());
        assert!(s.take_pending("a", at(1)).is_none());
        assert!(s.take_pending("b", at(11 * 60)).is_none());
        for i in 0..20 {
            s.add_pending(pending(&format!("s{i}"), 0));
        }
        assert!(s.take_pending("s0", at(1)).is_none());
        assert!(s.take_pending("s19", at(1)).is_some());
    }

    #[test]
    fn debug_never_shows_the_access_token() {
        use std::str::FromStr as _;
        let b64 = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        let jwt = format!(
            "{}.{}.c2ln",
            b64(serde_json::json!({"alg": "ES256"})),
            b64(
                serde_json::json!({"iss": "https://broker.example", "sub": "s",
                "aud": "fs", "exp": 2, "iat": 1})
            )
        );
        let login = LoggedIn {
            userinfo: BTreeMap::new(),
            id_token_claims: BTreeMap::new(),
            id_token: CoreIdToken::from_str(&jwt).unwrap(),
            access_token: AccessToken::new("at-very-secret-value".into()),
            granted_scopes: vec!["openid".into(), "dgfip_rfr".into()],
        };
        let shown = format!("{login:?}");
        assert!(!shown.contains("at-very-secret-value"), "{shown}");
        assert!(shown.contains("[redacted]"));
        assert!(shown.contains("dgfip_rfr"));
    }

    #[test]
    fn csrf_is_compared_exactly() {
        let s = Session::new(at(0));
        let token = s.csrf.clone();
        assert!(s.csrf_matches(&token));
        assert!(!s.csrf_matches(""));
        assert!(!s.csrf_matches(&token[1..]));
    }
}
