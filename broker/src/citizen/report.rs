//! Fraud reports: "Ce n'est pas vous ?" on the confirmation page, "Signaler"
//! in the history and in the alert e-mail. The report is stored, mailed to
//! support, and acknowledged to the contact address.

use axum::{
    Form,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use axum_extra::extract::SignedCookieJar;
use pivot_proto::citizen::{EventCode, FraudReportAck, FraudReportRequest, HistoryEntry};
use serde::{Deserialize, Serialize};

use crate::{
    citizen::{events::Event, time_fr::paris_datetime},
    crypto::random_token,
    error::{BrokerError, PageError},
    interaction::csrf_failed,
    session::Session,
    state::AppState,
    storage::{EventFilter, FraudReportRecord},
};

/// The connection a "Ce n'est pas vous ?" concerns (kept in the session
/// after the login is forgotten).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReportContext {
    /// The citizen whose account was used.
    pub identity_hash: String,
    /// With which provider.
    pub fi_id: String,
    /// For which service.
    pub client_name: String,
    /// When.
    pub at: i64,
}

/// Where a report comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportSource {
    /// "Ce n'est pas vous ?" on the confirmation page.
    Confirmation,
    /// "Signaler" in the space's history.
    History,
    /// The link of an alert e-mail, without logging in.
    Email,
    /// The app, through the API.
    Api,
}

impl ReportSource {
    /// The stored name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Confirmation => "confirmation",
            Self::History => "history",
            Self::Email => "email",
            Self::Api => "api",
        }
    }
}

/// What is known of the connection reported.
#[derive(Clone, Debug, Default)]
pub struct Reported {
    /// The citizen, when known.
    pub identity_hash: Option<String>,
    /// The history entry, when the citizen's own.
    pub entry: Option<HistoryEntry>,
    /// The confirmation-page context.
    pub context: Option<ReportContext>,
}

impl AppState {
    /// Stores a report, mails support and acknowledges to the contact.
    ///
    /// # Errors
    /// On storage failure (validation is the caller's: see
    /// [`FraudReportRequest::validate`]).
    pub async fn file_report(
        &self,
        req: &FraudReportRequest,
        reported: &Reported,
        source: ReportSource,
    ) -> Result<FraudReportAck, BrokerError> {
        let now = self.now();
        let record = FraudReportRecord {
            reference: format!("SIG-{}", random_token(6).to_uppercase()),
            created_at: now,
            identity_hash: reported.identity_hash.clone(),
            event_reference: req.reference.clone(),
            source: source.as_str().into(),
            contact_email: req.contact_email.trim().to_owned(),
            message: req.message.trim().to_owned(),
        };
        self.store.put_report(&record).await?;
        let mut e = Event::new(EventCode::FcFraudReported).details(format!(
            "report {} from {}",
            record.reference,
            source.as_str()
        ));
        if let Some(h) = &reported.identity_hash {
            e = e.identity_hash(h);
        }
        self.record(e).await;
        self.mail_report(&record, reported).await;
        Ok(FraudReportAck {
            reference: record.reference,
            received_at: now,
        })
    }
}

/// Query of the report page.
#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    /// The history entry concerned.
    #[serde(default, rename = "ref")]
    reference: Option<String>,
}

/// The report form.
#[derive(Debug, Deserialize)]
pub struct ReportForm {
    csrf: String,
    #[serde(default, rename = "ref")]
    reference: Option<String>,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    message: String,
}

/// What the page knows of the connection, for this browser.
async fn reported(
    s: &AppState,
    jar: &SignedCookieJar,
    session: &Session,
    reference: Option<&str>,
) -> Result<(Reported, ReportSource, Option<String>), BrokerError> {
    let citizen = s.space_citizen(jar, session);
    let context = session.data.report_context.clone();
    let mut r = Reported {
        identity_hash: citizen
            .as_ref()
            .map(|c| c.identity_hash.clone())
            .or_else(|| context.as_ref().map(|c| c.identity_hash.clone())),
        entry: None,
        context: context.clone(),
    };
    if let (Some(c), Some(reference)) = (&citizen, reference) {
        r.entry = s.history_entry(&c.identity_hash, reference).await?;
    }
    let source = if citizen.is_some() {
        ReportSource::History
    } else if context.is_some() {
        ReportSource::Confirmation
    } else {
        // From an alert's link, without logging in: the (unguessable)
        // reference must name a connection, whose citizen support is told.
        // Without one, the form would let anyone make the broker mail any
        // address: refused.
        r.identity_hash = match reference {
            Some(reference) => s
                .store
                .events(&EventFilter {
                    reference: Some(reference.to_owned()),
                    limit: 1,
                    ..EventFilter::default()
                })
                .await?
                .into_iter()
                .find(|e| e.code.history_kind().is_some())
                .and_then(|e| e.identity_hash),
            None => None,
        };
        if r.identity_hash.is_none() {
            return Err(no_basis());
        }
        ReportSource::Email
    };
    Ok((r, source, citizen.map(|c| c.email)))
}

/// The page for a report that names no connection and no citizen.
fn no_basis() -> BrokerError {
    PageError::bad_request(
        "Y040002",
        "Signalement impossible sans connexion désignée",
        "Utilisez le lien « Signalez-le » de l'e-mail d'alerte reçu, ou connectez-vous à votre espace pour signaler une connexion de votre historique.",
    )
    .with_action("Aller à mon espace", "/espace")
    .into()
}

fn render(
    s: &AppState,
    csrf: &str,
    r: &Reported,
    reference: Option<&str>,
    contact: &str,
    message: &str,
    error: Option<String>,
) -> Result<Response, BrokerError> {
    let connection = r
        .entry
        .as_ref()
        .map(|e| {
            format!(
                "{} le {}{}",
                e.service,
                paris_datetime(e.at),
                e.identity_provider
                    .as_ref()
                    .map(|f| format!(", avec {f}"))
                    .unwrap_or_default()
            )
        })
        .or_else(|| {
            r.context.as_ref().map(|c| {
                let fi = s.fis.name(&c.fi_id);
                format!("{} le {}, avec {fi}", c.client_name, paris_datetime(c.at))
            })
        });
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let html = s.templates.render(
        "broker/report.html",
        minijinja::context! {
            lang => "fr",
            site_name => s.cfg.platform_name,
            csrf,
            reference,
            connection,
            contact,
            message,
            error,
        },
    )?;
    Ok((status, html).into_response())
}

/// `GET /signaler`
pub async fn page(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    Query(q): Query<ReportQuery>,
) -> Result<Response, BrokerError> {
    let session = s.load_session(&jar).await?;
    let (r, _, email) = reported(&s, &jar, &session, q.reference.as_deref()).await?;
    // The form needs a session for its CSRF token.
    let jar = s.save_session(jar, &session).await?;
    let page = render(
        &s,
        &session.data.csrf,
        &r,
        q.reference.as_deref(),
        email.as_deref().unwrap_or_default(),
        "",
        None,
    )?;
    Ok((jar, page).into_response())
}

/// `POST /signaler`
pub async fn submit(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    Form(form): Form<ReportForm>,
) -> Result<Response, BrokerError> {
    let mut session = s.load_session(&jar).await?;
    if !session.csrf_ok(&form.csrf) {
        return Err(csrf_failed());
    }
    let reference = form.reference.filter(|r| !r.is_empty());
    let (r, source, _) = reported(&s, &jar, &session, reference.as_deref()).await?;
    let req = FraudReportRequest {
        reference: reference.clone(),
        contact_email: form.contact_email.clone(),
        message: form.message.clone(),
    };
    if let Err(e) = req.validate() {
        let page = render(
            &s,
            &session.data.csrf,
            &r,
            reference.as_deref(),
            &form.contact_email,
            &form.message,
            Some(e.to_string()),
        )?;
        return Ok(page);
    }
    let ack = s.file_report(&req, &r, source).await?;
    session.data.report_context = None;
    let jar = s.save_session(jar, &session).await?;
    let html = s.templates.render(
        "broker/report_ack.html",
        minijinja::context! {
            lang => "fr",
            site_name => s.cfg.platform_name,
            reference => ack.reference,
            contact => req.contact_email.trim(),
        },
    )?;
    Ok((jar, html).into_response())
}
