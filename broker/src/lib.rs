//! Pivot broker: the federation hub. OpenID provider toward service providers
//! (FS), OpenID client toward identity providers (FI), plus the sandbox.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod app;
pub mod applinks;
pub mod citizen;
pub mod client_keys;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod error;
pub mod fi_client;
pub mod grant;
pub mod interaction;
pub mod jwe;
pub mod keys;
pub mod mail;
pub mod op;
pub mod pages;
pub mod rnipp;
pub mod sandbox;
pub mod secret;
pub mod session;
pub mod state;
pub mod storage;
pub mod web;
