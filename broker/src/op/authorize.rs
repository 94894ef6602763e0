//! `GET|POST /authorize`: checks the request, then starts an interaction.
//!
//! Until `client_id` and `redirect_uri` are known to match a registered
//! client, errors are shown as a page (never redirected); after, they go back
//! to the FS as OAuth errors with `state` and `iss` (RFC 9207).

use axum::{
    body::Bytes,
    extract::{RawQuery, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::SignedCookieJar;
use pivot_proto::{
    citizen::{CITIZEN_SPACE_SCOPE, EventCode},
    oauth::{AuthorizeParams, OAuthError, OAuthErrorCode},
    scope::{is_known_identity_scope, is_rnipp_scope},
};

use crate::{
    citizen::events::Event,
    config::IdentitySource,
    crypto::random_token,
    error::{BrokerError, PageError},
    op::form::pairs,
    session::Interaction,
    state::AppState,
    storage::{ClientAuthMethod, ClientRole},
};

/// `GET /authorize`
pub async fn authorize_get(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    RawQuery(q): RawQuery,
) -> Result<Response, BrokerError> {
    authorize(s, jar, pairs(q.unwrap_or_default().as_bytes())).await
}

/// `POST /authorize` (form body).
pub async fn authorize_post(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    body: Bytes,
) -> Result<Response, BrokerError> {
    authorize(s, jar, pairs(&body)).await
}

/// Appends parameters to a (validated) client URL.
#[must_use]
pub fn client_url(base: &str, params: &[(&str, &str)]) -> String {
    match url::Url::parse(base) {
        Ok(mut u) => {
            {
                let mut q = u.query_pairs_mut();
                for (k, v) in params {
                    q.append_pair(k, v);
                }
            }
            u.to_string()
        }
        Err(_) => base.to_owned(),
    }
}

/// An OAuth error sent back to the FS's validated redirect URI.
#[must_use]
pub fn error_redirect(
    s: &AppState,
    redirect_uri: &str,
    err: &OAuthError,
    state: Option<&str>,
) -> Response {
    let mut params = vec![("error", err.error.as_str())];
    if let Some(d) = err.error_description.as_deref() {
        params.push(("error_description", d));
    }
    if let Some(st) = state {
        params.push(("state", st));
    }
    params.push(("iss", &s.cfg.issuer));
    Redirect::to(&client_url(redirect_uri, &params)).into_response()
}

fn untrusted(title: &str, message: String) -> BrokerError {
    PageError::bad_request("Y000400", title, message).into()
}

async fn authorize(
    s: AppState,
    jar: SignedCookieJar,
    pairs: Vec<(String, String)>,
) -> Result<Response, BrokerError> {
    let params = AuthorizeParams::from_pairs(pairs);
    // 1. Who asks, and where do we answer? Errors here are pages.
    let client_id = params.client_id().map_err(|e| {
        untrusted(
            "Demande de connexion invalide",
            format!("Le service n'a pas transmis un identifiant valide ({e})."),
        )
    })?;
    // A data provider is a partner too, but cannot log citizens in.
    let client = s
        .store
        .client(client_id)
        .await?
        .filter(|c| c.role == ClientRole::Service);
    let client = client.ok_or_else(|| {
        untrusted(
            "Service inconnu",
            format!(
                "Le service qui vous a envoyé ici n'est pas enregistré auprès de {}.",
                s.cfg.platform_name
            ),
        )
    })?;
    let redirect_uri = params.redirect_uri().map_err(|e| {
        untrusted(
            "Demande de connexion invalide",
            format!("L'adresse de retour du service est invalide ({e})."),
        )
    })?;
    let native = client.auth_method == ClientAuthMethod::None;
    if !client
        .redirect_uris
        .iter()
        .any(|r| pivot_proto::oauth::redirect::redirect_matches(r, redirect_uri, native))
    {
        return Err(untrusted(
            "Adresse de retour inconnue",
            "L'adresse de retour demandée ne correspond pas à celles que ce service a déclarées."
                .to_owned(),
        ));
    }
    let redirect_uri = redirect_uri.to_owned();
    let raw_state = params.state.clone();
    let fail = |err: OAuthError| {
        Ok(error_redirect(
            &s,
            &redirect_uri,
            &err,
            raw_state.as_deref(),
        ))
    };

    // 2. The rest of the request: errors go back to the FS.
    let rules = s
        .cfg
        .authorize_rules(client.auth_method == ClientAuthMethod::None);
    let req = match params.validate(&rules) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if let Err(BrokerError::OAuth { error, .. }) = s.encryption_for(&client) {
        return fail(error);
    }
    let rnipp_claims = s.cfg.identity_source == IdentitySource::Provider;
    let catalogue = s.store.data_catalogue().await?;
    // Allowed for this client, and known: an identity scope of this
    // platform or a datum a registered data provider serves.
    let forbidden: Vec<&str> = req
        .scope
        .iter()
        .filter(|sc| {
            let known = is_known_identity_scope(sc)
                || (is_rnipp_scope(sc) && rnipp_claims)
                || catalogue.iter().any(|d| d.scope == *sc)
                || *sc == CITIZEN_SPACE_SCOPE;
            !known || !client.scopes.iter().any(|c| c == sc)
        })
        .collect();
    if !forbidden.is_empty() {
        return fail(OAuthError::new(
            OAuthErrorCode::InvalidScope,
            format!(
                "scopes not allowed for this client: {}",
                forbidden.join(" ")
            ),
        ));
    }
    if let Some(hint) = req.idp_hint.as_deref() {
        let usable =
            client.accepts_fi(hint) && s.fis.get(hint).is_some_and(|fi| fi.serves(req.acr));
        if !usable {
            return fail(OAuthError::new(
                OAuthErrorCode::InvalidRequest,
                format!("idp_hint {hint} is not an available identity provider for this level"),
            ));
        }
    }

    // 3. Start the interaction.
    let now = s.now();
    let mut session = s.load_session(&jar).await?;
    // SSO: a finished login of a level this platform reuses, at an identity
    // provider this service accepts, unless the service forces a new login.
    let sso_usable = !req.prompt_login
        && session
            .data
            .sso
            .as_ref()
            .is_some_and(|l| s.cfg.sso_allowed(req.acr, l.acr) && client.accepts_fi(&l.fi_id));
    let id = random_token(16);
    s.record(
        Event::new(EventCode::FcAuthorizeInitiated)
            .client(&client.client_id, &client.name)
            .acr(req.acr)
            .session(&session.data.trace)
            .details(if sso_usable { "sso" } else { "new login" }),
    )
    .await;
    let hint = req.idp_hint.clone();
    let (acr, force_login) = (req.acr, s.cfg.force_fi_login(req.acr, req.prompt_login));
    session.add_interaction(Interaction {
        id: id.clone(),
        request: req,
        client_name: client.name.clone(),
        created_at: now,
        fi: None,
        authenticated: sso_usable,
        unverified: None,
        failure: None,
        confirmed: false,
        trust_device: false,
    });
    let next = if sso_usable {
        format!("/interaction/{id}/confirm")
    } else if let Some(hint) = hint {
        match s.fis.begin(&hint, acr, force_login, now).await {
            Ok((url, pending)) => {
                if let Some(i) = session.data.interactions.get_mut(&id) {
                    i.fi = Some(pending);
                }
                url.to_string()
            }
            Err(e) => {
                tracing::warn!(fi = %hint, error = %e, "idp_hint provider unavailable");
                format!("/interaction/{id}?unavailable={hint}")
            }
        }
    } else {
        format!("/interaction/{id}")
    };
    let jar = s.save_session(jar, &session).await?;
    Ok((
        StatusCode::SEE_OTHER,
        jar,
        [(axum::http::header::LOCATION, next)],
    )
        .into_response())
}
