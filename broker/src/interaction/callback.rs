//! `GET /api/v2/fi/callback`: the FI sends the citizen back.

use axum::{
    extract::{Query, State},
    response::Response,
};
use axum_extra::extract::SignedCookieJar;
use pivot_proto::interaction::FiCallback;

use crate::{
    crypto::ct_eq,
    error::BrokerError,
    fi_client::FiError,
    interaction::{expired, flow::Outcome, interaction},
    session::{Session, SsoLogin},
    state::AppState,
};

/// `GET /api/v2/fi/callback`
pub async fn callback(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    Query(q): Query<FiCallback>,
) -> Result<Response, BrokerError> {
    let mut session = s.load_session(&jar).await?;
    let state = q.state.as_deref().unwrap_or_default();
    let Some(id) = awaiting(&session, state) else {
        return Err(expired());
    };
    let outcome = s.fi_returned(&mut session, &id, &q).await?;
    s.respond(jar, session, &id, outcome).await
}

/// The interaction of `session` waiting for the provider's answer `state`.
fn awaiting(session: &Session, state: &str) -> Option<String> {
    session
        .data
        .interactions
        .values()
        .find(|i| {
            i.fi.as_ref()
                .is_some_and(|p| !state.is_empty() && ct_eq(&p.state, state))
        })
        .map(|i| i.id.clone())
}

fn failure(title: &str, message: String) -> Outcome {
    Outcome::FiFailed {
        title: title.to_owned(),
        message,
    }
}

impl AppState {
    /// The provider answered interaction `id` (`q`: its redirect's query):
    /// on to the civil-registry check, or back to the chooser.
    ///
    /// # Errors
    /// The "expired" page when the interaction waits for no such answer;
    /// storage failures.
    pub(super) async fn fi_returned(
        &self,
        session: &mut Session,
        id: &str,
        q: &FiCallback,
    ) -> Result<Outcome, BrokerError> {
        let s = self;
        let state = q.state.as_deref().unwrap_or_default();
        let mut i = interaction(s, session, id)?.clone();
        let Some(pending) =
            i.fi.take()
                .filter(|p| !state.is_empty() && ct_eq(&p.state, state))
        else {
            return Err(expired());
        };
        // The pending login is single-use, whatever happens next.
        session.data.interactions.insert(i.id.clone(), i.clone());
        let fi_name = s.fis.name(&pending.fi_id);
        if let Some(err) = &q.error {
            let msg = if err == "access_denied" {
                format!("Vous avez abandonné la connexion avec {fi_name}.")
            } else {
                format!("{fi_name} n'a pas pu vous identifier ({err}).")
            };
            return Ok(failure("Connexion interrompue", msg));
        }
        let code = q.code.clone().unwrap_or_default();
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
                return Ok(match e {
                    FiError::Unavailable(_) => Outcome::Chooser {
                        unavailable: Some(pending.fi_id.clone()),
                    },
                    FiError::Identity(idf) => failure(
                        "Identité incomplète ou invalide",
                        idf.message_fr().to_owned(),
                    ),
                    FiError::StaleAuthentication => failure(
                        "Nouvelle authentification nécessaire",
                        format!(
                            "Ce service demande que vous vous identifiiez de nouveau, mais {fi_name} a réutilisé une connexion précédente. Réessayez ou choisissez un autre compte."
                        ),
                    ),
                    FiError::InsufficientAcr(_) => failure(
                        "Niveau de sécurité insuffisant",
                        format!(
                            "{fi_name} ne garantit pas le niveau de sécurité demandé par ce service."
                        ),
                    ),
                    _ => failure(
                        "Réponse invalide du fournisseur d'identité",
                        format!(
                            "La réponse de {fi_name} n'a pas pu être vérifiée. Par sécurité, la connexion est refusée."
                        ),
                    ),
                });
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
        s.verify_login(session, i, login).await
    }
}
