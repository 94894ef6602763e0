//! The confirmation page ("Bienvenue Prénom NOM, né le … à …") and the final
//! redirect to the FS with the code.
//!
//! A public service gets an information page with "Continuer"; a private
//! service asking identity data needs the citizen's explicit agreement (a
//! checkbox listing what it receives). When the service also asks data from
//! data providers, the consent step ([`super::consent`]) follows.

use axum::http::HeaderMap;
use axum::{
    Form,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::SignedCookieJar;
use pivot_proto::{
    citizen::EventCode,
    claims::claim_label_fr,
    data::DataRequest,
    identity::PivotIdentity,
    interaction::{ConfirmAnswer, IdentitySummary},
    oauth::{OAuthError, OAuthErrorCode},
    scope::ScopeSet,
};
use serde::Deserialize;

use crate::{
    citizen::{
        alert::Finished,
        device::{Device, device_label},
        events::{Event, login_hash},
        report::ReportContext,
    },
    config::IdentitySource,
    error::{BrokerError, PageError},
    interaction::{csrf_failed, flow::Outcome, interaction},
    op::authorize::client_url,
    session::{Interaction, Session, SsoLogin},
    state::AppState,
    storage::ClientRecord,
};

/// What the request asks, split: identity scopes and data-provider scopes.
pub(super) struct Asked {
    /// Identity scopes (everything that is not a datum).
    pub identity: ScopeSet,
    /// The data asked, as the citizen sees them.
    pub data: Vec<pivot_proto::data::DataRequest>,
}

impl AppState {
    /// Splits the scopes of a request into identity and data.
    pub(super) async fn asked(&self, scope: &ScopeSet) -> Result<Asked, BrokerError> {
        let data: Vec<_> = self
            .store
            .data_catalogue()
            .await?
            .into_iter()
            .filter(|d| scope.contains(&d.scope))
            .collect();
        let identity = scope
            .iter()
            .filter(|sc| !data.iter().any(|d| d.scope == *sc))
            .collect();
        Ok(Asked { identity, data })
    }

    /// The registered service of an interaction.
    pub(super) async fn interaction_client(
        &self,
        i: &Interaction,
    ) -> Result<ClientRecord, BrokerError> {
        self.store
            .client(&i.request.client_id)
            .await?
            .ok_or_else(|| {
                PageError::bad_request(
                    "Y000404",
                    "Service inconnu",
                    format!(
                        "Ce service n'est plus enregistré auprès de {}.",
                        self.cfg.platform_name
                    ),
                )
                .into()
            })
    }
}

/// Whether the citizen must tick the agreement box: a private service
/// receiving identity data (`items`, from [`identity_items`]).
pub(super) fn needs_agreement(client: &ClientRecord, items: &[&str]) -> bool {
    !client.public_service && !items.is_empty()
}

/// The identity items a service receives, in French, without duplicates.
pub(super) fn identity_items(identity: &ScopeSet) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for claim in pivot_proto::scope::claims_for_scopes(identity) {
        if let Some(label) = claim_label_fr(claim)
            && !out.contains(&label)
        {
            out.push(label);
        }
    }
    out
}

/// The identity the service will receive, for the confirmation.
pub(super) fn identity_summary(s: &AppState, login: &SsoLogin) -> IdentitySummary {
    let p = shown_identity(s, login);
    IdentitySummary {
        given_name: p.given_name.clone(),
        family_name: p.family_name.to_uppercase(),
        female: p.gender == pivot_proto::identity::Gender::Female,
        birthdate: p.birthdate_fr(),
        birthplace: pivot_proto::cog::birthplace_label(&p.birthplace, &p.birthcountry),
    }
}

/// The identity the service will receive: the registry's, or the FI's.
fn shown_identity<'a>(s: &AppState, login: &'a SsoLogin) -> &'a PivotIdentity {
    match s.cfg.identity_source {
        IdentitySource::Registry => login.registry.as_ref().unwrap_or(&login.identity.pivot),
        IdentitySource::Provider => &login.identity.pivot,
    }
}

fn render(
    s: &AppState,
    session: &Session,
    i: &Interaction,
    login: &SsoLogin,
    client: &ClientRecord,
    asked: &Asked,
    error: Option<&str>,
) -> Result<Response, BrokerError> {
    let p = identity_summary(s, login);
    let fi_name = s.fis.name(&login.fi_id);
    let items = identity_items(&asked.identity);
    let html = s.templates.render(
        "broker/confirm.html",
        minijinja::context! {
            lang => "fr",
            site_name => s.cfg.platform_name,
            client_name => i.client_name,
            interaction_id => i.id,
            csrf => session.data.csrf,
            born_abroad => !shown_identity(s, login).born_in_france(),
            given_name => p.given_name,
            family_name => p.family_name,
            female => p.female,
            birthdate => p.birthdate,
            birthplace => p.birthplace,
            fi_name,
            identity_consent => needs_agreement(client, &items),
            identity_items => items,
            data_follows => !asked.data.is_empty(),
            error,
        },
    )?;
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok((status, html).into_response())
}

/// `GET /interaction/{id}/confirm`
pub async fn page(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    Path(id): Path<String>,
) -> Result<Response, BrokerError> {
    let session = s.load_session(&jar).await?;
    let i = interaction(&s, &session, &id)?;
    let login = match (&session.data.sso, i.authenticated) {
        (Some(l), true) => l,
        _ => return Ok(Redirect::to(&format!("/interaction/{id}")).into_response()),
    };
    let client = s.interaction_client(i).await?;
    let asked = s.asked(&i.request.scope).await?;
    render(&s, &session, i, login, &client, &asked, None)
}

/// The confirmation form.
#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    csrf: String,
    /// The private-service checkbox.
    #[serde(default)]
    consent_identity: Option<String>,
    /// "Faire confiance à cet appareil".
    #[serde(default)]
    trust_device: Option<String>,
}

/// `POST /interaction/{id}/confirm`: issues the code and returns to the FS,
/// or goes on to the data-consent step.
pub async fn proceed(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, BrokerError> {
    let mut session = s.load_session(&jar).await?;
    if !session.csrf_ok(&form.csrf) {
        return Err(csrf_failed());
    }
    let mut device = Device::Browser {
        jar: jar.clone(),
        label: device_label(&headers),
    };
    let answer = ConfirmAnswer {
        identity_agreement: form.consent_identity.is_some(),
        trust_device: form.trust_device.is_some(),
    };
    let outcome = s
        .confirm_identity(&mut session, &id, &answer, &mut device)
        .await?;
    if let Outcome::AgreementMissing = outcome {
        let i = interaction(&s, &session, &id)?;
        let (Some(login), true) = (&session.data.sso, i.authenticated) else {
            return s
                .respond(jar, session, &id, Outcome::Chooser { unavailable: None })
                .await;
        };
        let client = s.interaction_client(i).await?;
        let asked = s.asked(&i.request.scope).await?;
        return render(
            &s,
            &session,
            i,
            login,
            &client,
            &asked,
            Some(
                "Cochez la case pour accepter la transmission de vos données, ou revenez sur le service.",
            ),
        );
    }
    let jar = device.into_jar().unwrap_or(jar);
    s.respond(jar, session, &id, outcome).await
}

impl AppState {
    /// The citizen confirmed the identity of interaction `id`: the code
    /// (back to the service), or the data consent.
    ///
    /// # Errors
    /// The "expired" page; storage failures.
    pub(super) async fn confirm_identity(
        &self,
        session: &mut Session,
        id: &str,
        answer: &ConfirmAnswer,
        device: &mut Device,
    ) -> Result<Outcome, BrokerError> {
        let s = self;
        let i = interaction(s, session, id)?.clone();
        let Some(login) = session.data.sso.clone().filter(|_| i.authenticated) else {
            return Ok(Outcome::Chooser { unavailable: None });
        };
        let client = s.interaction_client(&i).await?;
        let asked = s.asked(&i.request.scope).await?;
        let agreement = needs_agreement(&client, &identity_items(&asked.identity));
        if agreement && !answer.identity_agreement {
            return Ok(Outcome::AgreementMissing);
        }
        if agreement {
            s.record(
                Event::new(EventCode::FcConsentIdentity)
                    .login(&login)
                    .client(&client.client_id, &client.name)
                    .session(&session.data.trace),
            )
            .await;
        }
        let trust = answer.trust_device;
        if let Some(i) = session.data.interactions.get_mut(id) {
            i.trust_device = trust;
        }
        let i = Interaction {
            trust_device: trust,
            ..i
        };
        if !asked.data.is_empty() {
            if let Some(i) = session.data.interactions.get_mut(id) {
                i.confirmed = true;
            }
            return Ok(Outcome::Consent);
        }
        s.finish_login(session, &i, &client, &login, asked.identity, &[], device)
            .await
    }

    /// Issues the code for `scope` (what the citizen granted): back to the
    /// service, unless the account or provider was blocked meanwhile.
    ///
    /// # Errors
    /// Storage failures.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn finish_login(
        &self,
        session: &mut Session,
        i: &Interaction,
        client: &ClientRecord,
        login: &SsoLogin,
        scope: ScopeSet,
        shared: &[DataRequest],
        device: &mut Device,
    ) -> Result<Outcome, BrokerError> {
        let s = self;
        // An SSO login may outlive an operator's or the citizen's decision.
        let account = match s.account_gate(login, &session.data.trace).await? {
            Ok(account) => account,
            Err(refusal) => {
                if let Some(i) = session.data.interactions.get_mut(&i.id) {
                    i.failure = Some(OAuthError::new(
                        OAuthErrorCode::AccessDenied,
                        refusal.description(),
                    ));
                }
                session.data.sso = None;
                return Ok(Outcome::Refused(refusal.page(&s.cfg.platform_name)));
            }
        };
        let (code, grant_id) = s.issue_code(client, &i.request, login, scope).await?;
        let reference = s
            .record(
                Event::new(EventCode::FcRedirectedToSp)
                    .login(login)
                    .client(&client.client_id, &client.name)
                    .data(shared)
                    .session(&session.data.trace),
            )
            .await;
        session.data.interactions.remove(&i.id);
        session.data.remember_grant(grant_id);
        s.alert_after_login(
            device,
            session,
            Finished {
                client,
                login,
                reference: &reference,
                trust_device: i.trust_device,
                preferences: &account.preferences,
            },
        )
        .await;
        let to = client_url(
            &i.request.redirect_uri,
            &[
                ("code", &code),
                ("state", &i.request.state),
                ("iss", &s.cfg.issuer),
            ],
        );
        tracing::info!(client = %client.client_id, fi = %login.fi_id, "login completed");
        Ok(Outcome::Return {
            url: to,
            success: true,
        })
    }
}

/// `GET /interaction/{id}/not-me`: "Ce n'est pas vous ?" — forgets the FI
/// login so that the citizen can choose another account.
pub async fn not_me(
    State(s): State<AppState>,
    jar: SignedCookieJar,
    Path(id): Path<String>,
) -> Result<Response, BrokerError> {
    let mut session = s.load_session(&jar).await?;
    let i = interaction(&s, &session, &id)?;
    if let Some(login) = session.data.sso.as_ref().filter(|_| i.authenticated) {
        session.data.report_context = Some(ReportContext {
            identity_hash: login_hash(login),
            fi_id: login.fi_id.clone(),
            client_name: i.client_name.clone(),
            at: s.now(),
        });
    }
    session.data.sso = None;
    if let Some(i) = session.data.interactions.get_mut(&id) {
        i.authenticated = false;
        i.confirmed = false;
        i.fi = None;
    }
    let jar = s.save_session(jar, &session).await?;
    let html = s.templates.render(
        "broker/not_me.html",
        minijinja::context! { lang => "fr", site_name => s.cfg.platform_name, interaction_id => id },
    )?;
    Ok((jar, html).into_response())
}
