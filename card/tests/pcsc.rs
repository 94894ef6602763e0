//! The virtual card through the real PC/SC stack: pcscd with vsmartcard's
//! vpcd driver, the card connected to it over TCP, and two independent
//! clients: OpenSC's `opensc-tool` and the `pcsc` crate.
//!
//! Needs the Debian packages `pcscd`, `vsmartcard-vpcd`, `opensc` and
//! `libpcsclite-dev` (`scripts/setup.sh test` installs them). Without them
//! the test fails, it does not skip.
//!
//! pcsc-lite 1.9's daemon always binds `/run/pcscd/pcscd.comm`; to run
//! beside any other pcscd, the test starts its own in a private mount
//! namespace (`unshare`) where a temporary directory is bind-mounted on
//! `/run/pcscd`, and points clients at it with `PCSCLITE_CSOCK_NAME`
//! (honoured by the client library). Its vpcd reader listens on free ports.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use pivot_card::client::CardClient;
use pivot_card::entropy::OsEntropy;
use pivot_card::pace::terminal::PaceChannel;
use pivot_card::pin::{Can, Pin};
use pivot_card::sandbox::{find, sandbox_pki};
use pivot_card::transport::CardTransport;
use pivot_card::verify::verify;
use pivot_card::vpcd::{StopHandle, VpcdClient};
use time::macros::datetime;

const VPCD_DRIVER: &str = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";
const READER: &str = "Virtual PCD 00 00";
const SELECT: &str = "00:A4:04:0C:07:F0:50:49:56:4F:54:01";
/// Set for the inner test run as a child process, with the socket path.
const INNER: &str = "PIVOT_CARD_PCSC_SOCKET";

/// Test-only polling interval while an external daemon gets ready.
#[allow(clippy::disallowed_methods)] // polling another process, in a test
fn pause() {
    thread::sleep(Duration::from_millis(100));
}

/// pcscd in its own mount namespace, killed on drop.
struct Pcscd {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Pcscd {
    fn socket(&self) -> PathBuf {
        self.dir.join("run/pcscd.comm")
    }

    fn start() -> Self {
        for tool in ["pcscd", "opensc-tool", "unshare"] {
            assert!(
                Command::new("sh")
                    .args(["-c", &format!("command -v {tool}")])
                    .stdout(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success()),
                "{tool} is missing: run scripts/setup.sh test (Debian pcscd, vsmartcard-vpcd, opensc)"
            );
        }
        assert!(
            Path::new(VPCD_DRIVER).exists(),
            "{VPCD_DRIVER} is missing: install the Debian package vsmartcard-vpcd"
        );
        let port = free_port_pair();
        let dir =
            std::env::temp_dir().join(format!("pivot-card-pcsc-{}-{port}", std::process::id()));
        std::fs::create_dir_all(dir.join("conf")).unwrap();
        std::fs::create_dir_all(dir.join("run")).unwrap();
        std::fs::write(
            dir.join("conf/vpcd"),
            format!(
                "FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME /dev/null:0x{port:04X}\n\
                 LIBPATH {VPCD_DRIVER}\nCHANNELID 0x{port:04X}\n"
            ),
        )
        .unwrap();
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
        let mut unshare = Command::new("unshare");
        if !root {
            unshare.args(["--user", "--map-root-user"]);
        }
        // Inside the namespace: a /run/pcscd to mount on (on a tmpfs /run
        // when it cannot be created), our directory bound there, then pcscd.
        let script = r#"
            mkdir -p /run/pcscd 2>/dev/null || { mount -t tmpfs none /run && mkdir -p /run/pcscd; } || exit 97
            mount --bind "$0/run" /run/pcscd || exit 98
            exec pcscd --foreground --info --config "$0/conf"
        "#;
        let mut child = unshare
            .args([
                "--mount",
                "--propagation",
                "private",
                "--",
                "sh",
                "-c",
                script,
            ])
            .arg(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("unshare");
        // Wait for "daemon ready" on its log.
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        for stream in [
            Box::new(stdout) as Box<dyn std::io::Read + Send>,
            Box::new(stderr),
        ] {
            let tx = tx.clone();
            thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        drop(tx);
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut log = Vec::new();
        loop {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => {
                    let ready = line.contains("daemon ready");
                    log.push(line);
                    if ready {
                        break;
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let status = child.wait().ok();
                    panic!(
                        "pcscd did not start in its own mount namespace (exit {status:?}); \
                         this needs unshare --mount (root, or unprivileged user namespaces). Log:\n{}",
                        log.join("\n")
                    );
                }
            }
        }
        // Keep draining the log so that pcscd never blocks on a full pipe.
        thread::spawn(move || for _ in rx {});
        Self { child, dir, port }
    }

    fn opensc(&self, args: &[&str]) -> Output {
        Command::new("opensc-tool")
            .args(args)
            .env("PCSCLITE_CSOCK_NAME", self.socket())
            .output()
            .expect("opensc-tool")
    }
}

impl Drop for Pcscd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port p with p and p + 1 free (vpcd's two slots).
fn free_port_pair() -> u16 {
    loop {
        let first = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = first.local_addr().unwrap().port();
        if port < u16::MAX && TcpListener::bind(("0.0.0.0", port + 1)).is_ok() {
            return port;
        }
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn virtual_card_through_pcscd_and_vpcd() {
    // Given pcscd with a vpcd reader,
    let pcscd = Pcscd::start();
    let listed = text(&pcscd.opensc(&["-l"]));
    assert!(listed.contains(READER), "reader not listed:\n{listed}");

    // and Eric's card connected to it,
    let stop = StopHandle::new();
    let card_thread = {
        let stop = stop.clone();
        let client = VpcdClient {
            retry: Duration::from_millis(50),
            ..VpcdClient::local(pcscd.port)
        };
        thread::spawn(move || {
            let mut card = find("eric-mercier")
                .unwrap()
                .issue(&sandbox_pki().unwrap())
                .unwrap();
            client.run(&mut card, &stop);
        })
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let listed = text(&pcscd.opensc(&["-l"]));
        if listed
            .lines()
            .any(|l| l.contains(READER) && l.contains("Yes"))
        {
            break;
        }
        assert!(Instant::now() < deadline, "card never present:\n{listed}");
        pause();
    }

    // When OpenSC reads the ATR and sends the applet's commands,
    let atr = text(&pcscd.opensc(&["-r", "0", "-a"]));
    assert!(
        atr.contains("3b:8a:80:01:50:49:56:4f:54:20:65:49:44:31:26"),
        "{atr}"
    );
    let out = pcscd.opensc(&[
        "-r",
        "0",
        "-s",
        SELECT,
        "-s",
        "00:B0:00:00:10", // no file selected yet: 69 85
        "-s",
        "00:A4:02:0C:02:01:01",
        "-s",
        "00:B0:00:00:00", // EF.Identity without PACE: 69 82
        "-s",
        "00:20:00:81:04:31:32:33:34", // the PIN without PACE: 69 82
        "-s",
        "00:A4:02:0C:02:01:1C",
        "-s",
        "00:B0:00:00:00", // EF.CardAccess, open to all
    ]);
    let out = text(&out);

    // then it answers each as specified.
    let sws: Vec<&str> = out
        .lines()
        .filter_map(|l| l.strip_prefix("Received (")?.get(..18))
        .collect();
    assert_eq!(
        sws,
        [
            "SW1=0x90, SW2=0x00",
            "SW1=0x69, SW2=0x85",
            "SW1=0x90, SW2=0x00",
            "SW1=0x69, SW2=0x82",
            "SW1=0x69, SW2=0x82",
            "SW1=0x90, SW2=0x00",
            "SW1=0x62, SW2=0x82",
        ],
        "opensc-tool output:\n{out}"
    );
    // EF.CardAccess: the PACEInfo's protocol OID.
    assert!(out.contains("06 0A 04 00 7F 00 07 02 02 04 02 02"), "{out}");

    // And the pcsc crate, in a child process pointed at this pcscd, opens
    // a PACE channel with the CAN and gets a challenge signed that the
    // verifier accepts.
    let inner = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "pcsc_crate_client", "--ignored", "--nocapture"])
        .env(INNER, pcscd.socket())
        .env("PCSCLITE_CSOCK_NAME", pcscd.socket())
        .output()
        .unwrap();
    assert!(
        inner.status.success(),
        "pcsc crate client failed:\n{}",
        text(&inner)
    );
    assert!(text(&inner).contains("1 passed"), "{}", text(&inner));

    stop.stop();
    card_thread.join().unwrap();
}

/// A [`CardTransport`] over the `pcsc` crate, as the app will have.
struct PcscCard(pcsc::Card);

impl CardTransport for PcscCard {
    type Error = pcsc::Error;

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, pcsc::Error> {
        let mut buffer = [0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
        Ok(self.0.transmit(apdu, &mut buffer)?.to_vec())
    }
}

#[test]
#[ignore = "run by virtual_card_through_pcscd_and_vpcd inside its PC/SC stack"]
fn pcsc_crate_client() {
    assert!(
        std::env::var_os(INNER).is_some(),
        "run through virtual_card_through_pcscd_and_vpcd"
    );
    let ctx = pcsc::Context::establish(pcsc::Scope::User).unwrap();
    let readers: Vec<_> = ctx
        .list_readers_owned()
        .unwrap()
        .into_iter()
        .filter(|r| r.to_string_lossy().starts_with(READER))
        .collect();
    let reader = readers.first().expect("virtual reader");
    let card = ctx
        .connect(reader, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
        .unwrap();
    let can = Can::parse(b"123456").unwrap();
    let channel = PaceChannel::establish(PcscCard(card), &can, &mut OsEntropy).unwrap();
    let mut client = CardClient::new(channel);
    let challenge = b"challenge from the FI, 32 bytes!";
    let answer = client
        .authenticate(&Pin::parse(b"1234").unwrap(), challenge)
        .unwrap();
    let pki = sandbox_pki().unwrap();
    let verified = verify(
        &answer.evidence(challenge),
        pki.root().certificate_der(),
        datetime!(2026-11-23 12:00 UTC),
    )
    .unwrap();
    assert_eq!(verified.holder.family_name, "MERCIER");
}
