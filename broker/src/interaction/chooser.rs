//! The FI chooser: lists the identity providers for the requesting FS, greys
//! out those below the requested level, and sends the citizen to the one
//! chosen.

use axum::{
    Form,
    extract::{Path, Query, State},
    response::{IntoResponse, Response},
};
use axum_extra::extract::SignedCookieJar;
use pivot_proto::{
    citizen::EventCode,
    interaction::FiOption,
    oauth::{OAuthError, OAuthErrorCode},
};
use serde::Deserialize;

use crate::{
    citizen::events::Event,
    error::BrokerError,
    interaction::{csrf_failed, flow::Outcome, interaction},
    op::authorize::error_url,
    session::{Interaction, Session},
    state::AppState,
};

/// Query of the chooser page.
#[derive(Debug, Default, Deserialize)]
pub struct ChooserQuery {
    /// An FI that just failed, to explain why the citizen is back here.
    unavailable: Option<String>,
}

impl AppState {
    /// The providers offered for interaction `i`: enabled, accepted by the
    /// service, not blocked by the citizen(s) of this device (`hidden`),
    /// available when they serve the requested level.
    pub(super) async fn fi_options(
        &self,
        i: &Interaction,
        hidden: &[String],
    ) -> Result<Vec<FiOption>, BrokerError> {
        let client = self.store.client(&i.request.client_id).await?;
        Ok(self
            .fis
            .list()
            .iter()
            .filter(|f| f.enabled)
            // The service's allow/deny list hides providers it does not accept.
            .filter(|f| client.as_ref().is_some_and(|c| c.accepts_fi(&f.id)))
            // Providers the citizen(s) of this device blocked.
            .filter(|f| !hidden.contains(&f.id))
            .map(|f| FiOption {
                id: f.id.clone(),
                name: f.name.clone(),
                available: f.serves(i.request.acr),
            })
            .collect())
    }

    /// The citizen chose provider `fi` for interaction `id`: the login at
    /// the provider, or the chooser again (a provider this request cannot
    /// use, or one that does not answer).
    ///
    /// # Errors
    /// The "expired" page; storage failures.
    pub(super) async fn choose_fi(
        &self,
        session: &mut Session,
        id: &str,
        fi: &str,
    ) -> Result<Outcome, BrokerError> {
        let s = self;
        let i = interaction(s, session, id)?;
        let acr = i.request.acr;
        let (client_id, client_name) = (i.request.client_id.clone(), i.client_name.clone());
        let force = s.cfg.force_fi_login(acr, i.request.prompt_login);
        let accepted = match s.store.client(&i.request.client_id).await? {
            Some(c) => c.accepts_fi(fi),
            None => false,
        };
        let allowed = accepted && s.fis.get(fi).is_some_and(|f| f.serves(acr));
        if !allowed {
            return Ok(Outcome::Chooser { unavailable: None });
        }
        match s.fis.begin(fi, acr, force, s.now()).await {
            Ok((url, pending)) => {
                s.record(
                    Event::new(EventCode::FcIdpChosen)
                        .client(&client_id, &client_name)
                        .fi(fi)
                        .acr(acr)
                        .session(&session.data.trace),
                )
                .await;
                if let Some(i) = session.data.interactions.get_mut(id) {
                    i.fi = Some(pending);
                }
                Ok(Outcome::FiLogin {
                    fi_id: fi.to_owned(),
                    url: url.to_string(),
                })
            }
            Err(e) => {
                tracing::warn!(%fi, error = %e, "identity provider unavailable");
                Ok(Outcome::Chooser {
                    unavailable: Some(fi.to_owned()),
                })
            }
        }
    }

    /// The citizen returns to the service without a code: the error the
    /// broker stopped the login with, or `access_denied`.
    ///
    /// # Errors
    /// The "expired" page.
    pub(super) fn cancel_interaction(
        &self,
        session: &mut Session,
        id: &str,
    ) -> Result<Outcome, BrokerError> {
        let i = interaction(self, session, id)?.clone();
        session.data.interactions.remove(id);
        // A login stopped by the broker (e.g. the civil registry) reports
        // why; otherwise the citizen cancelled.
        let err = i.failure.clone().unwrap_or_else(|| {
            OAuthError::new(OAuthErrorCode::AccessDenied, "the user cancelled the login")
        });
        Ok(Outcome::Return {
            url: error_url(self, &i.request.redirect_uri, &err, Some(&i.request.state)),
            success: false,
        })
    }
}

/// `GET /interaction/{id}`
pub async fn chooser(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    Path(id): Path<String>,
    Query(q): Query<ChooserQuery>,
) -> Result<Response, BrokerError> {
    let session = s.load_session(&jar).await?;
    let i = interaction(&s, &session, &id)?;
    let hidden = s.hidden_fis(&jar).await?;
    let fis = s.fi_options(i, &hidden).await?;
    // "Continuer avec l'application": the same request, for the app.
    let app_link = s
        .cfg
        .app_links
        .as_ref()
        .filter(|l| l.desktop_link)
        .map(|_| app_link(&i.request, &s.cfg.issuer));
    let unavailable = q
        .unavailable
        .and_then(|u| s.fis.get(&u).map(|f| f.name.clone()));
    let html = s.templates.render(
        "broker/chooser.html",
        minijinja::context! {
            lang => "fr",
            site_name => s.cfg.platform_name,
            client_name => i.client_name,
            interaction_id => i.id,
            csrf => session.data.csrf,
            fis,
            level => i.request.acr.as_str(),
            level_name => level_name(i.request.acr),
            unavailable,
            app_link,
        },
    )?;
    Ok(html.into_response())
}

/// The request as a `pivot://authorize` link for the desktop app, naming
/// this broker (`iss`) so that the app sends it here.
fn app_link(req: &pivot_proto::oauth::AuthorizeRequest, issuer: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(req.to_pairs())
        .append_pair("iss", issuer)
        .finish();
    format!(
        "{}://{}?{query}",
        pivot_proto::deeplink::SCHEME,
        pivot_proto::deeplink::AUTHORIZE_HOST
    )
}

/// The eIDAS level as citizens know it.
pub(super) fn level_name(acr: pivot_proto::eidas::Eidas) -> &'static str {
    match acr {
        pivot_proto::eidas::Eidas::Eidas1 => "faible",
        pivot_proto::eidas::Eidas::Eidas2 => "substantiel",
        pivot_proto::eidas::Eidas::Eidas3 => "élevé",
    }
}

/// The chooser form.
#[derive(Debug, Deserialize)]
pub struct ChooseForm {
    csrf: String,
    fi: String,
}

/// `POST /interaction/{id}/fi`
pub async fn choose(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    Path(id): Path<String>,
    Form(form): Form<ChooseForm>,
) -> Result<Response, BrokerError> {
    let mut session = s.load_session(&jar).await?;
    if !session.csrf_ok(&form.csrf) {
        return Err(csrf_failed());
    }
    let outcome = s.choose_fi(&mut session, &id, &form.fi).await?;
    s.respond(jar, session, &id, outcome).await
}

/// `GET /interaction/{id}/cancel`: back to the FS with `access_denied`
/// (or the error the broker stopped the login with).
pub async fn cancel(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    Path(id): Path<String>,
) -> Result<Response, BrokerError> {
    let mut session = s.load_session(&jar).await?;
    let outcome = s.cancel_interaction(&mut session, &id)?;
    s.respond(jar, session, &id, outcome).await
}
