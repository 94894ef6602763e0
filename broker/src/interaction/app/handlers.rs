//! The app's interaction endpoints: prove the key, load its session, run
//! the step, store the session, answer the view.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use pivot_proto::interaction::{
    APP_INTERACTIONS_PATH, ChooseFi, ConfirmAnswer, ConsentAnswer, FiCallback, InteractionError,
};

use super::{app_session, view::current};
use crate::{
    citizen::device::Device,
    error::BrokerError,
    interaction::{consent::Decision, flow::Outcome, interaction},
    op::{authorize::Rejection, form::pairs},
    session::{Interaction, Session},
    state::AppState,
};

/// A JSON body, or the twin's own error (never axum's plain-text one).
fn json<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, BrokerError> {
    serde_json::from_slice(body).map_err(|_| {
        BrokerError::app(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "La demande de l'application est mal formée.",
        )
    })
}

fn path_of(id: &str, step: &str) -> String {
    if step.is_empty() {
        format!("{APP_INTERACTIONS_PATH}/{id}")
    } else {
        format!("{APP_INTERACTIONS_PATH}/{id}/{step}")
    }
}

/// Stores the app session and answers the view of `i` after `outcome`.
async fn answer(
    s: &AppState,
    jkt: &str,
    session: &Session,
    i: &Interaction,
    outcome: Outcome,
    status: StatusCode,
) -> Result<Response, BrokerError> {
    s.store_session(session).await?;
    let view = s.view(jkt, session, i, outcome).await?;
    // The view may hold the citizen's identity.
    Ok((
        status,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(view),
    )
        .into_response())
}

/// Runs `step` on interaction `id` of the app session proven for `step`'s
/// path, and answers its view.
async fn run<F>(
    s: &AppState,
    headers: &HeaderMap,
    method: &str,
    id: &str,
    step: &str,
    f: F,
) -> Result<Response, BrokerError>
where
    F: AsyncFnOnce(&AppState, &mut Session, &mut Device) -> Result<Outcome, BrokerError>,
{
    let (jkt, mut session) = app_session(s, headers, method, &path_of(id, step)).await?;
    let before = interaction(s, &session, id)
        .map_err(BrokerError::for_app)?
        .clone();
    let mut device = Device::App { jkt: jkt.clone() };
    let outcome = f(s, &mut session, &mut device)
        .await
        .map_err(BrokerError::for_app)?;
    answer(s, &jkt, &session, &before, outcome, StatusCode::OK)
        .await
        .map_err(BrokerError::for_app)
}

/// `POST /api/v2/app/interactions`: the authorization request a deep link
/// brought (form-encoded, as a service sends it to `/authorize`).
pub async fn start(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, BrokerError> {
    let (jkt, mut session) = app_session(&s, &headers, "POST", APP_INTERACTIONS_PATH).await?;
    let checked = s
        .check_request(pairs(&body))
        .await
        .map_err(BrokerError::for_app)?;
    let (client, req) = match checked {
        Ok(c) => c,
        Err(Rejection::Page(e)) => return Err(e.for_app()),
        Err(Rejection::Service {
            redirect_uri,
            error,
            state,
        }) => {
            let url = crate::op::authorize::error_url(&s, &redirect_uri, &error, state.as_deref());
            return Err(BrokerError::App {
                status: StatusCode::BAD_REQUEST,
                body: Box::new(InteractionError {
                    error: error.error.as_str().to_owned(),
                    message: "La demande du service est invalide : revenez sur le service."
                        .to_owned(),
                    return_url: Some(url),
                }),
            });
        }
    };
    let (id, outcome) = s
        .begin(&mut session, &client, req)
        .await
        .map_err(BrokerError::for_app)?;
    let i = interaction(&s, &session, &id)
        .map_err(BrokerError::for_app)?
        .clone();
    answer(&s, &jkt, &session, &i, outcome, StatusCode::CREATED)
        .await
        .map_err(BrokerError::for_app)
}

/// `GET …/{id}`: the current step.
pub async fn show(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, BrokerError> {
    run(&s, &headers, "GET", &id, "", async |_, session, _| {
        let i = interaction(&s, session, &id)?;
        Ok(current(session, i))
    })
    .await
}

/// `POST …/{id}/fi`: the chosen provider.
pub async fn choose(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, BrokerError> {
    let choice: ChooseFi = json(&body)?;
    run(&s, &headers, "POST", &id, "fi", async |s, session, _| {
        s.choose_fi(session, &id, &choice.fi).await
    })
    .await
}

/// `POST …/{id}/fi/callback`: the provider's answer, relayed by the app.
pub async fn fi_callback(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, BrokerError> {
    let q: FiCallback = json(&body)?;
    run(
        &s,
        &headers,
        "POST",
        &id,
        "fi/callback",
        async |s, session, _| s.fi_returned(session, &id, &q).await,
    )
    .await
}

/// `POST …/{id}/registry/retry`
pub async fn retry(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, BrokerError> {
    run(
        &s,
        &headers,
        "POST",
        &id,
        "registry/retry",
        async |s, session, _| s.retry_registry(session, &id).await,
    )
    .await
}

/// `POST …/{id}/confirm`
pub async fn confirm(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, BrokerError> {
    let answer: ConfirmAnswer = json(&body)?;
    run(
        &s,
        &headers,
        "POST",
        &id,
        "confirm",
        async |s, session, device| s.confirm_identity(session, &id, &answer, device).await,
    )
    .await
}

/// `POST …/{id}/consent`
pub async fn consent(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, BrokerError> {
    let answer: ConsentAnswer = json(&body)?;
    let decision = Decision::Some(answer.accepted);
    run(
        &s,
        &headers,
        "POST",
        &id,
        "consent",
        async |s, session, device| s.decide_data(session, &id, &decision, device).await,
    )
    .await
}

/// `POST …/{id}/cancel`: back to the service without a code.
pub async fn cancel(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, BrokerError> {
    run(
        &s,
        &headers,
        "POST",
        &id,
        "cancel",
        async |s, session, _| s.cancel_interaction(session, &id),
    )
    .await
}
