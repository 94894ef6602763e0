//! [`HttpRegistry`]: the client of a registry service over HTTP.

use std::time::Duration;

use async_trait::async_trait;
use pivot_proto::rnipp::{API_KEY_HEADER, RnippOutcome, RnippQuery, RnippResponse, SEARCH_PATH};
use reqwest::{
    StatusCode,
    header::{HeaderName, HeaderValue},
};
use url::Url;

use super::{CivilRegistry, RegistryError};
use crate::secret::Secret;

/// Largest answer body read from the registry.
const MAX_BODY: usize = 64 * 1024;

/// A registry service reached over HTTP: `POST` of the query as JSON to
/// [`SEARCH_PATH`] under the base URL, the API key in the
/// [`API_KEY_HEADER`] header (marked sensitive, never logged). Redirects are
/// not followed; the time-out covers the whole exchange.
#[derive(Clone)]
pub struct HttpRegistry {
    http: reqwest::Client,
    endpoint: Url,
    api_key: HeaderValue,
}

impl std::fmt::Debug for HttpRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRegistry")
            .field("endpoint", &self.endpoint.as_str())
            .field("api_key", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl HttpRegistry {
    /// A client of the registry service at `url` (its base URL).
    ///
    /// # Errors
    /// [`RegistryError::Config`] when the URL is not `http(s)`, the key is
    /// empty or not a valid header value, or the HTTP client cannot be
    /// built.
    pub fn new(url: Url, api_key: Secret, timeout: Duration) -> Result<Self, RegistryError> {
        if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
            return Err(RegistryError::Config(format!(
                "the registry URL must be http(s): {url}"
            )));
        }
        let endpoint = search_url(&url)?;
        if api_key.expose().is_empty() {
            return Err(RegistryError::Config("the API key is empty".into()));
        }
        let mut api_key = HeaderValue::from_str(api_key.expose())
            .map_err(|_| RegistryError::Config("the API key is not a valid header value".into()))?;
        api_key.set_sensitive(true);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("pivot-broker/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RegistryError::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            endpoint,
            api_key,
        })
    }

    /// The search endpoint's URL.
    #[must_use]
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }
}

/// `base` + [`SEARCH_PATH`], keeping any path of `base`
/// (`https://x/registre` → `https://x/registre/rnipp/v1/search`).
fn search_url(base: &Url) -> Result<Url, RegistryError> {
    let mut base = base.clone();
    base.set_query(None);
    base.set_fragment(None);
    if !base.path().ends_with('/') {
        let path = format!("{}/", base.path());
        base.set_path(&path);
    }
    base.join(SEARCH_PATH.trim_start_matches('/'))
        .map_err(|e| RegistryError::Config(format!("registry URL: {e}")))
}

/// The error for a failed exchange: time-outs are [`RegistryError::Timeout`],
/// everything else at the transport level [`RegistryError::Unreachable`].
fn transport_error(e: &reqwest::Error) -> RegistryError {
    if e.is_timeout() {
        return RegistryError::Timeout;
    }
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    RegistryError::Unreachable(message)
}

#[async_trait]
impl CivilRegistry for HttpRegistry {
    async fn check(&self, query: &RnippQuery) -> Result<RnippOutcome, RegistryError> {
        let response = self
            .http
            .post(self.endpoint.clone())
            .header(
                HeaderName::from_static(API_KEY_HEADER),
                self.api_key.clone(),
            )
            .json(query)
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        let status = response.status();
        match status {
            StatusCode::OK => {}
            StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT => {
                return Err(RegistryError::Unavailable(status.as_u16()));
            }
            _ => return Err(RegistryError::Protocol(format!("HTTP {status}"))),
        }
        if response
            .content_length()
            .is_some_and(|len| len > MAX_BODY as u64)
        {
            return Err(RegistryError::Protocol("answer too large".into()));
        }
        let body = response.bytes().await.map_err(|e| transport_error(&e))?;
        if body.len() > MAX_BODY {
            return Err(RegistryError::Protocol("answer too large".into()));
        }
        // The parse error's position only: its text may quote identity data.
        let answer: RnippResponse = serde_json::from_slice(&body).map_err(|e| {
            RegistryError::Protocol(format!(
                "not a registry answer ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            ))
        })?;
        let outcome = RnippOutcome::from(answer);
        tracing::debug!(outcome = outcome.as_str(), "civil registry answered");
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use std::{net::SocketAddr, sync::Arc};

    use axum::{Json, Router, http::StatusCode as AxumStatus, routing::post};
    use pivot_proto::identity::{FiIdentity, PivotIdentity, RawIdentityClaims};
    use time::macros::{date, datetime};
    use tokio::net::TcpListener;

    use super::*;
    use crate::{
        clock::FixedClock,
        sandbox::{
            citizens::{Citizen, RegistryCase, citizens, find_citizen},
            registry::{RegistryBehaviour, RegistryControl, RegistrySpec, router},
        },
    };

    const KEY: &str = "the-registry-key";

    fn fi_identity(citizen: &Citizen) -> PivotIdentity {
        let raw = RawIdentityClaims {
            given_name: Some(citizen.given_name.into()),
            family_name: Some(citizen.family_name.into()),
            birthdate: Some(citizen.birthdate.into()),
            gender: Some(citizen.gender.into()),
            birthplace: Some(citizen.birthplace.into()),
            birthcountry: Some(citizen.birthcountry.into()),
            email: Some(citizen.email.into()),
            preferred_username: None,
        };
        FiIdentity::validate(raw, date!(2025 - 06 - 01))
            .unwrap()
            .pivot
    }

    fn query_of(key: &str) -> RnippQuery {
        RnippQuery::from_identity(&fi_identity(find_citizen(key).unwrap()))
    }

    async fn serve(router: Router) -> Url {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Url::parse(&format!("http://{addr}/")).unwrap()
    }

    /// The sandbox registry on a free port, slow records taking `slow`.
    async fn sandbox_registry(slow: Duration) -> (Url, RegistryControl) {
        let control = RegistryControl::new();
        let spec = RegistrySpec {
            api_key: Secret::new(KEY),
            slow_delay: slow,
        };
        let clock = Arc::new(FixedClock::new(datetime!(2025-06-01 10:00 UTC)));
        (serve(router(spec, control.clone(), clock)).await, control)
    }

    fn client(url: Url, key: &str, timeout: Duration) -> HttpRegistry {
        HttpRegistry::new(url, Secret::new(key), timeout).unwrap()
    }

    #[tokio::test]
    async fn every_outcome_over_http() {
        let (url, _) = sandbox_registry(Duration::from_millis(50)).await;
        let registry = client(url, KEY, Duration::from_secs(5));
        let mut seen = std::collections::BTreeSet::new();
        for citizen in citizens() {
            let outcome = registry.check(&query_of(citizen.key)).await.unwrap();
            assert_eq!(
                outcome.as_str(),
                citizen.registry.outcome_code(),
                "{}",
                citizen.key
            );
            seen.insert(outcome.as_str());
            match citizen.registry {
                RegistryCase::Found | RegistryCase::SlowFound => {
                    assert_eq!(outcome.identity(), Some(&fi_identity(citizen)));
                }
                RegistryCase::Corrected => {
                    assert_ne!(outcome.identity(), Some(&fi_identity(citizen)));
                    assert!(outcome.identity().is_some());
                }
                _ => assert_eq!(outcome.identity(), None),
            }
        }
        assert_eq!(seen.len(), RnippOutcome::CODES.len(), "{seen:?}");
        let sophie = registry.check(&query_of("sophie-lefebvre")).await.unwrap();
        assert_eq!(
            sophie,
            RnippOutcome::Corrected {
                identity: PivotIdentity {
                    given_name: "Sophie Anne Claire".into(),
                    ..fi_identity(find_citizen("sophie-lefebvre").unwrap())
                },
                corrected: vec!["given_name".into()],
            }
        );
    }

    #[tokio::test]
    async fn a_wrong_key_is_a_protocol_error() {
        let (url, _) = sandbox_registry(Duration::from_millis(50)).await;
        let registry = client(url, "not-the-key", Duration::from_secs(5));
        let err = registry.check(&query_of("eric-mercier")).await.unwrap_err();
        assert_eq!(err, RegistryError::Protocol("HTTP 401 Unauthorized".into()));
        assert!(!err.is_transient());
    }

    #[tokio::test]
    async fn a_slow_record_times_out() {
        let (url, _) = sandbox_registry(Duration::from_secs(10)).await;
        let registry = client(url, KEY, Duration::from_millis(300));
        let started = std::time::Instant::now();
        let err = registry
            .check(&query_of("yasmine-el-amrani"))
            .await
            .unwrap_err();
        assert_eq!(err, RegistryError::Timeout);
        assert!(err.is_transient());
        assert!(started.elapsed() < Duration::from_secs(5));
        // The same client still gets quick answers.
        assert!(registry.check(&query_of("eric-mercier")).await.is_ok());
    }

    #[tokio::test]
    async fn an_unavailable_or_slow_service() {
        let (url, control) = sandbox_registry(Duration::from_millis(50)).await;
        let registry = client(url, KEY, Duration::from_millis(300));
        control.set(RegistryBehaviour::Unavailable);
        let err = registry.check(&query_of("eric-mercier")).await.unwrap_err();
        assert_eq!(err, RegistryError::Unavailable(503));
        assert!(err.is_transient());
        control.set(RegistryBehaviour::Slow(Duration::from_secs(10)));
        assert_eq!(
            registry.check(&query_of("eric-mercier")).await,
            Err(RegistryError::Timeout)
        );
        control.set(RegistryBehaviour::Normal);
        assert!(registry.check(&query_of("eric-mercier")).await.is_ok());
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        drop(listener);
        let registry = client(
            Url::parse(&format!("http://{addr}")).unwrap(),
            KEY,
            Duration::from_secs(5),
        );
        let err = registry.check(&query_of("eric-mercier")).await.unwrap_err();
        assert!(matches!(err, RegistryError::Unreachable(_)), "{err:?}");
        assert!(err.is_transient());
    }

    #[tokio::test]
    async fn bad_answers_are_protocol_errors() {
        let app = Router::new()
            .route(
                "/bad/rnipp/v1/search",
                post(|| async {
                    Json(serde_json::json!({"outcome": "maybe", "given_name": "Eric"}))
                }),
            )
            .route(
                "/teapot/rnipp/v1/search",
                post(|| async { (AxumStatus::IM_A_TEAPOT, "no") }),
            )
            .route(
                "/moved/rnipp/v1/search",
                post(|| async {
                    (
                        AxumStatus::FOUND,
                        [(axum::http::header::LOCATION, "http://127.0.0.1:9/")],
                    )
                }),
            )
            .route(
                "/gateway/rnipp/v1/search",
                post(|| async { AxumStatus::GATEWAY_TIMEOUT }),
            );
        let base = serve(app).await;
        let at = |path: &str| client(base.join(path).unwrap(), KEY, Duration::from_secs(5));
        let q = query_of("eric-mercier");
        let err = at("bad").check(&q).await.unwrap_err();
        assert!(
            matches!(&err, RegistryError::Protocol(m) if m.starts_with("not a registry answer") && !m.contains("Eric")),
            "{err:?}"
        );
        assert_eq!(
            at("teapot").check(&q).await,
            Err(RegistryError::Protocol("HTTP 418 I'm a teapot".into()))
        );
        assert_eq!(
            at("moved").check(&q).await,
            Err(RegistryError::Protocol("HTTP 302 Found".into())),
            "redirects are not followed"
        );
        assert_eq!(
            at("gateway/").check(&q).await,
            Err(RegistryError::Unavailable(504))
        );
    }

    #[test]
    fn construction() {
        let url = Url::parse("https://rnipp.example.fr/registre?x=1").unwrap();
        let registry = client(url, "s3cr3t-key", Duration::from_secs(1));
        assert_eq!(
            registry.endpoint().as_str(),
            "https://rnipp.example.fr/registre/rnipp/v1/search"
        );
        let debug = format!("{registry:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(debug.contains("[redacted]"));
        let ok = Url::parse("http://127.0.0.1:1").unwrap();
        for key in ["", "line\nbreak"] {
            assert!(matches!(
                HttpRegistry::new(ok.clone(), Secret::new(key), Duration::from_secs(1)),
                Err(RegistryError::Config(_))
            ));
        }
        assert!(matches!(
            HttpRegistry::new(
                Url::parse("mailto:a@b.fr").unwrap(),
                Secret::new("k"),
                Duration::from_secs(1)
            ),
            Err(RegistryError::Config(_))
        ));
    }
}
