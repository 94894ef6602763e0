//! Building the broker: state from configuration, and the router.

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    middleware::{from_fn, from_fn_with_state},
    response::IntoResponse,
    routing::get,
};
use serde::{Deserialize, Serialize};
use tower_http::trace::TraceLayer;

use crate::{
    clock::SharedClock,
    config::{ConfigError, FileConfig, resolve_secret},
    crypto::random_token,
    error::{ErrorPages, render_error_pages},
    fi_client::{FiEntry, FiRegistry},
    interaction,
    keys::{KeyStore, private_dir, write_private},
    op,
    secret::Secret,
    state::{AppState, RuntimeConfig, StateParts},
    storage::sqlite::SqliteStorage,
    web::{self, Templates},
};

/// Errors while starting the broker.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Storage could not open.
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    /// Keys could not be loaded or created.
    #[error(transparent)]
    Keys(#[from] crate::keys::KeyError),
    /// Templates do not parse.
    #[error(transparent)]
    Templates(#[from] web::templates::TemplateError),
    /// The FI client could not be built.
    #[error(transparent)]
    Fi(#[from] crate::fi_client::FiError),
    /// The civil-registry client could not be built.
    #[error(transparent)]
    Registry(#[from] crate::rnipp::RegistryError),
    /// The client-key fetcher could not be built.
    #[error(transparent)]
    ClientKeys(#[from] crate::client_keys::ClientKeysError),
    /// Generated secrets could not be stored.
    #[error("secrets file: {0}")]
    Secrets(String),
}

/// Every template of the binary (broker pages and sandbox parties).
///
/// # Errors
/// When a template does not parse.
pub fn templates() -> Result<Templates, web::templates::TemplateError> {
    Templates::new(&[
        crate::pages::TEMPLATES,
        crate::sandbox::fi::TEMPLATES,
        crate::sandbox::fs::TEMPLATES,
        crate::sandbox::mailbox::TEMPLATES,
    ])
}

#[derive(Serialize, Deserialize)]
struct GeneratedSecrets {
    session_secret: Secret,
    sub_secret: Secret,
}

/// Secrets from the configuration, else from (or into) `data_dir/secrets.json`.
fn secrets(cfg: &FileConfig) -> Result<(Secret, Secret), StartError> {
    let session = resolve_secret(
        cfg.secrets.session_secret.as_ref(),
        cfg.secrets.session_secret_file.as_deref(),
    )?;
    let sub = resolve_secret(
        cfg.secrets.sub_secret.as_ref(),
        cfg.secrets.sub_secret_file.as_deref(),
    )?;
    if let (Some(a), Some(b)) = (&session, &sub) {
        return Ok((a.clone(), b.clone()));
    }
    let path = cfg.storage.data_dir.join("secrets.json");
    let stored: GeneratedSecrets = match std::fs::read(&path) {
        Ok(b) => serde_json::from_slice(&b).map_err(|e| StartError::Secrets(e.to_string()))?,
        Err(_) => {
            let g = GeneratedSecrets {
                session_secret: Secret::new(random_token(48)),
                sub_secret: Secret::new(random_token(48)),
            };
            write_private(
                &path,
                &serde_json::to_vec(&g).map_err(|e| StartError::Secrets(e.to_string()))?,
            )?;
            g
        }
    };
    Ok((
        session.unwrap_or(stored.session_secret),
        sub.unwrap_or(stored.sub_secret),
    ))
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

/// Builds the state from a configuration.
///
/// # Errors
/// On bad configuration, storage, keys or templates.
pub async fn build_state(cfg: &FileConfig, clock: SharedClock) -> Result<AppState, StartError> {
    private_dir(&cfg.storage.data_dir)?;
    let (session_secret, sub_secret) = secrets(cfg)?;
    let store = SqliteStorage::open(&cfg.storage.database_url).await?;
    let p = &cfg.platform;
    let now = clock.now().unix_timestamp();
    // A retired key stays published as long as anything it signed may be
    // presented back (ID tokens as logout hints included): a day.
    let keys = KeyStore::open(&cfg.storage.data_dir, now, 24 * 3600 + p.id_token_ttl_secs)?;
    let public = cfg
        .server
        .public_url
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let mut entries = Vec::new();
    for fi in &cfg.identity_providers {
        let secret = resolve_secret(fi.client_secret.as_ref(), fi.client_secret_file.as_deref())?;
        entries.push(FiEntry::from_config(fi, secret));
    }
    let fis = FiRegistry::new(
        entries,
        format!("{public}/api/v2/fi/callback"),
        Duration::from_secs(p.fi_timeout_secs),
    )?;
    let rc = RuntimeConfig {
        public_url: cfg.server.public_url.clone(),
        issuer: format!("{public}{}", op::PREFIX),
        platform_name: p.name.clone(),
        acr_values: p.acr_values.clone(),
        session_ttl_secs: p.session_ttl_secs,
        session_sliding: p.session_sliding,
        nonce_min_len: p.nonce_min_len,
        state_min_len: p.state_min_len,
        code_ttl_secs: p.code_ttl_secs,
        access_token_ttl_secs: p.access_token_ttl_secs,
        refresh_token_ttl_secs: p.refresh_token_ttl_secs,
        id_token_ttl_secs: p.id_token_ttl_secs,
        interaction_ttl_secs: p.interaction_ttl_secs,
        secure_cookies: !is_loopback(&cfg.server.public_url),
        sub_secret,
        dsfr_dir: web::assets::locate_dsfr(cfg.dsfr_dir.as_deref()),
        acr_values_required: p.acr_values_required,
        sso_acr_values: p.sso_acr_values.clone(),
        signing_algs: p.signing_algs.clone(),
        encryption: p.encryption,
        identity_source: p.identity_source,
        session_cookie: p.session_cookie.clone(),
        app_links: cfg.app_links.clone(),
    };
    if rc.signing_algs.is_empty() || rc.acr_values.is_empty() {
        return Err(ConfigError::Inconsistent(
            "platform.signing_algs and platform.acr_values must not be empty".into(),
        )
        .into());
    }
    let registry = match &cfg.registry {
        Some(r) => Some(crate::rnipp::build(r)?),
        None => {
            tracing::warn!(
                "no civil registry configured: identities from providers are not checked"
            );
            None
        }
    };
    let store: Arc<dyn crate::storage::Storage> = Arc::new(store);
    let outbox = match &cfg.mail {
        Some(m) => {
            let mut m = m.clone();
            m.smtp_password =
                resolve_secret(m.smtp_password.as_ref(), m.smtp_password_file.as_deref())?;
            let transport = crate::mail::SmtpTransport::new(&m, clock.clone())
                .map_err(|e| ConfigError::Inconsistent(format!("[mail]: {e}")))?;
            Some(crate::mail::Outbox::new(
                store.clone(),
                clock.clone(),
                m,
                Arc::new(transport),
            ))
        }
        None => {
            tracing::warn!("no [mail] configured: connection alerts are not sent");
            None
        }
    };
    let state = AppState::new(
        StateParts {
            cfg: rc,
            store,
            keys,
            clock,
            templates: templates()?,
            fis,
            registry,
            client_keys: crate::client_keys::ClientKeys::new()?,
            outbox,
        },
        &session_secret,
    );
    state.register_space_client().await?;
    Ok(state)
}

async fn home(axum::extract::State(s): axum::extract::State<AppState>) -> impl IntoResponse {
    axum::Json(serde_json::json!({ "service": "pivot-broker", "issuer": s.cfg.issuer }))
}

/// The broker's HTTP router.
pub fn router(state: AppState) -> Router {
    let assets = web::assets::router(state.cfg.dsfr_dir.as_deref());
    Router::new()
        .nest(op::PREFIX, op::routes())
        .merge(interaction::routes())
        .merge(crate::citizen::routes())
        .route("/", get(home))
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/.well-known/assetlinks.json",
            get(crate::applinks::assetlinks),
        )
        .route(
            "/.well-known/apple-app-site-association",
            get(crate::applinks::apple_app_site_association),
        )
        .with_state(state.clone())
        .merge(assets)
        .layer(from_fn_with_state(
            ErrorPages {
                templates: state.templates.clone(),
                site_name: state.cfg.platform_name.clone(),
            },
            render_error_pages,
        ))
        .layer(from_fn(web::headers::security_headers))
        .layer(TraceLayer::new_for_http())
}

/// Starts the mail worker, when mail is configured (one per database).
pub fn spawn_outbox(state: &AppState) -> Option<tokio::task::JoinHandle<()>> {
    state.outbox.clone().map(crate::mail::Outbox::spawn)
}

/// Deletes expired rows every minute, for as long as the task lives.
pub fn spawn_purge(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(e) = state.store.purge_expired(state.now()).await {
                tracing::warn!(error = %e, "purge failed");
            }
        }
    })
}
