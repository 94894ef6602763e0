//! The broker as an OpenID Connect client of the identity providers (FI),
//! through the `openidconnect` crate: cached discovery, `state` + `nonce` +
//! PKCE on every request, ID token and `iss` checks (mix-up defence),
//! userinfo, and validation of the returned identity. Every call is bounded
//! by a time-out so that a slow or dead FI never hangs a citizen.

use std::{collections::HashMap, sync::Arc, time::Duration};

use openidconnect::{
    AdditionalProviderMetadata, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret,
    CsrfToken, EndSessionUrl, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, ProviderMetadata, RedirectUrl, Scope, TokenResponse,
    core::{
        CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod,
        CoreGrantType, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
        CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm, CoreResponseMode, CoreResponseType,
        CoreSubjectIdentifierType,
    },
};
use pivot_proto::{
    eidas::Eidas,
    identity::{FiIdentity, IdentityError, RawIdentityClaims},
    interaction::LoginMethod,
};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;
use url::Url;

use crate::{config::IdpConfig, secret::Secret, session::FiPending};

/// Provider metadata members beyond OIDC Discovery core that we use.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ExtraProviderMetadata {
    /// RP-initiated logout endpoint.
    pub end_session_endpoint: Option<EndSessionUrl>,
    /// RFC 9207: the provider sends `iss` in authorization responses.
    pub authorization_response_iss_parameter_supported: Option<bool>,
}
impl AdditionalProviderMetadata for ExtraProviderMetadata {}

/// Discovery document of an FI.
pub type FiMetadata = ProviderMetadata<
    ExtraProviderMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// Why a login at an FI failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FiError {
    /// No such FI, or it is disabled.
    #[error("unknown identity provider")]
    Unknown,
    /// The FI did not answer in time or could not be reached.
    #[error("identity provider unavailable: {0}")]
    Unavailable(String),
    /// The FI answered something that breaks the protocol.
    #[error("identity provider protocol error: {0}")]
    Protocol(String),
    /// The `iss` of the authorization response is not the FI's (mix-up).
    #[error("issuer mismatch in authorization response")]
    IssuerMismatch,
    /// The ID token did not verify.
    #[error("invalid ID token: {0}")]
    IdToken(String),
    /// The FI's identity breaks the validation rules.
    #[error("invalid identity: {0}")]
    Identity(#[from] IdentityError),
    /// The FI asserted a level below the one required.
    #[error("insufficient level: {0:?}")]
    InsufficientAcr(Option<String>),
    /// A fresh authentication was required and the FI reused an older one.
    #[error("the identity provider did not authenticate the citizen again")]
    StaleAuthentication,
}

/// Clock skew tolerated between the broker and an FI.
const MAX_SKEW_SECS: i64 = 30;

/// A configured FI.
#[derive(Clone, Debug)]
pub struct FiEntry {
    /// Short id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Issuer.
    pub issuer: Url,
    /// Our client id there.
    pub client_id: String,
    /// Our secret there.
    pub client_secret: Option<Secret>,
    /// Levels it may assert.
    pub acr_values: Vec<Eidas>,
    /// Offered or not.
    pub enabled: bool,
    /// How it authenticates citizens.
    pub login: LoginMethod,
}

impl FiEntry {
    /// From the configuration (the secret already resolved).
    #[must_use]
    pub fn from_config(c: &IdpConfig, secret: Option<Secret>) -> Self {
        Self {
            id: c.id.clone(),
            name: c.name.clone(),
            issuer: c.issuer.clone(),
            client_id: c.client_id.clone(),
            client_secret: secret,
            acr_values: c.acr_values.clone(),
            enabled: c.enabled,
            login: c.login,
        }
    }

    /// Whether this FI may assert a level that satisfies `required`.
    #[must_use]
    pub fn serves(&self, required: Eidas) -> bool {
        self.acr_values.iter().any(|a| a.satisfies(required))
    }

    /// The highest level this FI may assert.
    #[must_use]
    pub fn max_acr(&self) -> Option<Eidas> {
        self.acr_values.iter().copied().max()
    }

    fn issuer_str(&self) -> &str {
        self.issuer.as_str().trim_end_matches('/')
    }
}

/// The outcome of a successful FI login.
#[derive(Clone, Debug)]
pub struct FiLogin {
    /// The validated identity.
    pub identity: FiIdentity,
    /// The level asserted.
    pub acr: Eidas,
    /// Methods reported.
    pub amr: Vec<String>,
    /// Authentication time (Unix seconds).
    pub auth_time: i64,
    /// The raw ID token (for logout).
    pub id_token: String,
}

const DISCOVERY_TTL_SECS: i64 = 600;

/// All FIs, their cached discovery documents and the HTTP client.
#[derive(Clone, Debug)]
pub struct FiRegistry {
    entries: Arc<Vec<FiEntry>>,
    http: reqwest::Client,
    cache: Arc<RwLock<HashMap<String, (FiMetadata, i64)>>>,
    redirect_uri: String,
    timeout: Duration,
}

fn call_error<E: std::fmt::Display>(e: E) -> FiError {
    FiError::Unavailable(e.to_string())
}

impl FiRegistry {
    /// A registry; `redirect_uri` is the broker's FI callback.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(
        entries: Vec<FiEntry>,
        redirect_uri: String,
        timeout: Duration,
    ) -> Result<Self, FiError> {
        let http = reqwest::Client::builder()
            // Never follow redirects from an FI's back channel (SSRF defence).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(call_error)?;
        Ok(Self {
            entries: Arc::new(entries),
            http,
            cache: Arc::default(),
            redirect_uri,
            timeout,
        })
    }

    /// Every configured FI, in configuration order.
    #[must_use]
    pub fn list(&self) -> &[FiEntry] {
        &self.entries
    }

    /// One enabled FI.
    #[must_use]
    pub fn get(&self, id: &str) -> Option<&FiEntry> {
        self.entries.iter().find(|e| e.id == id && e.enabled)
    }

    /// The display name of provider `id` (configured ones, even disabled),
    /// or the id itself when it is not configured (any more).
    #[must_use]
    pub fn name(&self, id: &str) -> String {
        self.entries
            .iter()
            .find(|e| e.id == id)
            .map_or_else(|| id.to_owned(), |e| e.name.clone())
    }

    async fn metadata(&self, fi: &FiEntry, now: i64, refresh: bool) -> Result<FiMetadata, FiError> {
        if !refresh
            && let Some((m, at)) = self.cache.read().await.get(&fi.id)
            && now - at < DISCOVERY_TTL_SECS
        {
            return Ok(m.clone());
        }
        let issuer = IssuerUrl::new(fi.issuer_str().to_owned())
            .map_err(|e| FiError::Protocol(e.to_string()))?;
        let fut = FiMetadata::discover_async(issuer, &self.http);
        let meta = tokio::time::timeout(self.timeout, fut)
            .await
            .map_err(|_| FiError::Unavailable("discovery timed out".into()))?
            .map_err(|e| FiError::Unavailable(format!("discovery: {e}")))?;
        self.cache
            .write()
            .await
            .insert(fi.id.clone(), (meta.clone(), now));
        Ok(meta)
    }

    fn client(&self, fi: &FiEntry, meta: FiMetadata) -> Result<FiClient, FiError> {
        let redirect = RedirectUrl::new(self.redirect_uri.clone())
            .map_err(|e| FiError::Protocol(e.to_string()))?;
        Ok(CoreClient::from_provider_metadata(
            meta,
            ClientId::new(fi.client_id.clone()),
            fi.client_secret
                .as_ref()
                .map(|s| ClientSecret::new(s.expose().to_owned())),
        )
        .set_redirect_uri(redirect))
    }

    /// Starts a login at `fi_id`: the URL to send the browser to, and what
    /// to remember until the callback.
    ///
    /// # Errors
    /// When the FI is unknown or its discovery fails.
    pub async fn begin(
        &self,
        fi_id: &str,
        acr: Eidas,
        force_login: bool,
        now: i64,
    ) -> Result<(Url, FiPending), FiError> {
        let fi = self.get(fi_id).ok_or(FiError::Unknown)?;
        let meta = self.metadata(fi, now, false).await?;
        let client = self.client(fi, meta)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut req = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge)
            .add_extra_param("acr_values", acr.as_str());
        for s in ["profile", "birth", "email", "preferred_username"] {
            req = req.add_scope(Scope::new(s.into()));
        }
        if force_login {
            req = req.add_prompt(openidconnect::core::CoreAuthPrompt::Login);
        }
        let (url, state, nonce) = req.url();
        Ok((
            url,
            FiPending {
                fi_id: fi.id.clone(),
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                fresh_since: force_login.then_some(now),
            },
        ))
    }

    /// Finishes a login: checks `iss`, redeems the code, verifies the ID
    /// token, reads and validates the identity.
    ///
    /// # Errors
    /// One [`FiError`] per failure class.
    pub async fn finish(
        &self,
        pending: &FiPending,
        code: &str,
        iss: Option<&str>,
        required: Eidas,
        today: time::Date,
        now: i64,
    ) -> Result<FiLogin, FiError> {
        let fi = self.get(&pending.fi_id).ok_or(FiError::Unknown)?;
        let meta = self.metadata(fi, now, false).await?;
        // RFC 9207 mix-up defence: the response must come from the FI we sent
        // the citizen to. Required when the FI advertises support.
        let iss_required = meta
            .additional_metadata()
            .authorization_response_iss_parameter_supported
            == Some(true);
        match iss {
            Some(i) if i.trim_end_matches('/') != fi.issuer_str() => {
                return Err(FiError::IssuerMismatch);
            }
            None if iss_required => return Err(FiError::IssuerMismatch),
            _ => {}
        }
        let client = self.client(fi, meta.clone())?;
        let token_req = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| FiError::Protocol(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()));
        let token = tokio::time::timeout(self.timeout, token_req.request_async(&self.http))
            .await
            .map_err(|_| FiError::Unavailable("token endpoint timed out".into()))?
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(r) => {
                    FiError::Protocol(format!("token: {r}"))
                }
                other => FiError::Unavailable(format!("token: {other}")),
            })?;
        let id_token = token
            .id_token()
            .ok_or_else(|| FiError::Protocol("no id_token".into()))?;
        let verifier = client
            .id_token_verifier()
            .set_allowed_algs([
                CoreJwsSigningAlgorithm::EcdsaP256Sha256,
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            ])
            // Expiry against the broker's clock, not the wall clock.
            .set_time_fn(move || chrono::DateTime::from_timestamp(now, 0).unwrap_or_default());
        let nonce = Nonce::new(pending.nonce.clone());
        let claims = id_token
            .claims(&verifier, &nonce)
            .map_err(|e| FiError::IdToken(e.to_string()))?;
        let acr_str = claims.auth_context_ref().map(|a| a.as_str().to_owned());
        let acr = acr_str
            .as_deref()
            .and_then(|a| a.parse::<Eidas>().ok())
            .filter(|a| a.satisfies(required) && fi.acr_values.contains(a))
            .ok_or(FiError::InsufficientAcr(acr_str.clone()))?;
        let amr = claims
            .auth_method_refs()
            .map(|v| v.iter().map(|a| a.as_str().to_owned()).collect())
            .unwrap_or_default();
        let auth_time = claims.auth_time().map_or(now, |t| t.timestamp());
        // A forced login (prompt=login, or a level without SSO) must be a
        // new authentication, not one the FI kept from before (a few
        // seconds of clock skew allowed).
        if pending
            .fresh_since
            .is_some_and(|since| auth_time + MAX_SKEW_SECS < since)
        {
            return Err(FiError::StaleAuthentication);
        }
        let fi_sub = claims.subject().as_str().to_owned();
        // Userinfo is read as plain JSON: the identity claims (birthplace,
        // birthcountry) are outside openidconnect's standard claim types.
        let userinfo_url = meta
            .userinfo_endpoint()
            .ok_or_else(|| FiError::Protocol("no userinfo endpoint".into()))?
            .url()
            .clone();
        let res = self
            .http
            .get(userinfo_url)
            .bearer_auth(token.access_token().secret())
            .send()
            .await
            .map_err(call_error)?;
        if !res.status().is_success() {
            return Err(FiError::Protocol(format!(
                "userinfo status {}",
                res.status()
            )));
        }
        let body: serde_json::Value = res
            .json()
            .await
            .map_err(|e| FiError::Protocol(format!("userinfo: {e}")))?;
        if body.get("sub").and_then(|s| s.as_str()) != Some(fi_sub.as_str()) {
            return Err(FiError::Protocol(
                "userinfo sub differs from ID token sub".into(),
            ));
        }
        let raw: RawIdentityClaims = serde_json::from_value(body)
            .map_err(|e| FiError::Protocol(format!("userinfo: {e}")))?;
        let identity = FiIdentity::validate(raw, today)?;
        Ok(FiLogin {
            identity,
            acr,
            amr,
            auth_time,
            id_token: id_token.to_string(),
        })
    }

    /// The FI's end-session URL for this login, if it has one.
    ///
    /// # Errors
    /// When discovery fails.
    pub async fn end_session_url(
        &self,
        fi_id: &str,
        id_token_hint: &str,
        post_logout_redirect_uri: &str,
        state: &str,
        now: i64,
    ) -> Result<Option<Url>, FiError> {
        let fi = self.get(fi_id).ok_or(FiError::Unknown)?;
        let meta = self.metadata(fi, now, false).await?;
        let Some(endpoint) = meta.additional_metadata().end_session_endpoint.clone() else {
            return Ok(None);
        };
        let mut url = endpoint.url().clone();
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token_hint)
            .append_pair("post_logout_redirect_uri", post_logout_redirect_uri)
            .append_pair("state", state);
        Ok(Some(url))
    }
}

type FiClient = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;
