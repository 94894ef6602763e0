//! A private PC/SC daemon with vsmartcard's virtual reader, for tests and
//! the sandbox: the real PC/SC stack without hardware, beside any pcscd the
//! machine already runs.
//!
//! Debian's pcsc-lite 1.9 always binds `/run/pcscd/pcscd.comm`.
//! [`PrivatePcscd::start`] therefore runs pcscd in a private mount namespace
//! (`unshare --mount`, with `--user --map-root-user` when not root) where a
//! new private directory is bound on `/run/pcscd`, and configures one vpcd
//! reader on two free TCP ports. Clients reach it by setting
//! [`SOCKET_VAR`] (`PCSCLITE_CSOCK_NAME`, read by the PC/SC client library)
//! to [`PrivatePcscd::socket`]; a virtual card reaches its reader through
//! [`PrivatePcscd::vpcd`] (see [`crate::vpcd`]).
//!
//! Needs the Debian packages `pcscd` and `vsmartcard-vpcd`, `unshare` and
//! `mount` (util-linux, mount), and either root or unprivileged user
//! namespaces; each missing piece is its own [`PcscdError`].
//!
//! The daemon stops when the [`PrivatePcscd`] is dropped, and also when the
//! process that started it dies, however it dies: the shell in the
//! namespace stops pcscd as soon as its standard input (a pipe from this
//! process) closes, then removes the directory. The daemon runs in its own
//! process group, so a terminal's Ctrl-C reaches only this process.

mod error;
mod setup;

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, PoisonError, mpsc};
use std::thread;
use std::time::{Duration, Instant};

pub use error::PcscdError;
pub use setup::{VPCD_DRIVER, reader_config};

use crate::vpcd::VpcdClient;

/// The variable that points PC/SC clients at a daemon's socket.
pub const SOCKET_VAR: &str = "PCSCLITE_CSOCK_NAME";

/// The name pcscd gives the reader of vpcd's first slot (port
/// [`PrivatePcscd::vpcd_port`]).
pub const READER: &str = "Virtual PCD 00 00";

/// The name of the second slot's reader (port `vpcd_port() + 1`).
pub const READER_SLOT_1: &str = "Virtual PCD 00 01";

/// What pcscd logs once it accepts clients.
const READY: &str = "daemon ready";

/// Runs in the namespace, with the private directory as `$0` and pcscd's
/// path as `$1`: a `/run/pcscd` to mount on (on a fresh tmpfs `/run` when
/// it cannot be made), the directory bound there, pcscd; a watcher stops
/// pcscd when standard input closes; then the directory is removed and
/// pcscd's exit status is the shell's. Background jobs of a shell without
/// job control read `/dev/null`, hence the explicit `<&3`.
const SCRIPT: &str = r#"
mkdir -p /run/pcscd 2>/dev/null || { mount -t tmpfs none /run && mkdir -p /run/pcscd; } || exit 97
mount --bind "$0/run" /run/pcscd || exit 98
exec 3<&0
"$1" --foreground --info --config "$0/conf" </dev/null 3<&- &
pcscd=$!
{ while read -r line; do :; done; kill -TERM "$pcscd" 2>/dev/null; } <&3 &
watcher=$!
exec 3<&-
wait "$pcscd"
status=$?
kill "$watcher" 2>/dev/null
rm -rf "$0"
exit "$status"
"#;

/// How to start a [`PrivatePcscd`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PcscdOptions {
    /// Where the private directory is made ([`std::env::temp_dir`] by
    /// default). The socket's path must stay under 108 bytes.
    pub parent_dir: PathBuf,
    /// How long pcscd may take to say it is ready (20 s by default).
    pub ready_timeout: Duration,
}

impl Default for PcscdOptions {
    fn default() -> Self {
        Self {
            parent_dir: std::env::temp_dir(),
            ready_timeout: Duration::from_secs(20),
        }
    }
}

/// A running pcscd of our own, with one vpcd reader; stopped, and its
/// directory removed, on drop.
#[derive(Debug)]
pub struct PrivatePcscd {
    child: Child,
    /// Closing it stops pcscd (see the module's documentation).
    stdin: Option<ChildStdin>,
    dir: PathBuf,
    vpcd_port: u16,
    ended: Arc<Ended>,
}

/// Whether pcscd's output has ended, i.e. it and its shell have exited.
#[derive(Debug, Default)]
struct Ended {
    done: Mutex<bool>,
    changed: Condvar,
}

impl Ended {
    fn set(&self) {
        *self.done.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.changed.notify_all();
    }

    fn is_set(&self) -> bool {
        *self.done.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until set, at most `timeout` when given; whether it is set.
    fn wait(&self, timeout: Option<Duration>) -> bool {
        let done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
        match timeout {
            Some(t) => {
                *self
                    .changed
                    .wait_timeout_while(done, t, |d| !*d)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
            None => *self
                .changed
                .wait_while(done, |d| !*d)
                .unwrap_or_else(PoisonError::into_inner),
        }
    }
}

impl PrivatePcscd {
    /// Starts pcscd with the default [`PcscdOptions`] and waits until it is
    /// ready.
    ///
    /// # Errors
    /// A [`PcscdError`] naming what is missing or what went wrong.
    pub fn start() -> Result<Self, PcscdError> {
        Self::start_with(&PcscdOptions::default())
    }

    /// Starts pcscd and waits until it is ready.
    ///
    /// # Errors
    /// A [`PcscdError`] naming what is missing or what went wrong.
    pub fn start_with(options: &PcscdOptions) -> Result<Self, PcscdError> {
        let pcscd = setup::find_program("pcscd", "pcscd")?;
        let unshare = setup::find_program("unshare", "util-linux")?;
        setup::find_program("mount", "mount")?;
        if !Path::new(VPCD_DRIVER).is_file() {
            return Err(PcscdError::MissingDriver {
                path: VPCD_DRIVER.into(),
            });
        }
        let vpcd_port = setup::free_port_pair()?;
        let dir = setup::private_dir(&options.parent_dir, vpcd_port)?;
        let spawned = spawn(&unshare, &pcscd, &dir);
        let (mut child, lines) = match spawned {
            Ok(started) => started,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(e);
            }
        };
        let stdin = child.stdin.take();
        let mut log = Vec::new();
        let deadline = Instant::now() + options.ready_timeout;
        let failure = loop {
            match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => {
                    tracing::debug!(target: "pcscd", "{line}");
                    let ready = line.contains(READY);
                    log.push(line);
                    if ready {
                        break None;
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // Its output ended: it has exited, or is about to.
                    let status = child.wait();
                    let code = status.as_ref().ok().and_then(|s| s.code());
                    let status = match status {
                        Ok(s) => s.to_string(),
                        Err(e) => format!("unknown: {e}"),
                    };
                    break Some(setup::diagnose(code, status, &log));
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    break Some(PcscdError::NotReady {
                        timeout: options.ready_timeout,
                        log: log.join("\n"),
                    });
                }
            }
        };
        // Keep reading its log, so that pcscd never blocks on a full pipe,
        // and note when it ends.
        let ended = Arc::new(Ended::default());
        {
            let ended = ended.clone();
            thread::spawn(move || {
                for line in lines {
                    tracing::debug!(target: "pcscd", "{line}");
                }
                ended.set();
            });
        }
        let running = Self {
            child,
            stdin,
            dir,
            vpcd_port,
            ended,
        };
        if let Some(e) = failure {
            drop(running);
            return Err(e);
        }
        tracing::info!(socket = %running.socket().display(), vpcd_port, "private pcscd ready");
        Ok(running)
    }

    /// The socket to put in [`SOCKET_VAR`] (`<dir>/run/pcscd.comm`).
    pub fn socket(&self) -> PathBuf {
        self.dir.join("run/pcscd.comm")
    }

    /// The private directory: `conf/` (reader configuration), `run/`
    /// (socket).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// vpcd's port for the reader [`READER`]; `vpcd_port() + 1` is
    /// [`READER_SLOT_1`]'s.
    pub fn vpcd_port(&self) -> u16 {
        self.vpcd_port
    }

    /// A client that serves a virtual card to [`READER`].
    pub fn vpcd(&self) -> VpcdClient {
        VpcdClient::local(self.vpcd_port)
    }

    /// Whether pcscd has stopped (crashed, or killed from outside).
    pub fn has_exited(&self) -> bool {
        self.ended.is_set()
    }

    /// Blocks until pcscd stops by itself or is killed from outside.
    pub fn wait_exit(&self) {
        self.ended.wait(None);
    }
}

impl Drop for PrivatePcscd {
    fn drop(&mut self) {
        // Closing its standard input stops pcscd and removes the directory.
        drop(self.stdin.take());
        if !self.ended.wait(Some(Duration::from_secs(10))) {
            tracing::warn!("pcscd did not stop within 10 s of being asked; killing it");
        }
        // Both are moot when it has exited already.
        let _ = self.child.kill();
        let _ = self.child.wait();
        if self.dir.exists() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Starts the shell in its namespace; its output lines arrive on the
/// channel, which disconnects when both streams end.
fn spawn(
    unshare: &Path,
    pcscd: &Path,
    dir: &Path,
) -> Result<(Child, mpsc::Receiver<String>), PcscdError> {
    let mut command = Command::new(unshare);
    if !is_root() {
        command.args(["--user", "--map-root-user"]);
    }
    command
        .args([
            "--mount",
            "--propagation",
            "private",
            "--",
            "sh",
            "-c",
            SCRIPT,
        ])
        .arg(dir)
        .arg(pcscd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = command
        .spawn()
        .map_err(|e| PcscdError::io(format!("starting {}", unshare.display()), e))?;
    let (tx, rx) = mpsc::channel();
    let streams: [Option<Box<dyn Read + Send>>; 2] = [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    ];
    for stream in streams.into_iter().flatten() {
        let tx = tx.clone();
        thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
    }
    Ok((child, rx))
}

/// Whether this process runs as root (then no user namespace is needed).
fn is_root() -> bool {
    // `/proc/self` belongs to the process's effective user.
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}
