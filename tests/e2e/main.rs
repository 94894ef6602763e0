#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! End-to-end tests: each test starts its own sandbox (broker, demo identity
//! providers, demo services) on free loopback ports and drives it over HTTP
//! as a browser and as service back ends would.

mod app_login;
mod authorize_rules;
mod card_login;
mod citizen_space;
mod csrf;
mod data_providers;
mod desktop;
mod discovery;
mod fi_failures;
mod headers;
mod high_platform;
mod id_token;
mod levels;
mod login;
mod registry;
mod sso_logout;
mod token;
