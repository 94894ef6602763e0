//! The connection alert: after each login, at most once per service per
//! browser session, an e-mail to the address the identity provider gave.
//! Skipped on a device the citizen trusts, always sent from a device new
//! to the citizen (whatever their preference), else as they chose.

use pivot_proto::citizen::{EventCode, Preferences};

use crate::{
    citizen::{
        device::{Device, DeviceStatus},
        events::{Event, login_hash},
    },
    error::BrokerError,
    session::{Session, SsoLogin},
    state::AppState,
    storage::ClientRecord,
};

/// What to do about the alert of one login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertDecision {
    /// Send it; `new_device` says why it is forced.
    Send {
        /// The device is new to the citizen.
        new_device: bool,
    },
    /// This session already alerted for this service.
    AlreadySent,
    /// The device is trusted.
    Trusted,
    /// The citizen turned alerts off (and the device is not new).
    TurnedOff,
}

/// The rules, in order: once per service per session; a new device always
/// alerts; a trusted one never; otherwise the citizen's preference.
#[must_use]
pub fn decide(status: &DeviceStatus, prefs: &Preferences, already_sent: bool) -> AlertDecision {
    if already_sent {
        return AlertDecision::AlreadySent;
    }
    match status {
        DeviceStatus::New => AlertDecision::Send { new_device: true },
        DeviceStatus::Trusted(_) => AlertDecision::Trusted,
        DeviceStatus::Known(_) if !prefs.connection_alerts => AlertDecision::TurnedOff,
        DeviceStatus::Known(_) => AlertDecision::Send { new_device: false },
    }
}

/// One finished login, for its alert.
#[derive(Debug)]
pub struct Finished<'a> {
    /// The service.
    pub client: &'a ClientRecord,
    /// The login.
    pub login: &'a SsoLogin,
    /// The connection's history reference.
    pub reference: &'a str,
    /// The citizen ticked "trust this device".
    pub trust_device: bool,
    /// The citizen's preferences (read by the login gate just before).
    pub preferences: &'a Preferences,
}

impl AppState {
    /// Decides and queues the alert of a finished login, and records this
    /// browser as one of the citizen's devices. Never fails the login:
    /// errors are logged.
    pub async fn alert_after_login(
        &self,
        device: &mut Device,
        session: &mut Session,
        f: Finished<'_>,
    ) {
        if let Err(e) = self.try_alert(device, session, f).await {
            tracing::error!(error = %e, "connection alert not handled");
        }
    }

    async fn try_alert(
        &self,
        device: &mut Device,
        session: &mut Session,
        f: Finished<'_>,
    ) -> Result<(), BrokerError> {
        let hash = login_hash(f.login);
        let status = self.status_of(device, &hash).await?;
        let already = session.data.alerted.contains(&f.client.entity_id);
        let decision = decide(&status, f.preferences, already);
        tracing::info!(client = %f.client.client_id, ?decision, "connection alert");
        if let AlertDecision::Send { new_device } = decision {
            self.queue_alert(f.login, &f.client.name, f.reference, new_device)
                .await;
            self.record(
                Event::new(EventCode::FcAlertQueued)
                    .login(f.login)
                    .client(&f.client.client_id, &f.client.name)
                    .session(&session.data.trace)
                    .details(if new_device { "new device" } else { "alert" }),
            )
            .await;
            session.data.alerted.push(f.client.entity_id.clone());
        }
        self.note(device, &hash, f.trust_device).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::DeviceRecord;

    fn row() -> DeviceRecord {
        DeviceRecord {
            device_id: "d".into(),
            identity_hash: "h".into(),
            label: "Firefox sur Linux".into(),
            first_seen: 0,
            last_seen: 0,
            trusted_until: None,
        }
    }

    #[test]
    fn new_devices_always_alert_trusted_never() {
        let off = Preferences {
            connection_alerts: false,
            ..Preferences::default()
        };
        let on = Preferences::default();
        assert_eq!(
            decide(&DeviceStatus::New, &off, false),
            AlertDecision::Send { new_device: true }
        );
        assert_eq!(
            decide(&DeviceStatus::Trusted(row()), &on, false),
            AlertDecision::Trusted
        );
        assert_eq!(
            decide(&DeviceStatus::Known(row()), &on, false),
            AlertDecision::Send { new_device: false }
        );
        assert_eq!(
            decide(&DeviceStatus::Known(row()), &off, false),
            AlertDecision::TurnedOff
        );
        assert_eq!(
            decide(&DeviceStatus::New, &on, true),
            AlertDecision::AlreadySent
        );
    }
}
