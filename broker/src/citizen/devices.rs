//! The citizen's devices as the space shows them: list, trust this one,
//! forget one.

use axum::http::HeaderMap;
use axum_extra::extract::SignedCookieJar;
use pivot_proto::citizen::{DeviceView, EventCode};

use crate::{
    citizen::{device::device_label, events::Event, space::Citizen},
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
