//! Arguments of the Tauri commands. The login's views and answers are
//! `pivot_proto::interaction`'s (the broker's JSON twin of its login
//! pages); the citizen-space types come from `pivot_proto::citizen`.

use serde::{Deserialize, Serialize};

pub use pivot_proto::interaction::{FiOption, IdentitySummary, InteractionView, Step};

/// The citizen's session in "Mon espace", as `sign_in` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The given names to greet the citizen with, if known.
    #[serde(default)]
    pub given_name: Option<String>,
}

/// Arguments of the login commands that need only the login's id
/// (`interaction`, `open_fi_login`, `retry_registry`, `cancel`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InteractionArgs {
    /// The login (the view's `id`).
    pub interaction_id: String,
}

/// Arguments of `choose_fi`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChooseFiArgs {
    /// The login.
    pub interaction_id: String,
    /// The chosen identity provider.
    pub fi_id: String,
}

/// Arguments of `confirm`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmArgs {
    /// The login.
    pub interaction_id: String,
    /// The citizen agrees to share their identity with a private service.
    pub identity_agreement: bool,
    /// Trust this device.
    pub trust_device: bool,
}

/// Arguments of `consent`: exactly the scopes the citizen agreed to share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentArgs {
    /// The login.
    pub interaction_id: String,
    /// The accepted scopes (empty: the citizen refused every datum).
    pub accepted: Vec<String>,
}

/// Arguments of `forget_device`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceArgs {
    /// The device.
    pub device_id: String,
}
