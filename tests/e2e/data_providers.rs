//! Data providers end to end: the Ville de Lyon family-quotient journey
//! (consent accepted, refused, partly given), and the tax and health
//! providers as real HTTP services checking FS tokens with `/checktoken`.

use anyhow::Result;
use pivot_tests::{
    TestSandbox,
    journey::{Consent, Stage, start_login_consenting},
    oidc::{AuthRequest, ClientAuth, Tokens, authorize, post_form, redeem_mairie, verify_jwt},
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// What the Lyon service computed, from its `/me.json`.
async fn lyon_quotient(
    sb: &TestSandbox,
    b: &pivot_tests::Browser,
    consent: Consent,
) -> Result<(Value, pivot_tests::Journey)> {
    let journey =
        start_login_consenting(sb, b, "lyon", "impots", "vincent-berdot", &consent).await?;
    let me = b
        .get(&format!("{}/me.json", sb.service("lyon").url))
        .await?;
    assert_eq!(me.status, StatusCode::OK, "{}", journey.describe());
    Ok((me.json()?, journey))
}

#[tokio::test]
async fn lyon_computes_the_family_quotient_from_the_tax_data() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let (me, journey) = lyon_quotient(&sb, &b, Consent::AcceptAll).await?;
    assert_eq!(
        journey.stages,
        [
            Stage::Chooser,
            Stage::FiLogin,
            Stage::Confirm,
            Stage::Consent,
            Stage::Service
        ],
        "{}",
        journey.describe()
    );
    // The consent page named each datum and its source.
    let consent = journey
        .hops
        .iter()
        .find(|p| p.has("#consent-title"))
        .expect("consent page");
    let labels = consent.texts("label[for^='scope-']");
    assert_eq!(
        labels,
        [
            "revenu fiscal de référence (DGFIP)",
            "nombre de parts (DGFIP)"
        ]
    );
    // Vincent BERDOT: 38 450 € and 3 parts last year → 38 450 / 12 / 3.
    let q = &me["quotient"];
    assert_eq!(q["source"], "franceconnect", "{me}");
    assert_eq!(q["annee"], last_year_of(&sb));
    assert_eq!(q["revenu_fiscal_de_reference"], 38450);
    assert_eq!(q["nombre_de_parts"], 3.0);
    assert_eq!(q["quotient_familial"], 1068.06);
    assert_eq!(q["fallback_reason"], Value::Null);
    assert_eq!(me["userinfo"]["family_name"], "BERDOT");
    // And the page says it in French.
    let home = b.get(&format!("{}/", sb.service("lyon").url)).await?;
    let result = home.text("#quotient-result").unwrap_or_default();
    assert!(result.contains("1 068,06"), "{result}");
    Ok(())
}

#[tokio::test]
async fn refusing_the_data_still_logs_in_and_offers_the_manual_form() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let (me, journey) = lyon_quotient(&sb, &b, Consent::RefuseAll).await?;
    assert!(journey.saw(Stage::Consent), "{}", journey.describe());
    assert_eq!(
        me["userinfo"]["family_name"], "BERDOT",
        "logged in all the same"
    );
    let q = &me["quotient"];
    assert_eq!(q["fallback_reason"], "refused", "{me}");
    assert_eq!(q["quotient_familial"], Value::Null);
    let granted: Vec<&str> = q["granted_scopes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        !granted.iter().any(|s| s.starts_with("dgfip")),
        "{granted:?}"
    );
    let home = b.get(&format!("{}/", sb.service("lyon").url)).await?;
    assert!(home.has("#quotient-fallback"), "the manual form is offered");

    // Filling it in by hand gives the quotient.
    let form = home
        .form("form[action='/quotient']")?
        .set("annee", &last_year_of(&sb).to_string())
        .set("revenu_fiscal_de_reference", "38450")
        .set("nombre_de_parts", "3");
    let after = b.submit(&form).await?;
    assert!(after.status.is_success() || after.status.is_redirection());
    let me = b
        .get(&format!("{}/me.json", sb.service("lyon").url))
        .await?
        .json()?;
    assert_eq!(me["quotient"]["source"], "manuel", "{me}");
    assert_eq!(me["quotient"]["quotient_familial"], 1068.06);
    Ok(())
}

#[tokio::test]
async fn one_datum_accepted_prefills_the_other_by_hand() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let (me, _) = lyon_quotient(&sb, &b, Consent::Only(vec!["dgfip_rfr".into()])).await?;
    let q = &me["quotient"];
    assert_eq!(q["revenu_fiscal_de_reference"], 38450, "{me}");
    assert_eq!(q["nombre_de_parts"], Value::Null);
    assert_eq!(q["fallback_reason"], "partly_refused");
    Ok(())
}

/// Last year on the sandbox's clock: the latest income year the tax office
/// has.
fn last_year_of(sb: &TestSandbox) -> i64 {
    let now = time::OffsetDateTime::from_unix_timestamp(sb.now()).expect("time");
    i64::from(now.year()) - 1
}

// --- The providers' side, with the mairie's raw tokens. ---------------------

const DATA_SCOPE: &str =
    "openid identite_pivot dgfip_rfr dgfip_nbpart cnam_medecin_traitant cnam_complementaire";

/// A raw login on the mairie asking data; the citizen answers `consent`.
async fn data_login(sb: &TestSandbox, citizen: &str, fi: &str) -> Result<Tokens> {
    let b = sb.browser();
    let req = AuthRequest::mairie(sb).set("scope", DATA_SCOPE);
    let resp = authorize(sb, &b, &req, fi, citizen).await?;
    redeem_mairie(sb, resp.code()?).await
}

fn provider_url(sb: &TestSandbox, slug: &str) -> String {
    sb.sb
        .data_providers
        .iter()
        .find(|d| d.slug == slug)
        .map(|d| d.url.clone())
        .expect("data provider")
}

/// `GET` a provider's API with a bearer token.
async fn api(sb: &TestSandbox, slug: &str, path: &str, token: &str) -> Result<(StatusCode, Value)> {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", provider_url(sb, slug)))
        .bearer_auth(token)
        .send()
        .await?;
    let status = r.status();
    Ok((status, r.json().await.unwrap_or(Value::Null)))
}

/// `POST /checktoken` as a provider, plain JSON.
async fn checktoken(
    sb: &TestSandbox,
    fd: &str,
    secret: &str,
    token: &str,
) -> Result<(StatusCode, Value)> {
    let r = reqwest::Client::new()
        .post(sb.endpoint("/checktoken"))
        .basic_auth(fd, Some(secret))
        .header("accept", "application/json")
        .form(&[("token", token)])
        .send()
        .await?;
    Ok((r.status(), r.json().await?))
}

#[tokio::test]
async fn providers_answer_only_the_data_granted_and_only_while_the_token_lives() -> Result<()> {
    let sb = TestSandbox::start_fixed_clock().await?;
    let t = data_login(&sb, "vincent-berdot", "impots").await?;
    let year = format!("/api/v1/revenus/{}", last_year_of(&sb));

    // Granted: RFR and parts; the situation and address were not asked.
    let (status, body) = api(&sb, "dgfip", &year, &t.access_token).await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["revenu_fiscal_de_reference"], 38450);
    assert_eq!(body["nombre_de_parts"], 3.0);
    assert!(body.get("situation_familiale").is_none(), "{body}");
    assert!(body.get("adresse_fiscale").is_none(), "{body}");
    let (status, body) = api(&sb, "cnam", "/api/v1/assure", &t.access_token).await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["medecin_traitant"].is_object(), "{body}");
    assert!(body["complementaire"].is_object(), "{body}");
    assert!(body.get("beneficiaires").is_none(), "not granted: {body}");

    // Expired: the access token lives 60 s.
    sb.advance(61);
    let (status, body) = api(&sb, "dgfip", &year, &t.access_token).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "invalid_token");
    Ok(())
}

#[tokio::test]
async fn providers_refuse_revoked_tokens_and_tokens_without_their_scopes() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let year = format!("/api/v1/revenus/{}", last_year_of(&sb));

    // A login that asked no tax data: the tax office sees an inactive token.
    let (_, identity_only) =
        pivot_tests::oidc::mairie_login(&sb, &sb.browser(), "impots", "vincent-berdot").await?;
    let (status, body) = api(&sb, "dgfip", &year, &identity_only.access_token).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "invalid_token");

    // A token for the health insurer's data only.
    let b = sb.browser();
    let req = AuthRequest::mairie(&sb).set("scope", "openid cnam_medecin_traitant");
    let resp = authorize(&sb, &b, &req, "impots", "vincent-berdot").await?;
    let cnam_only = redeem_mairie(&sb, resp.code()?).await?;
    assert_eq!(cnam_only.raw["scope"], "cnam_medecin_traitant openid");
    let (status, _) = api(&sb, "dgfip", &year, &cnam_only.access_token).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "another provider's data");
    let (status, _) = api(&sb, "cnam", "/api/v1/assure", &cnam_only.access_token).await?;
    assert_eq!(status, StatusCode::OK);

    // Revoked by the service.
    let t = data_login(&sb, "vincent-berdot", "impots").await?;
    let (status, _) = api(&sb, "dgfip", &year, &t.access_token).await?;
    assert_eq!(status, StatusCode::OK);
    let r = post_form(
        &sb.endpoint("/token/revocation"),
        &ClientAuth::mairie(),
        &[("token", &t.access_token)],
    )
    .await?;
    assert_eq!(r.status, StatusCode::OK);
    let (status, body) = api(&sb, "dgfip", &year, &t.access_token).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    // No token at all.
    let r = reqwest::get(format!("{}{year}", provider_url(&sb, "dgfip"))).await?;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    Ok(())
}

#[tokio::test]
async fn checktoken_needs_the_provider_credentials_and_gives_it_its_own_stable_sub() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let t = data_login(&sb, "vincent-berdot", "impots").await?;
    let fs_sub = verify_jwt(&sb, &t.id_token).await?.claims["sub"].clone();

    // Wrong secret, or a service's credentials: invalid_client.
    let (status, body) = checktoken(&sb, "sandbox-dgfip", "wrong", &t.access_token).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    let (status, _) = checktoken(
        &sb,
        pivot_tests::MAIRIE,
        pivot_tests::MAIRIE_SECRET,
        &t.access_token,
    )
    .await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, tax) = checktoken(
        &sb,
        "sandbox-dgfip",
        "sandbox-secret-dgfip",
        &t.access_token,
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{tax}");
    assert_eq!(tax["active"], true);
    assert_eq!(tax["aud"], pivot_tests::MAIRIE);
    assert_eq!(tax["scope"], "dgfip_nbpart dgfip_rfr");
    assert_eq!(tax["acr"], "eidas1");
    assert_eq!(
        tax["identity"],
        json!({"given_name": "Vincent Maurice Jean", "family_name": "BERDOT",
               "birthdate": "1974-10-31", "gender": "male",
               "birthplace": "75114", "birthcountry": "99100"})
    );
    assert_ne!(
        tax["sub"], fs_sub,
        "the provider's sub is not the service's"
    );
    let (_, cnam) = checktoken(&sb, "sandbox-cnam", "sandbox-secret-cnam", &t.access_token).await?;
    assert_eq!(cnam["scope"], "cnam_complementaire cnam_medecin_traitant");
    assert_ne!(cnam["sub"], tax["sub"]);

    // Stable across logins, even through another identity provider.
    let again = data_login(&sb, "vincent-berdot", "laposte").await?;
    let (_, tax2) = checktoken(
        &sb,
        "sandbox-dgfip",
        "sandbox-secret-dgfip",
        &again.access_token,
    )
    .await?;
    assert_eq!(tax2["sub"], tax["sub"]);
    Ok(())
}
