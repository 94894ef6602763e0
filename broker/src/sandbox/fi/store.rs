//! In-memory state of a demo FI: pending authorization requests, codes,
//! access tokens and FI sessions. Entries expire by the clock passed in;
//! expired ones are swept whenever a new entry is added.

use std::{
    collections::HashMap,
    sync::{Mutex, PoisonError},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::{RngCore, rngs::OsRng};
use time::{Duration, OffsetDateTime};

use crate::sandbox::citizens::Citizen;

/// How long the login form stays usable.
pub(super) const PENDING_TTL: Duration = Duration::minutes(10);
/// Authorization code lifetime.
pub(super) const CODE_TTL: Duration = Duration::seconds(60);
/// Access token lifetime.
pub(super) const ACCESS_TOKEN_TTL: Duration = Duration::seconds(60);
/// ID token lifetime.
pub(super) const ID_TOKEN_TTL: Duration = Duration::minutes(5);
/// FI session lifetime (not sliding).
pub(super) const SESSION_TTL: Duration = Duration::minutes(30);
/// Failed logins after which a pending request is locked.
pub(super) const MAX_FAILURES: u32 = 5;

/// `bytes` random bytes from the OS, base64url without padding.
pub(super) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

/// A validated authorization request.
#[derive(Clone, Debug)]
pub(super) struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: String,
    pub nonce: String,
    pub code_challenge: String,
    pub scopes: Vec<String>,
}

/// An authorization request waiting for the citizen to log in.
#[derive(Clone, Debug)]
pub(super) struct Pending {
    pub request: AuthRequest,
    pub expires: OffsetDateTime,
    pub failures: u32,
}

impl Pending {
    /// Too many failed attempts: only abandoning is still possible.
    pub fn locked(&self) -> bool {
        self.failures >= MAX_FAILURES
    }
}

/// What an authorization code stands for.
#[derive(Clone, Debug)]
pub(super) struct CodeGrant {
    pub request: AuthRequest,
    pub citizen: &'static Citizen,
    pub auth_time: OffsetDateTime,
    pub expires: OffsetDateTime,
    used: bool,
    issued_token: Option<String>,
}

impl CodeGrant {
    pub fn new(
        request: AuthRequest,
        citizen: &'static Citizen,
        auth_time: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            request,
            citizen,
            auth_time,
            expires: now + CODE_TTL,
            used: false,
            issued_token: None,
        }
    }
}

/// Outcome of presenting a code at the token endpoint.
#[derive(Debug)]
pub(super) enum Redeem {
    /// First use of a live code: it is now spent.
    Fresh(Box<CodeGrant>),
    /// The code was already used: what it issued has been revoked.
    Replayed,
    /// Unknown or expired.
    Invalid,
}

/// What an access token grants.
#[derive(Clone, Debug)]
pub(super) struct AccessGrant {
    pub citizen: &'static Citizen,
    pub scopes: Vec<String>,
    pub expires: OffsetDateTime,
}

/// A citizen logged in at this FI (SSO at the FI).
#[derive(Clone, Debug)]
pub(super) struct FiSession {
    pub citizen: &'static Citizen,
    pub auth_time: OffsetDateTime,
    pub expires: OffsetDateTime,
}

#[derive(Debug, Default)]
struct Inner {
    pending: HashMap<String, Pending>,
    codes: HashMap<String, CodeGrant>,
    tokens: HashMap<String, AccessGrant>,
    sessions: HashMap<String, FiSession>,
}

/// The FI's in-memory store.
#[derive(Debug, Default)]
pub(super) struct Store(Mutex<Inner>);

impl Store {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records a pending request; returns its unguessable 128-bit id.
    pub fn new_pending(&self, request: AuthRequest, now: OffsetDateTime) -> String {
        let id = random_token(16);
        let mut s = self.lock();
        s.pending.retain(|_, p| p.expires > now);
        s.pending.insert(
            id.clone(),
            Pending {
                request,
                expires: now + PENDING_TTL,
                failures: 0,
            },
        );
        id
    }

    /// A live pending request.
    pub fn pending(&self, id: &str, now: OffsetDateTime) -> Option<Pending> {
        self.lock()
            .pending
            .get(id)
            .filter(|p| p.expires > now)
            .cloned()
    }

    /// Counts a failed login; returns the updated request.
    pub fn record_failure(&self, id: &str) -> Option<Pending> {
        let mut s = self.lock();
        let p = s.pending.get_mut(id)?;
        p.failures = p.failures.saturating_add(1);
        Some(p.clone())
    }

    /// Removes and returns a live pending request.
    pub fn take_pending(&self, id: &str, now: OffsetDateTime) -> Option<Pending> {
        self.lock().pending.remove(id).filter(|p| p.expires > now)
    }

    /// Issues a code for a grant.
    pub fn new_code(&self, grant: CodeGrant, now: OffsetDateTime) -> String {
        let code = random_token(32);
        let mut s = self.lock();
        s.codes.retain(|_, c| c.expires > now);
        s.codes.insert(code.clone(), grant);
        code
    }

    /// Spends a code. A second use revokes the access token the first one
    /// issued (RFC 6749 §4.1.2).
    pub fn redeem_code(&self, code: &str, now: OffsetDateTime) -> Redeem {
        let mut s = self.lock();
        let Some(grant) = s.codes.get_mut(code).filter(|c| c.expires > now) else {
            return Redeem::Invalid;
        };
        if grant.used {
            let revoked = grant.issued_token.take();
            if let Some(token) = revoked {
                s.tokens.remove(&token);
            }
            return Redeem::Replayed;
        }
        grant.used = true;
        Redeem::Fresh(Box::new(grant.clone()))
    }

    /// Issues an access token, remembered by the code it came from.
    pub fn new_access_token(&self, code: &str, grant: AccessGrant, now: OffsetDateTime) -> String {
        let token = random_token(32);
        let mut s = self.lock();
        s.tokens.retain(|_, t| t.expires > now);
        s.tokens.insert(token.clone(), grant);
        if let Some(c) = s.codes.get_mut(code) {
            c.issued_token = Some(token.clone());
        }
        token
    }

    /// A live access token.
    pub fn access_token(&self, token: &str, now: OffsetDateTime) -> Option<AccessGrant> {
        self.lock()
            .tokens
            .get(token)
            .filter(|t| t.expires > now)
            .cloned()
    }

    /// Opens an FI session; returns its id (the cookie value).
    pub fn new_session(
        &self,
        citizen: &'static Citizen,
        auth_time: OffsetDateTime,
        now: OffsetDateTime,
    ) -> String {
        let id = random_token(32);
        let mut s = self.lock();
        s.sessions.retain(|_, x| x.expires > now);
        s.sessions.insert(
            id.clone(),
            FiSession {
                citizen,
                auth_time,
                expires: now + SESSION_TTL,
            },
        );
        id
    }

    /// A live FI session.
    pub fn session(&self, id: &str, now: OffsetDateTime) -> Option<FiSession> {
        self.lock()
            .sessions
            .get(id)
            .filter(|x| x.expires > now)
            .cloned()
    }

    /// Ends an FI session.
    pub fn end_session(&self, id: &str) {
        self.lock().sessions.remove(id);
    }
}
