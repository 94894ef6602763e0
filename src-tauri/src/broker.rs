//! A small client of the broker's citizen-space API
//! (`{broker}/api/v2/citizen/...`) and of its userinfo endpoint: every
//! request carries the DPoP-bound access token (`Authorization: DPoP
//! <token>`) and a fresh proof (`DPoP`).

use pivot_proto::citizen::{
    DeviceView, FraudReportAck, FraudReportRequest, HistoryPage, PreferencesUpdate, PreferencesView,
};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::device_key::DeviceKey;
use crate::error::AppError;

/// The path of the citizen-space API under the broker's URL.
pub const CITIZEN_API: &str = "api/v2/citizen/";

/// The path of the token endpoint under the broker's URL.
pub const TOKEN_ENDPOINT: &str = "api/v2/token";

/// The path of the userinfo endpoint under the broker's URL.
pub const USERINFO_ENDPOINT: &str = "api/v2/userinfo";

/// The path of the revocation endpoint (RFC 7009) under the broker's URL.
pub const REVOCATION_ENDPOINT: &str = "api/v2/token/revocation";

/// The token endpoint's answer to a refresh.
#[derive(Clone, serde::Deserialize)]
pub struct TokenAnswer {
    /// The new access token.
    pub access_token: String,
    /// `DPoP` for the app.
    pub token_type: String,
    /// The new refresh token (the old one is spent).
    #[serde(default)]
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for TokenAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenAnswer([redacted])")
    }
}

/// What a request needs to prove who sends it.
#[derive(Clone, Copy)]
pub struct Credentials<'a> {
    /// The access token (DPoP-bound).
    pub access_token: &'a str,
    /// The device key the token is bound to.
    pub key: &'a DeviceKey,
    /// Now, for the proof's `iat`.
    pub now: i64,
}

/// The client.
#[derive(Clone, Debug)]
pub struct BrokerClient {
    http: reqwest::Client,
    api: Url,
    token: Url,
    revocation: Url,
    userinfo: Url,
}

impl BrokerClient {
    /// A client of the broker at `broker` (e.g. `https://pivot.example/`).
    ///
    /// # Errors
    /// [`AppError::Invalid`] if `broker` cannot be a base URL.
    pub fn new(broker: &Url) -> Result<Self, AppError> {
        let mut base = broker.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let api = base
            .join(CITIZEN_API)
            .map_err(|e| AppError::Invalid(format!("adresse du service invalide : {e}")))?;
        let token = base
            .join(TOKEN_ENDPOINT)
            .map_err(|e| AppError::Invalid(format!("adresse du service invalide : {e}")))?;
        let revocation = base
            .join(REVOCATION_ENDPOINT)
            .map_err(|e| AppError::Invalid(format!("adresse du service invalide : {e}")))?;
        let userinfo = base
            .join(USERINFO_ENDPOINT)
            .map_err(|e| AppError::Invalid(format!("adresse du service invalide : {e}")))?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .map_err(AppError::internal)?;
        Ok(Self {
            http,
            api,
            token,
            revocation,
            userinfo,
        })
    }

    /// Revokes `refresh_token` (RFC 7009): the broker ends the grant.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn revoke(&self, client_id: &str, refresh_token: &str) -> Result<(), AppError> {
        let form = [
            ("token", refresh_token),
            ("token_type_hint", "refresh_token"),
            ("client_id", client_id),
        ];
        let response = self
            .http
            .post(self.revocation.clone())
            .form(&form)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(status_error(status, None))
        }
    }

    /// Renews the tokens with `refresh_token` (RFC 6749 section 6) and a DPoP
    /// proof of `key` (no `ath`). A refused refresh token is
    /// [`AppError::SessionExpired`]: the citizen signs in again.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn refresh(
        &self,
        client_id: &str,
        refresh_token: &str,
        key: &DeviceKey,
        now: i64,
    ) -> Result<TokenAnswer, AppError> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client_id),
        ];
        self.token_request(&form, key, now).await
    }

    /// Redeems the authorization `code` of a sign-in (PKCE `verifier`), with
    /// a DPoP proof of `key`: the tokens are bound to this device.
    ///
    /// # Errors
    /// See [`AppError`]; a refused code is [`AppError::SessionExpired`].
    pub async fn exchange_code(
        &self,
        client_id: &str,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
        key: &DeviceKey,
        now: i64,
    ) -> Result<TokenAnswer, AppError> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
            ("client_id", client_id),
        ];
        self.token_request(&form, key, now).await
    }

    async fn token_request(
        &self,
        form: &[(&str, &str)],
        key: &DeviceKey,
        now: i64,
    ) -> Result<TokenAnswer, AppError> {
        let jti = key.new_jti()?;
        let proof = key.proof("POST", &self.token, None, now, &jti)?;
        let response = self
            .http
            .post(self.token.clone())
            .header("DPoP", proof)
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        if matches!(status, StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED) {
            return Err(AppError::SessionExpired);
        }
        if !status.is_success() {
            return Err(status_error(status, None));
        }
        let answer: TokenAnswer = response
            .json()
            .await
            .map_err(|e| AppError::internal(format!("unexpected token answer: {e}")))?;
        if !answer.token_type.eq_ignore_ascii_case("DPoP") {
            return Err(AppError::internal(format!(
                "token type {} instead of DPoP",
                answer.token_type
            )));
        }
        Ok(answer)
    }

    /// The citizen's given names, from the userinfo endpoint (`None` when
    /// the answer is not plain JSON or has none).
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn given_name(&self, creds: Credentials<'_>) -> Result<Option<String>, AppError> {
        let url = self.userinfo.clone();
        let response = self.send_to(Method::GET, url, None::<&()>, creds).await?;
        let claims: serde_json::Value = match response.json().await {
            Ok(claims) => claims,
            // A signed or encrypted answer: no greeting rather than a failure.
            Err(_) => return Ok(None),
        };
        Ok(claims
            .get("given_name")
            .and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned))
    }

    /// The history of the last six months.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn history(&self, creds: Credentials<'_>) -> Result<HistoryPage, AppError> {
        self.json(Method::GET, "history", None::<&()>, creds).await
    }

    /// The preferences.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn preferences(&self, creds: Credentials<'_>) -> Result<PreferencesView, AppError> {
        self.json(Method::GET, "preferences", None::<&()>, creds)
            .await
    }

    /// Changes the preferences.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn update_preferences(
        &self,
        update: &PreferencesUpdate,
        creds: Credentials<'_>,
    ) -> Result<PreferencesView, AppError> {
        self.json(Method::PATCH, "preferences", Some(update), creds)
            .await
    }

    /// The devices that logged the citizen in.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn devices(&self, creds: Credentials<'_>) -> Result<Vec<DeviceView>, AppError> {
        self.json(Method::GET, "devices", None::<&()>, creds).await
    }

    /// Forgets a device.
    ///
    /// # Errors
    /// See [`AppError`]; an id that is not a plain token is [`AppError::Invalid`].
    pub async fn forget_device(&self, id: &str, creds: Credentials<'_>) -> Result<(), AppError> {
        let valid = !id.is_empty()
            && id.len() <= 128
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(AppError::Invalid("appareil inconnu".into()));
        }
        self.send(Method::DELETE, &format!("devices/{id}"), None::<&()>, creds)
            .await
            .map(drop)
    }

    /// Trusts this app (the device of its key): no connection alert from
    /// it for 90 days.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn trust_device(&self, creds: Credentials<'_>) -> Result<DeviceView, AppError> {
        self.json(Method::POST, "devices/current/trust", None::<&()>, creds)
            .await
    }

    /// Sends a fraud report.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn report(
        &self,
        report: &FraudReportRequest,
        creds: Credentials<'_>,
    ) -> Result<FraudReportAck, AppError> {
        self.json(Method::POST, "reports", Some(report), creds)
            .await
    }

    async fn json<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        creds: Credentials<'_>,
    ) -> Result<T, AppError> {
        let response = self.send(method, path, body, creds).await?;
        response.json().await.map_err(|e| {
            AppError::internal(format!("unexpected answer from the broker for {path}: {e}"))
        })
    }

    async fn send<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        creds: Credentials<'_>,
    ) -> Result<reqwest::Response, AppError> {
        let url = self.api.join(path).map_err(AppError::internal)?;
        self.send_to(method, url, body, creds).await
    }

    async fn send_to<B: Serialize + ?Sized>(
        &self,
        method: Method,
        url: Url,
        body: Option<&B>,
        creds: Credentials<'_>,
    ) -> Result<reqwest::Response, AppError> {
        let jti = creds.key.new_jti()?;
        let proof = creds.key.proof(
            method.as_str(),
            &url,
            Some(creds.access_token),
            creds.now,
            &jti,
        )?;
        let mut request = self
            .http
            .request(method, url)
            .header("Authorization", format!("DPoP {}", creds.access_token))
            .header("DPoP", proof)
            .header("Accept", "application/json");
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(transport_error)?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let message = response
            .json::<serde_json::Value>()
            .await
            .ok()
            .and_then(|v| {
                ["error_description", "message"]
                    .into_iter()
                    .find_map(|k| v.get(k).and_then(|m| m.as_str()).map(str::to_owned))
            })
            .filter(|m| !m.trim().is_empty());
        Err(status_error(status, message))
    }
}

/// A failure before any answer: the broker is out of reach.
fn transport_error(e: reqwest::Error) -> AppError {
    if e.is_connect() || e.is_timeout() || e.is_request() {
        AppError::Offline
    } else {
        AppError::internal(e)
    }
}

/// An error answer of the broker.
fn status_error(status: StatusCode, message: Option<String>) -> AppError {
    match status {
        StatusCode::UNAUTHORIZED => AppError::SessionExpired,
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
            AppError::Invalid(message.unwrap_or_else(|| "la demande n'est pas valide".into()))
        }
        StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => {
            AppError::Offline
        }
        s if s.is_client_error() => {
            AppError::Refused(message.unwrap_or_else(|| "le service a refusé l'opération".into()))
        }
        s => AppError::internal(format!("broker answered {s}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_errors() {
        assert!(matches!(
            status_error(StatusCode::UNAUTHORIZED, None),
            AppError::SessionExpired
        ));
        assert!(matches!(
            status_error(StatusCode::SERVICE_UNAVAILABLE, None),
            AppError::Offline
        ));
        assert!(matches!(
            status_error(StatusCode::FORBIDDEN, Some("Compte désactivé".into())),
            AppError::Refused(m) if m == "Compte désactivé"
        ));
        assert!(matches!(
            status_error(StatusCode::BAD_REQUEST, None),
            AppError::Invalid(_)
        ));
        assert!(matches!(
            status_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                Some("stack trace".into())
            ),
            AppError::Internal(_)
        ));
    }

    #[test]
    fn the_api_sits_under_the_broker_path() {
        let c = BrokerClient::new(&Url::parse("https://b.example/pivot").unwrap()).unwrap();
        assert_eq!(c.api.as_str(), "https://b.example/pivot/api/v2/citizen/");
        assert_eq!(
            c.api.join("devices/d1").unwrap().as_str(),
            "https://b.example/pivot/api/v2/citizen/devices/d1"
        );
    }
}
