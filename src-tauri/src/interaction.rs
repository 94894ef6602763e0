//! A client of the broker's JSON twin of its login pages
//! (`pivot_proto::interaction`, under
//! [`APP_INTERACTIONS_PATH`](pivot_proto::interaction::APP_INTERACTIONS_PATH)).
//!
//! Every request carries a DPoP proof of the device key without `ath` and
//! without any `Authorization` header: the broker keeps one app session per
//! device key, as the web pages keep one per cookie. Errors come back as
//! [`InteractionError`]s with a French message, kept whole in
//! [`TwinError::Broker`] so that the caller can hand a `return_url` back to
//! the service.

use pivot_proto::deeplink::AppAuthorize;
use pivot_proto::interaction::{
    APP_INTERACTIONS_PATH, ChooseFi, ConfirmAnswer, ConsentAnswer, FiCallback, InteractionError,
    InteractionView,
};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use url::Url;

use crate::device_key::DeviceKey;
use crate::error::AppError;

/// The `error` code of an interaction that no longer exists at the broker.
pub const INTERACTION_EXPIRED: &str = "interaction_expired";

/// Why a call to the twin failed.
#[derive(Debug)]
pub enum TwinError {
    /// The broker answered with an error.
    Broker {
        /// The HTTP status.
        status: StatusCode,
        /// Its body.
        error: InteractionError,
    },
    /// No usable answer (no connection, a body that is not an
    /// [`InteractionError`]…).
    App(AppError),
}

impl From<AppError> for TwinError {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl TwinError {
    /// The error to show when there is nothing to hand back to the service.
    #[must_use]
    pub fn into_app_error(self) -> AppError {
        match self {
            Self::App(e) => e,
            Self::Broker { status, error } => broker_error(status, error),
        }
    }
}

/// The [`AppError`] of a broker's error answer: its French message as is,
/// except for server failures, whose body is never shown.
fn broker_error(status: StatusCode, error: InteractionError) -> AppError {
    match status {
        StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => {
            AppError::Offline
        }
        s if s.is_server_error() => AppError::internal(format!(
            "broker answered {s} ({}): {}",
            error.error, error.message
        )),
        _ if error.error == INTERACTION_EXPIRED => AppError::InteractionExpired(error.message),
        _ if error.message.trim().is_empty() => {
            AppError::Refused("le service a refusé l'opération".into())
        }
        _ => AppError::Refused(error.message),
    }
}

/// An interaction at a broker: where to send its requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InteractionAt {
    /// The broker's origin (`https://host/`).
    pub broker: Url,
    /// The interaction's id.
    pub id: String,
}

/// The client (one HTTP connection pool for every broker).
#[derive(Clone, Debug)]
pub struct TwinClient {
    http: reqwest::Client,
}

impl TwinClient {
    /// A client with the app's time-outs.
    ///
    /// # Errors
    /// [`AppError::Internal`] if the HTTP client cannot be built.
    pub fn new() -> Result<Self, AppError> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(20))
            // A redirect would lose the proof's binding to the URL.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(AppError::internal)?;
        Ok(Self { http })
    }

    /// `POST /api/v2/app/interactions` with the service's authorization
    /// request, form-encoded, at the broker the link named.
    ///
    /// # Errors
    /// See [`TwinError`].
    pub async fn start(
        &self,
        request: &AppAuthorize,
        key: &DeviceKey,
        now: i64,
    ) -> Result<InteractionView, TwinError> {
        let url = endpoint(&request.broker_origin, APP_INTERACTIONS_PATH);
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(request.to_pairs())
            .finish();
        let builder = self
            .request(Method::POST, &url, key, now)?
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body);
        read(builder).await
    }

    /// `GET …/{id}`: the current step.
    ///
    /// # Errors
    /// See [`TwinError`].
    pub async fn get(
        &self,
        at: &InteractionAt,
        key: &DeviceKey,
        now: i64,
    ) -> Result<InteractionView, TwinError> {
        let url = interaction_url(at, "")?;
        read(self.request(Method::GET, &url, key, now)?).await
    }

    /// `POST …/{id}/fi`.
    ///
    /// # Errors
    /// See [`TwinError`].
    pub async fn choose_fi(
        &self,
        at: &InteractionAt,
        body: &ChooseFi,
        key: &DeviceKey,
        now: i64,
    ) -> Result<InteractionView, TwinError> {
        self.post_json(at, "/fi", Some(body), key, now).await
    }

    /// `POST …/{id}/fi/callback`.
    ///
    /// # Errors
    /// See [`TwinError`].
    pub async fn fi_callback(
        &self,
        at: &InteractionAt,
        body: &FiCallback,
        key: &DeviceKey,
        now: i64,
    ) -> Result<InteractionView, TwinError> {
        self.post_json(at, "/fi/callback", Some(body), key, now)
            .await
    }

    /// `POST …/{id}/registry/retry`.
    ///
    /// # Errors
    /// See [`TwinError`].
    pub async fn retry_registry(
        &self,
        at: &InteractionAt,
        key: &DeviceKey,
        now: i64,
    ) -> Result<InteractionView, TwinError> {
        self.post_json(at, "/registry/retry", None::<&()>, key, now)
            .await
    }

    /// `POST …/{id}/confirm`.
    ///
    /// # Errors
    /// See [`TwinError`].
    pub async fn confirm(
        &self,
        at: &InteractionAt,
        body: &ConfirmAnswer,
        key: &DeviceKey,
        now: i64,
    ) -> Result<InteractionView, TwinError> {
        self.post_json(at, "/confirm", Some(body), key, now).await
    }

    /// `POST …/{id}/consent`.
    ///
    /// # Errors
    /// See [`TwinError`].
    pub async fn consent(
        &self,
        at: &InteractionAt,
        body: &ConsentAnswer,
        key: &DeviceKey,
        now: i64,
    ) -> Result<InteractionView, TwinError> {
        self.post_json(at, "/consent", Some(body), key, now).await
    }

    /// `POST …/{id}/cancel`.
    ///
    /// # Errors
    /// See [`TwinError`].
    pub async fn cancel(
        &self,
        at: &InteractionAt,
        key: &DeviceKey,
        now: i64,
    ) -> Result<InteractionView, TwinError> {
        self.post_json(at, "/cancel", None::<&()>, key, now).await
    }

    async fn post_json<B: Serialize + ?Sized>(
        &self,
        at: &InteractionAt,
        suffix: &str,
        body: Option<&B>,
        key: &DeviceKey,
        now: i64,
    ) -> Result<InteractionView, TwinError> {
        let url = interaction_url(at, suffix)?;
        let mut builder = self.request(Method::POST, &url, key, now)?;
        if let Some(body) = body {
            builder = builder.json(body);
        }
        read(builder).await
    }

    /// A request to `url` with a fresh proof (no `ath`: no token).
    fn request(
        &self,
        method: Method,
        url: &Url,
        key: &DeviceKey,
        now: i64,
    ) -> Result<reqwest::RequestBuilder, AppError> {
        let jti = key.new_jti()?;
        let proof = key.proof(method.as_str(), url, None, now, &jti)?;
        Ok(self
            .http
            .request(method, url.clone())
            .header("DPoP", proof)
            .header("Accept", "application/json"))
    }
}

/// Sends the request and reads an [`InteractionView`] or an
/// [`InteractionError`].
async fn read(builder: reqwest::RequestBuilder) -> Result<InteractionView, TwinError> {
    let response = builder.send().await.map_err(transport_error)?;
    let status = response.status();
    if status.is_success() {
        return response.json().await.map_err(|e| {
            TwinError::App(AppError::internal(format!(
                "unexpected interaction view: {e}"
            )))
        });
    }
    match response.json::<InteractionError>().await {
        Ok(error) => Err(TwinError::Broker { status, error }),
        Err(_) if matches!(status.as_u16(), 502..=504) => Err(TwinError::App(AppError::Offline)),
        Err(_) if status.is_client_error() => Err(TwinError::App(AppError::Refused(
            "le service a refusé l'opération".into(),
        ))),
        Err(_) => Err(TwinError::App(AppError::internal(format!(
            "broker answered {status}"
        )))),
    }
}

fn transport_error(e: reqwest::Error) -> TwinError {
    TwinError::App(if e.is_connect() || e.is_timeout() || e.is_request() {
        AppError::Offline
    } else {
        AppError::internal(e)
    })
}

/// `path` on `origin`.
fn endpoint(origin: &Url, path: &str) -> Url {
    let mut url = origin.clone();
    url.set_path(path);
    url.set_query(None);
    url.set_fragment(None);
    url
}

/// `…/{id}{suffix}`, the id checked to be a plain token (it goes into a path).
fn interaction_url(at: &InteractionAt, suffix: &str) -> Result<Url, AppError> {
    let valid = !at.id.is_empty()
        && at.id.len() <= 128
        && at
            .id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return Err(AppError::internal("interaction id is not a plain token"));
    }
    Ok(endpoint(
        &at.broker,
        &format!("{APP_INTERACTIONS_PATH}/{}{suffix}", at.id),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: &str, message: &str) -> InteractionError {
        InteractionError {
            error: code.into(),
            message: message.into(),
            return_url: None,
        }
    }

    #[test]
    fn broker_errors_keep_their_french_message() {
        assert!(matches!(
            broker_error(StatusCode::FORBIDDEN, err("wrong_step", "Étape déjà passée")),
            AppError::Refused(m) if m == "Étape déjà passée"
        ));
        let expired = broker_error(
            StatusCode::NOT_FOUND,
            err(INTERACTION_EXPIRED, "Connexion expirée"),
        );
        assert_eq!(expired.code(), "interaction_expired");
        assert_eq!(expired.to_string(), "Connexion expirée");
        assert!(matches!(
            broker_error(StatusCode::SERVICE_UNAVAILABLE, err("x", "y")),
            AppError::Offline
        ));
        let internal = broker_error(StatusCode::INTERNAL_SERVER_ERROR, err("x", "stack"));
        assert_eq!(internal.code(), "internal");
        assert!(!internal.to_string().contains("stack"));
    }

    #[test]
    fn urls_are_built_on_the_broker_origin() {
        let at = InteractionAt {
            broker: Url::parse("https://b.example/").unwrap(),
            id: "i-1".into(),
        };
        assert_eq!(
            interaction_url(&at, "/fi/callback").unwrap().as_str(),
            "https://b.example/api/v2/app/interactions/i-1/fi/callback"
        );
        let hostile = InteractionAt {
            id: "../../token".into(),
            ..at
        };
        assert!(interaction_url(&hostile, "").is_err());
    }
}
