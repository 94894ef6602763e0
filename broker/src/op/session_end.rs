//! `GET|POST /session/end`: RP-initiated logout. Ends the broker session,
//! then the FI session (through the FI's end-session endpoint), then returns
//! to the FS's registered post-logout URI with its `state`.

use axum::{
    body::Bytes,
    extract::{Query, RawQuery, State},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::SignedCookieJar;
use serde::Deserialize;

use crate::{
    crypto::random_token,
    error::{BrokerError, PageError},
    op::{authorize::client_url, form::pairs},
    session::PendingLogout,
    state::AppState,
};

/// `GET /session/end`
pub async fn session_end_get(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    RawQuery(q): RawQuery,
) -> Result<Response, BrokerError> {
    end(s, jar, pairs(q.unwrap_or_default().as_bytes())).await
}

/// `POST /session/end`
pub async fn session_end_post(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    body: Bytes,
) -> Result<Response, BrokerError> {
    end(s, jar, pairs(&body)).await
}

fn logout_page(s: &AppState) -> Result<Response, BrokerError> {
    let html = s.templates.render(
        "broker/logged_out.html",
        minijinja::context! { lang => "fr", site_name => s.cfg.platform_name },
    )?;
    Ok(html.into_response())
}

/// Where to send the citizen once logged out, if the FS asked properly.
async fn final_redirect(
    s: &AppState,
    hint: Option<&str>,
    uri: Option<&str>,
    state: Option<&str>,
) -> Result<Option<String>, BrokerError> {
    let (Some(hint), Some(uri)) = (hint, uri) else {
        return Ok(None);
    };
    let claims = s.keys.verify(hint).map_err(|_| {
        PageError::bad_request(
            "Y030001",
            "Déconnexion impossible",
            "Le service a transmis un jeton de déconnexion invalide.",
        )
    })?;
    if claims.get("iss").and_then(|v| v.as_str()) != Some(s.cfg.issuer.as_str()) {
        return Err(PageError::bad_request(
            "Y030001",
            "Déconnexion impossible",
            "Jeton de déconnexion d'un autre émetteur.",
        )
        .into());
    }
    let client_id = claims
        .get("aud")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let client = s.store.client(client_id).await?;
    let registered = client.is_some_and(|c| c.post_logout_redirect_uris.iter().any(|u| u == uri));
    if !registered {
        return Err(PageError::bad_request(
            "Y030002",
            "Adresse de retour inconnue",
            "L'adresse de retour après déconnexion n'est pas déclarée par ce service.",
        )
        .into());
    }
    Ok(Some(match state {
        Some(st) => client_url(uri, &[("state", st)]),
        None => uri.to_owned(),
    }))
}

async fn end(
    s: AppState,
    jar: SignedCookieJar,
    pairs: Vec<(String, String)>,
) -> Result<Response, BrokerError> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let redirect = final_redirect(
        &s,
        get("id_token_hint"),
        get("post_logout_redirect_uri"),
        get("state"),
    )
    .await?;
    let mut session = s.load_session(&jar).await?;
    let sso = session.data.sso.take();
    session.data.interactions.clear();
    if let Some(login) = &sso {
        s.record(
            crate::citizen::events::Event::new(
                pivot_proto::citizen::EventCode::FcSessionTerminated,
            )
            .login(login)
            .session(&session.data.trace),
        )
        .await;
    }

    if let (Some(login), Some(final_url)) = (sso, redirect.clone()) {
        let state = random_token(24);
        let back = s.cfg.url("/api/v2/fi/logout-callback");
        match s
            .fis
            .end_session_url(&login.fi_id, &login.fi_id_token, &back, &state, s.now())
            .await
        {
            Ok(Some(fi_url)) => {
                session.data.pending_logout = Some(PendingLogout {
                    state,
                    redirect: final_url,
                });
                let jar = s.save_session(jar, &session).await?;
                return Ok((jar, Redirect::to(fi_url.as_str())).into_response());
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(fi = %login.fi_id, error = %e, "FI logout skipped"),
        }
    }
    let jar = s.end_session(jar, &session).await?;
    match redirect {
        Some(url) => Ok((jar, Redirect::to(&url)).into_response()),
        None => Ok((jar, logout_page(&s)?).into_response()),
    }
}

/// Query of the FI's return after logout.
#[derive(Debug, Deserialize)]
pub struct LogoutCallback {
    state: Option<String>,
}

/// `GET /api/v2/fi/logout-callback`: the FI has ended its session.
pub async fn fi_logout_callback(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    Query(q): Query<LogoutCallback>,
) -> Result<Response, BrokerError> {
    let session = s.load_session(&jar).await?;
    let pending = session.data.pending_logout.clone();
    let jar = s.end_session(jar, &session).await?;
    match (pending, q.state) {
        (Some(p), Some(st)) if crate::crypto::ct_eq(&p.state, &st) => {
            Ok((jar, Redirect::to(&p.redirect)).into_response())
        }
        _ => Ok((jar, logout_page(&s)?).into_response()),
    }
}
