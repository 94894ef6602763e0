//! The citizen app's real window, driven end to end.
//!
//! [`DesktopApp::launch`] starts a sandbox (in process, free ports), a
//! private D-Bus session bus, and `tauri-driver` (which runs WebKitGTK's
//! `WebKitWebDriver`, which starts `pivot-app`) in a fresh user namespace
//! and session keyring — so the app's secret store starts empty — with a
//! fresh `HOME`, `PIVOT_BROKER_URL` and `PIVOT_BROKER_HIGH_URL` set to the
//! sandbox's brokers and
//! `PIVOT_BROWSER` set to a small script that hands every URL the app opens
//! to the test instead of a browser. The test then drives the window over
//! WebDriver and plays the citizen's web browser with a [`Browser`].
//! [`DesktopApp::launch_with`] adds a card reader: a private pcscd with
//! vsmartcard's virtual reader, where the test puts sandbox cards.
//!
//! It needs a display (`DISPLAY`: `scripts/app-test.sh` starts Xvfb),
//! `tauri-driver`, `WebKitWebDriver`, `dbus-daemon`, `unshare` and `keyctl`
//! (`scripts/setup.sh` installs them) and the app binary (`PIVOT_APP_BIN`,
//! by default `$CARGO_TARGET_DIR/debug/pivot-app`). Whatever is missing is
//! an error, never a skip. Screenshots go to `$ARTIFACTS_DIR/app-*.png`,
//! logs to `$ARTIFACTS_DIR/app-logs/<test>/`; when a test fails, the tails
//! of the logs are printed and the display is saved as
//! `app-<test>-FAILED.png`.

use std::fs::File;
use std::future::Future;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail, ensure};
use pivot_card::pcscd::{PrivatePcscd, SOCKET_VAR};
use pivot_card::sandbox::issue_test_card;
use pivot_card::vpcd::CardSlot;
use serde_json::json;

use crate::journey::{self, Journey};
use crate::webdriver::{WebDriver, indent};
use crate::{Browser, TestSandbox};

/// How long `tauri-driver` may take to listen.
pub const DRIVER_START: Duration = Duration::from_secs(20);
/// How long the app may take to start and show its first screen.
pub const APP_START: Duration = Duration::from_secs(60);
/// How long a screen may take to show what a step expects.
pub const SCREEN: Duration = Duration::from_secs(20);
/// How long the app may take to open the browser after a click.
pub const BROWSER_OPEN: Duration = Duration::from_secs(20);
/// Lines of each log printed when a test fails.
const LOG_TAIL: usize = 40;

/// A running app under test, with its sandbox and the citizen's browser.
/// Dropping it stops every process it started.
pub struct DesktopApp {
    /// The app's window.
    pub window: WebDriver,
    /// The citizen's web browser (what the system browser would be).
    pub browser: Browser,
    // Stopped before the sandbox goes (fields drop in this order).
    procs: Processes,
    /// The sandbox the app talks to.
    pub sb: TestSandbox,
    opened_file: PathBuf,
    opened_seen: Mutex<usize>,
    bus_address: String,
    app_bin: PathBuf,
    /// How the app is started (user namespace, session keyring) and its
    /// environment, for a second start.
    wrapper: Vec<PathBuf>,
    app_env: Vec<(String, std::ffi::OsString)>,
    /// The card reader, when the test asked for one: its slot (emptied
    /// before pcscd stops).
    card_slot: Mutex<Option<CardSlot>>,
    /// Held for its `Drop` (stops pcscd), after the slot.
    _pcscd: Option<PrivatePcscd>,
    _dir: tempfile::TempDir,
}

/// The processes of one test, where their logs and pictures go, and how
/// a failure is reported. Dropping it stops them.
struct Processes {
    name: String,
    artifacts: PathBuf,
    logs: PathBuf,
    children: Vec<Started>,
}

impl std::fmt::Debug for DesktopApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DesktopApp")
            .field("name", &self.procs.name)
            .finish_non_exhaustive()
    }
}

/// A process the harness started, in its own process group.
struct Started {
    what: &'static str,
    child: Child,
}

impl Started {
    fn spawn(what: &'static str, command: &mut Command, log: &Path) -> Result<Self> {
        let out = File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let err = out.try_clone()?;
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {what} ({:?})", command.get_program()))?;
        Ok(Self { what, child })
    }

    /// An error if the process has exited.
    fn check_running(&mut self) -> Result<()> {
        match self.child.try_wait()? {
            Some(status) => bail!("{} exited ({status})", self.what),
            None => Ok(()),
        }
    }

    /// SIGTERM to the whole group, then SIGKILL after a grace period.
    #[allow(
        clippy::disallowed_methods,
        reason = "runs from Drop, which cannot await: a short blocking wait for the exit"
    )]
    fn stop(&mut self) {
        let group = format!("-{}", self.child.id());
        if self.child.try_wait().ok().flatten().is_none() {
            signal(&group, "TERM");
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline && self.child.try_wait().ok().flatten().is_none() {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        // Whatever is left of the group (the app, WebKit's helpers).
        signal(&group, "KILL");
        let _ = self.child.wait();
    }
}

fn signal(group: &str, sig: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{sig}"), "--", group])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// The workspace root (the tests crate is one level below it).
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// A path from the environment, relative ones taken from the workspace root.
fn env_path(var: &str) -> Option<PathBuf> {
    let value = std::env::var_os(var).filter(|v| !v.is_empty())?;
    let path = PathBuf::from(value);
    Some(if path.is_absolute() {
        path
    } else {
        workspace_root().join(path)
    })
}

/// The app binary: `PIVOT_APP_BIN`, or `debug/pivot-app` in cargo's target
/// folder (`CARGO_TARGET_DIR`, by default `~/.cache/pivot/target` as the
/// Makefile sets it).
fn app_binary() -> Result<PathBuf> {
    let bin = env_path("PIVOT_APP_BIN").unwrap_or_else(|| {
        let target = env_path("CARGO_TARGET_DIR").unwrap_or_else(|| {
            let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
            Path::new(&home).join(".cache/pivot/target")
        });
        target.join("debug/pivot-app")
    });
    ensure!(
        bin.is_file(),
        "no app binary at {}: build it with `bash scripts/build-ui.sh && cargo build -p pivot-app` \
         or set PIVOT_APP_BIN",
        bin.display()
    );
    Ok(bin)
}

/// A program on `PATH` (or at `fallback`), or an error naming who installs it.
fn program(name: &str, fallback: Option<&str>) -> Result<PathBuf> {
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    if let Some(f) = fallback.map(PathBuf::from).filter(|f| f.is_file()) {
        return Ok(f);
    }
    bail!("`{name}` is not installed (on PATH): run `bash scripts/setup.sh test`")
}

/// `wrapper` (its first item the program) with `env` on top of this
/// process's environment, less its `PIVOT_*` variables.
fn wrapped(wrapper: &[PathBuf], env: &[(String, std::ffi::OsString)]) -> Command {
    let mut command = Command::new(wrapper.first().map_or(Path::new("env"), PathBuf::as_path));
    command.args(wrapper.iter().skip(1));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PIVOT_") {
            command.env_remove(key);
        }
    }
    command.envs(env.iter().map(|(k, v)| (k, v)));
    command
}

/// A free loopback port (free when asked; the driver binds it right after).
fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// The last `n` lines of a file, indented (or why there are none).
fn tail(path: &Path, n: usize) -> String {
    let mut text = String::new();
    let read = File::open(path).and_then(|mut f| {
        let len = f.metadata()?.len();
        f.seek(SeekFrom::Start(len.saturating_sub(64 * 1024)))?;
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes)?;
        text = String::from_utf8_lossy(&bytes).into_owned();
        Ok(())
    });
    if let Err(e) = read {
        return format!("    ({}: {e})\n", path.display());
    }
    let lines: Vec<&str> = text.lines().collect();
    indent(&lines[lines.len().saturating_sub(n)..].join("\n"))
}

/// Sends the sandbox's logs (it runs in this process) to `path`, once per
/// process (nextest runs each test in its own).
fn log_sandbox_to(path: &Path) -> Result<()> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .try_init();
    Ok(())
}

impl DesktopApp {
    /// Starts the sandbox, the driver and the app for the test `name`, and
    /// waits for the app's first screen.
    ///
    /// # Errors
    /// When something is missing or does not start in time (the logs' tails
    /// are in the message).
    pub async fn launch(name: &str) -> Result<Self> {
        Self::launch_with(name, false).await
    }

    /// [`Self::launch`], with a card reader when `card_reader`: a private
    /// pcscd (`pivot_card::pcscd`) with vsmartcard's reader "Virtual PCD 00
    /// 00", empty until [`Self::insert_card`]; the app reaches it through
    /// `PCSCLITE_CSOCK_NAME`, exactly as it reaches the system's pcscd.
    ///
    /// # Errors
    /// As [`Self::launch`], and when pcscd cannot start.
    pub async fn launch_with(name: &str, card_reader: bool) -> Result<Self> {
        ensure!(
            std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some(),
            "no display (DISPLAY is not set): run the app tests with `bash scripts/app-test.sh`, \
             which starts a virtual display (Xvfb)"
        );
        let app_bin = app_binary()?;
        let tauri_driver = program("tauri-driver", None).or_else(|e| {
            let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
            let cargo_bin = Path::new(&home).join(".cargo/bin/tauri-driver");
            if cargo_bin.is_file() {
                Ok(cargo_bin)
            } else {
                Err(e)
            }
        })?;
        let native = match env_path("PIVOT_WEBKIT_DRIVER") {
            Some(p) => p,
            None => program("WebKitWebDriver", Some("/usr/bin/WebKitWebDriver"))?,
        };
        let dbus_daemon = program("dbus-daemon", Some("/usr/bin/dbus-daemon"))?;
        let unshare = program("unshare", Some("/usr/bin/unshare"))?;
        let keyctl = program("keyctl", Some("/usr/bin/keyctl"))?;

        let artifacts =
            env_path("ARTIFACTS_DIR").unwrap_or_else(|| workspace_root().join("artifacts"));
        let logs = artifacts.join("app-logs").join(name);
        std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
        for stale in ["FAILED", "FAILED-window"] {
            let _ = std::fs::remove_file(artifacts.join(format!("app-{name}-{stale}.png")));
        }
        log_sandbox_to(&logs.join("sandbox.log"))?;

        let pcscd = if card_reader {
            let pcscd = tokio::task::spawn_blocking(PrivatePcscd::start)
                .await?
                .context("starting a private pcscd for the card reader")?;
            Some(pcscd)
        } else {
            None
        };
        let card_slot = Mutex::new(pcscd.as_ref().map(|p| CardSlot::new(p.vpcd())));

        let sb = TestSandbox::start().await?;
        let dir = tempfile::tempdir().context("temporary folder")?;
        let root = dir.path();

        // A fresh home and XDG folders: nothing of the machine's user leaks in.
        let home = root.join("home");
        let runtime = root.join("runtime");
        for d in [&home, &runtime] {
            std::fs::create_dir_all(d)?;
        }
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700))?;

        // The "browser": writes the URL it is given where the test reads it.
        let opened_file = root.join("opened-urls");
        File::create(&opened_file)?;
        let opener = root.join("open-url");
        std::fs::write(
            &opener,
            format!(
                "#!/bin/sh\n# Hands the URL the app opens to the desktop test.\n\
                 printf '%s\\n' \"$1\" >> '{}'\n",
                opened_file.display()
            ),
        )?;
        std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755))?;

        let mut procs = Processes {
            name: name.to_owned(),
            artifacts,
            logs,
            children: Vec::new(),
        };

        // A private session bus: the single-instance plugin needs one, and a
        // second start of the app (a deep link) finds the first through it.
        let bus = root.join("bus");
        let bus_address = format!("unix:path={}", bus.display());
        procs.spawn(
            "dbus-daemon",
            Command::new(&dbus_daemon).args([
                "--session",
                "--nofork",
                "--nopidfile",
                &format!("--address={bus_address}"),
            ]),
            "dbus.log",
        )?;
        procs
            .wait_until(
                "the D-Bus session bus listens",
                Duration::from_secs(10),
                || bus.exists(),
            )
            .await?;

        // tauri-driver, in a new user namespace (its own persistent keyring)
        // and a new session keyring: the app's secret store starts empty.
        let port = free_port()?;
        let native_port = free_port()?;
        let wrapper = vec![
            unshare,
            "--user".into(),
            "--map-root-user".into(),
            keyctl,
            "session".into(),
            "-".into(),
        ];
        let app_env: Vec<(String, std::ffi::OsString)> = vec![
            ("HOME".into(), home.clone().into()),
            ("XDG_CONFIG_HOME".into(), home.join(".config").into()),
            ("XDG_DATA_HOME".into(), home.join(".local/share").into()),
            ("XDG_CACHE_HOME".into(), home.join(".cache").into()),
            ("XDG_STATE_HOME".into(), home.join(".local/state").into()),
            ("XDG_RUNTIME_DIR".into(), runtime.clone().into()),
            (
                "DBUS_SESSION_BUS_ADDRESS".into(),
                bus_address.clone().into(),
            ),
            (
                "PIVOT_BROKER_URL".into(),
                format!("{}/", sb.sb.broker_url).into(),
            ),
            (
                "PIVOT_BROKER_HIGH_URL".into(),
                format!("{}/", sb.sb.high.url).into(),
            ),
            ("PIVOT_BROWSER".into(), opener.clone().into()),
            ("RUST_BACKTRACE".into(), "1".into()),
            // No accessibility bridge: fewer warnings per start.
            ("NO_AT_BRIDGE".into(), "1".into()),
        ];
        let mut app_env = app_env;
        if let Some(pcscd) = &pcscd {
            app_env.push((SOCKET_VAR.into(), pcscd.socket().into()));
        }
        let mut command = wrapped(&wrapper, &app_env);
        command
            .arg(&tauri_driver)
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .arg("--native-driver")
            .arg(&native);
        procs.spawn("tauri-driver", &mut command, "driver.log")?;

        let server = format!("http://127.0.0.1:{port}");
        let status_url = format!("{server}/status");
        let probe = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()?;
        let started = Instant::now();
        loop {
            procs.check_children()?;
            if let Ok(r) = probe.get(&status_url).send().await
                && r.status().is_success()
            {
                break;
            }
            if started.elapsed() >= DRIVER_START {
                return Err(procs.failed(anyhow!(
                    "tauri-driver did not answer on {status_url} within {DRIVER_START:?}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }

        let capabilities = json!({
            "tauri:options": { "application": app_bin },
        });
        let window = match WebDriver::open(&server, capabilities, APP_START).await {
            Ok(w) => w,
            Err(e) => {
                return Err(procs.failed(e.context(format!(
                    "starting {} through tauri-driver",
                    app_bin.display()
                ))));
            }
        };
        let app = Self {
            window,
            browser: Browser::new(),
            sb,
            procs,
            opened_file,
            opened_seen: Mutex::new(0),
            bus_address,
            app_bin,
            wrapper,
            app_env,
            card_slot,
            _pcscd: pcscd,
            _dir: dir,
        };
        if let Err(e) = app.window.wait_for("#home-title", "", APP_START).await {
            return Err(app.failed(e.context("the app's first screen")).await);
        }
        Ok(app)
    }

    /// Runs the steps of a test: on failure, saves a picture of the display
    /// and adds the logs' tails to the error.
    ///
    /// # Errors
    /// The steps' error, with the logs.
    pub async fn check(&self, steps: impl Future<Output = Result<()>>) -> Result<()> {
        match steps.await {
            Ok(()) => Ok(()),
            Err(e) => Err(self.failed(e).await),
        }
    }

    /// Puts the sandbox test card of `citizen` on the reader (taking off
    /// the one there).
    ///
    /// # Errors
    /// Without a reader, or for a citizen without a test card.
    pub fn insert_card(&self, citizen: &str) -> Result<()> {
        let card = issue_test_card(citizen)?;
        let mut slot = self.card_slot.lock().map_err(|_| anyhow!("poisoned"))?;
        slot.as_mut()
            .context("no card reader: start with DesktopApp::launch_with(name, true)")?
            .insert(card);
        Ok(())
    }

    /// Takes the card off the reader.
    ///
    /// # Errors
    /// Without a reader.
    pub fn remove_card(&self) -> Result<()> {
        let mut slot = self.card_slot.lock().map_err(|_| anyhow!("poisoned"))?;
        slot.as_mut().context("no card reader")?.remove();
        Ok(())
    }

    /// The session bus the app is on (`DBUS_SESSION_BUS_ADDRESS`), for a
    /// second start of the app.
    #[must_use]
    pub fn bus_address(&self) -> &str {
        &self.bus_address
    }

    /// The app binary under test.
    #[must_use]
    pub fn app_binary(&self) -> &Path {
        &self.app_bin
    }

    /// Starts the app a second time with `link` as argument, as the system
    /// does for a `pivot://` link: the single-instance plugin hands the link
    /// to the running app over the session bus, and the second start exits.
    /// It gets its own user namespace and session keyring too.
    ///
    /// # Errors
    /// When the second start fails or does not exit within [`SCREEN`].
    pub async fn open_link(&self, link: &str) -> Result<()> {
        let mut command = wrapped(&self.wrapper, &self.app_env);
        command.arg(&self.app_bin).arg(link);
        let mut command = tokio::process::Command::from(command);
        command.kill_on_drop(true).stdin(Stdio::null());
        let out = tokio::time::timeout(SCREEN, command.output())
            .await
            .map_err(|_| anyhow!("the second start of the app did not exit within {SCREEN:?}"))?
            .context("starting the app a second time")?;
        ensure!(
            out.status.success(),
            "the second start of the app with {link} failed ({}):\n{}",
            out.status,
            indent(&String::from_utf8_lossy(&out.stderr))
        );
        Ok(())
    }

    /// Saves a picture of the app's window as `$ARTIFACTS_DIR/app-{name}.png`.
    ///
    /// # Errors
    /// When the driver cannot take it or the file cannot be written.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let png = self.window.screenshot().await?;
        ensure!(
            png.starts_with(b"\x89PNG"),
            "the screenshot {name} is not a PNG"
        );
        let path = self.procs.artifacts.join(format!("app-{name}.png"));
        std::fs::write(&path, png).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// Waits at most `timeout` for the next URL the app hands to the browser.
    ///
    /// # Errors
    /// At the time-out.
    pub async fn next_opened_url(&self, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let text = std::fs::read_to_string(&self.opened_file)?;
            let urls: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
            {
                let mut seen = self
                    .opened_seen
                    .lock()
                    .map_err(|_| anyhow!("lock poisoned"))?;
                if let Some(url) = urls.get(*seen) {
                    *seen += 1;
                    return Ok((*url).to_owned());
                }
            }
            if Instant::now() >= deadline {
                bail!("the app opened no browser within {timeout:?} (PIVOT_BROWSER was not run)");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Signs the citizen in to "Mon espace" from the home screen: clicks
    /// "Se connecter", takes the authorize URL the app opens, plays the
    /// citizen's browser through the chooser (`fi`), the FI's form
    /// (`citizen`) and the confirmation up to the app's loopback listener,
    /// then waits for the signed-in screen.
    ///
    /// # Errors
    /// When a step does not happen as it should.
    pub async fn sign_in(&self, fi: &str, citizen: &str) -> Result<Journey> {
        let w = &self.window;
        w.click_on("#main button", "Se connecter", SCREEN)
            .await
            .context("the home screen's sign-in button")?;
        w.click_on("#sign-in", "Se connecter", SCREEN)
            .await
            .context("the sign-in screen's button")?;
        let url = self.next_opened_url(BROWSER_OPEN).await?;
        let authorize = self.sb.broker("/api/v2/authorize?");
        ensure!(
            url.starts_with(&authorize),
            "the app opened {url}, not the broker's authorize endpoint {authorize}"
        );
        ensure!(
            url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"),
            "the app's authorize URL has no loopback redirect: {url}"
        );
        let start = self.browser.get(&url).await?;
        let j = journey::drive(&self.sb, &self.browser, start, fi, citizen, |_| false).await?;
        let last = j.last();
        ensure!(
            last.url.as_str().starts_with("http://127.0.0.1:")
                && last.url.path() == "/callback"
                && last.status == reqwest::StatusCode::OK
                && last.body.contains("revenir dans l'application"),
            "the login did not end at the app's loopback listener:\n{}",
            j.describe()
        );
        w.wait_for("#main", "Vous êtes connecté", SCREEN)
            .await
            .context("the signed-in screen")?;
        Ok(j)
    }

    /// `error`, after a picture of the window and with the logs' tails.
    async fn failed(&self, error: anyhow::Error) -> anyhow::Error {
        let _ = self
            .screenshot(&format!("{}-FAILED-window", self.procs.name))
            .await;
        self.procs.failed(error)
    }

    /// Closes the session (the driver quits the app) and stops everything.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.window.close()).await;
        self.procs.stop_all();
    }
}

impl Processes {
    fn spawn(&mut self, what: &'static str, command: &mut Command, log: &str) -> Result<()> {
        let started = Started::spawn(what, command, &self.logs.join(log))?;
        self.children.push(started);
        Ok(())
    }

    /// Waits at most `timeout` for `ready` to hold, checking that the
    /// started processes still run.
    async fn wait_until(
        &mut self,
        what: &str,
        timeout: Duration,
        ready: impl Fn() -> bool,
    ) -> Result<()> {
        let started = Instant::now();
        loop {
            self.check_children()?;
            if ready() {
                return Ok(());
            }
            if started.elapsed() >= timeout {
                return Err(
                    self.failed(anyhow!("timed out after {timeout:?} waiting until {what}"))
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// An error (with the logs) if a started process has exited.
    fn check_children(&mut self) -> Result<()> {
        let mut error = None;
        for c in &mut self.children {
            if let Err(e) = c.check_running() {
                error = Some(e);
                break;
            }
        }
        match error {
            Some(e) => Err(self.failed(e)),
            None => Ok(()),
        }
    }

    /// `error` with the tails of the logs; a picture of the whole display
    /// (ImageMagick `import`) is saved.
    fn failed(&self, error: anyhow::Error) -> anyhow::Error {
        let shot = self.artifacts.join(format!("app-{}-FAILED.png", self.name));
        let taken = Command::new("import")
            .args(["-window", "root"])
            .arg(&shot)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let mut report = String::new();
        for (what, file) in [
            ("sandbox", "sandbox.log"),
            ("tauri-driver, WebKitWebDriver and app", "driver.log"),
            ("D-Bus", "dbus.log"),
        ] {
            let path = self.logs.join(file);
            report.push_str(&format!(
                "--- last lines of the {what} log ({}):\n{}",
                path.display(),
                tail(&path, LOG_TAIL)
            ));
        }
        if taken {
            report.push_str(&format!("--- the display: {}\n", shot.display()));
        }
        error.context(format!("app test `{}` failed\n{report}", self.name))
    }

    fn stop_all(&mut self) {
        // The driver (and the app in its group) first, the bus last.
        while let Some(mut c) = self.children.pop() {
            c.stop();
        }
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        if std::thread::panicking() && !self.children.is_empty() {
            eprintln!("{:#}", self.failed(anyhow!("panic")));
        }
        self.stop_all();
    }
}
