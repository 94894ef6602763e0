//! The relying party proper: discovery cache, authorization URL, code
//! exchange with ID token verification, logout URL. Everything goes through
//! the `openidconnect` crate's Core types.

use std::collections::BTreeMap;
use std::future::Future;
use std::str::FromStr as _;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreIdTokenVerifier, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AccessToken, AccessTokenHash, AuthorizationCode, ClaimsVerificationError, ClientId,
    ClientSecret, CsrfToken, EndSessionUrl, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IssuerUrl, LogoutRequest, Nonce, OAuth2TokenResponse as _, PkceCodeChallenge, PkceCodeVerifier,
    PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, Scope, TokenResponse as _,
};
use serde::Deserialize;
use serde_json::Value;
use time::{Duration, OffsetDateTime};
use tokio::sync::Mutex;
use url::Url;

use super::error::FsError;
use super::session::{LoggedIn, PendingLogin, random_token};
use super::userinfo::{self, ExpectedUserInfo};
use super::{FsKey, FsSpec};
use crate::clock::SharedClock;

/// Upper bound of every call to the broker.
const CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// How long discovery (and the keys) are reused before being fetched again.
const DISCOVERY_TTL: Duration = Duration::minutes(5);
/// Largest token response read.
const MAX_TOKEN_RESPONSE_BYTES: usize = 64 * 1024;
/// Random bytes in `state` and `nonce` (43 base64url characters).
const STATE_BYTES: usize = 32;

/// The `openidconnect` client as built from discovery.
type FsClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// What discovery told us about the broker.
pub(crate) struct Provider {
    client: FsClient,
    end_session_endpoint: Option<EndSessionUrl>,
    /// The broker's keys, for signed userinfo responses.
    jwks: josekit::jwk::JwkSet,
}

struct Cached {
    provider: Arc<Provider>,
    fetched_at: OffsetDateTime,
}

/// Runs a call to the broker with the [`CALL_TIMEOUT`] bound.
async fn bounded<T, E: std::fmt::Display>(
    what: &str,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(CALL_TIMEOUT, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Err(_) => Err(format!("{what}: no answer within {CALL_TIMEOUT:?}")),
    }
}

/// Error text with its sources, for logs.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

/// The relying party of one demo service provider.
pub(crate) struct RelyingParty {
    spec: FsSpec,
    http: reqwest::Client,
    clock: SharedClock,
    cache: Mutex<Option<Cached>>,
    /// The decryption key of a service of the "high" platform.
    key: Option<FsKey>,
}

impl RelyingParty {
    pub fn new(
        spec: FsSpec,
        http: reqwest::Client,
        clock: SharedClock,
        key: Option<FsKey>,
    ) -> Self {
        Self {
            spec,
            http,
            clock,
            cache: Mutex::new(None),
            key,
        }
    }

    /// The broker's metadata: cached, fetched on first use (the broker may
    /// start after this service) and again when stale or when `refresh`.
    pub async fn provider(&self, refresh: bool) -> Result<Arc<Provider>, FsError> {
        let now = self.clock.now();
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.as_ref()
            && !refresh
            && now < c.fetched_at + DISCOVERY_TTL
        {
            return Ok(c.provider.clone());
        }
        let provider = Arc::new(self.discover().await?);
        *cache = Some(Cached {
            provider: provider.clone(),
            fetched_at: now,
        });
        Ok(provider)
    }

    async fn discover(&self) -> Result<Provider, FsError> {
        let issuer = IssuerUrl::new(self.spec.issuer().to_owned())
            .map_err(|e| FsError::BrokerUnreachable(format!("issuer: {e}")))?;
        let metadata = match tokio::time::timeout(
            CALL_TIMEOUT,
            ProviderMetadataWithLogout::discover_async(issuer, &self.http),
        )
        .await
        {
            Ok(Ok(m)) => m,
            Ok(Err(e)) => return Err(FsError::BrokerUnreachable(chain(&e))),
            Err(_) => return Err(FsError::BrokerUnreachable("discovery timed out".into())),
        };
        let jwks = serde_json::to_value(metadata.jwks())
            .ok()
            .and_then(|v| match v {
                Value::Object(map) => josekit::jwk::JwkSet::from_map(map).ok(),
                _ => None,
            })
            .ok_or_else(|| FsError::BrokerUnreachable("unusable JWKS".into()))?;
        let end_session_endpoint = metadata.additional_metadata().end_session_endpoint.clone();
        let redirect = RedirectUrl::new(self.spec.redirect_uri())
            .map_err(|e| FsError::BrokerUnreachable(format!("redirect URI: {e}")))?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.spec.client_id.clone()),
            Some(ClientSecret::new(
                self.spec.client_secret.expose().to_owned(),
            )),
        )
        .set_redirect_uri(redirect);
        Ok(Provider {
            client,
            end_session_endpoint,
            jwks,
        })
    }

    /// Starts a login: the broker's authorization URL and what to keep for
    /// the callback.
    pub fn authorization_url(&self, provider: &Provider) -> (Url, PendingLogin) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let scopes = self
            .spec
            .scopes
            .iter()
            // The client always asks `openid` first; do not repeat it.
            .filter(|s| s.as_str() != "openid")
            .map(|s| Scope::new(s.clone()));
        let (url, state, nonce) = provider
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                || CsrfToken::new_random_len(STATE_BYTES as u32),
                || Nonce::new_random_len(STATE_BYTES as u32),
            )
            .add_scopes(scopes)
            .set_pkce_challenge(challenge)
            .add_extra_param("acr_values", self.spec.acr_values.clone())
            .url();
        let pending = PendingLogin {
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            started_at: self.clock.now(),
            annee: None,
        };
        (url, pending)
    }

    /// Checks the `iss` of an authorization response (RFC 9207).
    pub fn check_response_issuer(&self, iss: Option<&str>) -> Result<(), FsError> {
        match iss {
            Some(i) if i == self.spec.issuer() => Ok(()),
            other => Err(FsError::IssuerMismatch(other.map(str::to_owned))),
        }
    }

    fn id_token_verifier<'a>(&self, provider: &'a Provider) -> CoreIdTokenVerifier<'a> {
        let clock = self.clock.clone();
        provider
            .client
            .id_token_verifier()
            .set_allowed_algs(vec![
                CoreJwsSigningAlgorithm::EcdsaP256Sha256,
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            ])
            .set_time_fn(move || to_chrono(clock.now()))
            .set_auth_context_verifier_fn(|acr| match acr {
                Some(a) if !a.is_empty() => Ok(()),
                _ => Err("no acr claim".to_owned()),
            })
    }

    /// Finishes a login: exchanges the code (PKCE, `client_secret_basic`),
    /// decrypts the ID token when this service decrypts, verifies it, reads
    /// userinfo. The access token and the granted scopes are kept for data
    /// providers.
    pub async fn finish_login(
        &self,
        pending: PendingLogin,
        code: String,
    ) -> Result<LoggedIn, FsError> {
        let provider = self.provider(false).await?;
        let verifier = PkceCodeVerifier::new(pending.pkce_verifier);
        let (access_token, id_token, scope) = match &self.key {
            None => {
                let request = provider
                    .client
                    .exchange_code(AuthorizationCode::new(code))
                    .map_err(|_| FsError::MissingEndpoint("token_endpoint"))?
                    .set_pkce_verifier(verifier);
                let tokens = bounded("token", request.request_async(&self.http))
                    .await
                    .map_err(FsError::TokenExchange)?;
                let id_token = tokens
                    .id_token()
                    .ok_or_else(|| FsError::IdToken("no id_token in the token response".into()))?
                    .clone();
                let scope = tokens
                    .scopes()
                    .map(|s| s.iter().map(|s| s.as_str().to_owned()).collect());
                (tokens.access_token().clone(), id_token, scope)
            }
            Some(key) => {
                self.exchange_encrypted(&provider, key, code, verifier)
                    .await?
            }
        };
        let nonce = Nonce::new(pending.nonce);

        // The broker may have rotated its keys since discovery: on a
        // signature failure, fetch them again once.
        let stale_keys = matches!(
            id_token.claims(&self.id_token_verifier(&provider), &nonce),
            Err(ClaimsVerificationError::SignatureVerification(_))
        );
        let provider = if stale_keys {
            self.provider(true).await?
        } else {
            provider
        };
        let verifier = self.id_token_verifier(&provider);
        let claims = id_token
            .claims(&verifier, &nonce)
            .map_err(|e| FsError::IdToken(chain(&e)))?;
        if let Some(expected) = claims.access_token_hash() {
            let alg = id_token
                .signing_alg()
                .map_err(|e| FsError::IdToken(chain(&e)))?;
            let key = id_token
                .signing_key(&verifier)
                .map_err(|e| FsError::IdToken(chain(&e)))?;
            let actual = AccessTokenHash::from_token(&access_token, alg, key)
                .map_err(|e| FsError::IdToken(chain(&e)))?;
            if actual != *expected {
                return Err(FsError::IdToken("at_hash does not match".into()));
            }
        }
        let sub = claims.subject().clone();
        let id_token_claims = jwt_payload(&id_token)?;

        let userinfo_url = provider
            .client
            .user_info_url()
            .ok_or(FsError::MissingEndpoint("userinfo_endpoint"))?;
        let expected = ExpectedUserInfo {
            issuer: self.spec.issuer(),
            client_id: &self.spec.client_id,
            sub: &sub,
            jwks: &provider.jwks,
            now: self.clock.now(),
            decryption_key: self.key.as_ref(),
        };
        let userinfo = match tokio::time::timeout(
            CALL_TIMEOUT,
            userinfo::fetch(&self.http, userinfo_url.url(), &access_token, &expected),
        )
        .await
        {
            Ok(result) => result?,
            Err(_) => {
                return Err(FsError::UserInfo(format!(
                    "no answer within {CALL_TIMEOUT:?}"
                )));
            }
        };

        Ok(LoggedIn {
            userinfo,
            id_token_claims,
            id_token,
            access_token,
            // RFC 6749 §5.1: no `scope` means the scopes requested.
            granted_scopes: scope.unwrap_or_else(|| self.spec.scopes.clone()),
        })
    }

    /// The code exchange of a service that decrypts: `openidconnect` cannot
    /// parse an encrypted ID token, so the form is posted here
    /// (`client_secret_basic`, PKCE) and the ID token decrypted; the signed
    /// ID token inside is returned for the usual verification, with the
    /// access token and the granted scopes (`None` when not sent).
    async fn exchange_encrypted(
        &self,
        provider: &Provider,
        key: &FsKey,
        code: String,
        verifier: PkceCodeVerifier,
    ) -> Result<(AccessToken, CoreIdToken, Option<Vec<String>>), FsError> {
        let token_url = provider
            .client
            .token_uri()
            .ok_or(FsError::MissingEndpoint("token_endpoint"))?;
        // RFC 6749 §2.3.1: both halves form-encoded before Basic.
        let encode =
            |s: &str| -> String { url::form_urlencoded::byte_serialize(s.as_bytes()).collect() };
        let redirect_uri = self.spec.redirect_uri();
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("code_verifier", verifier.secret().as_str()),
        ];
        let request = self
            .http
            .post(token_url.url().clone())
            .basic_auth(
                encode(&self.spec.client_id),
                Some(encode(self.spec.client_secret.expose())),
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form)
            .send();
        let response = bounded("token", request)
            .await
            .map_err(FsError::TokenExchange)?;
        let status = response.status();
        let body = bounded("token", read_limited(response, MAX_TOKEN_RESPONSE_BYTES))
            .await
            .map_err(FsError::TokenExchange)?;
        if !status.is_success() {
            let error = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_default();
            return Err(FsError::TokenExchange(format!(
                "HTTP status {status} {error}"
            )));
        }
        let tokens: EncryptedTokenResponse = serde_json::from_slice(&body)
            .map_err(|e| FsError::TokenExchange(format!("token response: {e}")))?;
        if !tokens.token_type.eq_ignore_ascii_case("bearer") {
            return Err(FsError::TokenExchange(format!(
                "token_type {:?} is not Bearer",
                tokens.token_type
            )));
        }
        let jwe = tokens
            .id_token
            .ok_or_else(|| FsError::IdToken("no id_token in the token response".into()))?;
        let jws = decrypt(key, &jwe, "ID token")?;
        let id_token = CoreIdToken::from_str(&jws)
            .map_err(|e| FsError::IdToken(format!("decrypted ID token: {e}")))?;
        let scope = tokens
            .scope
            .map(|s| s.split_ascii_whitespace().map(str::to_owned).collect());
        Ok((AccessToken::new(tokens.access_token), id_token, scope))
    }

    /// The broker's logout URL (RP-initiated logout) and the `state` sent.
    pub async fn logout_url(&self, id_token: &CoreIdToken) -> Result<(Url, String), FsError> {
        let provider = self.provider(false).await?;
        let endpoint = provider
            .end_session_endpoint
            .clone()
            .ok_or(FsError::MissingEndpoint("end_session_endpoint"))?;
        let post_logout = PostLogoutRedirectUrl::new(self.spec.post_logout_redirect_uri())
            .map_err(|e| FsError::BrokerUnreachable(format!("post-logout URI: {e}")))?;
        let state = random_token(STATE_BYTES);
        let url = LogoutRequest::from(endpoint)
            .set_id_token_hint(id_token)
            .set_post_logout_redirect_uri(post_logout)
            .set_state(CsrfToken::new(state.clone()))
            .http_get_url();
        Ok((url, state))
    }
}

/// The token response of a service that decrypts: the ID token is a JWE.
#[derive(Deserialize)]
struct EncryptedTokenResponse {
    access_token: String,
    token_type: String,
    id_token: Option<String>,
    /// The scopes granted, space-separated.
    scope: Option<String>,
}

/// Reads a response body of at most `max` bytes.
pub(crate) async fn read_limited(
    mut response: reqwest::Response,
    max: usize,
) -> Result<Vec<u8>, String> {
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(format!("body larger than {max} bytes"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("reading the body: {e}"))?
    {
        if body.len() + chunk.len() > max {
            return Err(format!("body larger than {max} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Decrypts `jwe`, which must be a compact JWE (the "high" platform never
/// sends a plain signed JWT), into the signed JWT it holds.
pub(crate) fn decrypt(key: &FsKey, jwe: &str, what: &str) -> Result<String, FsError> {
    let parts = jwe.trim().split('.').count();
    if parts != 5 {
        return Err(FsError::Decryption(format!(
            "the {what} is not encrypted ({parts} parts)"
        )));
    }
    key.decrypt(jwe)
        .map_err(|e| FsError::Decryption(format!("{what}: {e}")))
}

/// Converts the crate's time type to the one `openidconnect` uses.
fn to_chrono(t: OffsetDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond()).unwrap_or_default()
}

/// The claims of an already verified JWT, exactly as sent (for display).
fn jwt_payload(token: &CoreIdToken) -> Result<BTreeMap<String, Value>, FsError> {
    let raw = token.to_string();
    let payload = raw
        .split('.')
        .nth(1)
        .ok_or_else(|| FsError::IdToken("not a compact JWS".into()))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|e| FsError::IdToken(e.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|e| FsError::IdToken(e.to_string()))
}
