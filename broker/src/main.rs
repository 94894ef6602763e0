//! `pivot-broker`: serve the broker, run the sandbox, manage partners and keys.

use std::{path::PathBuf, sync::Arc};

use anyhow::Context;
use clap::{Parser, Subcommand};
use pivot_broker::{
    app,
    clock::{Clock, SystemClock},
    config::FileConfig,
    crypto::{random_token, sha256_hex},
    keys::KeyStore,
    sandbox::{Sandbox, SandboxOptions},
    storage::{
        ClientAuthMethod, ClientRecord, ClientRepo, EncryptionAlg, SigningAlg,
        sqlite::SqliteStorage,
    },
};

#[derive(Parser)]
#[command(
    name = "pivot-broker",
    version,
    about = "Pivot identity federation broker"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

// Parsed once at start: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Cmd {
    /// Serve the broker.
    Serve {
        /// TOML configuration file.
        #[arg(long, env = "PIVOT_CONFIG")]
        config: PathBuf,
    },
    /// Run the sandbox: broker, demo identity providers and services.
    Sandbox {
        /// First port (broker); FIs on +101…, services on +200…; 0 = free ports.
        #[arg(long, default_value_t = 7000)]
        base_port: u16,
        /// Data folder of the sandbox broker.
        #[arg(long, default_value = ".sandbox")]
        data_dir: PathBuf,
        /// Write the sandbox's URLs and credentials as JSON here once ready.
        #[arg(long)]
        ready_file: Option<PathBuf>,
        /// Extra service providers to register (TOML).
        #[arg(long)]
        clients: Option<PathBuf>,
    },
    /// Manage service providers (partners).
    Partner {
        /// TOML configuration file.
        #[arg(long, env = "PIVOT_CONFIG")]
        config: PathBuf,
        #[command(subcommand)]
        cmd: PartnerCmd,
    },
    /// Operators' view of the citizen records: events, accounts, fraud
    /// reports, the mail outbox.
    Ops {
        /// TOML configuration file.
        #[arg(long, env = "PIVOT_CONFIG")]
        config: PathBuf,
        #[command(subcommand)]
        cmd: OpsCmd,
    },
    /// Manage signing keys.
    Keys {
        /// TOML configuration file.
        #[arg(long, env = "PIVOT_CONFIG")]
        config: PathBuf,
        #[command(subcommand)]
        cmd: KeysCmd,
    },
}

#[derive(Subcommand)]
enum OpsCmd {
    /// Events, newest first, one JSON object per line.
    Events {
        /// Only this code (e.g. FC_REDIRECTED_TO_SP).
        #[arg(long)]
        code: Option<String>,
        /// Only this citizen (identity hash).
        #[arg(long)]
        identity_hash: Option<String>,
        /// Only the event with this reference (as quoted in a report).
        #[arg(long)]
        reference: Option<String>,
        /// Only this client id.
        #[arg(long)]
        client: Option<String>,
        /// From this Unix time.
        #[arg(long)]
        since: Option<i64>,
        /// Until this Unix time (exclusive).
        #[arg(long)]
        until: Option<i64>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Disable an account: its logins are refused with the reason.
    Disable {
        /// The citizen's identity hash (from the events).
        identity_hash: String,
        /// Shown to the citizen.
        #[arg(long)]
        reason: String,
    },
    /// Enable a disabled account.
    Enable {
        /// The citizen's identity hash.
        identity_hash: String,
    },
    /// Fraud reports, newest first, one JSON object per line.
    Reports {
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Counts of the mail outbox.
    Outbox,
}

#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum PartnerCmd {
    /// Register a service provider (or, with --data-scope, a data
    /// provider); prints its client id and secret once.
    Add {
        /// Name shown to citizens (for a data provider, its short name shown
        /// after each datum: "revenu fiscal de référence (DGFIP)").
        #[arg(long)]
        name: String,
        /// Exact redirect URI (repeatable; services only).
        #[arg(long = "redirect-uri", required_unless_present = "data_scopes")]
        redirect_uris: Vec<String>,
        /// Register a data provider serving this datum, `scope=label`
        /// (repeatable), e.g. `--data-scope "dgfip_rfr=revenu fiscal de
        /// référence"`. It may then only call /checktoken.
        #[arg(long = "data-scope", value_parser = parse_data_scope)]
        data_scopes: Vec<pivot_proto::data::DataScope>,
        /// Exact post-logout redirect URI (repeatable).
        #[arg(long = "post-logout-redirect-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// Allowed scopes (space-separated); default: every identity scope.
        #[arg(long)]
        scopes: Option<String>,
        /// Entity sharing pairwise subs; default: the client id.
        #[arg(long)]
        entity_id: Option<String>,
        /// client_secret_basic, client_secret_post, private_key_jwt or none.
        #[arg(long, default_value = "client_secret_basic")]
        auth_method: String,
        /// JWKS file of the client's public keys (private_key_jwt, encryption).
        #[arg(long)]
        jwks_file: Option<PathBuf>,
        /// Sign userinfo responses with this algorithm (ES256 or RS256).
        #[arg(long)]
        userinfo_alg: Option<String>,
        /// A private-sector service (explicit consent for identity).
        #[arg(long)]
        private: bool,
        /// URL where the client publishes its public keys (instead of a file).
        #[arg(long)]
        jwks_uri: Option<String>,
        /// Encrypt ID tokens and userinfo to the client (ECDH-ES or RSA-OAEP-256, with A256GCM).
        #[arg(long)]
        encryption_alg: Option<String>,
        /// Accept only these identity providers (repeatable); default: all.
        #[arg(long = "fi-allow")]
        fi_allow: Option<Vec<String>>,
        /// Refuse these identity providers (repeatable).
        #[arg(long = "fi-deny")]
        fi_deny: Option<Vec<String>>,
    },
    /// List service and data providers.
    List,
    /// Remove a service or data provider.
    Remove {
        /// Its client id.
        client_id: String,
    },
}

fn parse_data_scope(s: &str) -> Result<pivot_proto::data::DataScope, String> {
    pivot_proto::data::DataScope::parse_assignment(s).map_err(|e| e.to_string())
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Retire the current signing keys and create new ones.
    Rotate,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .init();
    match Cli::parse().cmd {
        Cmd::Serve { config } => serve(config).await,
        Cmd::Sandbox {
            base_port,
            data_dir,
            ready_file,
            clients,
        } => sandbox(base_port, data_dir, ready_file, clients).await,
        Cmd::Partner { config, cmd } => partner(config, cmd).await,
        Cmd::Ops { config, cmd } => ops(config, cmd).await,
        Cmd::Keys {
            config,
            cmd: KeysCmd::Rotate,
        } => {
            let cfg = FileConfig::load(Some(&config), None)?;
            let now = SystemClock.now().unix_timestamp();
            let ks = KeyStore::open(
                &cfg.storage.data_dir,
                now,
                24 * 3600 + cfg.platform.id_token_ttl_secs,
            )?;
            for kid in ks.rotate(now)? {
                println!("new key {kid}");
            }
            println!("Restart the broker to sign with the new keys.");
            Ok(())
        }
    }
}

async fn serve(config: PathBuf) -> anyhow::Result<()> {
    let cfg = FileConfig::load(Some(&config), None)?;
    let state = app::build_state(&cfg, Arc::new(SystemClock)).await?;
    let listener = tokio::net::TcpListener::bind(cfg.server.listen)
        .await
        .with_context(|| format!("cannot listen on {}", cfg.server.listen))?;
    tracing::info!(issuer = %state.cfg.issuer, listen = %cfg.server.listen, "broker listening");
    app::spawn_purge(state.clone());
    let _mail_worker = app::spawn_outbox(&state);
    axum::serve(listener, app::router(state))
        .with_graceful_shutdown(shutdown())
        .await?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

async fn sandbox(
    base_port: u16,
    data_dir: PathBuf,
    ready_file: Option<PathBuf>,
    clients: Option<PathBuf>,
) -> anyhow::Result<()> {
    let mut opts = SandboxOptions::new(data_dir);
    opts.base_port = base_port;
    opts.clients_file = clients;
    let sb = Sandbox::start(opts).await?;
    println!("{}", sb.banner());
    if let Some(path) = ready_file {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&sb.ready_json())?)?;
        std::fs::rename(&tmp, &path)?;
    }
    shutdown().await;
    println!("Sandbox stopped.");
    Ok(())
}

async fn ops(config: PathBuf, cmd: OpsCmd) -> anyhow::Result<()> {
    use pivot_broker::storage::{CitizenRepo, EventFilter, EventRepo, FraudRepo, OutboxRepo};
    let cfg = FileConfig::load(Some(&config), None)?;
    let store = SqliteStorage::open(&cfg.storage.database_url).await?;
    match cmd {
        OpsCmd::Events {
            code,
            identity_hash,
            reference,
            client,
            since,
            until,
            limit,
        } => {
            let code = code
                .map(|c| {
                    pivot_proto::citizen::EventCode::parse(&c)
                        .with_context(|| format!("unknown event code {c}"))
                })
                .transpose()?;
            let events = store
                .events(&EventFilter {
                    code,
                    identity_hash,
                    reference,
                    client_id: client,
                    since,
                    until,
                    limit,
                })
                .await?;
            for e in events {
                println!("{}", serde_json::to_string(&e)?);
            }
        }
        OpsCmd::Disable {
            identity_hash,
            reason,
        } => {
            anyhow::ensure!(!reason.trim().is_empty(), "--reason must not be empty");
            anyhow::ensure!(
                store
                    .set_disabled(&identity_hash, Some(reason.trim()))
                    .await?,
                "no account {identity_hash}"
            );
            println!("disabled {identity_hash}");
        }
        OpsCmd::Enable { identity_hash } => {
            anyhow::ensure!(
                store.set_disabled(&identity_hash, None).await?,
                "no account {identity_hash}"
            );
            println!("enabled {identity_hash}");
        }
        OpsCmd::Reports { limit } => {
            for r in store.reports(limit).await? {
                println!("{}", serde_json::to_string(&r)?);
            }
        }
        OpsCmd::Outbox => {
            println!("{}", serde_json::to_string(&store.outbox_stats().await?)?);
        }
    }
    Ok(())
}

async fn partner(config: PathBuf, cmd: PartnerCmd) -> anyhow::Result<()> {
    let cfg = FileConfig::load(Some(&config), None)?;
    let store = SqliteStorage::open(&cfg.storage.database_url).await?;
    match cmd {
        PartnerCmd::Add {
            name,
            redirect_uris,
            data_scopes,
            post_logout_redirect_uris,
            scopes,
            entity_id,
            auth_method,
            jwks_file,
            userinfo_alg,
            private,
            jwks_uri,
            encryption_alg,
            fi_allow,
            fi_deny,
        } => {
            let method = ClientAuthMethod::parse(&auth_method).context("unknown --auth-method")?;
            let provider = !data_scopes.is_empty();
            if provider {
                anyhow::ensure!(
                    redirect_uris.is_empty() && post_logout_redirect_uris.is_empty(),
                    "a data provider has no redirect URIs"
                );
                anyhow::ensure!(
                    method != ClientAuthMethod::None,
                    "a data provider must authenticate (not --auth-method none)"
                );
                pivot_proto::data::DataScope::check_list(&data_scopes)?;
            }
            for u in redirect_uris.iter().chain(&post_logout_redirect_uris) {
                let parsed = url::Url::parse(u).with_context(|| format!("invalid URI {u}"))?;
                anyhow::ensure!(
                    parsed.fragment().is_none(),
                    "URI {u} must not have a fragment"
                );
            }
            let jwks = jwks_file
                .map(|p| -> anyhow::Result<serde_json::Value> {
                    Ok(serde_json::from_slice(&std::fs::read(p)?)?)
                })
                .transpose()?;
            let has_keys = jwks.is_some() || jwks_uri.is_some();
            anyhow::ensure!(
                method != ClientAuthMethod::PrivateKeyJwt || has_keys,
                "private_key_jwt needs --jwks-file or --jwks-uri"
            );
            anyhow::ensure!(
                encryption_alg.is_none() || has_keys,
                "--encryption-alg needs --jwks-file or --jwks-uri"
            );
            let client_id = random_token(24);
            let secret = matches!(
                method,
                ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::ClientSecretPost
            )
            .then(|| random_token(32));
            let scopes = if provider {
                Vec::new()
            } else {
                scopes.map_or_else(
                    || {
                        pivot_proto::scope::KNOWN_IDENTITY_SCOPES
                            .iter()
                            .map(|s| (*s).to_owned())
                            .collect()
                    },
                    |s| s.split_whitespace().map(str::to_owned).collect(),
                )
            };
            store
                .put_client(&ClientRecord {
                    entity_id: entity_id.unwrap_or_else(|| client_id.clone()),
                    client_id: client_id.clone(),
                    name,
                    secret_hash: secret.as_deref().map(sha256_hex),
                    auth_method: method,
                    jwks,
                    redirect_uris,
                    post_logout_redirect_uris,
                    scopes,
                    id_token_alg: SigningAlg::ES256,
                    userinfo_alg: userinfo_alg
                        .as_deref()
                        .map(|a| SigningAlg::parse(a).context("unknown --userinfo-alg"))
                        .transpose()?,
                    public_service: !private,
                    created_at: SystemClock.now().unix_timestamp(),
                    jwks_uri,
                    encryption_alg: encryption_alg
                        .as_deref()
                        .map(|a| EncryptionAlg::parse(a).context("unknown --encryption-alg"))
                        .transpose()?,
                    fi_allow,
                    fi_deny: fi_deny.unwrap_or_default(),
                    role: if provider {
                        pivot_broker::storage::ClientRole::DataProvider
                    } else {
                        pivot_broker::storage::ClientRole::Service
                    },
                    provided: data_scopes,
                })
                .await?;
            println!("client_id:     {client_id}");
            if let Some(s) = secret {
                println!("client_secret: {s}");
                println!("(the secret is shown once: only its hash is stored)");
            }
        }
        PartnerCmd::List => {
            for c in store.clients().await? {
                let detail = if c.provided.is_empty() {
                    c.redirect_uris.join(" ")
                } else {
                    let scopes: Vec<&str> = c.provided.iter().map(|d| d.scope.as_str()).collect();
                    scopes.join(" ")
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    c.client_id,
                    c.role.as_str(),
                    c.name,
                    c.auth_method.as_str(),
                    detail
                );
            }
        }
        PartnerCmd::Remove { client_id } => {
            anyhow::ensure!(
                store.delete_client(&client_id).await?,
                "no client {client_id}"
            );
            println!("removed {client_id}");
        }
    }
    Ok(())
}
