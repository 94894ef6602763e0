//! In-process tests of the family-quotient service: the fake broker of
//! [`crate::sandbox::fs::tests`] (its token response's `scope` narrowed to
//! what the citizen granted) and a fake tax API.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use axum::routing::get;
use serde_json::{Value, json};
use url::Url;

use crate::sandbox::fs::tests::{
    ACCESS_TOKEN, Fake, Knobs, NOW, body_text, dead_broker, get_req, open_home, post_form, send,
    spec, start_fake, urlencode,
};
use crate::sandbox::fs::{QuotientSpec, TEMPLATES, router_with_clock};
use crate::web::Templates;

/// Every identity scope of the Lyon demo, and the two tax scopes.
const LYON_SCOPES: &str = "openid given_name family_name birthdate gender birthplace birthcountry email dgfip_rfr dgfip_nbpart";
/// What the citizen grants when refusing every tax datum.
const IDENTITY_ONLY: &str =
    "openid given_name family_name birthdate gender birthplace birthcountry email";
/// U+202F and U+00A0, as in `1 281,67 €`.
const NNBSP: char = '\u{202F}';
const NBSP: char = '\u{A0}';

/// How the fake tax API answers.
#[derive(Clone, Debug)]
enum TaxAnswer {
    /// 200 with this body.
    Data(Value),
    /// This status, with a JSON error body.
    Error(u16, &'static str),
    /// Never answers.
    Hang,
}

/// A fake tax API recording the calls it gets.
struct FakeTax {
    answer: TaxAnswer,
    /// Path and `Authorization` header of each call.
    calls: Mutex<Vec<(String, String)>>,
}

impl FakeTax {
    fn calls(&self) -> Vec<(String, String)> {
        self.calls.lock().unwrap().clone()
    }
}

async fn fake_revenus(
    State(tax): State<Arc<FakeTax>>,
    Path(annee): Path<String>,
    headers: HeaderMap,
) -> Response {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    tax.calls
        .lock()
        .unwrap()
        .push((format!("/api/v1/revenus/{annee}"), auth));
    match &tax.answer {
        TaxAnswer::Data(body) => {
            let mut body = body.clone();
            body["annee"] = annee.parse::<i64>().unwrap().into();
            axum::Json(body).into_response()
        }
        TaxAnswer::Error(status, error) => (
            StatusCode::from_u16(*status).unwrap(),
            axum::Json(json!({ "error": error, "error_description": "Message de test" })),
        )
            .into_response(),
        TaxAnswer::Hang => {
            std::future::pending::<()>().await;
            StatusCode::OK.into_response()
        }
    }
}

/// Starts a fake tax API on 127.0.0.1:0; returns it and its base URL.
async fn start_tax(answer: TaxAnswer) -> (Arc<FakeTax>, Url) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    let tax = Arc::new(FakeTax {
        answer,
        calls: Mutex::new(Vec::new()),
    });
    let app = Router::new()
        .route("/api/v1/revenus/{annee}", get(fake_revenus))
        .with_state(tax.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (tax, base)
}

/// The tax return of the tests: 38 450 €, 2.5 parts.
fn full_return() -> TaxAnswer {
    TaxAnswer::Data(json!({
        "revenu_fiscal_de_reference": 38450,
        "nombre_de_parts": 2.5,
        "situation_familiale": "Marié(e)",
    }))
}

/// A fake broker granting `scope` (absent from the token response when
/// `None`).
async fn broker_granting(scope: Option<&'static str>) -> Arc<Fake> {
    let mut knobs = Knobs::default();
    knobs.scope = scope;
    start_fake(knobs).await
}

/// The Lyon service against `issuer` and the tax API at `tax_api`, clock at
/// [`NOW`] (mid-June 2025: income years 2024, 2023, 2022).
fn lyon_app(issuer: &str, tax_api: Url) -> Router {
    let mut lyon = spec(Url::parse(issuer).unwrap());
    lyon.name = "Ville de Lyon".into();
    lyon.scopes = LYON_SCOPES.split(' ').map(str::to_owned).collect();
    lyon.quotient = Some(QuotientSpec { tax_api });
    router_with_clock(
        lyon,
        Templates::new(&[TEMPLATES]).unwrap(),
        reqwest::Client::new(),
        Arc::new(crate::clock::FixedClock::new(
            time::OffsetDateTime::from_unix_timestamp(NOW).unwrap(),
        )),
    )
}

/// Chooses `annee` and the "Simplifié" mode, logs in through the fake
/// broker; returns the callback's response.
async fn login_for_year(
    fake: &Fake,
    app: &Router,
    cookie: &str,
    csrf: &str,
    annee: &str,
) -> Response {
    let res = send(
        app,
        post_form(
            "/login",
            Some(cookie),
            &format!("csrf={csrf}&annee={annee}"),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = Url::parse(res.headers()[header::LOCATION].to_str().unwrap()).unwrap();
    let q: std::collections::HashMap<String, String> =
        location.query_pairs().into_owned().collect();
    assert!(
        q["scope"].contains("dgfip_rfr dgfip_nbpart"),
        "{}",
        q["scope"]
    );
    fake.expect(&q);
    let uri = format!(
        "/callback?code=good-code&state={}&iss={}",
        q["state"],
        urlencode(&fake.issuer)
    );
    let res = send(app, get_req(&uri, Some(cookie))).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        body_text(res).await
    );
    res
}

async fn home_html(app: &Router, cookie: &str) -> String {
    let res = send(app, get_req("/", Some(cookie))).await;
    assert_eq!(res.status(), StatusCode::OK);
    body_text(res).await
}

async fn me_json(app: &Router, cookie: &str) -> Value {
    let res = send(app, get_req("/me.json", Some(cookie))).await;
    assert_eq!(res.status(), StatusCode::OK);
    serde_json::from_str(&body_text(res).await).unwrap()
}

fn granted(scopes: &str) -> Value {
    scopes.split(' ').collect::<Vec<_>>().into()
}

#[tokio::test]
async fn the_home_page_offers_both_modes_and_the_income_years() {
    let (tax, tax_api) = start_tax(full_return()).await;
    let app = lyon_app(dead_broker().await.as_str(), tax_api);
    let res = send(&app, get_req("/", None)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = body_text(res).await;
    assert!(html.contains("Calcul du quotient familial municipal"));
    assert!(html.contains("Simplifié — Par FranceConnect"));
    assert!(html.contains(r#"<form method="post" action="/login" id="fc-form">"#));
    assert!(html.contains(r#"id="franceconnect""#));
    assert!(html.contains(r#"<form method="post" action="/quotient" id="quotient-form""#));
    assert!(html.contains(
        r#"<option value="2024" selected>Revenus 2024 (avis d’imposition 2025)</option>"#
    ));
    assert!(html.contains(r#"<option value="2022">"#));
    assert!(!html.contains(r#"<option value="2025""#));
    assert!(html.contains(r#"name="revenu_fiscal_de_reference""#));
    assert!(html.contains(r#"name="nombre_de_parts""#));
    assert!(!html.contains("id=\"logout\""));
    assert!(tax.calls().is_empty());
}

#[tokio::test]
async fn accepted_data_give_the_quotient_right_after_the_login() {
    // Given a citizen who accepts to share both tax data
    let fake = broker_granting(Some(LYON_SCOPES)).await;
    let (tax, tax_api) = start_tax(full_return()).await;
    let app = lyon_app(&fake.issuer, tax_api);
    let (cookie, csrf) = open_home(&app).await;

    // When they choose their 2023 income and FranceConnect
    login_for_year(&fake, &app, &cookie, &csrf, "2023").await;

    // Then the tax API was called once, for 2023, with the access token
    assert_eq!(
        tax.calls(),
        [(
            "/api/v1/revenus/2023".to_owned(),
            format!("Bearer {ACCESS_TOKEN}")
        )]
    );

    // And the page shows the data obtained and the quotient
    let html = home_html(&app, &cookie).await;
    assert!(
        html.contains("Bienvenue Angela Claire Louise DUBOIS"),
        "{html}"
    );
    assert!(html.contains(r#"id="quotient-obtained" data-source="franceconnect""#));
    assert!(html.contains("Informations récupérées"));
    assert!(html.contains("<caption>Revenus 2023</caption>"));
    assert!(html.contains(&format!(
        r#"<td id="obtained-rfr">38{NNBSP}450{NBSP}€</td>"#
    )));
    assert!(html.contains(r#"<td id="obtained-parts">2,5</td>"#));
    assert!(html.contains(r#"data-quotient="1281.67""#));
    assert!(html.contains(&format!(
        "Quotient familial : 38{NNBSP}450{NBSP}€ / 12 / 2,5 = <strong id=\"quotient-value\">1{NNBSP}281,67{NBSP}€</strong>"
    )));
    assert!(!html.contains("quotient-fallback"));
    // The identity is still shown, and the token never is
    assert!(html.contains(r#"<td data-identity="family_name">DUBOIS</td>"#));
    assert!(html.contains(r#"id="logout""#));
    assert!(!html.contains(ACCESS_TOKEN));
    // The year stays selected for a new calculation
    assert!(html.contains(r#"<option value="2023" selected>"#));

    // And /me.json tells the same
    let me = me_json(&app, &cookie).await;
    assert_eq!(me["userinfo"]["family_name"], "DUBOIS");
    assert_eq!(
        me["quotient"],
        json!({
            "source": "franceconnect", "annee": 2023,
            "revenu_fiscal_de_reference": 38450, "nombre_de_parts": 2.5,
            "quotient_familial": 1281.67,
            "granted_scopes": granted(LYON_SCOPES),
            "fallback_reason": null,
        })
    );
    assert!(!me.to_string().contains(ACCESS_TOKEN));

    // When they log out, the quotient goes with the session
    let res = send(
        &app,
        post_form("/logout", Some(&cookie), &format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = send(&app, get_req("/me.json", Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn without_a_scope_in_the_token_response_the_requested_ones_count() {
    let fake = broker_granting(None).await;
    let (tax, tax_api) = start_tax(full_return()).await;
    let app = lyon_app(&fake.issuer, tax_api);
    let (cookie, csrf) = open_home(&app).await;
    // No year sent: the newest is used.
    let res = send(
        &app,
        post_form("/login", Some(&cookie), &format!("csrf={csrf}")),
    )
    .await;
    let location = Url::parse(res.headers()[header::LOCATION].to_str().unwrap()).unwrap();
    let q: std::collections::HashMap<String, String> =
        location.query_pairs().into_owned().collect();
    fake.expect(&q);
    let uri = format!(
        "/callback?code=good-code&state={}&iss={}",
        q["state"],
        urlencode(&fake.issuer)
    );
    let res = send(&app, get_req(&uri, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(tax.calls().len(), 1);
    assert_eq!(tax.calls()[0].0, "/api/v1/revenus/2024");
    let me = me_json(&app, &cookie).await;
    assert_eq!(me["quotient"]["quotient_familial"], 1281.67);
    assert_eq!(me["quotient"]["granted_scopes"], granted(LYON_SCOPES));
}

#[tokio::test]
async fn refused_data_lead_to_the_manual_form_without_calling_the_tax_api() {
    // Given a citizen who logs in but refuses to share their tax data
    let fake = broker_granting(Some(IDENTITY_ONLY)).await;
    let (tax, tax_api) = start_tax(full_return()).await;
    let app = lyon_app(&fake.issuer, tax_api);
    let (cookie, csrf) = open_home(&app).await;

    // When they come back from FranceConnect
    login_for_year(&fake, &app, &cookie, &csrf, "2024").await;

    // Then the tax API was not called at all
    assert!(tax.calls().is_empty());

    // And the manual form waits, empty, with the reason
    let html = home_html(&app, &cookie).await;
    assert!(html.contains(r#"data-fallback="refused""#), "{html}");
    assert!(html.contains(
        "Vous avez refusé la transmission de vos données fiscales : saisissez-les ci-dessous."
    ));
    assert!(html.contains(r#"name="revenu_fiscal_de_reference" value="""#));
    assert!(html.contains(r#"name="nombre_de_parts" value="""#));
    assert!(!html.contains("quotient-result"));
    assert!(html.contains("Bienvenue Angela Claire Louise DUBOIS"));
    let me = me_json(&app, &cookie).await;
    assert_eq!(me["quotient"]["fallback_reason"], "refused");
    assert_eq!(me["quotient"]["quotient_familial"], Value::Null);
    assert_eq!(me["quotient"]["granted_scopes"], granted(IDENTITY_ONLY));

    // When they type the values of their avis d'imposition
    let res = send(
        &app,
        post_form(
            "/quotient",
            Some(&cookie),
            &format!(
                "csrf={csrf}&annee=2024&revenu_fiscal_de_reference=25000&nombre_de_parts=1%2C5"
            ),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/");

    // Then the quotient is computed from them, and the reason is kept
    let html = home_html(&app, &cookie).await;
    assert!(html.contains(r#"id="quotient-obtained" data-source="manuel""#));
    assert!(html.contains("Informations saisies"));
    assert!(html.contains(r#"data-quotient="1388.89""#));
    assert!(!html.contains("quotient-fallback"));
    let me = me_json(&app, &cookie).await;
    assert_eq!(me["quotient"]["source"], "manuel");
    assert_eq!(me["quotient"]["quotient_familial"], 1388.89);
    assert_eq!(me["quotient"]["nombre_de_parts"], 1.5);
    assert_eq!(me["quotient"]["fallback_reason"], "refused");
}

#[tokio::test]
async fn only_the_data_granted_are_used() {
    // Given a citizen who shares the revenu fiscal de référence only, and
    // a tax API that sends both anyway
    let fake = broker_granting(Some("openid given_name family_name email dgfip_rfr")).await;
    let (tax, tax_api) = start_tax(full_return()).await;
    let app = lyon_app(&fake.issuer, tax_api);
    let (cookie, csrf) = open_home(&app).await;

    login_for_year(&fake, &app, &cookie, &csrf, "2024").await;

    // Then the granted datum is pre-filled, the other left to type
    assert_eq!(tax.calls().len(), 1);
    let html = home_html(&app, &cookie).await;
    assert!(html.contains(r#"data-fallback="partly_refused""#), "{html}");
    assert!(html.contains(
        "Vous avez refusé la transmission de votre nombre de parts : saisissez-le ci-dessous."
    ));
    assert!(html.contains(&format!(
        r#"<td id="obtained-rfr">38{NNBSP}450{NBSP}€</td>"#
    )));
    assert!(!html.contains("obtained-parts"));
    assert!(html.contains(r#"name="revenu_fiscal_de_reference" value="38450""#));
    assert!(html.contains(r#"name="nombre_de_parts" value="""#));
    assert!(!html.contains("quotient-result"));
    let me = me_json(&app, &cookie).await;
    assert_eq!(me["quotient"]["revenu_fiscal_de_reference"], 38450);
    assert_eq!(me["quotient"]["nombre_de_parts"], Value::Null);
    assert_eq!(me["quotient"]["quotient_familial"], Value::Null);

    // And the other way round: the nombre de parts only
    let fake = broker_granting(Some("openid dgfip_nbpart")).await;
    let (_, tax_api) = start_tax(full_return()).await;
    let app = lyon_app(&fake.issuer, tax_api);
    let (cookie, csrf) = open_home(&app).await;
    login_for_year(&fake, &app, &cookie, &csrf, "2022").await;
    let html = home_html(&app, &cookie).await;
    assert!(html.contains("de votre revenu fiscal de référence : saisissez-le"));
    assert!(html.contains(r#"name="revenu_fiscal_de_reference" value="""#));
    assert!(html.contains(r#"name="nombre_de_parts" value="2,5""#));
    assert!(html.contains(r#"<option value="2022" selected>"#));
}

#[tokio::test]
async fn tax_api_failures_lead_to_the_manual_form() {
    let unavailable =
        "Le service des impôts n’a pas pu être joint : saisissez vos données fiscales ci-dessous";
    let cases = [
        (
            TaxAnswer::Error(404, "not_found"),
            "not_found",
            "ne dispose d’aucune déclaration de vos revenus 2023",
        ),
        (
            TaxAnswer::Error(503, "temporarily_unavailable"),
            "unavailable",
            unavailable,
        ),
        (
            TaxAnswer::Error(401, "invalid_token"),
            "unavailable",
            unavailable,
        ),
        (
            TaxAnswer::Error(403, "insufficient_scope"),
            "unavailable",
            unavailable,
        ),
        (
            TaxAnswer::Data(json!({ "revenu_fiscal_de_reference": -1 })),
            "unavailable",
            unavailable,
        ),
    ];
    for (answer, code, message) in cases {
        // Given a citizen who shares their data, and a tax API that fails
        let fake = broker_granting(Some(LYON_SCOPES)).await;
        let (tax, tax_api) = start_tax(answer.clone()).await;
        let app = lyon_app(&fake.issuer, tax_api);
        let (cookie, csrf) = open_home(&app).await;

        // When they log in
        login_for_year(&fake, &app, &cookie, &csrf, "2023").await;

        // Then the login holds, and the manual form comes with the reason
        assert_eq!(tax.calls().len(), 1, "{answer:?}");
        let html = home_html(&app, &cookie).await;
        assert!(
            html.contains(&format!(r#"data-fallback="{code}""#)),
            "{answer:?}: {html}"
        );
        assert!(html.contains(message), "{answer:?}");
        assert!(html.contains(r#"<option value="2023" selected>"#));
        assert!(html.contains(r#"id="logout""#));
        let me = me_json(&app, &cookie).await;
        assert_eq!(me["quotient"]["fallback_reason"], code, "{answer:?}");
        assert_eq!(me["quotient"]["annee"], 2023);
        assert_eq!(me["quotient"]["quotient_familial"], Value::Null);
    }
}

#[tokio::test]
async fn an_unreachable_or_silent_tax_api_leads_to_the_manual_form() {
    let dead = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        Url::parse(&format!("http://{addr}")).unwrap()
    };
    let (silent, silent_api) = start_tax(TaxAnswer::Hang).await;
    for tax_api in [dead, silent_api] {
        let fake = broker_granting(Some(LYON_SCOPES)).await;
        let app = lyon_app(&fake.issuer, tax_api.clone());
        let (cookie, csrf) = open_home(&app).await;
        let started = std::time::Instant::now();
        login_for_year(&fake, &app, &cookie, &csrf, "2024").await;
        assert!(started.elapsed() < super::tax_api::TIMEOUT * 2, "{tax_api}");
        let html = home_html(&app, &cookie).await;
        assert!(html.contains(r#"data-fallback="unavailable""#), "{tax_api}");
        assert!(html.contains("Le service des impôts n’a pas pu être joint"));
    }
    assert_eq!(silent.calls().len(), 1);
}

#[tokio::test]
async fn the_manual_form_explains_what_is_wrong_and_keeps_the_values() {
    let (_, tax_api) = start_tax(full_return()).await;
    let app = lyon_app(dead_broker().await.as_str(), tax_api);
    let (cookie, csrf) = open_home(&app).await;

    // Without the CSRF token: refused
    let res = send(
        &app,
        post_form(
            "/quotient",
            Some(&cookie),
            "annee=2024&revenu_fiscal_de_reference=1&nombre_de_parts=1",
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(body_text(res).await.contains(r#"data-error="csrf""#));

    let cases = [
        (
            "-120",
            "2",
            "Le revenu fiscal de référence ne peut pas être négatif.",
        ),
        (
            "beaucoup",
            "2",
            "Le revenu fiscal de référence doit être un montant en euros",
        ),
        ("", "2", "Saisissez le revenu fiscal de référence"),
        ("38450", "0", "Le nombre de parts doit être supérieur à 0."),
        (
            "38450",
            "1,3",
            "Le nombre de parts doit être un multiple de 0,25",
        ),
        ("38450", "deux", "Le nombre de parts doit être un nombre"),
    ];
    for (rfr, parts, message) in cases {
        let body = format!(
            "csrf={csrf}&annee=2023&revenu_fiscal_de_reference={}&nombre_de_parts={}",
            urlencode(rfr),
            urlencode(parts)
        );
        let res = send(&app, post_form("/quotient", Some(&cookie), &body)).await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{rfr} {parts}"
        );
        let html = body_text(res).await;
        assert!(html.contains(message), "{rfr} {parts}: {html}");
        assert!(html.contains(r#"id="quotient-errors""#));
        assert!(html.contains(&format!(
            r#"name="revenu_fiscal_de_reference" value="{rfr}""#
        )));
        assert!(html.contains(&format!(r#"name="nombre_de_parts" value="{parts}""#)));
        assert!(html.contains(r#"<option value="2023" selected>"#));
        assert!(html.contains("fr-input-group--error"));
    }

    // An unknown year is refused too
    let res = send(
        &app,
        post_form(
            "/quotient",
            Some(&cookie),
            &format!("csrf={csrf}&annee=1990&revenu_fiscal_de_reference=1&nombre_de_parts=1"),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body_text(res).await.contains(r#"id="annee-error""#));

    // Nothing was kept so far
    let res = send(&app, get_req("/me.json", Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // A valid entry, without any login
    let res = send(
        &app,
        post_form(
            "/quotient",
            Some(&cookie),
            &format!(
                "csrf={csrf}&annee=2022&revenu_fiscal_de_reference=38+450&nombre_de_parts=2.5"
            ),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let html = home_html(&app, &cookie).await;
    assert!(html.contains(r#"data-quotient="1281.67""#));
    assert!(html.contains(&format!("1{NNBSP}281,67{NBSP}€")));
    assert!(html.contains(r#"name="revenu_fiscal_de_reference" value="38450""#));
    assert!(html.contains(r#"name="nombre_de_parts" value="2,5""#));
    let me = me_json(&app, &cookie).await;
    assert!(me.get("userinfo").is_none());
    assert_eq!(
        me["quotient"],
        json!({
            "source": "manuel", "annee": 2022,
            "revenu_fiscal_de_reference": 38450, "nombre_de_parts": 2.5,
            "quotient_familial": 1281.67, "granted_scopes": [],
            "fallback_reason": null,
        })
    );
}

#[tokio::test]
async fn a_plain_demo_service_has_no_quotient_form() {
    let app = crate::sandbox::fs::router(
        spec(dead_broker().await),
        Templates::new(&[TEMPLATES]).unwrap(),
        reqwest::Client::new(),
    );
    let (cookie, csrf) = open_home(&app).await;
    let res = send(
        &app,
        post_form(
            "/quotient",
            Some(&cookie),
            &format!("csrf={csrf}&annee=2024&revenu_fiscal_de_reference=1&nombre_de_parts=1"),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let html = body_text(send(&app, get_req("/", Some(&cookie))).await).await;
    assert!(!html.contains("quotient"));
}
