//! In-process tests of the broker's router: the real `router(state)` built
//! from a configuration written in code, driven with `tower::ServiceExt::oneshot`,
//! with a fixed clock and codes seeded directly into storage (no identity
//! provider needed).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod harness;

mod app_interaction;
mod authorize;
mod citizen;
mod data;
mod discovery;
mod interaction;
mod keys;
mod native_app;
mod session_end;
mod sso;
mod token;
mod userinfo;
