//! `pivot-card`: the sandbox's virtual ID cards.
//!
//! ```text
//! pivot-card list                                   the test cards, PIN, PUK, CAN
//! pivot-card vpcd --citizen eric-mercier [--port 35963]
//!                                                   insert the card in vpcd's reader
//! pivot-card certs --out-dir certs [--citizen eric-mercier]
//!                                                   the sandbox certificates (DER)
//! pivot-card pcscd [--citizen eric-mercier | --no-card]
//!                                                   a private pcscd with the card in
//!                                                   its reader; commands on stdin
//! ```
//!
//! `pcscd` prints one JSON line on stdout once the reader is up:
//!
//! ```text
//! {"card":"eric-mercier","reader":"Virtual PCD 00 00","socket":"/tmp/pivot-pcscd-4242-0/run/pcscd.comm","vpcd_port":41234}
//! ```
//!
//! `PCSCLITE_CSOCK_NAME=<socket>` points a PC/SC client at it. It then
//! reads one command a line on stdin, each answered by one JSON line:
//! `insert <citizen>` (takes out the card in the reader, if any, and puts
//! this citizen's in: `{"card":"<citizen>"}`), `remove` (`{"card":null}`),
//! `quit`; a bad command gets `{"error":"…"}`. A card taken out and put
//! back keeps its state (PIN tries). The end of stdin changes nothing: it
//! runs until `quit` or killed, and pcscd stops with it however it ends.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use pivot_card::VirtualCard;
use pivot_card::issuance::SandboxPki;
use pivot_card::pcscd::{PrivatePcscd, READER};
use pivot_card::sandbox::{TEST_CARDS, TestCard, find, sandbox_pki};
use pivot_card::vpcd::{CardSlot, DEFAULT_PORT, StopHandle, VpcdClient};

#[derive(Parser)]
#[command(name = "pivot-card", version, about = "Pivot's virtual eID cards")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Lists the sandbox's test cards with their PIN, PUK and CAN.
    List,
    /// Inserts a test card in vsmartcard's virtual reader (pcscd + vpcd).
    Vpcd {
        /// The sandbox citizen whose card this is (see `list`).
        #[arg(long)]
        citizen: String,
        /// vpcd's host.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// vpcd's port: 35963 for the reader "Virtual PCD 00 00", 35964 for "00 01".
        #[arg(long, default_value_t = DEFAULT_PORT)]
        port: u16,
        /// Milliseconds between connection attempts while vpcd is absent.
        #[arg(long, default_value_t = 1000)]
        retry_ms: u64,
    },
    /// Writes the sandbox certificates (DER): `state-ca.der` (the root an
    /// identity provider trusts), `issuing-ca.der`, and with `--citizen`
    /// that citizen's `card-<number>.der`.
    Certs {
        /// Output directory (created if needed).
        #[arg(long)]
        out_dir: PathBuf,
        /// Also the card certificate of this sandbox citizen.
        #[arg(long)]
        citizen: Option<String>,
    },
    /// Starts a private pcscd (its own mount namespace, free ports) with a
    /// vpcd reader holding a test card; prints its socket as JSON, then
    /// takes `insert <citizen>`, `remove` and `quit` on stdin.
    Pcscd {
        /// The sandbox citizen whose card is in the reader (see `list`).
        #[arg(long, default_value = "eric-mercier")]
        citizen: String,
        /// Start with an empty reader.
        #[arg(long, conflicts_with = "citizen")]
        no_card: bool,
    },
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match Cli::parse().command {
        Cmd::List => {
            println!("citizen\tcard\tPIN\tPUK\tCAN\texpiry\tPIN blocked\tholder");
            for c in TEST_CARDS {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{} {}",
                    c.citizen,
                    c.card_number,
                    c.pin,
                    c.puk,
                    c.can,
                    c.expiry,
                    if c.pin_blocked { "yes" } else { "no" },
                    c.given_names,
                    c.family_name,
                );
            }
        }
        Cmd::Vpcd {
            citizen,
            host,
            port,
            retry_ms,
        } => {
            let test_card = test_card(&citizen)?;
            let mut card = test_card
                .issue(&sandbox_pki()?)
                .context("issuing the test card")?;
            tracing::info!(
                citizen,
                card = test_card.card_number,
                host,
                port,
                "serving the card to vpcd (Ctrl-C to remove it)"
            );
            let client = VpcdClient {
                host,
                port,
                retry: Duration::from_millis(retry_ms),
            };
            client.run(&mut card, &StopHandle::new());
        }
        Cmd::Certs { out_dir, citizen } => {
            let pki = sandbox_pki()?;
            std::fs::create_dir_all(&out_dir)
                .with_context(|| format!("creating {}", out_dir.display()))?;
            let mut files = vec![
                (
                    "state-ca.der".to_owned(),
                    pki.root().certificate_der().to_vec(),
                ),
                (
                    "issuing-ca.der".to_owned(),
                    pki.issuing().certificate_der().to_vec(),
                ),
            ];
            if let Some(citizen) = citizen {
                let card = test_card(&citizen)?;
                let issued = pki.issue_card(&card.holder(), card.period())?;
                files.push((format!("card-{}.der", card.card_number), issued.certificate));
            }
            for (name, der) in files {
                let path = out_dir.join(name);
                std::fs::write(&path, der)
                    .with_context(|| format!("writing {}", path.display()))?;
                println!("{}", path.display());
            }
        }
        Cmd::Pcscd { citizen, no_card } => run_pcscd((!no_card).then_some(citizen))?,
    }
    Ok(())
}

fn test_card(citizen: &str) -> anyhow::Result<&'static TestCard> {
    find(citizen).with_context(|| {
        let known: Vec<_> = TEST_CARDS.iter().map(|c| c.citizen).collect();
        format!("no test card for {citizen:?}; known: {}", known.join(", "))
    })
}

/// A line of `pivot-card pcscd`'s standard input.
#[derive(Debug, PartialEq, Eq)]
enum SlotCommand {
    Insert(String),
    Remove,
    Quit,
}

impl SlotCommand {
    fn parse(line: &str) -> Result<Self, String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["insert", citizen] => Ok(Self::Insert((*citizen).to_owned())),
            ["remove"] => Ok(Self::Remove),
            ["quit"] => Ok(Self::Quit),
            _ => Err(format!(
                "unknown command {line:?}: insert <citizen>, remove or quit"
            )),
        }
    }
}

/// The reader of `pivot-card pcscd`: the slot, which citizen's card is in
/// it, and the cards taken out (kept, with their PIN tries).
struct Reader {
    slot: CardSlot,
    pki: SandboxPki,
    inserted: Option<&'static str>,
    out: BTreeMap<&'static str, VirtualCard>,
}

impl Reader {
    fn insert(&mut self, citizen: &str) -> anyhow::Result<()> {
        let test_card = test_card(citizen)?;
        if self.inserted == Some(test_card.citizen) {
            return Ok(());
        }
        self.remove();
        let card = match self.out.remove(test_card.citizen) {
            Some(card) => card,
            None => test_card
                .issue(&self.pki)
                .context("issuing the test card")?,
        };
        self.slot.insert(card);
        self.inserted = Some(test_card.citizen);
        tracing::info!(
            citizen = test_card.citizen,
            card = test_card.card_number,
            "card inserted"
        );
        Ok(())
    }

    fn remove(&mut self) {
        if let Some(citizen) = self.inserted.take() {
            if let Some(card) = self.slot.remove() {
                self.out.insert(citizen, card);
            }
            tracing::info!(citizen, "card removed");
        }
    }

    fn state(&self) -> serde_json::Value {
        serde_json::json!({ "card": self.inserted })
    }
}

/// `pivot-card pcscd`: see the module's documentation.
fn run_pcscd(citizen: Option<String>) -> anyhow::Result<()> {
    let first = citizen.as_deref().map(test_card).transpose()?;
    let pcscd = PrivatePcscd::start()?;
    let mut reader = Reader {
        slot: CardSlot::new(VpcdClient {
            retry: Duration::from_millis(100),
            ..pcscd.vpcd()
        }),
        pki: sandbox_pki()?,
        inserted: None,
        out: BTreeMap::new(),
    };
    if let Some(first) = first {
        reader.insert(first.citizen)?;
    }
    println!(
        "{}",
        serde_json::json!({
            "socket": pcscd.socket(),
            "reader": READER,
            "vpcd_port": pcscd.vpcd_port(),
            "card": reader.inserted,
        })
    );
    let (tx, commands) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    loop {
        match commands.recv_timeout(Duration::from_millis(500)) {
            Ok(line) if line.trim().is_empty() => {}
            Ok(line) => {
                let answer = match SlotCommand::parse(&line) {
                    Ok(SlotCommand::Quit) => break,
                    Ok(SlotCommand::Remove) => {
                        reader.remove();
                        reader.state()
                    }
                    Ok(SlotCommand::Insert(citizen)) => match reader.insert(&citizen) {
                        Ok(()) => reader.state(),
                        Err(e) => serde_json::json!({ "error": format!("{e:#}") }),
                    },
                    Err(e) => serde_json::json!({ "error": e }),
                };
                println!("{answer}");
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                anyhow::ensure!(!pcscd.has_exited(), "pcscd stopped");
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // No more commands: serve until killed or pcscd stops.
                pcscd.wait_exit();
                anyhow::bail!("pcscd stopped");
            }
        }
    }
    reader.remove();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_commands() {
        assert_eq!(
            SlotCommand::parse("insert carmen-garcia"),
            Ok(SlotCommand::Insert("carmen-garcia".into()))
        );
        assert_eq!(SlotCommand::parse("  remove "), Ok(SlotCommand::Remove));
        assert_eq!(SlotCommand::parse("quit"), Ok(SlotCommand::Quit));
        for bad in ["insert", "insert a b", "eject", "remove now"] {
            assert!(SlotCommand::parse(bad).is_err(), "{bad}");
        }
    }
}
