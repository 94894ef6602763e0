//! The crate's error type and the one place where errors become HTTP.
//!
//! OAuth endpoint errors become RFC 6749 JSON bodies; errors meant for a
//! person become a readable French page (rendered by [`render_error_pages`],
//! which has the templates); anything internal becomes a generic 500 whose
//! cause is logged, never shown.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use pivot_proto::{
    interaction::InteractionError,
    oauth::{OAuthError, OAuthErrorCode},
};
use serde::Serialize;

use crate::{
    crypto::SealError, keys::KeyError, storage::StorageError, web::Templates,
    web::templates::TemplateError,
};

/// A page explaining a failure to a person.
#[derive(Clone, Debug, Serialize)]
pub struct PageError {
    /// HTTP status.
    #[serde(skip)]
    pub status: StatusCode,
    /// Stable code shown on the page (for support), e.g. `Y000400`.
    pub code: &'static str,
    /// Heading.
    pub title: String,
    /// What happened and what to do next.
    pub message: String,
    /// An action offered (label, URL), e.g. choosing another provider.
    pub action: Option<(String, String)>,
}

impl PageError {
    /// A page with a 400 status.
    #[must_use]
    pub fn bad_request(
        code: &'static str,
        title: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code,
            title: title.into(),
            message: message.into(),
            action: None,
        }
    }

    /// Sets the status.
    #[must_use]
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Offers an action.
    #[must_use]
    pub fn with_action(mut self, label: impl Into<String>, url: impl Into<String>) -> Self {
        self.action = Some((label.into(), url.into()));
        self
    }
}

/// Every error of the broker.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerError {
    /// An OAuth error answered as JSON (token, userinfo, revocation…).
    #[error("oauth error {}: {:?}", .error.error.as_str(), .error.error_description)]
    OAuth {
        /// HTTP status.
        status: StatusCode,
        /// The RFC error.
        error: OAuthError,
        /// `WWW-Authenticate` challenge, for 401s.
        challenge: Option<String>,
    },
    /// A failure explained to a person on a page.
    #[error("page error {}: {}", .0.code, .0.title)]
    Page(Box<PageError>),
    /// An error of the app's JSON interaction (the twin of a page).
    #[error("app interaction error {}", .body.error)]
    App {
        /// HTTP status.
        status: StatusCode,
        /// The body.
        body: Box<InteractionError>,
    },
    /// Storage failure.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Key store failure.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// Template failure.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// Sealed data did not open.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// Anything else internal.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<PageError> for BrokerError {
    fn from(p: PageError) -> Self {
        Self::Page(Box::new(p))
    }
}

impl BrokerError {
    /// An error of a protected resource (RFC 6750 §3, RFC 9449 §7.1):
    /// 401 with a challenge for both schemes.
    #[must_use]
    pub fn resource(code: OAuthErrorCode, desc: impl Into<String>) -> Self {
        Self::OAuth {
            status: StatusCode::UNAUTHORIZED,
            error: OAuthError::new(code, desc.into()),
            challenge: Some(format!(
                "Bearer error=\"{code}\", DPoP algs=\"ES256\" error=\"{code}\""
            )),
        }
    }

    /// An error of the app's JSON interaction.
    #[must_use]
    pub fn app(status: StatusCode, error: &str, message: impl Into<String>) -> Self {
        Self::App {
            status,
            body: Box::new(InteractionError {
                error: error.to_owned(),
                message: message.into(),
                return_url: None,
            }),
        }
    }

    /// The same error for the app's JSON interaction: a page's code and
    /// text, an OAuth error's code, internal failures as a generic
    /// `server_error` (logged here).
    #[must_use]
    pub fn for_app(self) -> Self {
        match self {
            Self::App { .. } => self,
            Self::Page(p) => Self::app(p.status, p.code, format!("{} : {}", p.title, p.message)),
            Self::OAuth { status, error, .. } => Self::app(
                status,
                error.error.as_str(),
                "La demande de l'application n'a pas pu être vérifiée. Réessayez.",
            ),
            other => {
                tracing::error!(error = %other, "internal error");
                Self::app(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "Le service rencontre une difficulté. Réessayez dans quelques minutes.",
                )
            }
        }
    }

    /// An OAuth JSON error with status 400.
    #[must_use]
    pub fn oauth(code: OAuthErrorCode, desc: impl Into<String>) -> Self {
        let status = match code {
            OAuthErrorCode::InvalidClient | OAuthErrorCode::InvalidToken => {
                StatusCode::UNAUTHORIZED
            }
            OAuthErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
            OAuthErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            OAuthErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        let challenge = match code {
            OAuthErrorCode::InvalidClient => Some("Basic realm=\"pivot\"".to_owned()),
            OAuthErrorCode::InvalidToken => Some("Bearer error=\"invalid_token\"".to_owned()),
            _ => None,
        };
        Self::OAuth {
            status,
            error: OAuthError::new(code, desc.into()),
            challenge,
        }
    }
}

impl IntoResponse for BrokerError {
    fn into_response(self) -> Response {
        match self {
            Self::OAuth {
                status,
                error,
                challenge,
            } => {
                let mut res = (status, Json(error)).into_response();
                if let Some(c) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
                    res.headers_mut().insert(header::WWW_AUTHENTICATE, c);
                }
                res.headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                res
            }
            Self::Page(p) => page_response(*p),
            Self::App { status, body } => {
                let mut res = (status, Json(body)).into_response();
                res.headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                res
            }
            other => {
                tracing::error!(error = %other, "internal error");
                page_response(PageError {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    code: "Y500000",
                    title: "Une erreur technique est survenue".into(),
                    message:
                        "Le service rencontre une difficulté. Réessayez dans quelques minutes."
                            .into(),
                    action: None,
                })
            }
        }
    }
}

/// A plain response carrying the page to render; [`render_error_pages`]
/// turns it into HTML.
fn page_response(p: PageError) -> Response {
    let mut res = (p.status, format!("{} — {}", p.title, p.message)).into_response();
    res.extensions_mut().insert(Arc::new(p));
    res
}

/// What the error-page middleware renders with.
#[derive(Clone, Debug)]
pub struct ErrorPages {
    /// The templates.
    pub templates: Templates,
    /// The platform's name in the page header ("FranceConnect+").
    pub site_name: String,
}

/// Middleware rendering [`PageError`]s with the templates. Cookies the
/// handler set (a session saved before the error) are kept.
pub async fn render_error_pages(
    State(pages): State<ErrorPages>,
    req: Request,
    next: Next,
) -> Response {
    let lang = "fr";
    let res = next.run(req).await;
    let Some(page) = res.extensions().get::<Arc<PageError>>().cloned() else {
        return res;
    };
    let ctx = minijinja::context! { lang, page => &*page, site_name => pages.site_name };
    match pages.templates.render("broker/error.html", ctx) {
        Ok(html) => {
            let mut out = (page.status, html).into_response();
            for c in res.headers().get_all(header::SET_COOKIE) {
                out.headers_mut().append(header::SET_COOKIE, c.clone());
            }
            out
        }
        Err(e) => {
            tracing::error!(error = %e, "error page could not be rendered");
            res
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn oauth_errors_map_to_rfc_status_and_body() {
        let res = BrokerError::oauth(OAuthErrorCode::InvalidClient, "bad secret").into_response();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert!(res.headers().contains_key(header::WWW_AUTHENTICATE));
        let body = axum::body::to_bytes(res.into_body(), 4096).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"], "invalid_client");

        let res = BrokerError::oauth(OAuthErrorCode::InvalidGrant, "used").into_response();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let res = BrokerError::oauth(OAuthErrorCode::InvalidToken, "expired").into_response();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn internal_errors_stay_generic() {
        let res = BrokerError::Internal("db password is hunter2".into()).into_response();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let page = res.extensions().get::<Arc<PageError>>().unwrap().clone();
        assert!(!page.message.contains("hunter2"));
        let body = axum::body::to_bytes(res.into_body(), 4096).await.unwrap();
        assert!(!String::from_utf8_lossy(&body).contains("hunter2"));
    }
}
