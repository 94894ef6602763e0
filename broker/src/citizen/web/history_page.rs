//! `GET /espace`: the connection history.

use axum::{
    extract::{Query, State},
    response::{IntoResponse, Response},
};
use axum_extra::extract::SignedCookieJar;
use pivot_proto::citizen::{HistoryEntry, HistoryKind};
use serde::Serialize;

use crate::{
    citizen::{history::HistoryFilter, time_fr::paris_datetime},
    error::BrokerError,
    state::AppState,
};

#[derive(Serialize)]
struct Row {
    reference: String,
    when: String,
    connection: bool,
    service: String,
    fi: String,
    level: String,
    data: Vec<String>,
    provider: String,
}

fn row(e: HistoryEntry) -> Row {
    Row {
        when: paris_datetime(e.at),
        connection: e.kind == HistoryKind::Connection,
        service: e.service,
        fi: e.identity_provider.unwrap_or_default(),
        level: e.acr.map(|a| a.as_str().to_owned()).unwrap_or_default(),
        data: e
            .data
            .iter()
            .map(|d| format!("{} ({})", d.label, d.provider))
            .collect(),
        provider: e.data_provider.unwrap_or_default(),
        reference: e.reference,
    }
}

/// `GET /espace`
pub async fn page(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    Query(filter): Query<HistoryFilter>,
) -> Result<Response, BrokerError> {
    let (c, session, jar) = match super::require(&s, jar, "/espace").await? {
        Ok(x) => x,
        Err(redirect) => return Ok(redirect),
    };
    let page = s.history(&c.identity_hash, &filter).await?;
    let rows: Vec<Row> = page.entries.into_iter().map(row).collect();
    let html = s.templates.render(
        "broker/space_history.html",
        minijinja::context! {
        rows,
        since => paris_datetime(page.since),
        service => filter.service, ..super::nav(&s, &c, &session, "history") },
    )?;
    Ok((jar, html).into_response())
}
