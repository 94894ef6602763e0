//! The sandbox: demo identity providers, demo service providers and test
//! citizens, all real HTTP servers on loopback ports, started by one command
//! (`pivot-broker sandbox`) or by tests through [`Sandbox::start`].

pub mod citizens;
pub mod clients_file;
pub mod fd;
pub mod fi;
pub mod fs;
pub mod mailbox;
pub mod registry;

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    path::PathBuf,
    time::Duration,
};

use axum::{Router, middleware::from_fn};
use pivot_proto::eidas::Eidas;
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
    storage::{ClientAuthMethod, ClientRecord, ClientRole, EncryptionAlg, SigningAlg},
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
    /// The mail server could not start.
    #[error(transparent)]
    Mailbox(#[from] mailbox::MailboxError),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

/// How to start the sandbox.
#[derive(Clone, Debug)]
pub struct SandboxOptions {
    /// First port: the low broker on it, the high broker on +1, FIs on
    /// +101…, services on +200…, the civil registry on +300, data
    /// providers on +400…; `0` picks free ports.
    pub base_port: u16,
    /// Where the brokers keep their databases, keys and secrets (the high
    /// platform in `high/` under it).
    pub data_dir: PathBuf,
    /// Extra service providers to register at the low platform (TOML, see
    /// [`clients_file`]).
    pub clients_file: Option<PathBuf>,
    /// The clock of every party.
    pub clock: SharedClock,
    /// Time allowed to an FI per call.
    pub fi_timeout_secs: u64,
    /// Time the brokers allow the civil registry per check.
    pub registry_timeout_secs: u64,
    /// How long the registry's "slow" record takes to answer.
    pub registry_slow_delay: Duration,
    /// Also start the test-only providers (an `eidas3` FI on the high
    /// platform). Off in the default sandbox.
    pub test_providers: bool,
}

impl SandboxOptions {
    /// Defaults: ports from 7000, system clock, 10 s FI time-out, 5 s
    /// registry time-out, no test-only providers.
    #[must_use]
    pub fn new(data_dir: PathBuf) -> Self {
        Self {
            base_port: 7000,
            data_dir,
            clients_file: None,
            clock: std::sync::Arc::new(crate::clock::SystemClock),
            fi_timeout_secs: 10,
            registry_timeout_secs: 5,
            registry_slow_delay: Duration::from_secs(20),
            test_providers: false,
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
    /// The platform it uses (`low` or `high`).
    pub platform: &'static str,
}

/// A demo data provider as shown to testers.
#[derive(Clone, Debug, Serialize)]
pub struct DataProviderInfo {
    /// Short id (`dgfip`).
    pub slug: String,
    /// Name.
    pub name: String,
    /// Base URL of its API.
    pub url: String,
    /// Its client id at the broker (for `/checktoken`).
    pub client_id: String,
    /// The data it serves.
    pub scopes: Vec<String>,
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
    /// Its demo "phone" page, where one-time codes arrive (FIs with a
    /// second factor).
    pub phone: Option<String>,
    /// Switch to make it misbehave (tests).
    #[serde(skip)]
    pub control: fi::FiControl,
}

/// One broker platform of the sandbox.
#[derive(Debug, Clone)]
pub struct PlatformInfo {
    /// Base URL.
    pub url: String,
    /// Issuer.
    pub issuer: String,
    /// Its state (tests reach storage and keys through it).
    pub state: AppState,
}

/// A running sandbox. Dropping it stops every server.
#[derive(Debug)]
pub struct Sandbox {
    /// The low platform's (FranceConnect) base URL.
    pub broker_url: String,
    /// The low platform's issuer.
    pub issuer: String,
    /// The low platform's state.
    pub state: AppState,
    /// The high platform (FranceConnect+).
    pub high: PlatformInfo,
    /// Demo services.
    pub services: Vec<ServiceInfo>,
    /// Demo data providers (on the low platform).
    pub data_providers: Vec<DataProviderInfo>,
    /// Demo identity providers.
    pub fis: Vec<FiInfo>,
    /// The civil registry's base URL.
    pub registry_url: String,
    /// Switch to make the registry misbehave (tests).
    pub registry: registry::RegistryControl,
    /// The mails both platforms sent.
    pub mailbox: mailbox::Mailbox,
    /// The SMTP server they go through (tests stop and restart it).
    pub smtp: mailbox::SmtpServer,
    /// The page listing received mails.
    pub mailbox_url: String,
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
/// Client id of the low broker at every demo FI.
const BROKER_AT_FI: &str = "pivot-broker";
/// Client id of the high broker at every demo FI.
const HIGH_BROKER_AT_FI: &str = "pivot-broker-plus";

/// A demo service: slug, name, scopes asked, port offset, platform
/// (`true` = high), `acr_values` sent, whether it computes the family
/// quotient from the tax data provider.
struct DemoService {
    slug: &'static str,
    name: &'static str,
    scopes: &'static str,
    offset: u16,
    high: bool,
    acr: &'static str,
    quotient: bool,
}

const SERVICES: &[DemoService] = &[
    DemoService {
        slug: "mairie",
        name: "Mairie de Pivotville",
        scopes: "openid identite_pivot email preferred_username amr idp_id",
        offset: 200,
        high: false,
        acr: "eidas1",
        quotient: false,
    },
    DemoService {
        slug: "mediatheque",
        name: "Médiathèque de Pivotville",
        scopes: "openid profile birth email",
        offset: 201,
        high: false,
        acr: "eidas1",
        quotient: false,
    },
    DemoService {
        slug: "renovation",
        name: "Aides à la rénovation énergétique",
        scopes: "openid identite_pivot email rnipp_identite_pivot amr",
        offset: 202,
        high: true,
        acr: "eidas2",
        quotient: false,
    },
    DemoService {
        slug: "lyon",
        name: "Ville de Lyon — quotient familial",
        scopes: "openid given_name family_name birthdate gender birthplace birthcountry email dgfip_rfr dgfip_nbpart",
        offset: 203,
        high: false,
        acr: "eidas1",
        quotient: true,
    },
    DemoService {
        slug: "procuration",
        name: "Procurations de vote en ligne",
        scopes: "openid identite_pivot email preferred_username amr",
        offset: 204,
        high: true,
        acr: "eidas3",
        quotient: false,
    },
];

/// Port offset of the first demo data provider.
const FD_OFFSET: u16 = 400;
/// Port offset of the mailbox page.
const MAILBOX_OFFSET: u16 = 500;
/// Port offset of the sandbox's SMTP server.
const SMTP_OFFSET: u16 = 525;

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

/// Every scope a sandbox client may ask: identity, registry and the demo
/// data providers' data.
fn all_scopes() -> Vec<String> {
    pivot_proto::scope::KNOWN_IDENTITY_SCOPES
        .iter()
        .chain(pivot_proto::scope::RNIPP_SCOPES)
        .map(|s| (*s).to_owned())
        .chain(
            fd::FdKind::ALL
                .iter()
                .flat_map(|k| k.data_scopes().into_iter().map(|d| d.scope)),
        )
        .collect()
}

/// A sandbox partner with a public secret (`client_secret_basic`), ES256,
/// a public-sector service by default, nothing else registered: services
/// add their URIs and scopes, data providers their role and data.
fn sandbox_partner(
    client_id: &str,
    entity_id: &str,
    name: &str,
    secret: &str,
    now: i64,
) -> ClientRecord {
    ClientRecord {
        client_id: client_id.to_owned(),
        entity_id: entity_id.to_owned(),
        name: name.to_owned(),
        secret_hash: Some(sha256_hex(secret)),
        auth_method: ClientAuthMethod::ClientSecretBasic,
        jwks: None,
        redirect_uris: Vec::new(),
        post_logout_redirect_uris: Vec::new(),
        scopes: Vec::new(),
        id_token_alg: SigningAlg::ES256,
        userinfo_alg: None,
        public_service: true,
        created_at: now,
        jwks_uri: None,
        encryption_alg: None,
        fi_allow: None,
        fi_deny: Vec::new(),
        role: ClientRole::Service,
        provided: Vec::new(),
    }
}

/// What both brokers share in the sandbox.
struct BrokerCommon<'a> {
    opts: &'a SandboxOptions,
    fi_urls: &'a [(fi::FiKind, String)],
    fi_secret: &'a Secret,
    registry: &'a crate::rnipp::RegistryConfig,
    smtp: std::net::SocketAddr,
}

/// Client id of the citizen app at the low platform.
pub const APP_CLIENT_ID: &str = "sandbox-app";
/// The app's custom-scheme redirect URI (desktop).
pub const APP_REDIRECT_SCHEME: &str = "pivot://callback";
/// The app's loopback redirect URI (any port, RFC 8252 §7.3).
pub const APP_REDIRECT_LOOPBACK: &str = "http://127.0.0.1/callback";

/// What the app may ask: identity for the confirmation screen, and the
/// citizen space.
fn app_scopes() -> Vec<String> {
    [
        "openid",
        "given_name",
        "family_name",
        "email",
        "birthdate",
        pivot_proto::citizen::CITIZEN_SPACE_SCOPE,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// The sandbox app's mobile identities (demo values: no real app is signed
/// with them), and "Continuer avec l'application" on both choosers: the
/// app runs the logins of FranceConnect+ (the ID card) too.
fn sandbox_app_links() -> crate::applinks::AppLinksConfig {
    crate::applinks::AppLinksConfig {
        android_package: Some("fr.gouv.pivot.sandbox".into()),
        android_sha256_cert_fingerprints: vec![
            "14:6D:E9:83:C5:73:06:50:D8:EE:B9:95:2F:34:FC:64:16:A0:83:42:E6:1D:BE:A8:8A:04:96:B2:3F:CF:44:E5".into(),
        ],
        apple_app_ids: vec!["SANDBOX01.fr.gouv.pivot.sandbox".into()],
        desktop_link: true,
    }
}

/// Where the sandbox's fraud reports go.
pub const SUPPORT_ADDRESS: &str = "support@franceconnect.sandbox";

/// Configuration of one broker platform: the FIs it offers (and the levels
/// each may assert there), its storage, its platform rules.
fn broker_config(
    c: &BrokerCommon<'_>,
    listener: &TcpListener,
    platform: PlatformConfig,
    data_dir: PathBuf,
    client_id: &str,
) -> Result<FileConfig, SandboxError> {
    let mut idps = Vec::new();
    for (kind, url) in c.fi_urls {
        let levels: Vec<Eidas> = kind
            .default_levels()
            .iter()
            .copied()
            .filter(|l| platform.acr_values.contains(l))
            .collect();
        if levels.is_empty() {
            continue;
        }
        idps.push(IdpConfig {
            id: kind.id().to_owned(),
            name: kind.display_name().to_owned(),
            issuer: parse_url(url)?,
            client_id: client_id.to_owned(),
            client_secret: Some(c.fi_secret.clone()),
            client_secret_file: None,
            acr_values: levels,
            enabled: true,
            login: kind.login_method(),
        });
    }
    let url = url_of(listener)?;
    let from = format!("{} <ne-pas-repondre@pivot.sandbox>", platform.name);
    Ok(FileConfig {
        server: ServerConfig {
            listen: listener
                .local_addr()
                .map_err(|e| SandboxError::Other(e.to_string()))?,
            public_url: parse_url(&url)?,
        },
        storage: StorageConfig {
            database_url: format!("sqlite://{}", data_dir.join("pivot.db").display()),
            data_dir,
        },
        secrets: SecretsConfig::default(),
        platform: PlatformConfig {
            fi_timeout_secs: c.opts.fi_timeout_secs,
            ..platform
        },
        identity_providers: idps,
        registry: Some(c.registry.clone()),
        dsfr_dir: None,
        app_links: Some(sandbox_app_links()),
        mail: Some(crate::mail::MailConfig {
            // The sandbox's mail server is local and may be stopped by
            // tests: retry soon.
            retry_base_secs: 1,
            retry_max_secs: 5,
            ..crate::mail::MailConfig::new(format!("smtp://{}", c.smtp), from, SUPPORT_ADDRESS)
        }),
    })
}

impl Sandbox {
    /// Starts both brokers, the civil registry, the demo FIs and the demo
    /// services.
    ///
    /// # Errors
    /// When a port is taken or a party cannot start.
    pub async fn start(opts: SandboxOptions) -> Result<Self, SandboxError> {
        let base = opts.base_port;
        let low_l = bind(base, 0).await?;
        let high_l = bind(base, 1).await?;
        let registry_l = bind(base, 300).await?;
        let mailbox_l = bind(base, MAILBOX_OFFSET).await?;
        let smtp_l = bind(base, SMTP_OFFSET).await?;
        let mut kinds: Vec<fi::FiKind> = fi::FiKind::ALL.to_vec();
        kinds.extend(fi::FiKind::CARD);
        if opts.test_providers {
            kinds.extend(fi::FiKind::TEST_ONLY);
        }
        let mut fi_ls = Vec::new();
        for (n, kind) in kinds.into_iter().enumerate() {
            let l = bind(base, 101 + u16::try_from(n).unwrap_or(0)).await?;
            fi_ls.push((kind, l));
        }
        let mut fs_ls = Vec::new();
        for sv in SERVICES {
            fs_ls.push((sv, bind(base, sv.offset).await?));
        }
        let mut fd_ls = Vec::new();
        for (n, kind) in fd::FdKind::ALL.into_iter().enumerate() {
            let offset = FD_OFFSET + u16::try_from(n).unwrap_or(0);
            fd_ls.push((kind, bind(base, offset).await?));
        }
        let low_url = url_of(&low_l)?;
        let high_url = url_of(&high_l)?;
        let registry_url = url_of(&registry_l)?;
        let fi_urls = fi_ls
            .iter()
            .map(|(k, l)| Ok((*k, url_of(l)?)))
            .collect::<Result<Vec<_>, SandboxError>>()?;

        // The civil registry.
        let registry_key = Secret::new(random_token(32));
        let registry_control = registry::RegistryControl::default();
        let registry_router = registry::router(
            registry::RegistrySpec {
                slow_delay: opts.registry_slow_delay,
                ..registry::RegistrySpec::new(registry_key.clone())
            },
            registry_control.clone(),
            opts.clock.clone(),
        );
        let mut tasks = vec![spawn(registry_l, registry_router)];

        // The mail server every alert goes to, and its page.
        let mailbox_url = url_of(&mailbox_l)?;
        let mailbox = mailbox::Mailbox::new();
        let smtp = mailbox::SmtpServer::from_listener(
            smtp_l,
            mailbox.clone(),
            opts.clock.clone(),
            mailbox::SmtpLimits::default(),
        )?;

        // The two brokers.
        let fi_secret = Secret::new(random_token(32));
        let common = BrokerCommon {
            opts: &opts,
            fi_urls: &fi_urls,
            fi_secret: &fi_secret,
            registry: &crate::rnipp::RegistryConfig {
                url: parse_url(&registry_url)?,
                api_key: Some(registry_key),
                api_key_file: None,
                timeout_secs: opts.registry_timeout_secs,
            },
            smtp: smtp.local_addr(),
        };
        let low_cfg = broker_config(
            &common,
            &low_l,
            PlatformConfig::default(),
            opts.data_dir.clone(),
            BROKER_AT_FI,
        )?;
        let high_cfg = broker_config(
            &common,
            &high_l,
            PlatformConfig::high(),
            opts.data_dir.join("high"),
            HIGH_BROKER_AT_FI,
        )?;
        let state = app::build_state(&low_cfg, opts.clock.clone()).await?;
        let high_state = app::build_state(&high_cfg, opts.clock.clone()).await?;
        let dsfr = state.cfg.dsfr_dir.clone();
        let issuer = state.cfg.issuer.clone();
        tasks.extend([
            spawn(low_l, app::router(state.clone())),
            app::spawn_purge(state.clone()),
            spawn(high_l, app::router(high_state.clone())),
            app::spawn_purge(high_state.clone()),
        ]);
        tasks.extend(app::spawn_outbox(&state));
        tasks.extend(app::spawn_outbox(&high_state));
        let templates = state.templates.clone();
        tasks.push(spawn(
            mailbox_l,
            party(
                mailbox::router(mailbox.clone(), smtp.clone(), templates),
                dsfr.as_deref(),
            ),
        ));

        // The demo FIs, each with both brokers registered as clients.
        let reg = |client_id: &str, url: &str| fi::FiClientReg {
            client_id: client_id.to_owned(),
            client_secret: fi_secret.clone(),
            redirect_uris: vec![format!("{url}/api/v2/fi/callback")],
            post_logout_redirect_uris: vec![format!("{url}/api/v2/fi/logout-callback")],
        };
        let regs = vec![
            reg(BROKER_AT_FI, &low_url),
            reg(HIGH_BROKER_AT_FI, &high_url),
        ];
        let mut fis = Vec::new();
        for (kind, l) in fi_ls {
            let url = url_of(&l)?;
            let control = fi::FiControl::default();
            let spec = fi::FiSpec::demo(kind, parse_url(&url)?, regs.clone());
            let phone = spec.has_second_factor().then(|| spec.phone_url());
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
                phone,
                control,
            });
        }

        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| SandboxError::Other(e.to_string()))?;

        // The demo data providers, registered at the low broker.
        let mut data_providers = Vec::new();
        for (kind, l) in fd_ls {
            let url = url_of(&l)?;
            let secret = format!("sandbox-secret-{}", kind.id());
            let spec = fd::FdSpec::demo(
                kind,
                parse_url(&url)?,
                parse_url(&issuer)?,
                Secret::new(secret.clone()),
            );
            state
                .store
                .put_client(&ClientRecord {
                    role: ClientRole::DataProvider,
                    provided: kind.data_scopes(),
                    ..sandbox_partner(
                        &spec.fd_id,
                        &spec.fd_id,
                        kind.provider_name(),
                        &secret,
                        state.now(),
                    )
                })
                .await?;
            data_providers.push(DataProviderInfo {
                slug: spec.slug.clone(),
                name: spec.name.clone(),
                url: url.clone(),
                client_id: spec.fd_id.clone(),
                scopes: kind.data_scopes().into_iter().map(|d| d.scope).collect(),
            });
            let router = fd::router(spec, http.clone(), opts.clock.clone());
            tasks.push(spawn(l, router));
        }
        let tax_api = data_providers
            .iter()
            .find(|d| d.slug == fd::FdKind::Tax.id())
            .map(|d| parse_url(&d.url))
            .transpose()?;

        // The demo services, registered at their broker.
        let mut services = Vec::new();
        for (sv, l) in fs_ls {
            let url = url_of(&l)?;
            let client_id = format!("sandbox-{}", sv.slug);
            let secret = format!("sandbox-secret-{}", sv.slug);
            let (st, iss) = if sv.high {
                (&high_state, high_state.cfg.issuer.clone())
            } else {
                (&state, issuer.clone())
            };
            let spec = fs::FsSpec {
                slug: sv.slug.to_owned(),
                name: sv.name.to_owned(),
                public_url: parse_url(&url)?,
                broker_issuer: parse_url(&iss)?,
                client_id: client_id.clone(),
                client_secret: Secret::new(secret.clone()),
                scopes: sv.scopes.split(' ').map(str::to_owned).collect(),
                acr_values: sv.acr.to_owned(),
                encryption: sv.high.then_some(EncryptionAlg::EcdhEs),
                quotient: if sv.quotient {
                    tax_api.clone().map(|tax_api| fs::QuotientSpec { tax_api })
                } else {
                    None
                },
            };
            st.store
                .put_client(&ClientRecord {
                    redirect_uris: vec![spec.redirect_uri()],
                    post_logout_redirect_uris: vec![spec.post_logout_redirect_uri()],
                    scopes: all_scopes(),
                    jwks_uri: sv.high.then(|| spec.jwks_uri()),
                    encryption_alg: spec.encryption,
                    ..sandbox_partner(
                        &client_id,
                        &format!("sandbox-entity-{}", sv.slug),
                        sv.name,
                        &secret,
                        st.now(),
                    )
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
                slug: sv.slug.to_owned(),
                name: sv.name.to_owned(),
                url,
                client_id,
                platform: if sv.high { "high" } else { "low" },
            });
        }
        // The citizen app: a native public client (PKCE, DPoP), redirected
        // to its custom scheme or to a loopback port of its choosing.
        state
            .store
            .put_client(&ClientRecord {
                secret_hash: None,
                auth_method: ClientAuthMethod::None,
                redirect_uris: vec![APP_REDIRECT_SCHEME.into(), APP_REDIRECT_LOOPBACK.into()],
                scopes: app_scopes(),
                ..sandbox_partner(
                    APP_CLIENT_ID,
                    APP_CLIENT_ID,
                    "Application Pivot",
                    "",
                    state.now(),
                )
            })
            .await?;
        if let Some(path) = &opts.clients_file {
            for c in clients_file::load(path, state.now())? {
                state.store.put_client(&c).await?;
            }
        }
        Ok(Self {
            broker_url: low_url,
            issuer,
            state,
            high: PlatformInfo {
                url: high_url,
                issuer: high_state.cfg.issuer.clone(),
                state: high_state,
            },
            services,
            data_providers,
            fis,
            registry_url,
            registry: registry_control,
            mailbox,
            smtp,
            mailbox_url,
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
            .chain(
                self.fis
                    .iter()
                    .filter_map(|f| fi::FiKind::from_id(&f.id))
                    .filter(|k| fi::FiKind::TEST_ONLY.contains(k))
                    .flat_map(|k| {
                        fi::demo_logins(k).into_iter().map(move |(c, l)| {
                            serde_json::json!({
                                "key": c.key, "given_name": c.given_name,
                                "family_name": c.family_name, "fi": k.id(),
                                "login": l.login, "password": l.password,
                            })
                        })
                    }),
            )
            .collect();
        serde_json::json!({
            "broker": self.broker_url,
            "issuer": self.issuer,
            "broker_high": self.high.url,
            "issuer_high": self.high.issuer,
            "registry": self.registry_url,
            "services": self.services,
            "data_providers": self.data_providers,
            "identity_providers": self.fis,
            "citizens": citizens,
            "mailbox": self.mailbox_url,
            "smtp": self.smtp.local_addr().to_string(),
            "support_address": SUPPORT_ADDRESS,
            "app": {
                "client_id": APP_CLIENT_ID,
                "redirect_uris": [APP_REDIRECT_SCHEME, APP_REDIRECT_LOOPBACK],
            },
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
        let _ = writeln!(
            s,
            "  Broker (FranceConnect+)  {}   issuer {}",
            self.high.url, self.high.issuer
        );
        let _ = writeln!(s, "  Civil registry (RNIPP)   {}", self.registry_url);
        let _ = writeln!(
            s,
            "  Mailbox (sent e-mails)   {}   (SMTP {})",
            self.mailbox_url,
            self.smtp.local_addr()
        );
        let _ = writeln!(
            s,
            "  Citizen space            {}/espace   (FranceConnect+: {}/espace)",
            self.broker_url, self.high.url
        );
        for sv in &self.services {
            let plus = if sv.platform == "high" {
                " (FranceConnect+)"
            } else {
                ""
            };
            let _ = writeln!(
                s,
                "  Service  {:<36} {}   (client_id {}){plus}",
                sv.name, sv.url, sv.client_id
            );
        }
        for d in &self.data_providers {
            let _ = writeln!(
                s,
                "  Data provider {:<36} {}   (client_id {}, secret sandbox-secret-{}; {})",
                d.name,
                d.url,
                d.client_id,
                d.slug,
                d.scopes.join(" ")
            );
        }
        for f in &self.fis {
            let _ = writeln!(s, "  Identity provider {:<30} {}", f.name, f.url);
            if let Some(phone) = &f.phone {
                let _ = writeln!(s, "      one-time codes (eidas2 and above): {phone}");
            }
            if fi::FiKind::from_id(&f.id).is_some_and(|k| fi::FiKind::CARD.contains(&k)) {
                let _ = writeln!(
                    s,
                    "      ID card in the app (FranceConnect+ only); test cards: `pivot-card list`"
                );
            }
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
