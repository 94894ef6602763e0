//! The public keys of service providers (FS), to encrypt what the provider
//! hands them: the JWKS registered inline, or the document at the client's
//! `jwks_uri`, fetched with strict limits and kept for a few minutes.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::Value;
use url::Url;

use crate::storage::ClientRecord;

/// How long a fetched JWKS is reused, in seconds.
pub const JWKS_CACHE_TTL: i64 = 300;
/// Upper bound of one fetch.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest JWKS document accepted, in bytes.
const MAX_JWKS_BYTES: usize = 64 * 1024;
/// Cached documents kept at most; expired ones, then the oldest, go first.
const MAX_CACHED: usize = 1024;

/// Why a client's keys could not be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientKeysError {
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Client(String),
    /// The client registered neither `jwks` nor `jwks_uri`.
    #[error("client {client_id} registered no keys (neither jwks nor jwks_uri)")]
    NoKeys {
        /// The client at fault.
        client_id: String,
    },
    /// The `jwks_uri` is not an absolute URL.
    #[error("invalid jwks_uri {uri:?}: {reason}")]
    InvalidUri {
        /// The registered URI.
        uri: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The `jwks_uri` is neither `https` nor `http` to a loopback host.
    #[error("jwks_uri {0:?} must use https (http only to a loopback host)")]
    InsecureUri(String),
    /// The request failed or timed out.
    #[error("fetching {uri}: {reason}")]
    Fetch {
        /// The URI fetched.
        uri: String,
        /// What failed.
        reason: String,
    },
    /// The server answered with a non-success status (redirects included:
    /// they are not followed).
    #[error("fetching {uri}: HTTP status {status}")]
    Status {
        /// The URI fetched.
        uri: String,
        /// The status received.
        status: u16,
    },
    /// The document exceeds the size limit.
    #[error("the JWKS at {0} exceeds {MAX_JWKS_BYTES} bytes")]
    TooLarge(String),
    /// The document is not a JSON object with a `keys` array.
    #[error("not a JWKS ({source_of}): {reason}")]
    InvalidDocument {
        /// Where it came from: `jwks` (inline) or the URI.
        source_of: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// A fetched JWKS and when it was fetched (Unix seconds).
#[derive(Clone, Debug)]
struct Cached {
    jwks: Value,
    fetched_at: i64,
}

/// Source of service providers' public keys, with a cache of fetched
/// `jwks_uri` documents shared by its clones.
#[derive(Clone, Debug)]
pub struct ClientKeys {
    http: reqwest::Client,
    cache: Arc<Mutex<BTreeMap<String, Cached>>>,
}

impl ClientKeys {
    /// A key source with its own HTTP client: no redirects, 5 s timeout.
    ///
    /// # Errors
    /// [`ClientKeysError::Client`] when the HTTP client cannot be built.
    pub fn new() -> Result<Self, ClientKeysError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(FETCH_TIMEOUT)
            .connect_timeout(FETCH_TIMEOUT)
            .build()
            .map_err(|e| ClientKeysError::Client(e.to_string()))?;
        Ok(Self {
            http,
            cache: Arc::new(Mutex::new(BTreeMap::new())),
        })
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Cached>> {
        // The map holds whole entries only: a poisoned lock is still sound.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The public keys of `client` at `now` (Unix seconds): its inline
    /// `jwks` when registered, else the document at its `jwks_uri` (reused
    /// for [`JWKS_CACHE_TTL`] seconds).
    ///
    /// # Errors
    /// [`ClientKeysError::NoKeys`] when the client has neither; the other
    /// variants when the `jwks_uri` is refused, unreachable or serves
    /// something else than a JWKS.
    pub async fn jwks(&self, client: &ClientRecord, now: i64) -> Result<Value, ClientKeysError> {
        if let Some(jwks) = &client.jwks {
            check_document(jwks).map_err(|reason| ClientKeysError::InvalidDocument {
                source_of: "jwks".to_owned(),
                reason: reason.to_owned(),
            })?;
            return Ok(jwks.clone());
        }
        let Some(uri) = &client.jwks_uri else {
            return Err(ClientKeysError::NoKeys {
                client_id: client.client_id.clone(),
            });
        };
        if let Some(hit) = self.lock().get(uri)
            && (0..JWKS_CACHE_TTL).contains(&(now - hit.fetched_at))
        {
            return Ok(hit.jwks.clone());
        }
        let jwks = self.fetch(uri).await?;
        let mut cache = self.lock();
        if cache.len() >= MAX_CACHED && !cache.contains_key(uri) {
            cache.retain(|_, c| (0..JWKS_CACHE_TTL).contains(&(now - c.fetched_at)));
            if cache.len() >= MAX_CACHED
                && let Some(oldest) = cache
                    .iter()
                    .min_by_key(|(_, c)| c.fetched_at)
                    .map(|(u, _)| u.clone())
            {
                cache.remove(&oldest);
            }
        }
        cache.insert(
            uri.clone(),
            Cached {
                jwks: jwks.clone(),
                fetched_at: now,
            },
        );
        Ok(jwks)
    }

    /// Forgets the cached document of `uri`: the next use fetches it again
    /// (e.g. after it held no usable key).
    pub fn invalidate(&self, uri: &str) {
        self.lock().remove(uri);
    }

    async fn fetch(&self, uri: &str) -> Result<Value, ClientKeysError> {
        let url = allowed_url(uri)?;
        let fetch_err = |reason: String| ClientKeysError::Fetch {
            uri: uri.to_owned(),
            reason,
        };
        let mut response = self
            .http
            .get(url)
            .header(
                reqwest::header::ACCEPT,
                "application/jwk-set+json, application/json",
            )
            .send()
            .await
            .map_err(|e| fetch_err(e.to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(ClientKeysError::Status {
                uri: uri.to_owned(),
                status: status.as_u16(),
            });
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_JWKS_BYTES as u64)
        {
            return Err(ClientKeysError::TooLarge(uri.to_owned()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| fetch_err(e.to_string()))?
        {
            if body.len() + chunk.len() > MAX_JWKS_BYTES {
                return Err(ClientKeysError::TooLarge(uri.to_owned()));
            }
            body.extend_from_slice(&chunk);
        }
        let invalid = |reason: String| ClientKeysError::InvalidDocument {
            source_of: uri.to_owned(),
            reason,
        };
        let jwks: Value =
            serde_json::from_slice(&body).map_err(|e| invalid(format!("not JSON: {e}")))?;
        check_document(&jwks).map_err(|r| invalid(r.to_owned()))?;
        Ok(jwks)
    }
}

/// Parses `uri` and checks it may be fetched: `https`, or `http` to a
/// loopback host (local development and the sandbox).
fn allowed_url(uri: &str) -> Result<Url, ClientKeysError> {
    let url = Url::parse(uri).map_err(|e| ClientKeysError::InvalidUri {
        uri: uri.to_owned(),
        reason: e.to_string(),
    })?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(ClientKeysError::InsecureUri(uri.to_owned())),
    }
}

/// Checks the shape of a JWKS: a JSON object with a `keys` array.
fn check_document(jwks: &Value) -> Result<(), &'static str> {
    match jwks.as_object().map(|o| o.get("keys")) {
        None => Err("not a JSON object"),
        Some(Some(Value::Array(_))) => Ok(()),
        Some(_) => Err("no `keys` array"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Router;
    use axum::routing::get;
    use serde_json::json;

    use super::*;
    use crate::storage::{ClientAuthMethod, SigningAlg};

    const NOW: i64 = 1_750_000_000;

    fn client(jwks: Option<Value>, jwks_uri: Option<String>) -> ClientRecord {
        ClientRecord {
            client_id: "fs-high".into(),
            entity_id: "entity".into(),
            name: "Service".into(),
            secret_hash: None,
            auth_method: ClientAuthMethod::ClientSecretBasic,
            jwks,
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            scopes: vec![],
            id_token_alg: SigningAlg::ES256,
            userinfo_alg: None,
            public_service: true,
            created_at: 0,
            jwks_uri,
            encryption_alg: None,
            fi_allow: None,
            fi_deny: vec![],
            role: crate::storage::ClientRole::Service,
            provided: Vec::new(),
        }
    }

    /// A server on a free loopback port: `/jwks` serves a JWKS naming the
    /// request count as `kid`, `/text` is not JSON, `/array` is JSON without
    /// keys, `/big` is too large, `/moved` redirects. Returns its base URL
    /// and the request count of `/jwks`.
    async fn server() -> (String, Arc<AtomicUsize>) {
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let app = Router::new()
            .route(
                "/jwks",
                get(move || {
                    let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                    async move {
                        axum::Json(json!({ "keys": [{ "kty": "EC", "kid": format!("k{n}") }] }))
                    }
                }),
            )
            .route("/text", get(|| async { "<html>not json</html>" }))
            .route("/array", get(|| async { axum::Json(json!([1, 2])) }))
            .route(
                "/big",
                get(|| async {
                    let pad = "a".repeat(MAX_JWKS_BYTES);
                    axum::Json(json!({ "keys": [], "pad": pad }))
                }),
            )
            .route(
                "/moved",
                get(|| async { axum::response::Redirect::temporary("/jwks") }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (base, hits)
    }

    #[tokio::test]
    async fn inline_jwks_wins_and_nothing_is_fetched() {
        let (base, hits) = server().await;
        let keys = ClientKeys::new().unwrap();
        let inline = json!({ "keys": [{ "kty": "RSA", "kid": "inline" }] });
        let c = client(Some(inline.clone()), Some(format!("{base}/jwks")));
        assert_eq!(keys.jwks(&c, NOW).await.unwrap(), inline);
        assert_eq!(hits.load(Ordering::SeqCst), 0);

        let bad = client(Some(json!({ "keys": "no" })), None);
        assert!(matches!(
            keys.jwks(&bad, NOW).await,
            Err(ClientKeysError::InvalidDocument { .. })
        ));
    }

    #[tokio::test]
    async fn no_keys_at_all_is_an_error() {
        let keys = ClientKeys::new().unwrap();
        let err = keys.jwks(&client(None, None), NOW).await.unwrap_err();
        assert!(matches!(err, ClientKeysError::NoKeys { .. }));
        assert!(err.to_string().contains("fs-high"));
    }

    #[tokio::test]
    async fn fetched_jwks_is_cached_then_refetched_after_expiry() {
        let (base, hits) = server().await;
        let keys = ClientKeys::new().unwrap();
        let c = client(None, Some(format!("{base}/jwks")));

        let first = keys.jwks(&c, NOW).await.unwrap();
        assert_eq!(first["keys"][0]["kid"], "k1");
        // A clone shares the cache; within the TTL nothing is fetched.
        let clone = keys.clone();
        let again = clone.jwks(&c, NOW + JWKS_CACHE_TTL - 1).await.unwrap();
        assert_eq!(again["keys"][0]["kid"], "k1");
        assert_eq!(hits.load(Ordering::SeqCst), 1);

        // Expired: fetched again.
        let later = keys.jwks(&c, NOW + JWKS_CACHE_TTL).await.unwrap();
        assert_eq!(later["keys"][0]["kid"], "k2");
        assert_eq!(hits.load(Ordering::SeqCst), 2);

        // Invalidated: fetched again at once.
        keys.invalidate(&format!("{base}/jwks"));
        let fresh = keys.jwks(&c, NOW + JWKS_CACHE_TTL).await.unwrap();
        assert_eq!(fresh["keys"][0]["kid"], "k3");
        assert_eq!(hits.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn documents_that_are_not_a_jwks_are_refused() {
        let (base, hits) = server().await;
        let keys = ClientKeys::new().unwrap();
        for path in ["text", "array"] {
            let c = client(None, Some(format!("{base}/{path}")));
            let err = keys.jwks(&c, NOW).await.unwrap_err();
            assert!(
                matches!(err, ClientKeysError::InvalidDocument { .. }),
                "{path}: {err}"
            );
        }
        let big = client(None, Some(format!("{base}/big")));
        assert!(matches!(
            keys.jwks(&big, NOW).await,
            Err(ClientKeysError::TooLarge(_))
        ));
        let moved = client(None, Some(format!("{base}/moved")));
        assert!(matches!(
            keys.jwks(&moved, NOW).await,
            Err(ClientKeysError::Status { status: 307, .. })
        ));
        let missing = client(None, Some(format!("{base}/nowhere")));
        assert!(matches!(
            keys.jwks(&missing, NOW).await,
            Err(ClientKeysError::Status { status: 404, .. })
        ));
        assert_eq!(
            hits.load(Ordering::SeqCst),
            0,
            "the redirect was not followed"
        );
    }

    #[tokio::test]
    async fn only_https_or_loopback_http_is_fetched() {
        let keys = ClientKeys::new().unwrap();
        for uri in [
            "http://example.org/jwks",
            "http://10.0.0.1/jwks",
            "ftp://127.0.0.1/jwks",
            "file:///etc/passwd",
        ] {
            let err = keys
                .jwks(&client(None, Some(uri.into())), NOW)
                .await
                .unwrap_err();
            assert!(
                matches!(err, ClientKeysError::InsecureUri(_)),
                "{uri}: {err}"
            );
        }
        let err = keys
            .jwks(&client(None, Some("not a url".into())), NOW)
            .await
            .unwrap_err();
        assert!(matches!(err, ClientKeysError::InvalidUri { .. }));
        assert!(allowed_url("http://localhost:8080/jwks").is_ok());
        assert!(allowed_url("http://[::1]:8080/jwks").is_ok());
        assert!(allowed_url("https://fs.example.org/jwks").is_ok());
    }

    #[tokio::test]
    async fn unreachable_uri_is_a_fetch_error() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let keys = ClientKeys::new().unwrap();
        let c = client(None, Some(format!("http://{addr}/jwks")));
        assert!(matches!(
            keys.jwks(&c, NOW).await,
            Err(ClientKeysError::Fetch { .. })
        ));
    }
}
