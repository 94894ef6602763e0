//! The sandbox: demo identity providers, demo service providers and test
//! citizens, all real HTTP servers on loopback ports, started by one command
//! (`pivot-broker sandbox`) or by tests through [`Sandbox::start`].

pub mod citizens;
pub mod clients_file;
pub mod fi;
pub mod fs;

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    path::PathBuf,
    time::Duration,
};

use axum::{Router, middleware::from_fn};
use serde::Serialize;
use tokio::{net::TcpListener, task::JoinHandle};
use url::Url;

use crate::{
    app::{self, StartError},
    clock::SharedClock,
    config::{FileConfig, IdpConfig, PlatformConfig, SecretsConfig, ServerConfig, StorageConfig},
    crypto::{random_token, sha256_hex},
    secret::Secret,
    state::AppState,
    storage::{ClientAuthMethod, ClientRecord, SigningAlg},
    web,
};

/// Errors while starting the sandbox.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// A port could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The broker could not start.
    #[error(transparent)]
    Broker(#[from] StartError),
    /// A demo FI could not start.
    #[error(transparent)]
    Fi(#[from] fi::FiError),
    /// Storage failure while registering clients.
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    /// The extra clients file is invalid.
    #[error("clients file: {0}")]
    ClientsFile(String),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

/// How to start the sandbox.
#[derive(Clone, Debug)]
pub struct SandboxOptions {
    /// First port: broker on it, FIs on +101…, services on +200…; `0` picks
    /// free ports.
    pub base_port: u16,
    /// Where the broker keeps its database, keys and secrets.
    pub data_dir: PathBuf,
    /// Extra service providers to register (TOML, see [`clients_file`]).
    pub clients_file: Option<PathBuf>,
    /// The clock of every party.
    pub clock: SharedClock,
    /// Time allowed to an FI per call.
    pub fi_timeout_secs: u64,
}

impl SandboxOptions {
    /// Defaults: ports from 7000, system clock, 10 s FI time-out.
    #[must_use]
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            base_port: 7000,
            data_dir,
            clients_file: None,
            clock: std::sync::Arc::new(crate::clock::SystemClock),
            fi_timeout_secs: 10,
        }
    }
}

/// A demo service as shown to testers.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceInfo {
    /// Short id.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Home page.
    pub url: String,
    /// Its client id at the broker.
    pub client_id: String,
}

/// A demo FI as shown to testers.
#[derive(Clone, Debug, Serialize)]
pub struct FiInfo {
    /// Id (`ameli`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Issuer URL.
    pub url: String,
    /// Switch to make it misbehave (tests).
    #[serde(skip)]
    pub control: fi::FiControl,
}

/// A running sandbox. Dropping it stops every server.
#[derive(Debug)]
pub struct Sandbox {
    /// The broker's base URL.
    pub broker_url: String,
    /// The broker's issuer.
    pub issuer: String,
    /// Demo services.
    pub services: Vec<ServiceInfo>,
    /// Demo identity providers.
    pub fis: Vec<FiInfo>,
    /// The broker's state (tests reach storage and keys through it).
    pub state: AppState,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

const HOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// Client id of the broker at every demo FI.
const BROKER_AT_FI: &str = "pivot-broker";

/// The demo services: (slug, name, scopes, port offset).
const SERVICES: &[(&str, &str, &str, u16)] = &[
    (
        "mairie",
        "Mairie de Pivotville",
        "openid identite_pivot email preferred_username amr idp_id",
        200,
    ),
    (
        "mediatheque",
        "Médiathèque de Pivotville",
        "openid profile birth email",
        201,
    ),
];

async fn bind(base: u16, offset: u16) -> Result<TcpListener, SandboxError> {
    let port = if base == 0 {
        0
    } else {
        base.saturating_add(offset)
    };
    let addr = SocketAddr::new(HOST, port);
    TcpListener::bind(addr)
        .await
        .map_err(|source| SandboxError::Bind { addr, source })
}

fn url_of(l: &TcpListener) -> Result<String, SandboxError> {
    let a = l
        .local_addr()
        .map_err(|e| SandboxError::Other(e.to_string()))?;
    Ok(format!("http://{a}"))
}

fn parse_url(s: &str) -> Result<Url, SandboxError> {
    Url::parse(s).map_err(|e| SandboxError::Other(format!("{s}: {e}")))
}

fn spawn(listener: TcpListener, router: Router) -> JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "sandbox server stopped");
        }
    })
}

/// Every non-broker party gets the DSFR assets and the security headers.
fn party(router: Router, dsfr: Option<&std::path::Path>) -> Router {
    router
        .merge(web::assets::router(dsfr))
        .layer(from_fn(web::headers::security_headers))
}

/// Every scope a sandbox client may ask.
fn all_scopes() -> Vec<String> {
    pivot_proto::scope::KNOWN_IDENTITY_SCOPES
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

impl Sandbox {
    /// Starts the broker, the demo FIs and the demo services.
    ///
    /// # Errors
    /// When a port is taken or a party cannot start.
    pub async fn start(opts: SandboxOptions) -> Result<Self, SandboxError> {
        let base = opts.base_port;
        let broker_l = bind(base, 0).await?;
        let broker_url = url_of(&broker_l)?;
        let mut fi_ls = Vec::new();
        for (n, kind) in fi::FiKind::ALL.into_iter().enumerate() {
            let l = bind(base, 101 + u16::try_from(n).unwrap_or(0)).await?;
            fi_ls.push((kind, l));
        }
        let mut fs_ls = Vec::new();
        for (slug, name, scopes, offset) in SERVICES {
            fs_ls.push((*slug, *name, *scopes, bind(base, *offset).await?));
        }

        // The broker, configured with the demo FIs.
        let fi_secret = Secret::new(random_token(32));
        let mut idps = Vec::new();
        for (kind, l) in &fi_ls {
            idps.push(IdpConfig {
                id: kind.id().to_owned(),
                name: kind.display_name().to_owned(),
                issuer: parse_url(&url_of(l)?)?,
                client_id: BROKER_AT_FI.to_owned(),
                client_secret: Some(fi_secret.clone()),
                client_secret_file: None,
                acr_values: vec![pivot_proto::eidas::Eidas::Eidas1],
                enabled: true,
            });
        }
        let cfg = FileConfig {
            server: ServerConfig {
                listen: broker_l
                    .local_addr()
                    .map_err(|e| SandboxError::Other(e.to_string()))?,
                public_url: parse_url(&broker_url)?,
            },
            storage: StorageConfig {
                database_url: format!("sqlite://{}", opts.data_dir.join("pivot.db").display()),
                data_dir: opts.data_dir.clone(),
            },
            secrets: SecretsConfig::default(),
            platform: PlatformConfig {
                fi_timeout_secs: opts.fi_timeout_secs,
                ..PlatformConfig::default()
            },
            identity_providers: idps,
            dsfr_dir: None,
        };
        let state = app::build_state(&cfg, opts.clock.clone()).await?;
        let dsfr = state.cfg.dsfr_dir.clone();
        let issuer = state.cfg.issuer.clone();
        let mut tasks = vec![
            spawn(broker_l, app::router(state.clone())),
            app::spawn_purge(state.clone()),
        ];

        // The demo FIs, each with the broker registered as its client.
        let reg = fi::FiClientReg {
            client_id: BROKER_AT_FI.to_owned(),
            client_secret: fi_secret,
            redirect_uris: vec![format!("{broker_url}/api/v2/fi/callback")],
            post_logout_redirect_uris: vec![format!("{broker_url}/api/v2/fi/logout-callback")],
        };
        let mut fis = Vec::new();
        for (kind, l) in fi_ls {
            let url = url_of(&l)?;
            let control = fi::FiControl::default();
            let spec = fi::FiSpec::demo(kind, parse_url(&url)?, vec![reg.clone()]);
            let router = fi::router(
                spec,
                control.clone(),
                opts.clock.clone(),
                state.templates.clone(),
            )?;
            tasks.push(spawn(l, party(router, dsfr.as_deref())));
            fis.push(FiInfo {
                id: kind.id().to_owned(),
                name: kind.display_name().to_owned(),
                url,
                control,
            });
        }

        // The demo services, registered at the broker.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| SandboxError::Other(e.to_string()))?;
        let mut services = Vec::new();
        for (slug, name, scopes, l) in fs_ls {
            let url = url_of(&l)?;
            let client_id = format!("sandbox-{slug}");
            let secret = format!("sandbox-secret-{slug}");
            let spec = fs::FsSpec {
                slug: slug.to_owned(),
                name: name.to_owned(),
                public_url: parse_url(&url)?,
                broker_issuer: parse_url(&issuer)?,
                client_id: client_id.clone(),
                client_secret: Secret::new(secret.clone()),
                scopes: scopes.split(' ').map(str::to_owned).collect(),
                acr_values: "eidas1".to_owned(),
            };
            state
                .store
                .put_client(&ClientRecord {
                    client_id: client_id.clone(),
                    entity_id: format!("sandbox-entity-{slug}"),
                    name: name.to_owned(),
                    secret_hash: Some(sha256_hex(&secret)),
                    auth_method: ClientAuthMethod::ClientSecretBasic,
                    jwks: None,
                    redirect_uris: vec![spec.redirect_uri()],
                    post_logout_redirect_uris: vec![spec.post_logout_redirect_uri()],
                    scopes: all_scopes(),
                    id_token_alg: SigningAlg::ES256,
                    userinfo_alg: None,
                    public_service: true,
                    created_at: state.now(),
                })
                .await?;
            let router = fs::router_with_clock(
                spec,
                state.templates.clone(),
                http.clone(),
                opts.clock.clone(),
            );
            tasks.push(spawn(l, party(router, dsfr.as_deref())));
            services.push(ServiceInfo {
                slug: slug.to_owned(),
                name: name.to_owned(),
                url,
                client_id,
            });
        }
        if let Some(path) = &opts.clients_file {
            for c in clients_file::load(path, state.now())? {
                state.store.put_client(&c).await?;
            }
        }
        Ok(Self {
            broker_url,
            issuer,
            services,
            fis,
            state,
            tasks,
        })
    }

    /// The demo FI `id`.
    #[must_use]
    pub fn fi(&self, id: &str) -> Option<&FiInfo> {
        self.fis.iter().find(|f| f.id == id)
    }

    /// The machine-readable description written to `--ready-file`.
    #[must_use]
    pub fn ready_json(&self) -> serde_json::Value {
        let citizens: Vec<serde_json::Value> = citizens::citizens()
            .iter()
            .flat_map(|c| {
                c.accounts.iter().map(move |a| {
                    serde_json::json!({
                        "key": c.key, "given_name": c.given_name, "family_name": c.family_name,
                        "fi": a.fi.id(), "login": a.login, "password": a.password,
                    })
                })
            })
            .collect();
        serde_json::json!({
            "broker": self.broker_url,
            "issuer": self.issuer,
            "services": self.services,
            "identity_providers": self.fis,
            "citizens": citizens,
            "mailbox": null,
        })
    }

    /// The start banner: every URL and credential a tester needs.
    #[must_use]
    pub fn banner(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(s, "Pivot sandbox is running.\n");
        let _ = writeln!(
            s,
            "  Broker (FranceConnect)   {}   issuer {}",
            self.broker_url, self.issuer
        );
        for sv in &self.services {
            let _ = writeln!(
                s,
                "  Service  {:<28} {}   (client_id {})",
                sv.name, sv.url, sv.client_id
            );
        }
        for f in &self.fis {
            let _ = writeln!(s, "  Identity provider {:<19} {}", f.name, f.url);
        }
        let _ = writeln!(
            s,
            "\nOpen a service's URL in a browser and click « S'identifier avec FranceConnect »."
        );
        let _ = writeln!(s, "Test citizens (identity provider, login, password):\n");
        s.push_str(&citizens::accounts_table());
        s
    }
}
