//! Devices: a long-lived cookie names the device and holds salted hashes of
//! the (at most three) identities that logged in from it; the server keeps
//! a row per device and citizen, so the citizen can list and forget their
//! devices and trust one (no connection alert for 90 days).
//!
//! The cookie alone proves nothing (it is signed, and the server row must
//! exist); the row alone does not make a browser trusted (the cookie must
//! carry the identity's salted hash).

use axum::http::{HeaderMap, header};
use axum_extra::extract::{
    SignedCookieJar,
    cookie::{Cookie, SameSite},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use pivot_proto::citizen::{MAX_DEVICE_IDENTITIES, TRUSTED_DEVICE_SECS};
use serde::{Deserialize, Serialize};

use crate::{
    crypto::{random_token, sha256_hex},
    error::BrokerError,
    state::AppState,
    storage::DeviceRecord,
};

/// What the device cookie holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCookie {
    /// The device's random id.
    pub id: String,
    /// The salt of the identity hashes.
    pub salt: String,
    /// Salted hashes of the identities seen here, most recent last.
    pub ids: Vec<String>,
}

impl DeviceCookie {
    fn fresh() -> Self {
        Self {
            id: random_token(16),
            salt: random_token(16),
            ids: Vec::new(),
        }
    }

    fn salted(&self, identity_hash: &str) -> String {
        sha256_hex(&format!("{}:{identity_hash}", self.salt))
    }

    /// Whether `identity_hash` logged in from this device.
    #[must_use]
    pub fn knows(&self, identity_hash: &str) -> bool {
        let h = self.salted(identity_hash);
        self.ids.iter().any(|i| crate::crypto::ct_eq(i, &h))
    }

    /// Remembers `identity_hash`, dropping the oldest beyond three.
    pub fn remember(&mut self, identity_hash: &str) {
        let h = self.salted(identity_hash);
        self.ids.retain(|i| *i != h);
        self.ids.push(h);
        let extra = self.ids.len().saturating_sub(MAX_DEVICE_IDENTITIES);
        self.ids.drain(..extra);
    }

    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(value: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(value).ok()?;
        let c: Self = serde_json::from_slice(&bytes).ok()?;
        (!c.id.is_empty() && !c.salt.is_empty() && c.ids.len() <= MAX_DEVICE_IDENTITIES)
            .then_some(c)
    }
}

/// How a device stands with a citizen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceStatus {
    /// Never used by this citizen (or forgotten): the alert is forced.
    New,
    /// Used before, not trusted.
    Known(DeviceRecord),
    /// Trusted by the citizen, until the row's `trusted_until`.
    Trusted(DeviceRecord),
}

/// A short French description of the browser and system.
#[must_use]
pub fn device_label(headers: &HeaderMap) -> String {
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else if ua.contains("Pivot") {
        "Application Pivot"
    } else {
        "Navigateur"
    };
    let system = if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("Linux") || ua.contains("X11") {
        "Linux"
    } else {
        "système inconnu"
    };
    format!("{browser} sur {system}")
}

/// The device a login comes from, for the alert rules: a browser (its
/// device cookie) or the citizen app (its device key: a DPoP proof made with
/// it is a stronger proof than a cookie, so the server row alone decides).
#[derive(Debug)]
pub enum Device {
    /// A browser; the jar gets the updated device cookie.
    Browser {
        /// The browser's cookies.
        jar: SignedCookieJar,
        /// Its description ([`device_label`]).
        label: String,
    },
    /// The citizen app holding the device key of thumbprint `jkt`.
    App {
        /// The key's thumbprint.
        jkt: String,
    },
}

impl Device {
    /// The browser's cookies (with the updated device cookie).
    #[must_use]
    pub fn into_jar(self) -> Option<SignedCookieJar> {
        match self {
            Device::Browser { jar, .. } => Some(jar),
            Device::App { .. } => None,
        }
    }
}

/// The label of the citizen app's devices.
pub const APP_DEVICE_LABEL: &str = "Application Pivot";

/// The device id of the citizen app holding the key of thumbprint `jkt`.
#[must_use]
pub fn app_device_id(jkt: &str) -> String {
    let h = sha256_hex(&format!("app-device:{jkt}"));
    format!("app-{}", &h[..32])
}

impl AppState {
    /// How `device` stands with the citizen `identity_hash`.
    ///
    /// # Errors
    /// On storage failure.
    pub async fn status_of(
        &self,
        device: &Device,
        identity_hash: &str,
    ) -> Result<DeviceStatus, BrokerError> {
        match device {
            Device::Browser { jar, .. } => self.device_status(jar, identity_hash).await,
            Device::App { jkt } => {
                let row = self
                    .store
                    .device(&app_device_id(jkt), identity_hash)
                    .await?;
                Ok(self.classify(row))
            }
        }
    }

    /// Records a login of `identity_hash` from `device` (and, when `trust`,
    /// trusts it for 90 days).
    ///
    /// # Errors
    /// On storage failure.
    pub async fn note(
        &self,
        device: &mut Device,
        identity_hash: &str,
        trust: bool,
    ) -> Result<(), BrokerError> {
        match device {
            Device::Browser { jar, label } => {
                *jar = self
                    .note_device(jar.clone(), identity_hash, label.clone(), trust)
                    .await?;
            }
            Device::App { jkt } => {
                self.put_device_row(
                    &app_device_id(jkt),
                    identity_hash,
                    APP_DEVICE_LABEL.to_owned(),
                    trust,
                )
                .await?;
            }
        }
        Ok(())
    }

    fn classify(&self, row: Option<DeviceRecord>) -> DeviceStatus {
        match row {
            None => DeviceStatus::New,
            Some(row) => match row.trusted_until {
                Some(until) if until > self.now() => DeviceStatus::Trusted(row),
                _ => DeviceStatus::Known(row),
            },
        }
    }

    pub(crate) async fn put_device_row(
        &self,
        device_id: &str,
        identity_hash: &str,
        label: String,
        trust: bool,
    ) -> Result<(), BrokerError> {
        let now = self.now();
        let old = self.store.device(device_id, identity_hash).await?;
        let row = DeviceRecord {
            device_id: device_id.to_owned(),
            identity_hash: identity_hash.to_owned(),
            label,
            first_seen: old.as_ref().map_or(now, |o| o.first_seen),
            last_seen: now,
            trusted_until: if trust {
                Some(now + TRUSTED_DEVICE_SECS)
            } else {
                old.and_then(|o| o.trusted_until).filter(|t| *t > now)
            },
        };
        self.store.put_device(&row).await?;
        Ok(())
    }

    fn device_cookie_name(&self) -> String {
        format!("{}_device", self.cfg.session_cookie)
    }

    /// The device cookie of this browser, if any.
    #[must_use]
    pub fn device_cookie(&self, jar: &SignedCookieJar) -> Option<DeviceCookie> {
        jar.get(&self.device_cookie_name())
            .and_then(|c| DeviceCookie::decode(c.value()))
    }

    /// How this browser stands with the citizen `identity_hash`.
    ///
    /// # Errors
    /// On storage failure.
    pub async fn device_status(
        &self,
        jar: &SignedCookieJar,
        identity_hash: &str,
    ) -> Result<DeviceStatus, BrokerError> {
        let Some(cookie) = self.device_cookie(jar).filter(|c| c.knows(identity_hash)) else {
            return Ok(DeviceStatus::New);
        };
        let row = self.store.device(&cookie.id, identity_hash).await?;
        Ok(self.classify(row))
    }

    /// Records a login of `identity_hash` from this browser (and, when
    /// `trust`, trusts it for 90 days); returns the jar with the cookie.
    ///
    /// # Errors
    /// On storage failure.
    pub async fn note_device(
        &self,
        jar: SignedCookieJar,
        identity_hash: &str,
        label: String,
        trust: bool,
    ) -> Result<SignedCookieJar, BrokerError> {
        let mut cookie = self.device_cookie(&jar).unwrap_or_else(DeviceCookie::fresh);
        self.put_device_row(&cookie.id, identity_hash, label, trust)
            .await?;
        cookie.remember(identity_hash);
        Ok(jar.add(self.build_device_cookie(&cookie)))
    }

    fn build_device_cookie(&self, c: &DeviceCookie) -> Cookie<'static> {
        Cookie::build((self.device_cookie_name(), c.encode()))
            .path("/")
            .http_only(true)
            .secure(self.cfg.secure_cookies)
            .same_site(SameSite::Lax)
            .max_age(time::Duration::seconds(TRUSTED_DEVICE_SECS))
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_at_most_three_identities_and_only_salted() {
        let mut c = DeviceCookie::fresh();
        for h in ["a", "b", "c", "d"] {
            c.remember(h);
        }
        assert_eq!(c.ids.len(), 3);
        assert!(!c.knows("a"), "the oldest identity is dropped");
        assert!(c.knows("b") && c.knows("d"));
        assert!(c.ids.iter().all(|i| i != "b"), "hashes are salted");
        c.remember("b");
        assert_eq!(c.ids.len(), 3, "no duplicates");
        let again = DeviceCookie::decode(&c.encode()).unwrap();
        assert_eq!(again, c);
        assert_eq!(DeviceCookie::decode("not base64!"), None);
    }

    #[test]
    fn labels_name_browser_and_system() {
        let mut h = HeaderMap::new();
        h.insert(
            header::USER_AGENT,
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
                .parse()
                .unwrap(),
        );
        assert_eq!(device_label(&h), "Firefox sur Linux");
        h.insert(
            header::USER_AGENT,
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36 Edg/126.0"
                .parse()
                .unwrap(),
        );
        assert_eq!(device_label(&h), "Edge sur Windows");
        assert_eq!(
            device_label(&HeaderMap::new()),
            "Navigateur sur système inconnu"
        );
    }
}
