//! The data-consent step: the service asks data from data providers; the
//! citizen sees each datum with its source ("revenu fiscal de référence
//! (DGFIP)") and accepts all, refuses all, or chooses datum by datum.
//! Refusing data never stops the login: the code then grants the identity
//! only, and the token response's `scope` tells the service what it got.

use axum::{
    body::Bytes,
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::SignedCookieJar;
use pivot_proto::citizen::EventCode;
use pivot_proto::data::DataRequest;
use serde::Serialize;

use crate::{
    citizen::{
        device::{Device, device_label},
        events::Event,
    },
    error::{BrokerError, PageError},
    interaction::{csrf_failed, flow::Outcome, interaction},
    op::form::pairs,
    session::Session,
    state::AppState,
};

/// The data of one provider, for the page.
#[derive(Debug, Serialize)]
struct ProviderGroup {
    name: String,
    items: Vec<DataRequest>,
}

fn groups(data: &[DataRequest]) -> Vec<ProviderGroup> {
    let mut out: Vec<ProviderGroup> = Vec::new();
    for d in data {
        match out.iter_mut().find(|g| g.name == d.provider_name) {
            Some(g) => g.items.push(d.clone()),
            None => out.push(ProviderGroup {
                name: d.provider_name.clone(),
                items: vec![d.clone()],
            }),
        }
    }
    out
}

/// `GET /interaction/{id}/consent`
pub async fn page(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    Path(id): Path<String>,
) -> Result<Response, BrokerError> {
    let session = s.load_session(&jar).await?;
    let i = interaction(&s, &session, &id)?;
    if session.data.sso.is_none() || !i.authenticated || !i.confirmed {
        return Ok(Redirect::to(&format!("/interaction/{id}/confirm")).into_response());
    }
    let asked = s.asked(&i.request.scope).await?;
    if asked.data.is_empty() {
        return Ok(Redirect::to(&format!("/interaction/{id}/confirm")).into_response());
    }
    let html = s.templates.render(
        "broker/consent.html",
        minijinja::context! {
            lang => "fr",
            site_name => s.cfg.platform_name,
            client_name => i.client_name,
            interaction_id => i.id,
            csrf => session.data.csrf,
            groups => groups(&asked.data),
            count => asked.data.len(),
        },
    )?;
    Ok(html.into_response())
}

/// The citizen's answer: `decision` = `all`, `none` or `some` (then the
/// ticked `scope` values).
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Decision {
    All,
    None,
    Some(Vec<String>),
}

fn parse_decision(body: &[u8]) -> Result<(String, Decision), BrokerError> {
    let mut csrf = None;
    let mut decision = None;
    let mut ticked = Vec::new();
    for (k, v) in pairs(body) {
        match k.as_str() {
            "csrf" => csrf = Some(v),
            "decision" => decision = Some(v),
            "scope" => ticked.push(v),
            _ => {}
        }
    }
    let bad = || {
        BrokerError::from(PageError::bad_request(
            "Y000400",
            "Choix non reconnu",
            "Votre choix n'a pas pu être lu. Revenez à la page précédente et choisissez de nouveau.",
        ))
    };
    let decision = match decision.as_deref() {
        Some("all") => Decision::All,
        Some("none") => Decision::None,
        Some("some") => Decision::Some(ticked),
        _ => return Err(bad()),
    };
    Ok((csrf.unwrap_or_default(), decision))
}

/// `POST /interaction/{id}/consent`: issues the code with the identity
/// scopes and the data the citizen accepted.
pub async fn decide(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, BrokerError> {
    let mut session = s.load_session(&jar).await?;
    let (csrf, decision) = parse_decision(&body)?;
    if !session.csrf_ok(&csrf) {
        return Err(csrf_failed());
    }
    let mut device = Device::Browser {
        jar: jar.clone(),
        label: device_label(&headers),
    };
    let outcome = s
        .decide_data(&mut session, &id, &decision, &mut device)
        .await?;
    let jar = device.into_jar().unwrap_or(jar);
    s.respond(jar, session, &id, outcome).await
}

impl AppState {
    /// The citizen's data decision for interaction `id`: the code with the
    /// identity scopes and the accepted data.
    ///
    /// # Errors
    /// The "expired" page; storage failures.
    pub(super) async fn decide_data(
        &self,
        session: &mut Session,
        id: &str,
        decision: &Decision,
        device: &mut Device,
    ) -> Result<Outcome, BrokerError> {
        let s = self;
        let i = interaction(s, session, id)?.clone();
        let Some(login) = session
            .data
            .sso
            .clone()
            .filter(|_| i.authenticated && i.confirmed)
        else {
            return Ok(if i.authenticated {
                Outcome::Confirm
            } else {
                Outcome::Chooser { unavailable: None }
            });
        };
        let client = s.interaction_client(&i).await?;
        let asked = s.asked(&i.request.scope).await?;
        let mut granted = asked.identity;
        // Only data the request asked can be granted, whatever was posted.
        let accepted: Vec<&DataRequest> = match decision {
            Decision::All => asked.data.iter().collect(),
            Decision::None => Vec::new(),
            Decision::Some(ticked) => asked
                .data
                .iter()
                .filter(|d| ticked.contains(&d.scope))
                .collect(),
        };
        for d in &accepted {
            granted.insert(d.scope.clone());
        }
        tracing::info!(
            client = %client.client_id,
            asked = asked.data.len(),
            accepted = accepted.len(),
            "data consent"
        );
        let shared: Vec<DataRequest> = accepted.into_iter().cloned().collect();
        s.record(
            Event::new(EventCode::FcConsentData)
                .login(&login)
                .client(&client.client_id, &client.name)
                .data(&shared)
                .session(&session.data.trace)
                .details(format!("accepted {} of {}", shared.len(), asked.data.len())),
        )
        .await;
        s.finish_login(session, &i, &client, &login, granted, &shared, device)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(scope: &str, provider: &str) -> DataRequest {
        DataRequest {
            scope: scope.into(),
            label: scope.into(),
            provider_id: provider.to_lowercase(),
            provider_name: provider.into(),
        }
    }

    #[test]
    fn groups_keep_provider_order() {
        let g = groups(&[d("a", "DGFIP"), d("c", "CNAM"), d("b", "DGFIP")]);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].name, "DGFIP");
        assert_eq!(g[0].items.len(), 2);
        assert_eq!(g[1].items[0].scope, "c");
    }

    #[test]
    fn decisions_parse() {
        let (csrf, dec) = parse_decision(b"csrf=x&decision=some&scope=a&scope=b").unwrap();
        assert_eq!(csrf, "x");
        assert_eq!(dec, Decision::Some(vec!["a".into(), "b".into()]));
        assert_eq!(
            parse_decision(b"csrf=x&decision=none&scope=a").unwrap().1,
            Decision::None
        );
        assert!(parse_decision(b"csrf=x&decision=maybe").is_err());
        assert!(parse_decision(b"csrf=x").is_err());
    }
}
