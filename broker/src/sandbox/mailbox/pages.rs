//! The mailbox's web site: pages for testers, JSON for tests.
//!
//! | route | answer |
//! |---|---|
//! | `GET /` | the received messages, newest first, and whether SMTP is up |
//! | `GET /mails/{id}` | one message: headers, text in a `<pre>`, HTML part in a sandboxed `<iframe srcdoc>` |
//! | `GET /api/mails` | JSON array of [`ReceivedMail`], newest first; `?to=address` keeps those for that recipient |
//! | `GET /api/mails/{id}` | JSON [`ReceivedMail`] |
//! | `DELETE /api/mails` | empties the mailbox (`204`) |
//! | `GET /api/smtp` | JSON `{"running", "address"}` |
//! | `POST /api/smtp/stop` | stops the SMTP listener, answers as `GET /api/smtp` |
//! | `POST /api/smtp/start` | starts it again on the same address, answers as `GET /api/smtp` |
//!
//! An unknown id is a `404`: a page under `/mails/`, JSON
//! `{"error": "not_found", "error_description"}` under `/api/`.
//!
//! The HTML part of a message is never put into the page as markup: it is
//! the (escaped) value of the `srcdoc` attribute of an `<iframe sandbox>`,
//! where scripts, forms and same-origin access are off; links open in a
//! new tab.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::control::SmtpServer;
use super::error::MailboxError;
use super::store::{Mailbox, ReceivedMail};
use crate::web::Templates;

/// Shown in the page header.
const SITE_NAME: &str = "Boîte aux lettres du bac à sable";
/// Under the site name.
const TAGLINE: &str = "Les e-mails envoyés par Pivot aux usagers de démonstration";

/// The detail page's Content-Security-Policy: the usual one, with inline
/// styles and remote images allowed because the `srcdoc` document of the
/// HTML part inherits it and e-mails are styled inline. Scripts stay
/// limited to our own files, and the frame runs none anyway.
const DETAIL_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

#[derive(Clone)]
struct PagesState {
    mailbox: Mailbox,
    smtp: SmtpServer,
    templates: Templates,
}

/// The mailbox's web application. `templates` must include
/// [`super::TEMPLATES`].
pub fn router(mailbox: Mailbox, smtp: SmtpServer, templates: Templates) -> Router {
    let state = Arc::new(PagesState {
        mailbox,
        smtp,
        templates,
    });
    Router::new()
        .route("/", get(list_page))
        .route("/mails/{id}", get(mail_page))
        .route("/api/mails", get(list_json).delete(clear))
        .route("/api/mails/{id}", get(mail_json))
        .route("/api/smtp", get(smtp_status))
        .route("/api/smtp/stop", post(smtp_stop))
        .route("/api/smtp/start", post(smtp_start))
        .fallback(no_route)
        .with_state(state)
        .layer(axum::middleware::from_fn(
            crate::web::headers::security_headers,
        ))
}

/// `received_at` as a French date and time in Paris.
fn french_datetime(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|d| {
            d.with_timezone(&chrono_tz::Europe::Paris)
                .format("%d/%m/%Y à %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|| unix.to_string())
}

#[derive(Serialize)]
struct Layout {
    site_name: &'static str,
    site_tagline: &'static str,
}

const LAYOUT: Layout = Layout {
    site_name: SITE_NAME,
    site_tagline: TAGLINE,
};

#[derive(Serialize)]
struct SmtpStatus {
    running: bool,
    address: String,
}

async fn status(smtp: &SmtpServer) -> SmtpStatus {
    SmtpStatus {
        running: smtp.is_running().await,
        address: smtp.local_addr().to_string(),
    }
}

/// One row of the list.
#[derive(Serialize)]
struct Row {
    id: u64,
    date: String,
    from: String,
    to: String,
    subject: String,
}

fn recipients(mail: &ReceivedMail) -> String {
    if mail.to.is_empty() {
        mail.envelope_to.join(", ")
    } else {
        mail.to.join(", ")
    }
}

fn render(templates: &Templates, status: StatusCode, name: &str, ctx: impl Serialize) -> Response {
    match templates.render(name, ctx) {
        Ok(html) => (status, html).into_response(),
        Err(e) => {
            let e = MailboxError::from(e);
            tracing::error!(error = %e, "mailbox page");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Erreur interne de la boîte aux lettres.",
            )
                .into_response()
        }
    }
}

async fn list_page(State(state): State<Arc<PagesState>>) -> Response {
    #[derive(Serialize)]
    struct Ctx {
        #[serde(flatten)]
        layout: Layout,
        smtp: SmtpStatus,
        mails: Vec<Row>,
    }
    let mails = state
        .mailbox
        .messages()
        .iter()
        .map(|m| Row {
            id: m.id,
            date: french_datetime(m.received_at),
            from: m.from.clone(),
            to: recipients(m),
            subject: m.subject.clone(),
        })
        .collect();
    let ctx = Ctx {
        layout: LAYOUT,
        smtp: status(&state.smtp).await,
        mails,
    };
    render(&state.templates, StatusCode::OK, "mailbox/list.html", ctx)
}

/// The document shown in the HTML part's frame: links open outside it.
fn srcdoc(html: &str) -> String {
    format!("<base target=\"_blank\">{html}")
}

async fn mail_page(State(state): State<Arc<PagesState>>, Path(id): Path<String>) -> Response {
    #[derive(Serialize)]
    struct Ctx {
        #[serde(flatten)]
        layout: Layout,
        mail: ReceivedMail,
        date: String,
        srcdoc: Option<String>,
    }
    let Some(mail) = id.parse().ok().and_then(|id| state.mailbox.get(id)) else {
        return not_found_page(&state.templates);
    };
    let ctx = Ctx {
        layout: LAYOUT,
        date: french_datetime(mail.received_at),
        srcdoc: mail.html.as_deref().map(srcdoc),
        mail,
    };
    let mut response = render(&state.templates, StatusCode::OK, "mailbox/mail.html", ctx);
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DETAIL_CSP),
    );
    response
}

fn not_found_page(templates: &Templates) -> Response {
    render(
        templates,
        StatusCode::NOT_FOUND,
        "mailbox/not_found.html",
        LAYOUT,
    )
}

async fn no_route(State(state): State<Arc<PagesState>>, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        json_not_found("Cette adresse ne correspond à aucun service de la boîte aux lettres.")
    } else {
        not_found_page(&state.templates)
    }
}

fn json_not_found(description: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "error": "not_found", "error_description": description })),
    )
        .into_response()
}

#[derive(Deserialize)]
struct ListQuery {
    to: Option<String>,
}

async fn list_json(
    State(state): State<Arc<PagesState>>,
    Query(query): Query<ListQuery>,
) -> Json<Vec<ReceivedMail>> {
    let mut mails = state.mailbox.messages();
    if let Some(to) = query.to.as_deref() {
        mails.retain(|m| m.is_for(to));
    }
    Json(mails)
}

async fn mail_json(State(state): State<Arc<PagesState>>, Path(id): Path<String>) -> Response {
    match id.parse().ok().and_then(|id| state.mailbox.get(id)) {
        Some(mail) => Json(mail).into_response(),
        None => json_not_found("Aucun message ne porte ce numéro."),
    }
}

async fn clear(State(state): State<Arc<PagesState>>) -> StatusCode {
    state.mailbox.clear();
    StatusCode::NO_CONTENT
}

async fn smtp_status(State(state): State<Arc<PagesState>>) -> Json<SmtpStatus> {
    Json(status(&state.smtp).await)
}

async fn smtp_stop(State(state): State<Arc<PagesState>>) -> Json<SmtpStatus> {
    state.smtp.stop().await;
    Json(status(&state.smtp).await)
}

async fn smtp_start(State(state): State<Arc<PagesState>>) -> Response {
    match state.smtp.restart().await {
        Ok(()) => Json(status(&state.smtp).await).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "sandbox SMTP server cannot restart");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({
                    "error": "smtp_unavailable",
                    "error_description": "Le serveur SMTP ne peut pas écouter à nouveau sur son adresse.",
                })),
            )
                .into_response()
        }
    }
}
