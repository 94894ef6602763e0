//! `GET /espace/appareils`: the devices that logged the citizen in; trust
//! this one (no alert for 90 days) or forget one (its next login alerts).

use axum::{
    Form,
    extract::{Path, State},
    http::HeaderMap,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::SignedCookieJar;
use serde::Serialize;

use crate::{
    citizen::{time_fr::paris_datetime, web::CsrfForm},
    error::BrokerError,
    interaction::csrf_failed,
    state::AppState,
};

#[derive(Serialize)]
struct Row {
    id: String,
    label: String,
    first_seen: String,
    last_seen: String,
    trusted_until: Option<String>,
    current: bool,
}

/// `GET /espace/appareils`
pub async fn page(
    State(s): State<AppState>,
    jar: SignedCookieJar,
) -> Result<Response, BrokerError> {
    let (c, session, jar) = match super::require(&s, jar, "/espace/appareils").await? {
        Ok(x) => x,
        Err(redirect) => return Ok(redirect),
    };
    let rows: Vec<Row> = s
        .device_views(&c)
        .await?
        .into_iter()
        .map(|d| Row {
            first_seen: paris_datetime(d.first_seen),
            last_seen: paris_datetime(d.last_seen),
            trusted_until: d.trusted_until.map(paris_datetime),
            id: d.id,
            label: d.label,
            current: d.current,
        })
        .collect();
    let current_trusted = rows.iter().any(|r| r.current && r.trusted_until.is_some());
    let html = s.templates.render(
        "broker/space_devices.html",
        minijinja::context! { rows, current_trusted, ..super::nav(&s, &c, &session, "devices") },
    )?;
    Ok((jar, html).into_response())
}

/// `POST /espace/appareils/confiance`: trusts this browser.
pub async fn trust(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, BrokerError> {
    let (c, session, jar) = match super::require(&s, jar, "/espace/appareils").await? {
        Ok(x) => x,
        Err(redirect) => return Ok(redirect),
    };
    if !session.csrf_ok(&form.csrf) {
        return Err(csrf_failed());
    }
    let jar = s.trust_this_device(jar, &c, &headers).await?;
    Ok((jar, Redirect::to("/espace/appareils")).into_response())
}

/// `POST /espace/appareils/{id}/oublier`
pub async fn forget(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, BrokerError> {
    let (c, session, jar) = match super::require(&s, jar, "/espace/appareils").await? {
        Ok(x) => x,
        Err(redirect) => return Ok(redirect),
    };
    if !session.csrf_ok(&form.csrf) {
        return Err(crate::interaction::csrf_failed());
    }
    s.forget_device(&c, &id).await?;
    Ok((jar, Redirect::to("/espace/appareils")).into_response())
}
