#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! End-to-end test harness for Pivot.
//!
//! [`TestSandbox`] starts the real sandbox (broker, demo identity providers,
//! demo services) on free loopback ports with a private data directory;
//! [`Browser`] is an HTTP client with a cookie store that never follows
//! redirects on its own, so that tests see every hop; [`journey`] drives a
//! browser through the chooser, the FI login form and the confirmation
//! page; [`oidc`] is a hand-written OpenID client for protocol-level tests;
//! [`app`] and [`card`] stand in for the citizen app (its DPoP key, the
//! broker's JSON twin, the ID card and the card provider's contract);
//! [`desktop`] starts the citizen app's real window against a sandbox and
//! drives it through [`webdriver`].

pub mod app;
pub mod browser;
pub mod card;
pub mod desktop;
pub mod journey;
pub mod oidc;
pub mod webdriver;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use pivot_broker::{
    clock::FixedClock,
    sandbox::{FiInfo, Sandbox, SandboxOptions, ServiceInfo},
};
use time::{OffsetDateTime, macros::datetime};

pub use browser::{Browser, Form, Page, Trail};
pub use journey::{Journey, Stage, login};
pub use oidc::{AuthRequest, CodeResponse, HttpReply};

/// Where a [`FixedClock`] sandbox starts: a date far from the wall clock, so
/// that any party reading the system time instead of its clock shows up.
pub const FIXED_START: OffsetDateTime = datetime!(2024-03-14 09:26:53 UTC);

/// Client id of the demo "mairie" service.
pub const MAIRIE: &str = "sandbox-mairie";
/// Its client secret.
pub const MAIRIE_SECRET: &str = "sandbox-secret-mairie";
/// Client id of the demo "médiathèque" service.
pub const MEDIATHEQUE: &str = "sandbox-mediatheque";

/// A running sandbox with its own data directory. Dropping it stops every
/// server and deletes the directory.
#[derive(Debug)]
pub struct TestSandbox {
    /// The sandbox itself.
    pub sb: Sandbox,
    /// The clock, when the sandbox was started with a fixed one.
    pub clock: Option<FixedClock>,
    data_dir: PathBuf,
    dir: tempfile::TempDir,
}

/// Options of [`TestSandbox::launch`].
#[derive(Debug, Default)]
pub struct Launch {
    /// Use a [`FixedClock`] at [`FIXED_START`].
    pub fixed_clock: bool,
    /// Extra clients, as the TOML of a sandbox clients file.
    pub clients_toml: Option<String>,
    /// FI time-out, in seconds.
    pub fi_timeout_secs: Option<u64>,
    /// Also start the test-only providers (the `test-eidas3` FI).
    pub test_providers: bool,
}

impl TestSandbox {
    /// Starts a sandbox with the system clock.
    pub async fn start() -> Result<Self> {
        Self::start_with(|_| {}).await
    }

    /// Starts a sandbox after `f` has adjusted the options.
    pub async fn start_with(f: impl FnOnce(&mut SandboxOptions)) -> Result<Self> {
        Self::launch(Launch::default(), f).await
    }

    /// Starts a sandbox whose every party reads a [`FixedClock`] at
    /// [`FIXED_START`]; move it with [`TestSandbox::advance`].
    pub async fn start_fixed_clock() -> Result<Self> {
        Self::launch(
            Launch {
                fixed_clock: true,
                ..Launch::default()
            },
            |_| {},
        )
        .await
    }

    /// Starts a sandbox with extra clients registered from a clients file.
    pub async fn start_with_clients(toml: &str) -> Result<Self> {
        Self::launch(
            Launch {
                clients_toml: Some(toml.to_owned()),
                ..Launch::default()
            },
            |_| {},
        )
        .await
    }

    /// The general form.
    pub async fn launch(launch: Launch, f: impl FnOnce(&mut SandboxOptions)) -> Result<Self> {
        let dir = tempfile::tempdir().context("temporary data directory")?;
        let data_dir = dir.path().join("data");
        let mut opts = SandboxOptions::new(data_dir);
        opts.base_port = 0;
        let clock = launch.fixed_clock.then(|| FixedClock::new(FIXED_START));
        if let Some(c) = &clock {
            opts.clock = std::sync::Arc::new(c.clone());
        }
        if let Some(toml) = &launch.clients_toml {
            let path = dir.path().join("clients.toml");
            std::fs::write(&path, toml).context("writing the clients file")?;
            opts.clients_file = Some(path);
        }
        if let Some(t) = launch.fi_timeout_secs {
            opts.fi_timeout_secs = t;
        }
        opts.test_providers = launch.test_providers;
        // Short registry delays, so that the slow record times out quickly.
        opts.registry_timeout_secs = 1;
        opts.registry_slow_delay = std::time::Duration::from_secs(3);
        f(&mut opts);
        let data_dir = opts.data_dir.clone();
        let sb = Sandbox::start(opts).await.context("starting the sandbox")?;
        Ok(Self {
            sb,
            clock,
            data_dir,
            dir,
        })
    }

    /// Moves the fixed clock forward.
    ///
    /// # Panics
    /// When the sandbox runs on the system clock.
    pub fn advance(&self, secs: i64) {
        self.clock
            .as_ref()
            .expect("this sandbox has no fixed clock")
            .advance(time::Duration::seconds(secs));
    }

    /// The broker's current time (Unix seconds), from its own clock.
    #[must_use]
    pub fn now(&self) -> i64 {
        self.sb.state.now()
    }

    /// The broker's data directory.
    #[must_use]
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The temporary directory (for extra files of a test).
    #[must_use]
    pub fn temp_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The issuer, `{broker}/api/v2`.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.sb.issuer
    }

    /// Starts a sandbox with the test-only providers (an `eidas3` FI on the
    /// high platform) and, when `fixed_clock`, a [`FixedClock`].
    pub async fn start_high(fixed_clock: bool) -> Result<Self> {
        Self::launch(
            Launch {
                fixed_clock,
                test_providers: true,
                ..Launch::default()
            },
            |_| {},
        )
        .await
    }

    /// The high platform's issuer, `{high broker}/api/v2`.
    #[must_use]
    pub fn high_issuer(&self) -> &str {
        &self.sb.high.issuer
    }

    /// A URL on the high platform's broker.
    #[must_use]
    pub fn high(&self, path: &str) -> String {
        format!("{}{path}", self.sb.high.url)
    }

    /// An endpoint of the high platform's provider (`/token` → `{issuer}/token`).
    #[must_use]
    pub fn high_endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.sb.high.issuer)
    }

    /// The high platform's pairwise-sub secret (`high/secrets.json`).
    pub fn high_sub_secret(&self) -> Result<String> {
        generated_sub_secret(&self.data_dir().join("high"))
    }

    /// A URL on the broker (`path` starts with `/`).
    #[must_use]
    pub fn broker(&self, path: &str) -> String {
        format!("{}{path}", self.sb.broker_url)
    }

    /// An endpoint of the OpenID provider (`/token` → `{issuer}/token`).
    #[must_use]
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.sb.issuer)
    }

    /// A demo service by slug (`mairie`, `mediatheque`).
    ///
    /// # Panics
    /// When there is no such service.
    #[must_use]
    pub fn service(&self, slug: &str) -> &ServiceInfo {
        self.sb
            .services
            .iter()
            .find(|s| s.slug == slug)
            .unwrap_or_else(|| panic!("no service {slug}"))
    }

    /// A demo FI by id (`ameli`, `impots`, `laposte`, `msa`).
    ///
    /// # Panics
    /// When there is no such FI.
    #[must_use]
    pub fn fi(&self, id: &str) -> &FiInfo {
        self.sb.fi(id).unwrap_or_else(|| panic!("no FI {id}"))
    }

    /// The redirect URI registered for a demo service: `{url}/callback`.
    #[must_use]
    pub fn callback(&self, slug: &str) -> String {
        format!("{}/callback", self.service(slug).url)
    }

    /// The pairwise-sub secret the broker generated into `secrets.json`.
    pub fn sub_secret(&self) -> Result<String> {
        generated_sub_secret(self.data_dir())
    }

    /// A fresh browser (empty cookie store).
    #[must_use]
    pub fn browser(&self) -> Browser {
        Browser::new()
    }
}

/// The `sub_secret` a broker generated into `dir/secrets.json`.
fn generated_sub_secret(dir: &Path) -> Result<String> {
    let path = dir.join("secrets.json");
    let raw = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let v: serde_json::Value = serde_json::from_slice(&raw)?;
    v["sub_secret"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no sub_secret in {}", path.display()))
}
