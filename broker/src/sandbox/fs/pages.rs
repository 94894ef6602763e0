//! Pages of the demo service provider, and the one place where errors become
//! HTTP responses.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use super::FsSpec;
use super::error::FsError;
use super::quotient::view::QuotientView;
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

/// One row of an identity table: a French label and a readable value.
#[derive(Debug, Serialize)]
struct IdentityRow {
    /// The claim (without `rnipp_` prefix), for `data-identity`.
    key: &'static str,
    label: &'static str,
    value: String,
}

/// A date `YYYY-MM-DD` in French ("24 août 1962", "1er mars 2001");
/// anything else as it is.
fn french_date(s: &str) -> String {
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return s.to_owned();
    };
    let month = m
        .parse::<usize>()
        .ok()
        .and_then(|m| m.checked_sub(1))
        .and_then(|i| MONTHS.get(i));
    match (y.len(), month, d.parse::<u8>()) {
        (4, Some(month), Ok(1)) => format!("1er {month} {y}"),
        (4, Some(month), Ok(day @ 2..=31)) => format!("{day} {month} {y}"),
        _ => s.to_owned(),
    }
}

/// The identity held in `claims` under `prefix` (`""` for the identity
/// provider's, `"rnipp_"` for the registry's), in French, birth place and
/// country by name. Only claims present give a row.
fn identity(claims: &BTreeMap<String, Value>, prefix: &str) -> Vec<IdentityRow> {
    let get = |name: &str| {
        claims
            .get(&format!("{prefix}{name}"))
            .and_then(Value::as_str)
            .map(str::trim)
    };
    let mut rows = Vec::new();
    let mut push = |key, label, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            rows.push(IdentityRow { key, label, value });
        }
    };
    push(
        "given_name",
        "Prénoms",
        get("given_name").map(str::to_owned),
    );
    push(
        "family_name",
        "Nom de naissance",
        get("family_name").map(str::to_owned),
    );
    push(
        "preferred_username",
        "Nom d’usage",
        get("preferred_username").map(str::to_owned),
    );
    push(
        "birthdate",
        "Date de naissance",
        get("birthdate").map(french_date),
    );
    push(
        "gender",
        "Sexe",
        get("gender").map(|g| match g {
            "female" => "Féminin".to_owned(),
            "male" => "Masculin".to_owned(),
            other => other.to_owned(),
        }),
    );
    push(
        "birthplace",
        "Lieu de naissance",
        get("birthcountry").map(|country| {
            pivot_proto::cog::birthplace_label(get("birthplace").unwrap_or(""), country)
        }),
    );
    rows
}

/// The level of assurance received (`acr`) and its French name.
fn acr_of(id_token: &BTreeMap<String, Value>) -> (String, &'static str) {
    let acr = id_token
        .get("acr")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let label = match acr.as_str() {
        "eidas1" => "niveau faible",
        "eidas2" => "niveau substantiel",
        "eidas3" => "niveau élevé",
        _ => "niveau inconnu",
    };
    (acr, label)
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
    /// The federation the service uses: "FranceConnect" or "FranceConnect+".
    brand: &'static str,
}

fn layout(spec: &FsSpec) -> Layout<'_> {
    // A service asking a substantial or high level uses FranceConnect+.
    let plus = spec
        .acr_values
        .split(' ')
        .any(|a| a == "eidas2" || a == "eidas3");
    Layout {
        site_name: &spec.name,
        site_tagline: TAGLINE,
        lang: "fr",
        brand: if plus {
            "FranceConnect+"
        } else {
            "FranceConnect"
        },
    }
}

/// What the pages show of a login (`fs/login_details.html`).
#[derive(Debug, Serialize)]
struct LoginCtx {
    logged_in: bool,
    /// "Angela Claire Louise DUBOIS", for the welcome line.
    full_name: String,
    identity: Vec<IdentityRow>,
    rnipp_identity: Vec<IdentityRow>,
    acr: String,
    acr_label: &'static str,
    userinfo: Vec<ClaimRow>,
    id_token: Vec<ClaimRow>,
    userinfo_json: String,
    id_token_json: String,
}

fn login_ctx(login: Option<&LoggedIn>) -> LoginCtx {
    let (acr, acr_label) = login
        .map(|l| acr_of(&l.id_token_claims))
        .unwrap_or_default();
    let full_name = login
        .map(|l| {
            ["given_name", "family_name"]
                .iter()
                .filter_map(|c| l.userinfo.get(*c).and_then(Value::as_str))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    LoginCtx {
        logged_in: login.is_some(),
        full_name,
        identity: login.map(|l| identity(&l.userinfo, "")).unwrap_or_default(),
        rnipp_identity: login
            .map(|l| identity(&l.userinfo, "rnipp_"))
            .unwrap_or_default(),
        acr,
        acr_label,
        userinfo: login.map(|l| rows(&l.userinfo)).unwrap_or_default(),
        id_token: login.map(|l| rows(&l.id_token_claims)).unwrap_or_default(),
        userinfo_json: login.map(|l| pretty(&l.userinfo)).unwrap_or_default(),
        id_token_json: login
            .map(|l| pretty(&l.id_token_claims))
            .unwrap_or_default(),
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
        #[serde(flatten)]
        login: LoginCtx,
    }
    let ctx = Ctx {
        layout: layout(spec),
        csrf,
        login: login_ctx(login),
    };
    Ok(templates.render("fs/home.html", ctx)?.into_response())
}

/// The home page of a family-quotient service: the démarche (year, mode
/// "Simplifié" with the FranceConnect button, mode "Manuel"), what was
/// obtained and the result, then the login's details.
pub(crate) fn quotient_home(
    templates: &Templates,
    spec: &FsSpec,
    csrf: &str,
    login: Option<&LoggedIn>,
    quotient: &QuotientView,
    status: StatusCode,
) -> Result<Response, FsError> {
    #[derive(Serialize)]
    struct Ctx<'a> {
        #[serde(flatten)]
        layout: Layout<'a>,
        csrf: &'a str,
        #[serde(flatten)]
        login: LoginCtx,
        quotient: &'a QuotientView,
    }
    let ctx = Ctx {
        layout: layout(spec),
        csrf,
        login: login_ctx(login),
        quotient,
    };
    Ok((status, templates.render("fs/quotient.html", ctx)?).into_response())
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
        FsError::Decryption(_) => (
            StatusCode::BAD_GATEWAY,
            "Les données reçues de FranceConnect n’ont pas pu être déchiffrées avec la clé de ce service : elles ont été refusées.",
        ),
        FsError::Key(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "La clé de déchiffrement de ce service est indisponible.",
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
            (FsError::Decryption("x".into()), 502),
            (FsError::Key("x".into()), 500),
        ];
        for (err, status) in cases {
            assert_eq!(describe(&err).0.as_u16(), status, "{err:?}");
        }
    }

    #[test]
    fn identity_is_shown_in_french_with_places_by_name() {
        let claims: BTreeMap<String, Value> = serde_json::from_value(serde_json::json!({
            "given_name": "Angela Claire Louise", "family_name": "DUBOIS",
            "birthdate": "1962-08-24", "gender": "female",
            "birthplace": "75114", "birthcountry": "99100",
            "preferred_username": "",
            "rnipp_given_name": "Angela Claire Louise", "rnipp_gender": "female",
            "rnipp_birthplace": "", "rnipp_birthcountry": "99134",
        }))
        .unwrap();
        let fi = identity(&claims, "");
        let shown: Vec<(&str, &str)> = fi.iter().map(|r| (r.key, r.value.as_str())).collect();
        assert_eq!(
            shown,
            [
                ("given_name", "Angela Claire Louise"),
                ("family_name", "DUBOIS"),
                ("birthdate", "24 août 1962"),
                ("gender", "Féminin"),
                ("birthplace", "Paris 14e Arrondissement, FRANCE"),
            ]
        );
        let rnipp = identity(&claims, "rnipp_");
        let shown: Vec<(&str, &str)> = rnipp.iter().map(|r| (r.key, r.value.as_str())).collect();
        assert_eq!(
            shown,
            [
                ("given_name", "Angela Claire Louise"),
                ("gender", "Féminin"),
                ("birthplace", "ESPAGNE"),
            ]
        );
        assert!(identity(&BTreeMap::new(), "rnipp_").is_empty());
        assert_eq!(french_date("1962-08"), "1962-08");
        assert_eq!(french_date("2001-03-01"), "1er mars 2001");
        assert_eq!(french_date("2001-13-01"), "2001-13-01");
        assert_eq!(french_date("2001-12-00"), "2001-12-00");
    }

    #[test]
    fn acr_is_named() {
        let claims = |acr: &str| -> BTreeMap<String, Value> {
            [("acr".to_owned(), Value::from(acr))].into_iter().collect()
        };
        assert_eq!(
            acr_of(&claims("eidas2")),
            ("eidas2".into(), "niveau substantiel")
        );
        assert_eq!(acr_of(&claims("eidas3")).1, "niveau élevé");
        assert_eq!(acr_of(&BTreeMap::new()).1, "niveau inconnu");
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
