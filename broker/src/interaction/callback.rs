//! `GET /api/v2/fi/callback`: the FI sends the citizen back.

use axum::{
    extract::{Query, State},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::SignedCookieJar;
use serde::Deserialize;

use crate::{
    crypto::ct_eq,
    error::{BrokerError, PageError},
    fi_client::FiError,
    interaction::{expired, registry},
    session::SsoLogin,
    state::AppState,
};

/// Authorization response from an FI.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    iss: Option<String>,
    error: Option<String>,
}

fn failure(id: &str, title: &str, message: String) -> BrokerError {
    PageError::bad_request("Y020001", title, message)
        .with_action("Choisir un autre compte", format!("/interaction/{id}"))
        .into()
}

/// `GET /api/v2/fi/callback`
pub async fn callback(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, BrokerError> {
    let mut session = s.load_session(&jar).await?;
    let state = q.state.as_deref().unwrap_or_default();
    let found = session
        .data
        .interactions
        .values()
        .find(|i| {
            i.fi.as_ref()
                .is_some_and(|p| !state.is_empty() && ct_eq(&p.state, state))
        })
        .cloned();
    let Some(mut i) = found else {
        return Err(expired());
    };
    let Some(pending) = i.fi.take() else {
        return Err(expired());
    };
    // The pending login is single-use, whatever happens next.
    session.data.interactions.insert(i.id.clone(), i.clone());
    let fi_name = s.fis.name(&pending.fi_id);
    if let Some(err) = q.error {
        let jar = s.save_session(jar, &session).await?;
        let msg = if err == "access_denied" {
            format!("Vous avez abandonné la connexion avec {fi_name}.")
        } else {
            format!("{fi_name} n'a pas pu vous identifier ({err}).")
        };
        return Ok((jar, failure(&i.id, "Connexion interrompue", msg)).into_response());
    }
    let code = q.code.unwrap_or_default();
    let today = s.clock.now().date();
    let result = s
        .fis
        .finish(
            &pending,
            &code,
            q.iss.as_deref(),
            i.request.acr,
            today,
            s.now(),
        )
        .await;
    let login = match result {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(fi = %pending.fi_id, error = %e, "FI login failed");
            let jar = s.save_session(jar, &session).await?;
            let err = match e {
                FiError::Unavailable(_) => {
                    let to = format!("/interaction/{}?unavailable={}", i.id, pending.fi_id);
                    return Ok((jar, Redirect::to(&to)).into_response());
                }
                FiError::Identity(idf) => failure(
                    &i.id,
                    "Identité incomplète ou invalide",
                    idf.message_fr().to_owned(),
                ),
                FiError::StaleAuthentication => failure(
                    &i.id,
                    "Nouvelle authentification nécessaire",
                    format!(
                        "Ce service demande que vous vous identifiiez de nouveau, mais {fi_name} a réutilisé une connexion précédente. Réessayez ou choisissez un autre compte."
                    ),
                ),
                FiError::InsufficientAcr(_) => failure(
                    &i.id,
                    "Niveau de sécurité insuffisant",
                    format!(
                        "{fi_name} ne garantit pas le niveau de sécurité demandé par ce service."
                    ),
                ),
                _ => failure(
                    &i.id,
                    "Réponse invalide du fournisseur d'identité",
                    format!(
                        "La réponse de {fi_name} n'a pas pu être vérifiée. Par sécurité, la connexion est refusée."
                    ),
                ),
            };
            return Ok((jar, err).into_response());
        }
    };
    let login = SsoLogin {
        identity: login.identity,
        registry: None,
        fi_id: pending.fi_id.clone(),
        acr: login.acr,
        amr: login.amr,
        auth_time: login.auth_time,
        fi_id_token: login.id_token,
    };
    registry::verify_and_continue(&s, jar, session, i, login).await
}
