//! The confirmation page ("Bienvenue Prénom NOM, né le … à …") and the final
//! redirect to the FS with the code.

use axum::{
    Form,
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::SignedCookieJar;
use serde::Deserialize;

use crate::{
    config::IdentitySource,
    error::{BrokerError, PageError},
    interaction::{csrf_failed, interaction},
    op::authorize::client_url,
    state::AppState,
};

/// `GET /interaction/{id}/confirm`
pub async fn page(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    Path(id): Path<String>,
) -> Result<Response, BrokerError> {
    let session = s.load_session(&jar).await?;
    let i = interaction(&s, &session, &id)?;
    let login = match (&session.data.sso, i.authenticated) {
        (Some(l), true) => l,
        _ => return Ok(Redirect::to(&format!("/interaction/{id}")).into_response()),
    };
    // The identity the service will receive.
    let p = match s.cfg.identity_source {
        IdentitySource::Registry => login.registry.as_ref().unwrap_or(&login.identity.pivot),
        IdentitySource::Provider => &login.identity.pivot,
    };
    let fi_name = s
        .fis
        .get(&login.fi_id)
        .map(|f| f.name.clone())
        .unwrap_or_default();
    let html = s.templates.render(
        "broker/confirm.html",
        minijinja::context! {
            lang => "fr",
            site_name => s.cfg.platform_name,
            client_name => i.client_name,
            interaction_id => i.id,
            csrf => session.data.csrf,
            given_name => p.given_name,
            family_name => p.family_name.to_uppercase(),
            female => p.gender == pivot_proto::identity::Gender::Female,
            birthdate => p.birthdate_fr(),
            birthplace => pivot_proto::cog::birthplace_label(&p.birthplace, &p.birthcountry),
            born_abroad => !p.born_in_france(),
            fi_name,
        },
    )?;
    Ok(html.into_response())
}

/// The confirmation form.
#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    csrf: String,
}

/// `POST /interaction/{id}/confirm`: issues the code and returns to the FS.
pub async fn proceed(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    Path(id): Path<String>,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, BrokerError> {
    let mut session = s.load_session(&jar).await?;
    if !session.csrf_ok(&form.csrf) {
        return Err(csrf_failed());
    }
    let i = interaction(&s, &session, &id)?.clone();
    let Some(login) = session.data.sso.clone().filter(|_| i.authenticated) else {
        return Ok(Redirect::to(&format!("/interaction/{id}")).into_response());
    };
    let client = s.store.client(&i.request.client_id).await?.ok_or_else(|| {
        PageError::bad_request(
            "Y000404",
            "Service inconnu",
            format!(
                "Ce service n'est plus enregistré auprès de {}.",
                s.cfg.platform_name
            ),
        )
    })?;
    let code = s.issue_code(&client, &i.request, &login).await?;
    session.data.interactions.remove(&id);
    let jar = s.save_session(jar, &session).await?;
    let to = client_url(
        &i.request.redirect_uri,
        &[
            ("code", &code),
            ("state", &i.request.state),
            ("iss", &s.cfg.issuer),
        ],
    );
    tracing::info!(client = %client.client_id, fi = %login.fi_id, "login completed");
    Ok((jar, Redirect::to(&to)).into_response())
}

/// `GET /interaction/{id}/not-me`: "Ce n'est pas vous ?" — forgets the FI
/// login so that the citizen can choose another account.
pub async fn not_me(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    Path(id): Path<String>,
) -> Result<Response, BrokerError> {
    let mut session = s.load_session(&jar).await?;
    interaction(&s, &session, &id)?;
    session.data.sso = None;
    if let Some(i) = session.data.interactions.get_mut(&id) {
        i.authenticated = false;
        i.fi = None;
    }
    let jar = s.save_session(jar, &session).await?;
    let html = s.templates.render(
        "broker/not_me.html",
        minijinja::context! { lang => "fr", site_name => s.cfg.platform_name, interaction_id => id },
    )?;
    Ok((jar, html).into_response())
}
