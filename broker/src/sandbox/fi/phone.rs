//! `GET /telephone`: the demo phone of the sandbox. No SMS leaves the
//! sandbox; the one-time codes the FI "sent" are listed here, latest first,
//! grouped by login, so that testers can type them.

use std::sync::Arc;

use axum::{
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};
use time::{OffsetDateTime, macros::format_description};

use super::{
    FiState,
    error::HttpError,
    store::{MessageStatus, PhoneMessage},
};

/// Codes shown per login.
const PER_LOGIN: usize = 5;

/// `02/05/2024 à 09:30:00 UTC`.
fn when(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let date = t
        .format(format_description!("[day]/[month]/[year]"))
        .unwrap_or_default();
    let clock = t
        .format(format_description!("[hour]:[minute]:[second]"))
        .unwrap_or_default();
    format!("{date} à {clock} UTC")
}

/// French state of a message at `now`.
fn status(m: &PhoneMessage, now: OffsetDateTime) -> (&'static str, String) {
    match m.status {
        MessageStatus::Used => ("used", "Utilisé".to_owned()),
        MessageStatus::Cancelled => ("cancelled", "Annulé".to_owned()),
        MessageStatus::Sent if m.expires <= now => ("expired", "Expiré".to_owned()),
        MessageStatus::Sent => ("valid", format!("Valable jusqu'au {}", when(m.expires))),
    }
}

/// The messages grouped by login: logins by their latest message, the
/// [`PER_LOGIN`] latest codes of each.
fn grouped(messages: &[PhoneMessage], now: OffsetDateTime) -> Vec<Value> {
    let mut logins: Vec<&str> = Vec::new();
    for m in messages {
        if !logins.contains(&m.login.as_str()) {
            logins.push(&m.login);
        }
    }
    logins
        .into_iter()
        .map(|login| {
            let rows: Vec<Value> = messages
                .iter()
                .filter(|m| m.login == login)
                .take(PER_LOGIN)
                .map(|m| {
                    let (state, label) = status(m, now);
                    json!({
                        "code": m.code.expose(),
                        "sent": when(m.sent),
                        "state": state,
                        "status": label,
                    })
                })
                .collect();
            json!({ "login": login, "messages": rows })
        })
        .collect()
}

/// `GET /telephone`.
pub(super) async fn page(State(st): State<Arc<FiState>>) -> Result<Response, HttpError> {
    let now = st.now();
    let logins = grouped(&st.store.phone(), now);
    let page = st.page(
        StatusCode::OK,
        "fi/telephone.html",
        json!({
            "logins": logins,
            "now": when(now),
            "refresh_url": st.local(super::PHONE_PATH),
        }),
    )?;
    Ok(([(header::CACHE_CONTROL, "no-store")], page).into_response())
}
