//! `pivot-card`: the sandbox's virtual ID cards.
//!
//! ```text
//! pivot-card list                                   the test cards, PIN, PUK, CAN
//! pivot-card vpcd --citizen eric-mercier [--port 35963]
//!                                                   insert the card in vpcd's reader
//! pivot-card certs --out-dir certs [--citizen eric-mercier]
//!                                                   the sandbox certificates (DER)
//! ```

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use pivot_card::sandbox::{TEST_CARDS, TestCard, find, sandbox_pki};
use pivot_card::vpcd::{DEFAULT_PORT, StopHandle, VpcdClient};

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
    }
    Ok(())
}

fn test_card(citizen: &str) -> anyhow::Result<&'static TestCard> {
    find(citizen).with_context(|| {
        let known: Vec<_> = TEST_CARDS.iter().map(|c| c.citizen).collect();
        format!("no test card for {citizen:?}; known: {}", known.join(", "))
    })
}
