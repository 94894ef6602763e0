//! eIDAS levels on both platforms: `acr_values` selection, the chooser
//! greying providers below the level, a service's allowed and refused
//! providers, an FI asserting too low a level, `idp_hint`, `prompt=login`,
//! and the claims that depend on what the service asks and may ask (`amr`
//! through the `claims` parameter, `idp_id`).

use anyhow::Result;
use pivot_broker::sandbox::fi::FiBehaviour;
use pivot_broker::storage::EncryptionAlg;
use pivot_proto::eidas::Eidas;
use pivot_tests::{
    AuthRequest, Page, Stage, TestSandbox,
    browser::query_param,
    journey::drive,
    login,
    oidc::{
        EncKey, Platform, TestClient, authorize, error_redirect, high_client, high_id_token, land,
        open_nested, userinfo_on,
    },
};
use serde_json::{Value, json};

/// A request of the demo renovation service (high platform) at `acr`
/// (`None`: no `acr_values`).
fn renovation(sb: &TestSandbox, acr: Option<&str>) -> AuthRequest {
    let req = AuthRequest::high("sandbox-renovation", &sb.callback("renovation"), "openid");
    match acr {
        Some(a) => req.set("acr_values", a),
        None => req.without("acr_values"),
    }
}

/// The level a request was given: it lands on the chooser, `fi` is chosen,
/// and the `acr_values` the broker sends that FI is read.
async fn level_asked_of_fi(
    sb: &TestSandbox,
    req: &AuthRequest,
    fi: &str,
) -> Result<Option<String>> {
    let b = sb.browser();
    let page = land(sb, &b, req).await?;
    assert!(
        page.has("#chooser-title"),
        "not the chooser: {}",
        page.summary()
    );
    let answer = b
        .submit(&page.form("form[action$='/fi']")?.set("fi", fi))
        .await?;
    let to = answer.location().expect("a redirect");
    assert!(
        to.as_str()
            .starts_with(&format!("{}/authorize", sb.fi(fi).url)),
        "{}",
        answer.summary()
    );
    Ok(query_param(&to, "acr_values"))
}

/// Whether the chooser offers `fi` as a button that can be clicked.
fn offered(page: &Page, fi: &str) -> bool {
    page.has(&format!(
        "button#fi-{fi}[name=fi][value={fi}]:not([disabled])"
    ))
}

/// Whether the chooser shows `fi` greyed out, with the reason.
fn greyed(page: &Page, fi: &str) -> bool {
    page.has(&format!("button#fi-{fi}[disabled]")) && page.has(&format!("#fi-{fi}-why"))
}

/// Whether the chooser shows `fi` at all.
fn shown(page: &Page, fi: &str) -> bool {
    page.has(&format!("#fi-{fi}"))
}

/// A high-platform client encrypting to an inline key, adjusted by `f`.
async fn high_client_with(
    sb: &TestSandbox,
    id: &str,
    f: impl FnOnce(&mut TestClient),
) -> Result<(TestClient, EncKey)> {
    let key = EncKey::generate(EncryptionAlg::EcdhEs, &format!("{id}-enc"))?;
    let mut client = TestClient::new(id).with_inline_key(&key);
    f(&mut client);
    client.register(sb, Platform::High).await?;
    Ok((client, key))
}

#[tokio::test]
async fn the_high_platform_keeps_the_lowest_known_level_and_defaults_to_eidas3() -> Result<()> {
    let sb = TestSandbox::start_high(false).await?;
    for (acr, expected) in [
        (Some("eidas2"), "eidas2"),
        (Some("eidas3"), "eidas3"),
        (Some("eidas3 eidas2"), "eidas2"),
        (Some("loa-inconnu eidas3"), "eidas3"),
        (None, "eidas3"),
    ] {
        assert_eq!(
            level_asked_of_fi(&sb, &renovation(&sb, acr), "test-eidas3")
                .await?
                .as_deref(),
            Some(expected),
            "acr_values {acr:?}"
        );
    }

    // And the level kept is the one delivered
    let (client, key) = high_client(&sb, "fs-niveaux").await?;
    for (acr, expected) in [(None, "eidas3"), (Some("eidas3 eidas2"), "eidas2")] {
        let b = sb.browser();
        let mut req = client.request(Platform::High, "openid");
        req = match acr {
            Some(a) => req.set("acr_values", a),
            None => req.without("acr_values"),
        };
        let resp = authorize(&sb, &b, &req, "test-eidas3", "eric-mercier").await?;
        let to_fi = resp
            .journey
            .redirect_to(&sb.fi("test-eidas3").url)
            .expect("a redirect to the FI");
        assert_eq!(query_param(&to_fi, "acr_values").as_deref(), Some(expected));
        let (_, t) = high_id_token(&sb, &client, &key, resp.code()?).await?;
        assert_eq!(t.inner.claims["acr"], expected, "acr_values {acr:?}");
    }
    Ok(())
}

#[tokio::test]
async fn levels_a_platform_does_not_allow_are_refused_with_invalid_acr() -> Result<()> {
    let sb = TestSandbox::start_high(false).await?;
    let b = sb.browser();
    // High: eidas1 (alone or as the lowest asked), or no known level
    for acr in ["eidas1", "eidas1 eidas2", "eidas3 eidas1", "loa-high"] {
        let req = renovation(&sb, Some(acr));
        let page = req.send(&sb, &b).await?;
        assert_eq!(
            error_redirect(&sb, &req, &page)?,
            "invalid_acr",
            "high, acr_values {acr}: {}",
            page.summary()
        );
    }
    // Low: eidas2 or eidas3
    for acr in ["eidas2", "eidas3"] {
        let req = AuthRequest::mairie(&sb).set("acr_values", acr);
        let page = req.send(&sb, &b).await?;
        assert_eq!(
            error_redirect(&sb, &req, &page)?,
            "invalid_acr",
            "low, acr_values {acr}: {}",
            page.summary()
        );
    }
    // Low: acr_values is required there
    let req = AuthRequest::mairie(&sb).without("acr_values");
    let page = req.send(&sb, &b).await?;
    assert_eq!(error_redirect(&sb, &req, &page)?, "invalid_request");
    // Low: the lowest known value is kept, so eidas1 eidas2 is eidas1
    let req = AuthRequest::mairie(&sb).set("acr_values", "eidas2 eidas1");
    assert_eq!(
        level_asked_of_fi(&sb, &req, "ameli").await?.as_deref(),
        Some("eidas1")
    );
    Ok(())
}

#[tokio::test]
async fn the_chooser_offers_each_platform_s_providers_and_greys_those_below_the_level() -> Result<()>
{
    let sb = TestSandbox::start_high(false).await?;

    // High, eidas2: La Poste and the test FI; impots, ameli, MSA not at all
    let page = land(&sb, &sb.browser(), &renovation(&sb, Some("eidas2"))).await?;
    assert!(offered(&page, "laposte"), "{}", page.body);
    assert!(offered(&page, "test-eidas3"), "{}", page.body);
    for fi in ["impots", "ameli", "msa"] {
        assert!(!shown(&page, fi), "{fi} on the high platform");
    }

    // High, eidas3: La Poste greyed out, the test FI offered
    let page = land(&sb, &sb.browser(), &renovation(&sb, Some("eidas3"))).await?;
    assert!(greyed(&page, "laposte"), "{}", page.body);
    assert!(!offered(&page, "laposte"));
    assert!(offered(&page, "test-eidas3"), "{}", page.body);
    for fi in ["impots", "ameli", "msa"] {
        assert!(!shown(&page, fi), "{fi} on the high platform");
    }

    // Low, eidas1: the four providers offered, the test FI not shown
    let page = land(&sb, &sb.browser(), &AuthRequest::mairie(&sb)).await?;
    for fi in ["impots", "ameli", "laposte", "msa"] {
        assert!(offered(&page, fi), "{fi} on the low platform");
    }
    assert!(
        !shown(&page, "test-eidas3"),
        "an eidas3 FI on the low platform"
    );
    Ok(())
}

#[tokio::test]
async fn a_greyed_out_fi_cannot_be_chosen_with_a_forged_form() -> Result<()> {
    // Given the chooser of an eidas3 request, La Poste greyed out
    let sb = TestSandbox::start_high(false).await?;
    let b = sb.browser();
    let page = land(&sb, &b, &renovation(&sb, Some("eidas3"))).await?;
    assert!(greyed(&page, "laposte"));

    // When the form is submitted with La Poste anyway
    let form = page.form("form[action$='/fi']")?.set("fi", "laposte");
    let answer = b.submit(&form).await?;

    // Then the browser is sent back to the chooser, never to La Poste
    let to = answer.location().expect("a redirect");
    assert_eq!(to.path(), page.url.path(), "{}", answer.summary());
    assert!(!to.as_str().starts_with(&sb.fi("laposte").url));
    Ok(())
}

#[tokio::test]
async fn a_service_s_allowed_and_refused_providers_shape_the_chooser_and_idp_hint() -> Result<()> {
    let sb = TestSandbox::start_high(false).await?;

    // Given a high-platform service accepting the test FI only
    let (only, _) = high_client_with(&sb, "fs-allow", |c| {
        c.fi_allow = Some(vec!["test-eidas3".into()]);
    })
    .await?;
    let b = sb.browser();
    let page = land(&sb, &b, &only.request(Platform::High, "openid")).await?;
    // Then La Poste is not shown, and cannot be forced or hinted
    assert!(offered(&page, "test-eidas3"), "{}", page.body);
    assert!(!shown(&page, "laposte"), "{}", page.body);
    let forged = b
        .submit(&page.form("form[action$='/fi']")?.set("fi", "laposte"))
        .await?;
    let to = forged.location().expect("a redirect");
    assert_eq!(to.path(), page.url.path(), "{}", forged.summary());
    let hinted = only
        .request(Platform::High, "openid")
        .set("idp_hint", "laposte");
    let answer = hinted.send(&sb, &b).await?;
    assert_eq!(error_redirect(&sb, &hinted, &answer)?, "invalid_request");

    // Given a high-platform service refusing the test FI
    let (deny, _) = high_client_with(&sb, "fs-deny", |c| {
        c.fi_deny = vec!["test-eidas3".into()];
    })
    .await?;
    let page = land(&sb, &b, &deny.request(Platform::High, "openid")).await?;
    assert!(offered(&page, "laposte"), "{}", page.body);
    assert!(!shown(&page, "test-eidas3"), "{}", page.body);
    let hinted = deny
        .request(Platform::High, "openid")
        .set("idp_hint", "test-eidas3");
    let answer = hinted.send(&sb, &b).await?;
    assert_eq!(error_redirect(&sb, &hinted, &answer)?, "invalid_request");

    // Given a low-platform service refusing impots.gouv and MSA
    let mut low = TestClient::new("fs-low-deny");
    low.fi_deny = vec!["impots".into(), "msa".into()];
    low.register(&sb, Platform::Low).await?;
    let page = land(&sb, &b, &low.request(Platform::Low, "openid")).await?;
    assert!(
        offered(&page, "ameli") && offered(&page, "laposte"),
        "{}",
        page.body
    );
    assert!(
        !shown(&page, "impots") && !shown(&page, "msa"),
        "{}",
        page.body
    );
    let hinted = low
        .request(Platform::Low, "openid")
        .set("idp_hint", "impots");
    let answer = hinted.send(&sb, &b).await?;
    assert_eq!(error_redirect(&sb, &hinted, &answer)?, "invalid_request");
    // And an accepted FI as idp_hint goes straight there
    let ok = low
        .request(Platform::Low, "openid")
        .set("idp_hint", "ameli");
    let answer = ok.send(&sb, &b).await?;
    let to = answer.location().expect("a redirect");
    assert!(
        to.as_str()
            .starts_with(&format!("{}/authorize", sb.fi("ameli").url)),
        "{to}"
    );
    Ok(())
}

#[tokio::test]
async fn a_login_at_a_refused_provider_is_not_reused_by_sso() -> Result<()> {
    // Given Carmen logged in at eidas2 through La Poste on the renovation service
    let sb = TestSandbox::start_high(false).await?;
    let b = sb.browser();
    login(&sb, &b, "renovation", "laposte", "carmen-garcia").await?;

    // When a service refusing La Poste asks eidas2 in the same browser
    let (deny, _) = high_client_with(&sb, "fs-sans-laposte", |c| {
        c.fi_deny = vec!["laposte".into()];
    })
    .await?;
    let page = land(&sb, &b, &deny.request(Platform::High, "openid")).await?;

    // Then the session is not reused: the chooser, without La Poste
    assert_eq!(Stage::of(&sb, &page), Stage::Chooser, "{}", page.summary());
    assert!(!shown(&page, "laposte"));
    Ok(())
}

#[tokio::test]
async fn an_fi_asserting_a_level_below_the_request_fails_cleanly() -> Result<()> {
    let sb = TestSandbox::start_high(false).await?;
    let (client, key) = high_client(&sb, "fs-niveau-bas").await?;
    let to_client = {
        let prefix = client.redirect_uri.clone();
        move |p: &Page| {
            p.location()
                .is_some_and(|l| l.as_str().starts_with(&prefix))
        }
    };
    let cases = [
        ("laposte", "carmen-garcia", Eidas::Eidas1, "eidas2"),
        ("test-eidas3", "eric-mercier", Eidas::Eidas2, "eidas3"),
    ];
    for (fi, citizen, asserted, asked) in cases {
        // Given an FI that asserts a level below the one asked
        sb.fi(fi).control.set(FiBehaviour::AssertAcr(asserted));
        let b = sb.browser();
        let req = client
            .request(Platform::High, "openid given_name")
            .set("acr_values", asked);

        // When the citizen logs in there
        let start = req.send(&sb, &b).await?;
        let j = drive(&sb, &b, start, fi, citizen, &to_client).await?;

        // Then the broker shows an error page after the FI, and nothing
        // reaches the service
        let what = format!("{fi} asserting {asserted} for {asked}");
        assert!(j.saw(Stage::FiLogin), "{what}: {}", j.describe());
        assert_eq!(
            j.stages.last(),
            Some(&Stage::BrokerError),
            "{what}: {}",
            j.describe()
        );
        let last = j.last();
        assert_eq!(last.status, 400, "{what}: {}", last.summary());
        assert_eq!(last.error_code().as_deref(), Some("Y020001"), "{what}");
        assert_eq!(
            last.text("#error-title").as_deref(),
            Some("Niveau de sécurité insuffisant"),
            "{what}"
        );
        assert!(
            j.redirect_to(&client.redirect_uri).is_none(),
            "{what}: {}",
            j.describe()
        );
        // And no session was made of that login: a new request shows the chooser
        sb.fi(fi).control.set(FiBehaviour::Normal);
        let page = land(&sb, &b, &client.request(Platform::High, "openid")).await?;
        assert_eq!(
            Stage::of(&sb, &page),
            Stage::Chooser,
            "{what}: {}",
            page.summary()
        );
    }

    // While an FI asserting more than asked is accepted, at its level
    sb.fi("test-eidas3")
        .control
        .set(FiBehaviour::AssertAcr(Eidas::Eidas3));
    let b = sb.browser();
    let req = client.request(Platform::High, "openid");
    let resp = authorize(&sb, &b, &req, "test-eidas3", "eric-mercier").await?;
    let (_, t) = high_id_token(&sb, &client, &key, resp.code()?).await?;
    assert_eq!(t.inner.claims["acr"], "eidas3");
    Ok(())
}

#[tokio::test]
async fn idp_hint_goes_straight_to_the_fi() -> Result<()> {
    let sb = TestSandbox::start_high(false).await?;
    let (client, _) = high_client(&sb, "fs-hint").await?;

    // High: the test FI, without the chooser
    let b = sb.browser();
    let req = client
        .request(Platform::High, "openid")
        .set("idp_hint", "test-eidas3");
    let first = req.send(&sb, &b).await?;
    let to = first.location().expect("a redirect");
    let fi = &sb.fi("test-eidas3").url;
    assert!(to.as_str().starts_with(&format!("{fi}/authorize")), "{to}");
    assert_eq!(query_param(&to, "acr_values").as_deref(), Some("eidas2"));
    let resp = authorize(&sb, &sb.browser(), &req, "test-eidas3", "eric-mercier").await?;
    assert_eq!(
        resp.journey.stages,
        [Stage::FiLogin, Stage::FiCode, Stage::Confirm],
        "{}",
        resp.journey.describe()
    );
    assert!(resp.code.is_some());

    // Low: ameli, without the chooser
    let low = AuthRequest::mairie(&sb).set("idp_hint", "ameli");
    let resp = authorize(&sb, &sb.browser(), &low, "ameli", "eric-mercier").await?;
    assert_eq!(
        resp.journey.stages,
        [Stage::FiLogin, Stage::Confirm],
        "{}",
        resp.journey.describe()
    );
    assert!(resp.code.is_some());

    // And hints that cannot serve the request are refused
    let b = sb.browser();
    for (req, what) in [
        (
            client
                .request(Platform::High, "openid")
                .set("idp_hint", "impots"),
            "impots on high",
        ),
        (
            client
                .request(Platform::High, "openid")
                .set("acr_values", "eidas3")
                .set("idp_hint", "laposte"),
            "La Poste at eidas3",
        ),
        (
            client
                .request(Platform::High, "openid")
                .set("idp_hint", "inconnu"),
            "unknown FI",
        ),
        (
            AuthRequest::mairie(&sb).set("idp_hint", "test-eidas3"),
            "the eidas3 FI on low",
        ),
    ] {
        let page = req.send(&sb, &b).await?;
        assert_eq!(
            error_redirect(&sb, &req, &page)?,
            "invalid_request",
            "{what}: {}",
            page.summary()
        );
    }
    Ok(())
}

#[tokio::test]
async fn prompt_login_forces_a_new_authentication_despite_sso() -> Result<()> {
    // Given Eric logged in at eidas2 on the high platform
    let sb = TestSandbox::start_high(false).await?;
    let b = sb.browser();
    let (client, _) = high_client(&sb, "fs-prompt").await?;
    let req = || client.request(Platform::High, "openid");
    authorize(&sb, &b, &req(), "test-eidas3", "eric-mercier")
        .await?
        .code()?;
    let sso = authorize(&sb, &b, &req(), "test-eidas3", "eric-mercier").await?;
    assert_eq!(
        sso.journey.stages,
        [Stage::Confirm],
        "{}",
        sso.journey.describe()
    );

    // When the service asks prompt=login
    let forced = authorize(
        &sb,
        &b,
        &req().set("prompt", "login"),
        "test-eidas3",
        "eric-mercier",
    )
    .await?;

    // Then the chooser and the FI's forms come again, the FI being told
    // prompt=login
    assert_eq!(
        forced.journey.stages,
        [
            Stage::Chooser,
            Stage::FiLogin,
            Stage::FiCode,
            Stage::Confirm
        ],
        "{}",
        forced.journey.describe()
    );
    let to_fi = forced
        .journey
        .redirect_to(&format!("{}/authorize", sb.fi("test-eidas3").url))
        .expect("a redirect to the FI");
    assert_eq!(query_param(&to_fi, "prompt").as_deref(), Some("login"));
    assert!(forced.code.is_some());

    // And with idp_hint too, straight to the FI's form
    let hinted = req().set("prompt", "login").set("idp_hint", "test-eidas3");
    let forced = authorize(&sb, &b, &hinted, "test-eidas3", "eric-mercier").await?;
    assert_eq!(
        forced.journey.stages,
        [Stage::FiLogin, Stage::FiCode, Stage::Confirm],
        "{}",
        forced.journey.describe()
    );
    Ok(())
}

#[tokio::test]
async fn the_claims_parameter_asking_amr_puts_amr_in_the_id_token() -> Result<()> {
    let sb = TestSandbox::start_high(false).await?;
    let b = sb.browser();
    let (client, key) = high_client(&sb, "fs-amr").await?;
    let claims = json!({ "id_token": { "amr": { "essential": true } } }).to_string();

    // When the service asks amr through the claims parameter (not the scope)
    let req = client
        .request(Platform::High, "openid given_name")
        .set("claims", &claims);
    let resp = authorize(&sb, &b, &req, "test-eidas3", "eric-mercier").await?;
    let (_, t) = high_id_token(&sb, &client, &key, resp.code()?).await?;

    // Then the ID token carries the methods: password and one-time code
    let amr = &t.inner.claims["amr"];
    let methods: Vec<&str> = amr
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(
        methods.contains(&"pwd") && methods.contains(&"otp"),
        "amr {amr}"
    );

    // And without it, no amr
    let plain = client.request(Platform::High, "openid given_name");
    let resp = authorize(&sb, &b, &plain, "test-eidas3", "eric-mercier").await?;
    let (_, t) = high_id_token(&sb, &client, &key, resp.code()?).await?;
    assert!(t.inner.claims.get("amr").is_none(), "{:?}", t.inner.claims);
    Ok(())
}

#[tokio::test]
async fn idp_id_is_given_only_to_a_client_allowed_that_scope() -> Result<()> {
    let sb = TestSandbox::start_high(false).await?;
    let b = sb.browser();

    // Given a service allowed idp_id
    let (allowed, key) = high_client(&sb, "fs-idp-id").await?;
    let req = allowed.request(Platform::High, "openid idp_id");
    let resp = authorize(&sb, &b, &req, "test-eidas3", "eric-mercier").await?;
    let (tokens, t) = high_id_token(&sb, &allowed, &key, resp.code()?).await?;
    // Then it learns the FI in the ID token and userinfo
    assert_eq!(t.inner.claims["idp_id"], "test-eidas3");
    let u = userinfo_on(&sb, Platform::High, &tokens.access_token).await?;
    let u = open_nested(&sb, Platform::High, &key, u.body.trim()).await?;
    assert_eq!(u.inner.claims["idp_id"], "test-eidas3");

    // Given a service not allowed idp_id
    let (denied, dkey) = high_client_with(&sb, "fs-sans-idp-id", |c| {
        c.scopes.retain(|s| s != "idp_id");
    })
    .await?;
    // When it asks the scope: invalid_scope
    let req = denied.request(Platform::High, "openid idp_id");
    let page = req.send(&sb, &b).await?;
    assert_eq!(error_redirect(&sb, &req, &page)?, "invalid_scope");
    // When it asks idp_id through the claims parameter: it is not given
    let claims = json!({ "id_token": { "idp_id": null }, "userinfo": { "idp_id": null } });
    let req = denied
        .request(Platform::High, "openid given_name")
        .set("claims", &claims.to_string());
    let resp = authorize(&sb, &b, &req, "test-eidas3", "eric-mercier").await?;
    let (tokens, t) = high_id_token(&sb, &denied, &dkey, resp.code()?).await?;
    assert!(
        t.inner.claims.get("idp_id").is_none(),
        "{:?}",
        t.inner.claims
    );
    let u = userinfo_on(&sb, Platform::High, &tokens.access_token).await?;
    let u = open_nested(&sb, Platform::High, &dkey, u.body.trim()).await?;
    assert!(
        u.inner.claims.get("idp_id").is_none(),
        "{:?}",
        u.inner.claims
    );
    Ok(())
}
