//! The FI chooser: lists the identity providers for the requesting FS, greys
//! out those below the requested level, and sends the citizen to the one
//! chosen.

use axum::{
    Form,
    extract::{Path, Query, State},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::SignedCookieJar;
use pivot_proto::{
    citizen::EventCode,
    oauth::{OAuthError, OAuthErrorCode},
};
use serde::{Deserialize, Serialize};

use crate::{
    citizen::events::Event,
    error::BrokerError,
    interaction::{csrf_failed, interaction},
    op::authorize::error_redirect,
    state::AppState,
};

/// Query of the chooser page.
#[derive(Debug, Default, Deserialize)]
pub struct ChooserQuery {
    /// An FI that just failed, to explain why the citizen is back here.
    unavailable: Option<String>,
}

#[derive(Serialize)]
struct FiView {
    id: String,
    name: String,
    available: bool,
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
    let client = s.store.client(&i.request.client_id).await?;
    let hidden = s.hidden_fis(&jar).await?;
    let fis: Vec<FiView> = s
        .fis
        .list()
        .iter()
        .filter(|f| f.enabled)
        // The service's allow/deny list hides providers it does not accept.
        .filter(|f| client.as_ref().is_some_and(|c| c.accepts_fi(&f.id)))
        // Providers the citizen(s) of this browser blocked.
        .filter(|f| !hidden.contains(&f.id))
        .map(|f| FiView {
            id: f.id.clone(),
            name: f.name.clone(),
            available: f.serves(i.request.acr),
        })
        .collect();
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
        },
    )?;
    Ok(html.into_response())
}

/// The eIDAS level as citizens know it.
fn level_name(acr: pivot_proto::eidas::Eidas) -> &'static str {
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
    let i = interaction(&s, &session, &id)?;
    let acr = i.request.acr;
    let (client_id, client_name) = (i.request.client_id.clone(), i.client_name.clone());
    let force = s.cfg.force_fi_login(acr, i.request.prompt_login);
    let accepted = match s.store.client(&i.request.client_id).await? {
        Some(c) => c.accepts_fi(&form.fi),
        None => false,
    };
    let allowed = accepted && s.fis.get(&form.fi).is_some_and(|f| f.serves(acr));
    if !allowed {
        return Ok(Redirect::to(&format!("/interaction/{id}")).into_response());
    }
    match s.fis.begin(&form.fi, acr, force, s.now()).await {
        Ok((url, pending)) => {
            s.record(
                Event::new(EventCode::FcIdpChosen)
                    .client(&client_id, &client_name)
                    .fi(&form.fi)
                    .acr(acr)
                    .session(&session.data.trace),
            )
            .await;
            if let Some(i) = session.data.interactions.get_mut(&id) {
                i.fi = Some(pending);
            }
            let jar = s.save_session(jar, &session).await?;
            Ok((jar, Redirect::to(url.as_str())).into_response())
        }
        Err(e) => {
            tracing::warn!(fi = %form.fi, error = %e, "identity provider unavailable");
            Ok(Redirect::to(&format!("/interaction/{id}?unavailable={}", form.fi)).into_response())
        }
    }
}

/// `GET /interaction/{id}/cancel`: back to the FS with `access_denied`.
pub async fn cancel(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    Path(id): Path<String>,
) -> Result<Response, BrokerError> {
    let mut session = s.load_session(&jar).await?;
    let i = interaction(&s, &session, &id)?.clone();
    session.data.interactions.remove(&id);
    let jar = s.save_session(jar, &session).await?;
    // A login stopped by the broker (e.g. the civil registry) reports why;
    // otherwise the citizen cancelled.
    let err = i.failure.clone().unwrap_or_else(|| {
        OAuthError::new(OAuthErrorCode::AccessDenied, "the user cancelled the login")
    });
    Ok((
        jar,
        error_redirect(&s, &i.request.redirect_uri, &err, Some(&i.request.state)),
    )
        .into_response())
}
