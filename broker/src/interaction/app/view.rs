//! What the app sees of an interaction: the request (service, level,
//! identity items, data) and the step an [`Outcome`] leads to.

use axum::http::StatusCode;
use pivot_proto::interaction::{InteractionView, ServiceView, Step};

use crate::{
    error::BrokerError,
    interaction::{
        confirm::{identity_items, identity_summary, needs_agreement},
        flow::Outcome,
        web::REGISTRY_RETRY_SECS,
    },
    session::{Interaction, Session},
    state::AppState,
};

/// Where providers send the citizen back (the app's web view stops there).
const FI_CALLBACK_PATH: &str = "/api/v2/fi/callback";

/// The step an interaction is at, when the app asks again.
pub(super) fn current(session: &Session, i: &Interaction) -> Outcome {
    if let Some(login) = &i.unverified {
        return Outcome::RegistryUnavailable {
            fi_id: login.fi_id.clone(),
        };
    }
    let logged_in = i.authenticated && session.data.sso.is_some();
    match (logged_in, i.confirmed) {
        (true, true) => Outcome::Consent,
        (true, false) => Outcome::Confirm,
        _ => Outcome::Chooser { unavailable: None },
    }
}

impl AppState {
    /// The providers offered to the app holding the key `jkt`.
    async fn app_fi_options(
        &self,
        i: &Interaction,
        jkt: &str,
    ) -> Result<Vec<pivot_proto::interaction::FiOption>, BrokerError> {
        self.fi_options(i, &self.hidden_fis_app(jkt).await?).await
    }

    /// The view of interaction `i` (as it was before the step, since a
    /// finished one leaves the session) after `outcome`.
    ///
    /// # Errors
    /// `identity_agreement_required` for a confirmation without the private
    /// service's agreement; storage failures.
    pub(super) async fn view(
        &self,
        jkt: &str,
        session: &Session,
        i: &Interaction,
        outcome: Outcome,
    ) -> Result<InteractionView, BrokerError> {
        let client = self.interaction_client(i).await?;
        let asked = self.asked(&i.request.scope).await?;
        let items = identity_items(&asked.identity);
        let step = match outcome {
            Outcome::Chooser { unavailable } => Step::ChooseFi {
                identity_providers: self.app_fi_options(i, jkt).await?,
                notice: unavailable.map(|fi| {
                    format!(
                        "{} ne répond pas pour le moment. Choisissez un autre compte ou réessayez plus tard.",
                        self.fis.name(&fi)
                    )
                }),
            },
            Outcome::FiFailed { title, message } => Step::ChooseFi {
                identity_providers: self.app_fi_options(i, jkt).await?,
                notice: Some(format!("{title}. {message}")),
            },
            Outcome::FiLogin { fi_id, url } => Step::FiLogin {
                fi_name: self.fis.name(&fi_id),
                method: self.fis.get(&fi_id).map(|f| f.login).unwrap_or_default(),
                fi_id,
                authorization_url: url,
                callback_url: self.cfg.url(FI_CALLBACK_PATH),
            },
            Outcome::RegistryUnavailable { fi_id } => Step::RegistryUnavailable {
                fi_name: self.fis.name(&fi_id),
                retry_after_secs: REGISTRY_RETRY_SECS,
            },
            Outcome::Confirm => match &session.data.sso {
                Some(login) => Step::Confirm {
                    identity: identity_summary(self, login),
                    fi_name: self.fis.name(&login.fi_id),
                    agreement_required: needs_agreement(&client, &items),
                },
                None => Step::ChooseFi {
                    identity_providers: self.app_fi_options(i, jkt).await?,
                    notice: None,
                },
            },
            Outcome::AgreementMissing => {
                return Err(BrokerError::app(
                    StatusCode::BAD_REQUEST,
                    "identity_agreement_required",
                    format!(
                        "Acceptez la transmission de vos données à {}, ou revenez sur le service.",
                        client.name
                    ),
                ));
            }
            Outcome::Consent => Step::Consent,
            Outcome::Refused(page) => Step::Refused {
                code: page.code.to_owned(),
                title: page.title,
                message: page.message,
            },
            Outcome::Return { url, success } => Step::Return {
                redirect_url: url,
                success,
            },
        };
        Ok(InteractionView {
            id: i.id.clone(),
            service: ServiceView {
                client_id: client.client_id.clone(),
                name: client.name.clone(),
                public_service: client.public_service,
            },
            level: i.request.acr,
            identity_items: items.into_iter().map(str::to_owned).collect(),
            data: asked.data,
            step,
        })
    }
}
