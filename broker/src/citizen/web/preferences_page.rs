//! `GET|POST /espace/preferences`: block or allow identity providers, turn
//! connection alerts on or off.

use axum::{
    body::Bytes,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::SignedCookieJar;
use pivot_proto::citizen::PreferencesUpdate;

use crate::{
    citizen::space::Citizen, error::BrokerError, interaction::csrf_failed, session::Session,
    state::AppState,
};

async fn render(
    s: &AppState,
    c: &Citizen,
    session: &Session,
    saved: bool,
    error: Option<String>,
) -> Result<Response, BrokerError> {
    let view = s.preferences_view(c).await?;
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let html = s.templates.render(
        "broker/space_preferences.html",
        minijinja::context! {
        fis => view.identity_providers,
        alerts => view.connection_alerts,
        saved,
        error, ..super::nav(s, c, session, "preferences") },
    )?;
    Ok((status, html).into_response())
}

/// `GET /espace/preferences`
pub async fn page(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    axum::extract::Query(q): axum::extract::Query<std::collections::BTreeMap<String, String>>,
) -> Result<Response, BrokerError> {
    let (c, session, jar) = match super::require(&s, jar, "/espace/preferences").await? {
        Ok(x) => x,
        Err(redirect) => return Ok(redirect),
    };
    let saved = q.contains_key("enregistre");
    Ok((jar, render(&s, &c, &session, saved, None).await?).into_response())
}

/// `POST /espace/preferences`: the form lists every provider as
/// `allow=<id>` when ticked ("autorisé"); unticked ones are blocked.
pub async fn save(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    body: Bytes,
) -> Result<Response, BrokerError> {
    let (c, session, jar) = match super::require(&s, jar, "/espace/preferences").await? {
        Ok(x) => x,
        Err(redirect) => return Ok(redirect),
    };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    if !session.csrf_ok(csrf) {
        return Err(csrf_failed());
    }
    let allowed: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "allow")
        .map(|(_, v)| v.as_str())
        .collect();
    let blocked: Vec<String> = s
        .fis
        .list()
        .iter()
        .filter(|f| !allowed.contains(&f.id.as_str()))
        .map(|f| f.id.clone())
        .collect();
    let update = PreferencesUpdate {
        blocked_fis: Some(blocked),
        connection_alerts: Some(pairs.iter().any(|(k, v)| k == "alerts" && v == "on")),
    };
    match s.update_preferences(&c, &update).await? {
        Ok(_) => Ok((jar, Redirect::to("/espace/preferences?enregistre")).into_response()),
        Err(e) => Ok((
            jar,
            render(&s, &c, &session, false, Some(e.to_string())).await?,
        )
            .into_response()),
    }
}
