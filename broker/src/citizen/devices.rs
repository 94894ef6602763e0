//! The citizen's devices as the space shows them: list, trust this one,
//! forget one.

use axum::http::HeaderMap;
use axum_extra::extract::SignedCookieJar;
use pivot_proto::citizen::{DeviceView, EventCode};

use crate::{
    citizen::{
        device::{APP_DEVICE_LABEL, device_label},
        events::Event,
        space::Citizen,
    },
    error::BrokerError,
    state::AppState,
};

impl AppState {
    /// The citizen's devices, most recently used first.
    ///
    /// # Errors
    /// On storage failure.
    pub async fn device_views(&self, c: &Citizen) -> Result<Vec<DeviceView>, BrokerError> {
        let now = self.now();
        Ok(self
            .store
            .devices(&c.identity_hash)
            .await?
            .into_iter()
            .map(|d| DeviceView {
                current: c.device_id.as_deref() == Some(d.device_id.as_str()),
                id: d.device_id,
                label: d.label,
                first_seen: d.first_seen,
                last_seen: d.last_seen,
                trusted_until: d.trusted_until.filter(|t| *t > now),
            })
            .collect())
    }

    /// Trusts this browser for the citizen (90 days without alerts).
    ///
    /// # Errors
    /// On storage failure.
    pub async fn trust_this_device(
        &self,
        jar: SignedCookieJar,
        c: &Citizen,
        headers: &HeaderMap,
    ) -> Result<SignedCookieJar, BrokerError> {
        let jar = self
            .note_device(jar, &c.identity_hash, device_label(headers), true)
            .await?;
        self.record(
            Event::new(EventCode::FcDeviceChanged)
                .identity_hash(&c.identity_hash)
                .details("trusted"),
        )
        .await;
        Ok(jar)
    }

    /// Trusts the app the citizen uses now (the device of its key, from the
    /// token): 90 days without alerts. `None` when the token is not an
    /// app's (not bound to a key).
    ///
    /// # Errors
    /// On storage failure.
    pub async fn trust_app_device(&self, c: &Citizen) -> Result<Option<DeviceView>, BrokerError> {
        let Some(device_id) = c.device_id.as_deref().filter(|d| d.starts_with("app-")) else {
            return Ok(None);
        };
        self.put_device_row(
            device_id,
            &c.identity_hash,
            APP_DEVICE_LABEL.to_owned(),
            true,
        )
        .await?;
        self.record(
            Event::new(EventCode::FcDeviceChanged)
                .identity_hash(&c.identity_hash)
                .details("trusted"),
        )
        .await;
        Ok(self
            .device_views(c)
            .await?
            .into_iter()
            .find(|d| d.id == device_id))
    }

    /// Forgets a device of the citizen: its next login alerts again.
    /// `false` when it was not theirs.
    ///
    /// # Errors
    /// On storage failure.
    pub async fn forget_device(&self, c: &Citizen, device_id: &str) -> Result<bool, BrokerError> {
        let done = self
            .store
            .delete_device(&c.identity_hash, device_id)
            .await?;
        if done {
            self.record(
                Event::new(EventCode::FcDeviceChanged)
                    .identity_hash(&c.identity_hash)
                    .details("forgotten"),
            )
            .await;
        }
        Ok(done)
    }
}
