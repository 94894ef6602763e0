//! The virtual card through the real PC/SC stack: a private pcscd
//! (`pivot_card::pcscd`) with vsmartcard's vpcd driver, the card connected
//! to it over TCP, and two independent clients: OpenSC's `opensc-tool` and
//! the `pcsc` crate.
//!
//! Needs the Debian packages `pcscd`, `vsmartcard-vpcd`, `opensc` and
//! `libpcsclite-dev` (`scripts/setup.sh test` installs them), and
//! `unshare --mount` (root or unprivileged user namespaces). Without them
//! the test fails, it does not skip.
//!
//! The `pcsc` crate reads `PCSCLITE_CSOCK_NAME` when it first connects, so
//! its client runs as a child process of this test binary with the variable
//! set.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use pivot_card::client::{CardClient, PinStatus};
use pivot_card::entropy::OsEntropy;
use pivot_card::pace::terminal::PaceChannel;
use pivot_card::pcscd::{PrivatePcscd, READER, SOCKET_VAR};
use pivot_card::pin::{Can, Pin};
use pivot_card::sandbox::{find, issue_test_card, sandbox_pki};
use pivot_card::transport::CardTransport;
use pivot_card::verify::verify;
use pivot_card::vpcd::{CardSlot, VpcdClient};
use time::macros::datetime;

const SELECT: &str = "00:A4:04:0C:07:F0:50:49:56:4F:54:01";
/// Set for the inner test run as a child process, with the socket path.
const INNER: &str = "PIVOT_CARD_PCSC_SOCKET";

/// Test-only polling interval while an external daemon gets ready.
#[allow(clippy::disallowed_methods)] // polling another process, in a test
fn pause() {
    thread::sleep(Duration::from_millis(100));
}

fn start() -> PrivatePcscd {
    // opensc-tool is this test's own client; the library needs the rest.
    assert!(
        Command::new("opensc-tool")
            .arg("--version")
            .output()
            .is_ok(),
        "opensc-tool is missing: install the Debian package opensc"
    );
    PrivatePcscd::start().unwrap_or_else(|e| panic!("{e}"))
}

fn opensc(socket: &Path, args: &[&str]) -> Output {
    Command::new("opensc-tool")
        .args(args)
        .env(SOCKET_VAR, socket)
        .output()
        .expect("opensc-tool")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Waits until `opensc-tool -l` shows the reader with a card (`true`) or
/// without one (`false`).
fn wait_for_card(socket: &Path, present: bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let listed = text(&opensc(socket, &["-l"]));
        let with_card = listed
            .lines()
            .any(|l| l.contains(READER) && l.contains("Yes"));
        if listed.contains(READER) && with_card == present {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "card never {}:\n{listed}",
            if present { "present" } else { "absent" }
        );
        pause();
    }
}

/// Runs [`pcsc_crate_client`] in a child process pointed at `pcscd`, for
/// the card of `citizen`.
fn pcsc_client(pcscd: &PrivatePcscd, citizen: &str) {
    let inner = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "pcsc_crate_client", "--ignored", "--nocapture"])
        .env(INNER, citizen)
        .env(SOCKET_VAR, pcscd.socket())
        .output()
        .unwrap();
    assert!(
        inner.status.success(),
        "pcsc crate client failed:\n{}",
        text(&inner)
    );
    assert!(text(&inner).contains("1 passed"), "{}", text(&inner));
}

#[test]
fn virtual_card_through_pcscd_and_vpcd() {
    // Given pcscd with a vpcd reader,
    let pcscd = start();
    let listed = text(&opensc(&pcscd.socket(), &["-l"]));
    assert!(listed.contains(READER), "reader not listed:\n{listed}");

    // and Eric's card connected to it,
    let mut slot = CardSlot::new(VpcdClient {
        retry: Duration::from_millis(50),
        ..pcscd.vpcd()
    });
    slot.insert(issue_test_card("eric-mercier").unwrap());
    wait_for_card(&pcscd.socket(), true);

    // When OpenSC reads the ATR and sends the applet's commands,
    let atr = text(&opensc(&pcscd.socket(), &["-r", "0", "-a"]));
    assert!(
        atr.contains("3b:8a:80:01:50:49:56:4f:54:20:65:49:44:31:26"),
        "{atr}"
    );
    let out = opensc(
        &pcscd.socket(),
        &[
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
        ],
    );
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
    pcsc_client(&pcscd, "eric-mercier");

    // When the card is taken out, the reader is empty;
    let eric = slot.remove().unwrap();
    assert_eq!(eric.pin_tries(), 3);
    wait_for_card(&pcscd.socket(), false);

    // when Carmen's card goes in, it is hers that answers: PACE with her
    // card access number, and her PIN is blocked.
    slot.insert(issue_test_card("carmen-garcia").unwrap());
    wait_for_card(&pcscd.socket(), true);
    pcsc_client(&pcscd, "carmen-garcia");
}

/// `pivot-card pcscd`: its socket line, then cards put in, swapped and
/// taken out through commands on its standard input, then `quit`.
#[test]
fn pcscd_command_swaps_cards() {
    // Given `pivot-card pcscd --no-card`,
    let mut child = Command::new(env!("CARGO_BIN_EXE_pivot-card"))
        .args(["pcscd", "--no-card"])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut read_json = || {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        serde_json::from_str::<serde_json::Value>(&line)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"))
    };
    let ready = read_json();
    assert_eq!(ready["reader"], READER);
    assert_eq!(ready["card"], serde_json::Value::Null);
    let socket = PathBuf::from(ready["socket"].as_str().unwrap());
    let dir = socket.parent().unwrap().parent().unwrap().to_owned();

    // its reader is empty;
    wait_for_card(&socket, false);

    // when a card is put in, the reader has it, with the applet's ATR;
    let mut command = |line: &str| {
        writeln!(stdin, "{line}").unwrap();
        read_json()
    };
    let answer = command("insert marie-helene-de-la-fontaine-eloise");
    assert_eq!(answer["card"], "marie-helene-de-la-fontaine-eloise");
    wait_for_card(&socket, true);
    let atr = text(&opensc(&socket, &["-r", "0", "-a"]));
    assert!(atr.contains("3b:8a:80:01:50:49:56:4f:54"), "{atr}");

    // another card takes its place; an unknown citizen's is refused;
    assert_eq!(command("insert eric-mercier")["card"], "eric-mercier");
    let refused = command("insert nobody");
    assert!(
        refused["error"].as_str().unwrap().contains("no test card"),
        "{refused}"
    );
    wait_for_card(&socket, true);

    // taken out, the reader is empty again;
    assert_eq!(command("remove")["card"], serde_json::Value::Null);
    wait_for_card(&socket, false);

    // and `quit` stops pcscd and removes its directory.
    writeln!(stdin, "quit").unwrap();
    assert!(child.wait().unwrap().success());
    assert!(!dir.exists(), "{} left behind", dir.display());
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
    let citizen = std::env::var(INNER).expect("run through virtual_card_through_pcscd_and_vpcd");
    let test_card = find(&citizen).unwrap();
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
    let can = Can::parse(test_card.can.as_bytes()).unwrap();
    let channel = PaceChannel::establish(PcscCard(card), &can, &mut OsEntropy).unwrap();
    let mut client = CardClient::new(channel);
    if test_card.pin_blocked {
        assert_eq!(client.pin_status().unwrap(), PinStatus::Blocked);
        return;
    }
    let challenge = b"challenge from the FI, 32 bytes!";
    let answer = client
        .authenticate(&Pin::parse(test_card.pin.as_bytes()).unwrap(), challenge)
        .unwrap();
    let pki = sandbox_pki().unwrap();
    let verified = verify(
        &answer.evidence(challenge),
        pki.root().certificate_der(),
        datetime!(2026-11-23 12:00 UTC),
    )
    .unwrap();
    assert_eq!(verified.holder.family_name, test_card.family_name);
}
