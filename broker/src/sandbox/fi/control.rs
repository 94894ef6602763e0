//! Behaviour control: tests (and testers) switch a running demo FI into a
//! faulty mode to prove the broker copes with it.

use std::sync::{Arc, Mutex, PoisonError};

use axum::{
    extract::{Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use pivot_proto::eidas::Eidas;

/// How a demo FI behaves.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum FiBehaviour {
    /// A well-behaved OpenID provider.
    #[default]
    Normal,
    /// The ID token's signature is broken (one bit flipped).
    TamperedIdToken,
    /// The `iss` of the authorization response and of the ID token is not
    /// the FI's issuer (see [`super::wrong_issuer`]); discovery still
    /// announces the real one.
    WrongIssuer,
    /// The ID token carries a nonce other than the one requested.
    WrongNonce,
    /// Every endpoint waits this long before answering.
    Slow(std::time::Duration),
    /// Every endpoint answers `503 Service Unavailable`.
    Unavailable,
    /// The FI authenticates at this level and asserts it as `acr`, whatever
    /// the request asked and whatever levels the FI supports: a password
    /// alone below `eidas2`, a password and a one-time code from `eidas2`
    /// up. The ID token's `acr` is this level whenever the switch is on at
    /// the token request. Lets tests check that the broker refuses a level
    /// lower than the one it asked.
    AssertAcr(Eidas),
    /// The card provider treats the card with this number as declared lost
    /// or stolen: it refuses it once verified (`card_revoked`).
    RevokedCard(String),
}

/// Shared, switchable behaviour of one FI. Clones share the same setting.
#[derive(Clone, Debug, Default)]
pub struct FiControl(Arc<Mutex<FiBehaviour>>);

impl FiControl {
    /// A control starting in [`FiBehaviour::Normal`].
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Switches the behaviour; takes effect on the next request.
    pub fn set(&self, behaviour: FiBehaviour) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = behaviour;
    }

    /// The current behaviour.
    #[must_use]
    pub fn get(&self) -> FiBehaviour {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Middleware applying the endpoint-wide behaviours (`Slow`, `Unavailable`).
pub(super) async fn apply(State(control): State<FiControl>, req: Request, next: Next) -> Response {
    match control.get() {
        FiBehaviour::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "60")],
            "Service temporairement indisponible.",
        )
            .into_response(),
        FiBehaviour::Slow(delay) => {
            tokio::time::sleep(delay).await;
            next.run(req).await
        }
        _ => next.run(req).await,
    }
}
