//! The JSON twin of the broker's login pages, used by the citizen app.
//!
//! A service's login request reaches the app by deep link; the app then runs
//! the same steps the web pages run — identity-provider choice, the login at
//! the provider, confirmation, data consent — through these endpoints, and
//! finally hands [`Step::Return`]'s URL back to the browser.
//!
//! Every request carries a DPoP proof (RFC 9449) made with the app's device
//! key: the broker keeps one app session per key (the web pages' cookie),
//! so that only the device that started a login can carry it on. No access
//! token is needed: like the web pages, this is where a login starts.
//!
//! | Method and path | Body | Answer |
//! |---|---|---|
//! | `POST /api/v2/app/interactions` | the authorization request, form-encoded | [`InteractionView`] (201) |
//! | `GET /api/v2/app/interactions/{id}` | | [`InteractionView`] |
//! | `POST …/{id}/fi` | [`ChooseFi`] | [`InteractionView`] ([`Step::FiLogin`]) |
//! | `POST …/{id}/fi/callback` | [`FiCallback`] | [`InteractionView`] |
//! | `POST …/{id}/registry/retry` | | [`InteractionView`] |
//! | `POST …/{id}/confirm` | [`ConfirmAnswer`] | [`InteractionView`] |
//! | `POST …/{id}/consent` | [`ConsentAnswer`] | [`InteractionView`] ([`Step::Return`]) |
//! | `POST …/{id}/cancel` | | [`InteractionView`] ([`Step::Return`]) |
//!
//! Errors are JSON [`InteractionError`]s with a French message to show.
//!
//! At a provider whose login is the ID card ([`LoginMethod::Card`]), the
//! app talks to the provider itself between [`Step::FiLogin`] and the
//! callback: see [`crate::card_auth`].

use serde::{Deserialize, Serialize};

use crate::{data::DataRequest, eidas::Eidas};

/// Where the app's interactions live on a broker.
pub const APP_INTERACTIONS_PATH: &str = "/api/v2/app/interactions";

/// A service's login as the app shows it: who asks, at which level, for
/// what, and the current step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractionView {
    /// The interaction's id, in the endpoints' paths.
    pub id: String,
    /// The service that asks.
    pub service: ServiceView,
    /// The level of assurance it requires.
    pub level: Eidas,
    /// The identity data it will receive, in French ("Nom de naissance"…).
    pub identity_items: Vec<String>,
    /// The data it asks from data providers, each with its provider.
    pub data: Vec<DataRequest>,
    /// What the citizen does now.
    #[serde(flatten)]
    pub step: Step,
}

/// The service of a login.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceView {
    /// Its `client_id`.
    pub client_id: String,
    /// Its name.
    pub name: String,
    /// A public administration (no identity agreement needed) rather than a
    /// private company.
    pub public_service: bool,
}

/// The steps of a login, as a state machine: each answer gives the next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// Choose an identity provider.
    ChooseFi {
        /// The providers this service accepts, the citizen has not blocked.
        identity_providers: Vec<FiOption>,
        /// Why the citizen is back here (a provider that failed), in French.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notice: Option<String>,
    },
    /// Log in at the provider. With [`LoginMethod::Web`]: open
    /// `authorization_url` in a web view; when it navigates to an address
    /// starting with `callback_url`, stop there and send that address's
    /// query as a [`FiCallback`]. With [`LoginMethod::Card`]: run the card
    /// login of [`crate::card_auth`] from `authorization_url`, and send the
    /// provider's final redirect the same way.
    FiLogin {
        /// The provider.
        fi_id: String,
        /// Its name.
        fi_name: String,
        /// Where the login starts.
        authorization_url: String,
        /// The broker's callback address, where the provider sends the
        /// citizen back.
        callback_url: String,
        /// How the provider authenticates the citizen.
        #[serde(default)]
        method: LoginMethod,
    },
    /// The civil registry did not answer: retry in a moment.
    RegistryUnavailable {
        /// The provider the citizen logged in with.
        fi_name: String,
        /// Seconds to wait before retrying.
        retry_after_secs: u32,
    },
    /// Check the identity and continue.
    Confirm {
        /// Who logged in.
        identity: IdentitySummary,
        /// The provider used.
        fi_name: String,
        /// A private service receives identity data: the citizen must agree
        /// explicitly ([`ConfirmAnswer::identity_agreement`]).
        agreement_required: bool,
    },
    /// Accept or refuse each datum of [`InteractionView::data`].
    Consent,
    /// The login cannot go on (civil registry, blocked account or provider):
    /// explain, then return to the service with [`Step::Return`] through
    /// `cancel`.
    Refused {
        /// Stable code of the reason (`Y010001`…).
        code: String,
        /// Title, in French.
        title: String,
        /// What happened and what to do, in French.
        message: String,
    },
    /// Over: open `redirect_url` in the browser the service runs in.
    Return {
        /// The service's redirect URI with the code, or with an OAuth error.
        redirect_url: String,
        /// Whether the service gets a code (`false`: an OAuth error).
        success: bool,
    },
}

/// How an identity provider authenticates the citizen, and so how the app
/// runs [`Step::FiLogin`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginMethod {
    /// The provider's own pages, in a web view (password, one-time code…).
    #[default]
    Web,
    /// The citizen's ID card signs the provider's challenge
    /// ([`crate::card_auth`]): no web view.
    Card,
}

/// An identity provider offered for a login.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiOption {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// It meets the requested level (otherwise shown greyed out).
    pub available: bool,
}

/// The identity on the confirmation step, as the service will receive it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentitySummary {
    /// Given names.
    pub given_name: String,
    /// Family name, in capitals.
    pub family_name: String,
    /// "née" rather than "né".
    pub female: bool,
    /// Birth date as French pages write it (`24/08/1962`).
    pub birthdate: String,
    /// Birth place and country, named ("Paris 14e Arrondissement, FRANCE").
    pub birthplace: String,
}

/// Body of `POST …/{id}/fi`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChooseFi {
    /// The chosen provider's id.
    pub fi: String,
}

/// Body of `POST …/{id}/fi/callback`: the query of the provider's redirect
/// to the broker's callback, as the web view saw it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiCallback {
    /// `code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// `state`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `iss` (RFC 9207).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl FiCallback {
    /// Reads the callback's query parameters from a URL (unknown ones are
    /// ignored, the first of a repeated one is kept).
    #[must_use]
    pub fn from_url(url: &url::Url) -> FiCallback {
        let mut out = FiCallback::default();
        for (k, v) in url.query_pairs() {
            let slot = match k.as_ref() {
                "code" => &mut out.code,
                "state" => &mut out.state,
                "iss" => &mut out.iss,
                "error" => &mut out.error,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(v.into_owned());
            }
        }
        out
    }
}

/// Body of `POST …/{id}/confirm`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmAnswer {
    /// The citizen agrees to share their identity with a private service.
    #[serde(default)]
    pub identity_agreement: bool,
    /// Trust this device: no connection alert from it for 90 days.
    #[serde(default)]
    pub trust_device: bool,
}

/// Body of `POST …/{id}/consent`: exactly the data scopes the citizen
/// accepts (empty: every datum refused; the login goes on without data).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentAnswer {
    /// The accepted scopes.
    pub accepted: Vec<String>,
}

/// An error of the app's interaction endpoints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractionError {
    /// Stable code: `interaction_expired`, `invalid_request`,
    /// `invalid_dpop_proof`, `unknown_client`, `wrong_step`…
    pub error: String,
    /// What happened, in French, to show as is.
    pub message: String,
    /// When the service must hear of it: its redirect URI with an OAuth
    /// error, to hand back to the browser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_tagged() {
        let v = InteractionView {
            id: "i1".into(),
            service: ServiceView {
                client_id: "c".into(),
                name: "Service".into(),
                public_service: true,
            },
            level: Eidas::Eidas1,
            identity_items: vec!["Prénoms".into()],
            data: vec![],
            step: Step::Return {
                redirect_url: "https://fs.example/cb?code=x".into(),
                success: true,
            },
        };
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["step"], "return");
        assert_eq!(json["redirect_url"], "https://fs.example/cb?code=x");
        assert_eq!(json["level"], "eidas1");
        let back: InteractionView = serde_json::from_value(json).unwrap();
        assert_eq!(back, v);
        let consent = serde_json::to_value(Step::Consent).unwrap();
        assert_eq!(consent, serde_json::json!({"step": "consent"}));
    }

    #[test]
    fn the_login_method_defaults_to_the_web_view() {
        let json = serde_json::json!({
            "step": "fi_login",
            "fi_id": "impots",
            "fi_name": "impots.gouv.fr",
            "authorization_url": "https://fi.example/authorize",
            "callback_url": "https://pivot.example/api/v2/fi/callback",
        });
        let step: Step = serde_json::from_value(json).unwrap();
        assert!(matches!(
            step,
            Step::FiLogin {
                method: LoginMethod::Web,
                ..
            }
        ));
        let card = Step::FiLogin {
            fi_id: "france-identite".into(),
            fi_name: "France Identité".into(),
            authorization_url: "https://fi.example/authorize".into(),
            callback_url: "https://pivot.example/api/v2/fi/callback".into(),
            method: LoginMethod::Card,
        };
        assert_eq!(serde_json::to_value(&card).unwrap()["method"], "card");
    }

    #[test]
    fn callback_from_url_keeps_known_parameters_once() {
        let url = url::Url::parse(
            "http://127.0.0.1:7000/api/v2/fi/callback?code=a&state=s&state=t&iss=i&x=y",
        )
        .unwrap();
        let cb = FiCallback::from_url(&url);
        assert_eq!(cb.code.as_deref(), Some("a"));
        assert_eq!(cb.state.as_deref(), Some("s"));
        assert_eq!(cb.iss.as_deref(), Some("i"));
        assert_eq!(cb.error, None);
    }
}
