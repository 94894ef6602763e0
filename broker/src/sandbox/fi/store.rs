//! In-memory state of a demo FI: pending authorization requests (with their
//! one-time code when the level needs one, or their card challenge), codes,
//! access tokens, FI sessions and the demo phone's messages. Entries expire by the clock
//! passed in; expired ones are swept whenever a new entry is added.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, PoisonError},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use pivot_card::holder::Holder;
use pivot_proto::{card_auth::CHALLENGE_LEN, eidas::Eidas};
use rand::{Rng, RngCore, rngs::OsRng};
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};

use crate::{sandbox::citizens::Citizen, secret::Secret};

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
/// Lifetime of a one-time code.
pub(super) const OTP_TTL: Duration = Duration::minutes(5);
/// Wrong one-time codes after which the login restarts.
pub(super) const OTP_MAX_ATTEMPTS: u32 = 3;
/// Lifetime of a card challenge.
pub(super) const CARD_CHALLENGE_TTL: Duration = Duration::minutes(5);
/// Messages the demo phone keeps (oldest dropped first).
const PHONE_CAPACITY: usize = 200;

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
    /// The level this login is for (asserted as `acr`).
    pub acr: Eidas,
}

/// An authorization request waiting for the citizen to log in.
#[derive(Clone, Debug)]
pub(super) struct Pending {
    pub request: AuthRequest,
    pub expires: OffsetDateTime,
    pub failures: u32,
    pub step: Step,
}

/// Where a pending login stands.
#[derive(Clone, Debug)]
pub(super) enum Step {
    /// Waiting for the identifier and password.
    Password,
    /// Password checked; waiting for the one-time code.
    Code(Challenge),
}

/// A one-time code sent for a pending login.
#[derive(Clone, Debug)]
pub(super) struct Challenge {
    /// Who gave the right password.
    pub citizen: &'static Citizen,
    /// The identifier they typed, in canonical form.
    pub login: String,
    code: Secret,
    pub expires: OffsetDateTime,
    /// Wrong codes typed so far.
    pub attempts: u32,
    message: u64,
}

/// Outcome of typing a one-time code.
#[derive(Debug)]
pub(super) enum CodeCheck {
    /// Right and live: the pending request is taken (single use).
    Accepted(Box<Pending>, &'static Citizen),
    /// Wrong; this many attempts are left.
    Wrong { left: u32 },
    /// Wrong for the last time: the login is back to the password step.
    TooManyAttempts,
    /// Too late: the login is back to the password step.
    Expired,
    /// The request waits for a password, not a code.
    NotAwaiting,
    /// No live pending request.
    Unknown,
}

/// A one-time code as the demo phone received it.
#[derive(Clone, Debug)]
pub(super) struct PhoneMessage {
    /// Identifier of the login it was sent for (canonical form).
    pub login: String,
    /// The code.
    pub code: Secret,
    pub sent: OffsetDateTime,
    pub expires: OffsetDateTime,
    pub status: MessageStatus,
    id: u64,
}

/// What became of a sent code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum MessageStatus {
    /// Sent and not used (it may have expired since).
    Sent,
    /// Typed successfully.
    Used,
    /// Replaced by a new code, refused after too many attempts, or its
    /// login abandoned.
    Cancelled,
}

/// Six random digits.
fn new_otp() -> Secret {
    Secret::new(format!("{:06}", OsRng.gen_range(0..1_000_000u32)))
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
    /// Whether the login took the one-time code too.
    pub second_factor: bool,
    /// The verified ID card of a card login: the identity comes from it.
    pub card: Option<Arc<Holder>>,
    pub expires: OffsetDateTime,
    used: bool,
    issued_token: Option<String>,
}

impl CodeGrant {
    pub fn new(
        request: AuthRequest,
        citizen: &'static Citizen,
        auth_time: OffsetDateTime,
        second_factor: bool,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            request,
            citizen,
            auth_time,
            second_factor,
            card: None,
            expires: now + CODE_TTL,
            used: false,
            issued_token: None,
        }
    }
}

/// An authorization request waiting for the card's answer to its
/// challenge.
#[derive(Clone, Debug)]
pub(super) struct CardPending {
    pub request: AuthRequest,
    /// The challenge, [`CHALLENGE_LEN`] random bytes.
    pub challenge: [u8; CHALLENGE_LEN],
    pub expires: OffsetDateTime,
}

/// Outcome of taking a card request for its answer.
#[derive(Debug)]
pub(super) enum CardTake {
    /// Live: it is now spent.
    Live(Box<CardPending>),
    /// Its challenge expired (it is spent too).
    Expired(Box<CardPending>),
    /// Unknown: answered already, never issued, or long gone.
    Unknown,
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
    /// The verified ID card of a card login.
    pub card: Option<Arc<Holder>>,
    pub scopes: Vec<String>,
    pub expires: OffsetDateTime,
}

/// A citizen logged in at this FI (SSO at the FI).
#[derive(Clone, Debug)]
pub(super) struct FiSession {
    pub citizen: &'static Citizen,
    pub auth_time: OffsetDateTime,
    /// Whether the login took the one-time code too.
    pub second_factor: bool,
    pub expires: OffsetDateTime,
}

#[derive(Debug, Default)]
struct Inner {
    pending: HashMap<String, Pending>,
    codes: HashMap<String, CodeGrant>,
    tokens: HashMap<String, AccessGrant>,
    sessions: HashMap<String, FiSession>,
    cards: HashMap<String, CardPending>,
    /// Newest first.
    phone: VecDeque<PhoneMessage>,
    next_message: u64,
}

impl Inner {
    fn set_message_status(&mut self, id: u64, status: MessageStatus) {
        if let Some(m) = self.phone.iter_mut().find(|m| m.id == id) {
            m.status = status;
        }
    }
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
                step: Step::Password,
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

    /// Removes and returns a live pending request; a code it was waiting
    /// for is cancelled.
    pub fn take_pending(&self, id: &str, now: OffsetDateTime) -> Option<Pending> {
        let mut s = self.lock();
        let pending = s.pending.remove(id)?;
        if let Step::Code(ch) = &pending.step {
            s.set_message_status(ch.message, MessageStatus::Cancelled);
        }
        (pending.expires > now).then_some(pending)
    }

    /// Moves a live pending request to the code step for `citizen` (whose
    /// password was right): a new code replaces any previous one and lands
    /// on the demo phone. Returns the code, `None` when the request is gone.
    pub fn send_code(
        &self,
        id: &str,
        citizen: &'static Citizen,
        login: &str,
        now: OffsetDateTime,
    ) -> Option<Secret> {
        let mut guard = self.lock();
        let s = &mut *guard;
        let pending = s.pending.get_mut(id).filter(|p| p.expires > now)?;
        let code = new_otp();
        let message = s.next_message;
        s.next_message = s.next_message.wrapping_add(1);
        let previous = match &pending.step {
            Step::Code(ch) => Some(ch.message),
            Step::Password => None,
        };
        pending.step = Step::Code(Challenge {
            citizen,
            login: login.to_owned(),
            code: code.clone(),
            expires: now + OTP_TTL,
            attempts: 0,
            message,
        });
        if let Some(previous) = previous {
            s.set_message_status(previous, MessageStatus::Cancelled);
        }
        s.phone.push_front(PhoneMessage {
            login: login.to_owned(),
            code: code.clone(),
            sent: now,
            expires: now + OTP_TTL,
            status: MessageStatus::Sent,
            id: message,
        });
        s.phone.truncate(PHONE_CAPACITY);
        Some(code)
    }

    /// Checks a typed one-time code. A right, live code is spent with its
    /// pending request; after [`OTP_MAX_ATTEMPTS`] wrong ones, or once it
    /// has expired, the request goes back to the password step.
    pub fn check_code(&self, id: &str, typed: &str, now: OffsetDateTime) -> CodeCheck {
        let mut guard = self.lock();
        let s = &mut *guard;
        let Some(pending) = s.pending.get_mut(id).filter(|p| p.expires > now) else {
            return CodeCheck::Unknown;
        };
        let Step::Code(ch) = &mut pending.step else {
            return CodeCheck::NotAwaiting;
        };
        let message = ch.message;
        if ch.expires <= now {
            pending.step = Step::Password;
            return CodeCheck::Expired;
        }
        if bool::from(ch.code.expose().as_bytes().ct_eq(typed.as_bytes())) {
            let citizen = ch.citizen;
            s.set_message_status(message, MessageStatus::Used);
            return match s.pending.remove(id) {
                Some(p) => CodeCheck::Accepted(Box::new(p), citizen),
                None => CodeCheck::Unknown,
            };
        }
        ch.attempts = ch.attempts.saturating_add(1);
        if ch.attempts >= OTP_MAX_ATTEMPTS {
            pending.step = Step::Password;
            s.set_message_status(message, MessageStatus::Cancelled);
            return CodeCheck::TooManyAttempts;
        }
        CodeCheck::Wrong {
            left: OTP_MAX_ATTEMPTS - ch.attempts,
        }
    }

    /// The demo phone's messages, newest first.
    pub fn phone(&self) -> Vec<PhoneMessage> {
        self.lock().phone.iter().cloned().collect()
    }

    /// Records a request waiting for a card, with a fresh challenge;
    /// returns its unguessable 128-bit id and the challenge. Requests
    /// expired for longer than their lifetime are swept.
    pub fn new_card_request(
        &self,
        request: AuthRequest,
        now: OffsetDateTime,
    ) -> (String, [u8; CHALLENGE_LEN]) {
        let id = random_token(16);
        let mut challenge = [0u8; CHALLENGE_LEN];
        OsRng.fill_bytes(&mut challenge);
        let mut s = self.lock();
        // Kept a while after expiry, to tell "expired" from "unknown".
        s.cards.retain(|_, c| c.expires + CARD_CHALLENGE_TTL > now);
        s.cards.insert(
            id.clone(),
            CardPending {
                request,
                challenge,
                expires: now + CARD_CHALLENGE_TTL,
            },
        );
        (id, challenge)
    }

    /// Takes the card request `id` for its one answer (single use).
    pub fn take_card_request(&self, id: &str, now: OffsetDateTime) -> CardTake {
        match self.lock().cards.remove(id) {
            Some(c) if c.expires > now => CardTake::Live(Box::new(c)),
            Some(c) => CardTake::Expired(Box::new(c)),
            None => CardTake::Unknown,
        }
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
        second_factor: bool,
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
                second_factor,
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
