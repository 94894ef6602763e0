//! Types of the Tauri commands that `pivot-proto` does not define yet: the
//! login a service asked for, the identity providers offered for it, and
//! the results of the login steps. The citizen-space types (history,
//! preferences, devices, fraud reports) come from `pivot_proto::citizen`.

use pivot_proto::data::DataRequest;
use pivot_proto::eidas::Eidas;
use serde::{Deserialize, Serialize};

/// The citizen's session in "Mon espace", as `sign_in` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The given names to greet the citizen with, if known.
    #[serde(default)]
    pub given_name: Option<String>,
}

/// An identity provider offered for a login.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiChoice {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Blocked by the citizen in their preferences (shown, not selectable).
    #[serde(default)]
    pub blocked: bool,
}

/// A service's login request, shown before any identity-provider step:
/// who asks, for which level, and which data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRequest {
    /// The broker's interaction id.
    pub id: String,
    /// The service's name.
    pub service: String,
    /// The level of assurance the service requires.
    pub level: Eidas,
    /// The data the service asks for, each with its provider.
    #[serde(default)]
    pub data: Vec<DataRequest>,
    /// The identity providers that can meet the level.
    #[serde(default)]
    pub identity_providers: Vec<FiChoice>,
}

/// Arguments of `choose_fi`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChooseFiArgs {
    /// The interaction.
    pub request_id: String,
    /// The chosen identity provider.
    pub fi_id: String,
}

/// What follows the identity-provider login.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FiOutcome {
    /// The service asked for data: the citizen decides now.
    ConsentNeeded,
    /// Nothing to decide: the login is over.
    Done,
}

/// Arguments of `consent`: exactly the scopes the citizen agreed to share.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentArgs {
    /// The interaction.
    pub request_id: String,
    /// The granted scopes (empty: the citizen refused every datum).
    pub scopes: Vec<String>,
}

/// Arguments of `forget_device`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceArgs {
    /// The device.
    pub device_id: String,
}
