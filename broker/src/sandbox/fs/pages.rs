//! Pages of the demo service provider, and the one place where errors become
//! HTTP responses.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use super::FsSpec;
use super::error::FsError;
use super::session::LoggedIn;
use crate::web::Templates;

/// Tagline under the service name in the page header.
const TAGLINE: &str = "Service de démonstration — bac à sable Pivot";

/// One row of a claims table.
#[derive(Debug, Serialize)]
struct ClaimRow {
    name: String,
    value: String,
}

/// A claim value as shown in a table cell: strings as they are, lists of
/// strings separated by spaces (like `amr`), anything else as JSON.
fn display_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    }
}

fn rows(claims: &BTreeMap<String, Value>) -> Vec<ClaimRow> {
    claims
        .iter()
        .map(|(name, v)| ClaimRow {
            name: name.clone(),
            value: display_value(v),
        })
        .collect()
}

fn pretty(claims: &BTreeMap<String, Value>) -> String {
    serde_json::to_string_pretty(claims).unwrap_or_default()
}

/// Context shared by every page (layout variables).
#[derive(Debug, Serialize)]
struct Layout<'a> {
    site_name: &'a str,
    site_tagline: &'static str,
    lang: &'static str,
}

fn layout(spec: &FsSpec) -> Layout<'_> {
    Layout {
        site_name: &spec.name,
        site_tagline: TAGLINE,
        lang: "fr",
    }
}

/// The home page, logged out (FranceConnect button) or logged in (claims).
pub(crate) fn home(
    templates: &Templates,
    spec: &FsSpec,
    csrf: &str,
    login: Option<&LoggedIn>,
) -> Result<Response, FsError> {
    #[derive(Serialize)]
    struct Ctx<'a> {
        #[serde(flatten)]
        layout: Layout<'a>,
        csrf: &'a str,
        logged_in: bool,
        userinfo: Vec<ClaimRow>,
        id_token: Vec<ClaimRow>,
        userinfo_json: String,
        id_token_json: String,
    }
    let ctx = Ctx {
        layout: layout(spec),
        csrf,
        logged_in: login.is_some(),
        userinfo: login.map(|l| rows(&l.userinfo)).unwrap_or_default(),
        id_token: login.map(|l| rows(&l.id_token_claims)).unwrap_or_default(),
        userinfo_json: login.map(|l| pretty(&l.userinfo)).unwrap_or_default(),
        id_token_json: login
            .map(|l| pretty(&l.id_token_claims))
            .unwrap_or_default(),
    };
    Ok(templates.render("fs/home.html", ctx)?.into_response())
}

/// The page shown when the broker answered with an OAuth error.
pub(crate) fn oauth_error(
    templates: &Templates,
    spec: &FsSpec,
    error: &str,
    description: Option<&str>,
) -> Result<Response, FsError> {
    #[derive(Serialize)]
    struct Ctx<'a> {
        #[serde(flatten)]
        layout: Layout<'a>,
        error: &'a str,
        error_description: Option<&'a str>,
        message: &'static str,
    }
    let message = match error {
        "access_denied" => "Vous avez annulé la connexion ou refusé de partager vos données.",
        "login_required" => "Une nouvelle authentification est nécessaire.",
        "invalid_acr" => "Le niveau de sécurité demandé n’est pas disponible.",
        _ => "La connexion avec FranceConnect n’a pas abouti.",
    };
    let ctx = Ctx {
        layout: layout(spec),
        error,
        error_description: description,
        message,
    };
    Ok(templates
        .render("fs/oauth_error.html", ctx)?
        .into_response())
}

/// The page shown after the broker's logout.
pub(crate) fn logged_out(templates: &Templates, spec: &FsSpec) -> Result<Response, FsError> {
    Ok(templates
        .render("fs/logged_out.html", layout(spec))?
        .into_response())
}

/// Status and French message of an error page.
fn describe(err: &FsError) -> (StatusCode, &'static str) {
    match err {
        FsError::Csrf => (
            StatusCode::FORBIDDEN,
            "Le formulaire a expiré ou ne provient pas de ce site. Revenez à l’accueil et réessayez.",
        ),
        FsError::UnknownState => (
            StatusCode::BAD_REQUEST,
            "Cette réponse de connexion est inconnue, expirée ou déjà utilisée. Recommencez la connexion.",
        ),
        FsError::IssuerMismatch(_) => (
            StatusCode::BAD_REQUEST,
            "La réponse de connexion ne provient pas du fournisseur attendu : elle a été refusée.",
        ),
        FsError::MissingCode => (
            StatusCode::BAD_REQUEST,
            "La réponse de connexion est incomplète.",
        ),
        FsError::UnknownLogoutState => (
            StatusCode::BAD_REQUEST,
            "Cette réponse de déconnexion est inconnue ou déjà utilisée.",
        ),
        FsError::BrokerUnreachable(_) | FsError::MissingEndpoint(_) => (
            StatusCode::BAD_GATEWAY,
            "FranceConnect est momentanément indisponible. Réessayez dans quelques instants.",
        ),
        FsError::TokenExchange(_) | FsError::IdToken(_) | FsError::UserInfo(_) => (
            StatusCode::BAD_GATEWAY,
            "La connexion n’a pas pu être vérifiée auprès de FranceConnect. Recommencez la connexion.",
        ),
        FsError::Template(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Une erreur interne est survenue.",
        ),
    }
}

/// Turns an error into an HTTP response: a French page carrying a stable
/// code (`data-error`), with the details in the log only.
pub(crate) fn error_response(templates: &Templates, spec: &FsSpec, err: &FsError) -> Response {
    let (status, message) = describe(err);
    if status.is_server_error() {
        tracing::error!(fs = %spec.slug, error = %err, "demo service provider error");
    } else {
        tracing::warn!(fs = %spec.slug, error = %err, "demo service provider refused a request");
    }
    #[derive(Serialize)]
    struct Ctx<'a> {
        #[serde(flatten)]
        layout: Layout<'a>,
        code: &'static str,
        message: &'static str,
    }
    let ctx = Ctx {
        layout: layout(spec),
        code: err.code(),
        message,
    };
    match templates.render("fs/error.html", ctx) {
        Ok(page) => (status, page).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "error page could not be rendered");
            (status, message).into_response()
        }
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn errors_map_to_statuses() {
        let cases = [
            (FsError::Csrf, 403),
            (FsError::UnknownState, 400),
            (FsError::IssuerMismatch(None), 400),
            (FsError::MissingCode, 400),
            (FsError::UnknownLogoutState, 400),
            (FsError::BrokerUnreachable("x".into()), 502),
            (FsError::MissingEndpoint("x"), 502),
            (FsError::TokenExchange("x".into()), 502),
            (FsError::IdToken("x".into()), 502),
            (FsError::UserInfo("x".into()), 502),
        ];
        for (err, status) in cases {
            assert_eq!(describe(&err).0.as_u16(), status, "{err:?}");
        }
    }

    #[test]
    fn claim_values_display_plainly() {
        assert_eq!(display_value(&Value::from("eidas1")), "eidas1");
        assert_eq!(display_value(&Value::from(true)), "true");
        assert_eq!(
            display_value(&serde_json::json!(["pwd", "mail"])),
            "pwd mail"
        );
        assert_eq!(display_value(&serde_json::json!({"a": 1})), r#"{"a":1}"#);
    }
}
