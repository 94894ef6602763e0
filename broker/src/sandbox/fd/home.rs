//! The home page of a data provider: a plain HTML page telling a tester
//! what the API is, its endpoints and the scopes they answer to.

use std::fmt::Write as _;

use super::{FdKind, FdSpec};

/// An endpoint as listed on the home page: method and path, what it
/// returns.
const TAX_ENDPOINTS: &[(&str, &str)] = &[
    (
        "GET /api/v1/revenus",
        "les années de revenus disponibles pour l'usager (au moins une donnée DGFIP autorisée)",
    ),
    (
        "GET /api/v1/revenus/{annee}",
        "les données fiscales de l'année de revenus, par exemple 2024",
    ),
];
const HEALTH_ENDPOINTS: &[(&str, &str)] = &[(
    "GET /api/v1/assure",
    "les droits de l'assuré : ayants droit, médecin traitant, complémentaire santé",
)];

/// Minimal HTML escaping for text and attribute values.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page.
pub(super) fn page(spec: &FdSpec) -> String {
    let name = escape(&spec.name);
    let base = escape(spec.base());
    let issuer = escape(spec.issuer());
    let endpoints = match spec.kind {
        FdKind::Tax => TAX_ENDPOINTS,
        FdKind::Health => HEALTH_ENDPOINTS,
    };
    let mut s = String::new();
    let _ = write!(
        s,
        "<!doctype html>\n<html lang=\"fr\">\n<head><meta charset=\"utf-8\"><title>{name}</title></head>\n<body>\n<main>\n<h1>{name}</h1>\n\
         <p>Fournisseur de données de démonstration du bac à sable Pivot ({provider}). \
         Un fournisseur de service l'appelle avec le jeton d'accès obtenu pour l'usager ; \
         le jeton est vérifié auprès de <code>{issuer}/checktoken</code> et seules les données \
         que l'usager a accepté de partager sont renvoyées, en JSON.</p>\n\
         <h2>Points d'accès</h2>\n<p>En-tête requis : <code>Authorization: Bearer &lt;jeton d'accès&gt;</code>.</p>\n<ul>\n",
        provider = spec.kind.provider_name(),
    );
    for (route, what) in endpoints {
        let _ = writeln!(
            s,
            "<li><code>{base}{}</code> : {}</li>",
            escape(route.trim_start_matches("GET ")),
            escape(what)
        );
    }
    s.push_str(
        "</ul>\n<h2>Données (scopes)</h2>\n<table>\n<tr><th>scope</th><th>donnée</th></tr>\n",
    );
    for d in spec.kind.data_scopes() {
        let _ = writeln!(
            s,
            "<tr><td><code>{}</code></td><td>{}</td></tr>",
            escape(&d.scope),
            escape(&d.label)
        );
    }
    s.push_str(
        "</table>\n<h2>Erreurs</h2>\n<ul>\n\
         <li><code>401 invalid_token</code> : jeton absent, mal formé, expiré ou révoqué</li>\n\
         <li><code>403 insufficient_scope</code> : le jeton n'autorise aucune donnée de cette API</li>\n\
         <li><code>404 not_found</code> : aucune donnée pour cet usager ou cette année</li>\n\
         <li><code>503 temporarily_unavailable</code> : le jeton ne peut pas être vérifié pour le moment</li>\n\
         </ul>\n</main>\n</body>\n</html>\n",
    );
    s
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
