//! The citizen space: event codes of the connection history, history
//! entries, preferences, trusted devices and fraud reports — the types of
//! the broker's citizen-space JSON API, shared with the app.
//!
//! With the `openapi` feature, every API type derives `utoipa::ToSchema` so
//! the broker can publish an OpenAPI document.

use serde::{Deserialize, Serialize};

use crate::eidas::Eidas;

/// The scope that gives an access token the citizen-space API.
pub const CITIZEN_SPACE_SCOPE: &str = "citizen_space";

/// How far back a citizen sees their history (183 days: six months).
pub const HISTORY_WINDOW_SECS: i64 = 183 * 24 * 3600;

/// How long a device stays trusted after the citizen trusts it (90 days).
pub const TRUSTED_DEVICE_SECS: i64 = 90 * 24 * 3600;

/// How many identities one device remembers at most.
pub const MAX_DEVICE_IDENTITIES: usize = 3;

/// Longest accepted fraud-report message.
pub const MAX_REPORT_MESSAGE: usize = 4000;

/// Every step of a login and of the use of its tokens, with a stable code
/// (the codes are part of the operators' interface: never renamed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventCode {
    /// A service sent the citizen to `/authorize` (valid request).
    FcAuthorizeInitiated,
    /// The citizen chose an identity provider.
    FcIdpChosen,
    /// The identity provider's identity was checked (civil registry).
    FcVerified,
    /// A login was refused (disabled account, blocked provider, registry).
    FcLoginRefused,
    /// The citizen agreed to share their identity with a private service.
    FcConsentIdentity,
    /// The citizen decided which data a service may obtain.
    FcConsentData,
    /// The code was issued and the citizen sent back to the service: the
    /// connection the citizen sees in the history.
    FcRedirectedToSp,
    /// The service read userinfo.
    SpRequestedUserinfo,
    /// A data provider checked a token of the citizen (active answer).
    FdCheckedToken,
    /// The citizen logged out.
    FcSessionTerminated,
    /// A connection alert e-mail was queued.
    FcAlertQueued,
    /// The citizen changed their preferences.
    FcPreferencesChanged,
    /// The citizen trusted or forgot a device.
    FcDeviceChanged,
    /// The citizen reported a connection that was not theirs.
    FcFraudReported,
}

impl EventCode {
    /// Every code.
    pub const ALL: [EventCode; 14] = [
        Self::FcAuthorizeInitiated,
        Self::FcIdpChosen,
        Self::FcVerified,
        Self::FcLoginRefused,
        Self::FcConsentIdentity,
        Self::FcConsentData,
        Self::FcRedirectedToSp,
        Self::SpRequestedUserinfo,
        Self::FdCheckedToken,
        Self::FcSessionTerminated,
        Self::FcAlertQueued,
        Self::FcPreferencesChanged,
        Self::FcDeviceChanged,
        Self::FcFraudReported,
    ];

    /// The stored code.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FcAuthorizeInitiated => "FC_AUTHORIZE_INITIATED",
            Self::FcIdpChosen => "FC_IDP_CHOSEN",
            Self::FcVerified => "FC_VERIFIED",
            Self::FcLoginRefused => "FC_LOGIN_REFUSED",
            Self::FcConsentIdentity => "FC_CONSENT_IDENTITY",
            Self::FcConsentData => "FC_CONSENT_DATA",
            Self::FcRedirectedToSp => "FC_REDIRECTED_TO_SP",
            Self::SpRequestedUserinfo => "SP_REQUESTED_USERINFO",
            Self::FdCheckedToken => "FD_CHECKED_TOKEN",
            Self::FcSessionTerminated => "FC_SESSION_TERMINATED",
            Self::FcAlertQueued => "FC_ALERT_QUEUED",
            Self::FcPreferencesChanged => "FC_PREFERENCES_CHANGED",
            Self::FcDeviceChanged => "FC_DEVICE_CHANGED",
            Self::FcFraudReported => "FC_FRAUD_REPORTED",
        }
    }

    /// Parses a stored code.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The kind of history entry the citizen sees for this code, if any.
    #[must_use]
    pub fn history_kind(self) -> Option<HistoryKind> {
        match self {
            Self::FcRedirectedToSp => Some(HistoryKind::Connection),
            Self::FdCheckedToken => Some(HistoryKind::DataCheck),
            _ => None,
        }
    }
}

impl std::fmt::Display for EventCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a history entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HistoryKind {
    /// A connection to a service.
    Connection,
    /// A data provider checked a service's token to answer it.
    DataCheck,
}

impl HistoryKind {
    /// The event code behind this kind.
    #[must_use]
    pub fn code(self) -> EventCode {
        match self {
            Self::Connection => EventCode::FcRedirectedToSp,
            Self::DataCheck => EventCode::FdCheckedToken,
        }
    }
}

/// A datum shared with a service, as the citizen sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharedDatum {
    /// The scope, e.g. `dgfip_rfr`.
    pub scope: String,
    /// Its French label.
    pub label: String,
    /// The data provider's name.
    pub provider: String,
}

/// One line of the citizen's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    /// Stable reference (quoted in a fraud report).
    pub reference: String,
    /// Connection or data check.
    pub kind: HistoryKind,
    /// When (Unix seconds).
    pub at: i64,
    /// The service's name.
    pub service: String,
    /// The identity provider's name (connections).
    pub identity_provider: Option<String>,
    /// The level of the login.
    pub acr: Option<Eidas>,
    /// Connections: the data the citizen agreed to share; data checks: the
    /// data the provider was allowed to answer with.
    pub data: Vec<SharedDatum>,
    /// Data checks: the data provider's name.
    pub data_provider: Option<String>,
}

/// A page of history, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryPage {
    /// The entries.
    pub entries: Vec<HistoryEntry>,
    /// The oldest time covered (now − six months).
    pub since: i64,
}

/// The citizen's preferences.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Preferences {
    /// Identity providers the citizen blocked (ids).
    #[serde(default)]
    pub blocked_fis: Vec<String>,
    /// Whether connection alerts are e-mailed on devices that are neither
    /// new nor trusted (a device new to the citizen always gets one).
    #[serde(default = "yes")]
    pub connection_alerts: bool,
}

fn yes() -> bool {
    true
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            blocked_fis: Vec::new(),
            connection_alerts: true,
        }
    }
}

impl Preferences {
    /// Whether the citizen blocked `fi_id`.
    #[must_use]
    pub fn blocks(&self, fi_id: &str) -> bool {
        self.blocked_fis.iter().any(|b| b == fi_id)
    }
}

/// An identity provider in the preferences.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FiPreference {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Blocked by the citizen.
    pub blocked: bool,
    /// The provider of the current login (cannot be blocked).
    pub in_use: bool,
}

/// The preferences as the API shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreferencesView {
    /// Every identity provider, with its state.
    pub identity_providers: Vec<FiPreference>,
    /// Whether connection alerts are on.
    pub connection_alerts: bool,
}

/// A change of preferences (absent members are left as they are).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreferencesUpdate {
    /// The full list of blocked providers.
    #[serde(default)]
    pub blocked_fis: Option<Vec<String>>,
    /// Connection alerts on or off.
    #[serde(default)]
    pub connection_alerts: Option<bool>,
}

/// A device that logged the citizen in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceView {
    /// Its id.
    pub id: String,
    /// A short description ("Firefox sur Linux").
    pub label: String,
    /// First login from it.
    pub first_seen: i64,
    /// Latest login from it.
    pub last_seen: i64,
    /// Trusted until then (no alert), if trusted.
    pub trusted_until: Option<i64>,
    /// The device of this request.
    pub current: bool,
}

/// A fraud report ("Ce n'est pas vous ?", "Signaler").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FraudReportRequest {
    /// The history entry concerned, if any.
    #[serde(default)]
    pub reference: Option<String>,
    /// Where support can answer.
    pub contact_email: String,
    /// What happened.
    pub message: String,
}

/// Why a fraud report is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FraudReportError {
    /// The contact address is not an e-mail address.
    #[error("l'adresse de contact n'est pas une adresse électronique valide")]
    Contact,
    /// The message is empty or too long.
    #[error("le message doit compter entre 1 et 4000 caractères")]
    Message,
}

impl FraudReportRequest {
    /// Checks the contact address and the message.
    ///
    /// # Errors
    /// [`FraudReportError`] when either is unusable.
    pub fn validate(&self) -> Result<(), FraudReportError> {
        if !crate::identity::is_plausible_email(self.contact_email.trim()) {
            return Err(FraudReportError::Contact);
        }
        let len = self.message.trim().chars().count();
        if len == 0 || len > MAX_REPORT_MESSAGE {
            return Err(FraudReportError::Message);
        }
        Ok(())
    }
}

/// The acknowledgement of a fraud report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FraudReportAck {
    /// The report's reference, to quote to support.
    pub reference: String,
    /// When it was received.
    pub received_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_stable() {
        for c in EventCode::ALL {
            assert_eq!(EventCode::parse(c.as_str()), Some(c));
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::Value::from(c.as_str())
            );
        }
        assert_eq!(EventCode::FcRedirectedToSp.as_str(), "FC_REDIRECTED_TO_SP");
        assert_eq!(EventCode::parse("nope"), None);
    }

    #[test]
    fn only_connections_and_data_checks_reach_the_history() {
        let visible: Vec<_> = EventCode::ALL
            .into_iter()
            .filter(|c| c.history_kind().is_some())
            .collect();
        assert_eq!(
            visible,
            [EventCode::FcRedirectedToSp, EventCode::FdCheckedToken]
        );
        assert_eq!(HistoryKind::DataCheck.code(), EventCode::FdCheckedToken);
    }

    #[test]
    fn preferences_default_to_alerts_on_and_nothing_blocked() {
        let p: Preferences = serde_json::from_str("{}").unwrap();
        assert_eq!(p, Preferences::default());
        assert!(p.connection_alerts);
        assert!(!p.blocks("impots"));
    }

    #[test]
    fn fraud_reports_need_a_contact_and_a_message() {
        let mut r = FraudReportRequest {
            reference: None,
            contact_email: "angela@example.fr".into(),
            message: "Je ne me suis pas connectée.".into(),
        };
        assert_eq!(r.validate(), Ok(()));
        r.contact_email = "pas une adresse".into();
        assert_eq!(r.validate(), Err(FraudReportError::Contact));
        r.contact_email = "angela@example.fr".into();
        r.message = "   ".into();
        assert_eq!(r.validate(), Err(FraudReportError::Message));
        r.message = "x".repeat(MAX_REPORT_MESSAGE + 1);
        assert_eq!(r.validate(), Err(FraudReportError::Message));
    }
}
