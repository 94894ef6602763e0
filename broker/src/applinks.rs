//! App links: the files that let the citizen app open the broker's
//! `/authorize` links on mobile (Android `assetlinks.json`, Apple
//! `apple-app-site-association`), served from `/.well-known/` when the
//! `[app_links]` section names the app.

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::state::AppState;

/// `[app_links]`: the citizen app's identities on the mobile platforms.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppLinksConfig {
    /// The Android package, e.g. `fr.gouv.pivot`.
    #[serde(default)]
    pub android_package: Option<String>,
    /// SHA-256 fingerprints of the Android signing certificates
    /// (`AA:BB:…`).
    #[serde(default)]
    pub android_sha256_cert_fingerprints: Vec<String>,
    /// Apple app ids (`TEAMID.bundle.id`).
    #[serde(default)]
    pub apple_app_ids: Vec<String>,
    /// Offer "Continuer avec l'application" on the chooser: a
    /// `pivot://authorize` link naming this broker (`iss`), which the
    /// desktop app follows when it trusts this broker.
    #[serde(default)]
    pub desktop_link: bool,
}

/// The paths the app opens: authorization requests only.
pub const APP_LINK_PATHS: &[&str] = &["/api/v2/authorize"];

fn not_configured() -> Response {
    (StatusCode::NOT_FOUND, "no app is associated with this site").into_response()
}

/// `GET /.well-known/assetlinks.json`
pub async fn assetlinks(State(s): State<AppState>) -> Response {
    let Some(cfg) = &s.cfg.app_links else {
        return not_configured();
    };
    let Some(package) = &cfg.android_package else {
        return not_configured();
    };
    Json(json!([{
        "relation": ["delegate_permission/common.handle_all_urls"],
        "target": {
            "namespace": "android_app",
            "package_name": package,
            "sha256_cert_fingerprints": cfg.android_sha256_cert_fingerprints,
        }
    }]))
    .into_response()
}

/// `GET /.well-known/apple-app-site-association`
pub async fn apple_app_site_association(State(s): State<AppState>) -> Response {
    let Some(cfg) = s
        .cfg
        .app_links
        .as_ref()
        .filter(|c| !c.apple_app_ids.is_empty())
    else {
        return not_configured();
    };
    let components: Vec<_> = APP_LINK_PATHS
        .iter()
        .map(|p| json!({ "/": p, "comment": "authorization requests open the app" }))
        .collect();
    Json(json!({
        "applinks": {
            "details": [{ "appIDs": cfg.apple_app_ids, "components": components }]
        }
    }))
    .into_response()
}
