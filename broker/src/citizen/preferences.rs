//! The citizen's preferences: which identity providers may log them in
//! (never blocking the one in use) and whether connection alerts are sent.
//! Every change is recorded and e-mailed.

use pivot_proto::citizen::{
    EventCode, FiPreference, Preferences, PreferencesUpdate, PreferencesView,
};

use crate::{
    citizen::{events::Event, space::Citizen},
    error::BrokerError,
    state::AppState,
};

/// Why a change of preferences is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreferencesError {
    /// The provider of the current login cannot be blocked.
    #[error(
        "Vous ne pouvez pas bloquer {0} : c'est le compte avec lequel vous êtes connecté. Connectez-vous avec un autre compte pour le bloquer."
    )]
    InUse(String),
    /// Not an identity provider of this platform.
    #[error("Fournisseur d'identité inconnu : {0}")]
    Unknown(String),
}

/// What changed, for the record and the e-mail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// Provider ids newly blocked.
    pub blocked: Vec<String>,
    /// Provider ids newly allowed.
    pub allowed: Vec<String>,
    /// The new alert setting, when it changed.
    pub alerts: Option<bool>,
}

impl Change {
    /// Whether anything changed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.blocked.is_empty() && self.allowed.is_empty() && self.alerts.is_none()
    }
}

/// Applies `update` to `current` for a citizen logged in with `in_use`.
///
/// # Errors
/// When blocking the provider in use or an unknown one.
pub fn apply(
    current: &Preferences,
    update: &PreferencesUpdate,
    in_use: &str,
    known: &[String],
) -> Result<(Preferences, Change), PreferencesError> {
    let mut next = current.clone();
    let mut change = Change::default();
    if let Some(blocked) = &update.blocked_fis {
        let mut wanted: Vec<String> = Vec::new();
        for id in blocked {
            if !known.contains(id) {
                return Err(PreferencesError::Unknown(id.clone()));
            }
            if id == in_use {
                return Err(PreferencesError::InUse(id.clone()));
            }
            if !wanted.contains(id) {
                wanted.push(id.clone());
            }
        }
        wanted.sort();
        change.blocked = wanted
            .iter()
            .filter(|w| !current.blocks(w))
            .cloned()
            .collect();
        change.allowed = current
            .blocked_fis
            .iter()
            .filter(|b| !wanted.contains(b))
            .cloned()
            .collect();
        next.blocked_fis = wanted;
    }
    if let Some(on) = update.connection_alerts
        && on != current.connection_alerts
    {
        next.connection_alerts = on;
        change.alerts = Some(on);
    }
    Ok((next, change))
}

impl AppState {
    fn fi_ids(&self) -> Vec<String> {
        self.fis.list().iter().map(|f| f.id.clone()).collect()
    }

    /// The citizen's preferences with every provider of the platform.
    ///
    /// # Errors
    /// On storage failure.
    pub async fn preferences_view(&self, c: &Citizen) -> Result<PreferencesView, BrokerError> {
        let prefs = self
            .store
            .account(&c.identity_hash)
            .await?
            .map(|a| a.preferences)
            .unwrap_or_default();
        Ok(PreferencesView {
            identity_providers: self
                .fis
                .list()
                .iter()
                .map(|f| FiPreference {
                    id: f.id.clone(),
                    name: f.name.clone(),
                    blocked: prefs.blocks(&f.id),
                    in_use: f.id == c.fi_id,
                })
                .collect(),
            connection_alerts: prefs.connection_alerts,
        })
    }

    /// Changes the citizen's preferences; records and e-mails the change.
    ///
    /// # Errors
    /// [`PreferencesError`] inside `Ok(Err(..))` for a refused change; storage
    /// failures as `Err`.
    pub async fn update_preferences(
        &self,
        c: &Citizen,
        update: &PreferencesUpdate,
    ) -> Result<Result<(PreferencesView, Change), PreferencesError>, BrokerError> {
        let account = self
            .store
            .touch_account(&c.identity_hash, self.now())
            .await?;
        let (next, change) = match apply(&account.preferences, update, &c.fi_id, &self.fi_ids()) {
            Ok(x) => x,
            // Shown to the citizen: the provider's name, not its id.
            Err(PreferencesError::InUse(id)) => {
                return Ok(Err(PreferencesError::InUse(self.fis.name(&id))));
            }
            Err(e) => return Ok(Err(e)),
        };
        if !change.is_empty() {
            self.store.set_preferences(&c.identity_hash, &next).await?;
            let mut details = Vec::new();
            if !change.blocked.is_empty() {
                details.push(format!("blocked {}", change.blocked.join(",")));
            }
            if !change.allowed.is_empty() {
                details.push(format!("allowed {}", change.allowed.join(",")));
            }
            if let Some(on) = change.alerts {
                details.push(format!("alerts {}", if on { "on" } else { "off" }));
            }
            self.record(
                Event::new(EventCode::FcPreferencesChanged)
                    .identity_hash(&c.identity_hash)
                    .fi(&c.fi_id)
                    .details(details.join("; ")),
            )
            .await;
            self.mail_preferences_changed(c, &change).await;
        }
        Ok(Ok((self.preferences_view(c).await?, change)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Vec<String> {
        ["impots", "ameli", "laposte"].map(String::from).to_vec()
    }

    #[test]
    fn blocks_and_allows_reporting_the_change() {
        let cur = Preferences::default();
        let up = PreferencesUpdate {
            blocked_fis: Some(vec!["laposte".into(), "ameli".into(), "ameli".into()]),
            connection_alerts: None,
        };
        let (next, change) = apply(&cur, &up, "impots", &known()).unwrap();
        assert_eq!(next.blocked_fis, ["ameli", "laposte"]);
        assert_eq!(change.blocked, ["ameli", "laposte"]);
        assert!(change.allowed.is_empty() && change.alerts.is_none());
        let up = PreferencesUpdate {
            blocked_fis: Some(vec!["ameli".into()]),
            connection_alerts: Some(false),
        };
        let (next2, change) = apply(&next, &up, "impots", &known()).unwrap();
        assert_eq!(next2.blocked_fis, ["ameli"]);
        assert_eq!(change.allowed, ["laposte"]);
        assert_eq!(change.alerts, Some(false));
        assert!(change.blocked.is_empty());
    }

    #[test]
    fn never_the_provider_in_use_nor_an_unknown_one() {
        let cur = Preferences::default();
        let up = PreferencesUpdate {
            blocked_fis: Some(vec!["impots".into()]),
            connection_alerts: None,
        };
        assert_eq!(
            apply(&cur, &up, "impots", &known()),
            Err(PreferencesError::InUse("impots".into()))
        );
        let up = PreferencesUpdate {
            blocked_fis: Some(vec!["evil".into()]),
            connection_alerts: None,
        };
        assert_eq!(
            apply(&cur, &up, "impots", &known()),
            Err(PreferencesError::Unknown("evil".into()))
        );
        let (_, change) = apply(&cur, &PreferencesUpdate::default(), "impots", &known()).unwrap();
        assert!(change.is_empty());
    }
}
