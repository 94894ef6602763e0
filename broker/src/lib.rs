//! Pivot broker: the federation hub. OpenID provider toward service providers
//! (FS), OpenID client toward identity providers (FI), plus the sandbox.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod clock;
pub mod sandbox;
pub mod secret;
pub mod web;
