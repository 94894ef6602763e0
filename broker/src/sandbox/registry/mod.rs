//! The sandbox's civil registry (RNIPP) service: a real HTTP server that
//! answers the broker's identity checks from its own records
//! ([`data::RECORDS`]), with the matching rules documented in [`data`].
//!
//! One endpoint, `POST` [`SEARCH_PATH`]: a JSON [`RnippQuery`] in, a JSON
//! [`RnippResponse`](pivot_proto::rnipp::RnippResponse) out (`200` for every
//! outcome, refusals included). The API key goes in the [`API_KEY_HEADER`]
//! header (`401` without it or with a wrong one); a body that is not a
//! query is a `400`. Errors are JSON `{"error": …, "error_description": …}`.
//!
//! A [`RegistryControl`] switches the running service into a faulty mode
//! (`503` for every request, or a delay before every answer) so that tests
//! can prove the broker copes with an unavailable or slow registry.
//!
//! [`SEARCH_PATH`]: pivot_proto::rnipp::SEARCH_PATH
//! [`API_KEY_HEADER`]: pivot_proto::rnipp::API_KEY_HEADER
//! [`RnippQuery`]: pivot_proto::rnipp::RnippQuery

pub mod data;
mod handlers;

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use axum::{Router, middleware::from_fn_with_state, routing::post};
use pivot_proto::rnipp::SEARCH_PATH;

use crate::{clock::SharedClock, secret::Secret};

/// How long a slow record makes the registry wait by default: longer than
/// the broker's default registry time-out (5 s).
pub const DEFAULT_SLOW_DELAY: Duration = Duration::from_secs(15);

/// What a registry service is started with.
#[derive(Clone, Debug)]
pub struct RegistrySpec {
    /// The key every caller must send.
    pub api_key: Secret,
    /// How long the lookup of a record marked slow takes.
    pub slow_delay: Duration,
}

impl RegistrySpec {
    /// A spec with this key and [`DEFAULT_SLOW_DELAY`].
    #[must_use]
    pub fn new(api_key: Secret) -> Self {
        Self {
            api_key,
            slow_delay: DEFAULT_SLOW_DELAY,
        }
    }
}

/// How the registry service behaves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum RegistryBehaviour {
    /// Answers every query.
    #[default]
    Normal,
    /// Answers `503 Service Unavailable` to every request.
    Unavailable,
    /// Waits this long before handling every request.
    Slow(Duration),
}

/// Shared, switchable behaviour of a registry service. Clones share the
/// same setting.
#[derive(Clone, Debug, Default)]
pub struct RegistryControl(Arc<Mutex<RegistryBehaviour>>);

impl RegistryControl {
    /// A control starting in [`RegistryBehaviour::Normal`].
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Switches the behaviour; takes effect on the next request.
    pub fn set(&self, behaviour: RegistryBehaviour) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = behaviour;
    }

    /// The current behaviour.
    #[must_use]
    pub fn get(&self) -> RegistryBehaviour {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// State shared by the handlers.
#[derive(Debug)]
struct RegistryState {
    spec: RegistrySpec,
    clock: SharedClock,
    records: &'static [data::Record],
}

/// The registry service over the sandbox's records.
pub fn router(spec: RegistrySpec, control: RegistryControl, clock: SharedClock) -> Router {
    router_with_records(spec, control, clock, data::RECORDS)
}

/// The registry service over `records` (tests use their own data).
pub fn router_with_records(
    spec: RegistrySpec,
    control: RegistryControl,
    clock: SharedClock,
    records: &'static [data::Record],
) -> Router {
    let state = Arc::new(RegistryState {
        spec,
        clock,
        records,
    });
    Router::new()
        .route(SEARCH_PATH, post(handlers::search))
        .fallback(handlers::not_found)
        .with_state(state)
        .layer(from_fn_with_state(control, handlers::apply_control))
}

#[cfg(test)]
mod tests;
