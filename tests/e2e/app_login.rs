//! A service login run by the citizen app through the broker's JSON twin of
//! its pages, end to end: the service's request leaves the browser as the
//! chooser's `pivot://` link, the app walks the steps with its DPoP key,
//! logs in at the real demo FI in its own "web view" (a second cookie
//! store), relays the FI's answer, confirms, consents datum by datum, and
//! hands the final redirect back to the browser, where the service is then
//! logged in.

use anyhow::{Context, Result, bail};
use pivot_broker::storage::EventFilter;
use pivot_proto::{
    citizen::EventCode,
    deeplink::{DeepLink, parse},
    interaction::{FiCallback, InteractionView, Step},
};
use pivot_tests::{
    Browser, Page, TestSandbox,
    app::{AppClient, chooser_app_link, ok},
    journey::{Stage, credentials},
};
use serde_json::json;
use url::Url;

/// The browser clicks the service's FranceConnect button; returns the
/// request the chooser offers to the app.
async fn request_for_app(
    sb: &TestSandbox,
    browser: &Browser,
    service: &str,
) -> Result<Vec<(String, String)>> {
    let (chooser, link) = chooser_app_link(sb, browser, service).await?;
    assert_eq!(
        Stage::of(sb, &chooser),
        Stage::Chooser,
        "{}",
        chooser.summary()
    );
    let broker = Url::parse(&sb.sb.broker_url)?;
    let DeepLink::Authorize(req) = parse(&link, &[broker])? else {
        bail!("not an authorization link: {link}");
    };
    Ok(req
        .to_pairs()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}

/// The app's web view: logs in at the FI from `authorization_url` and stops
/// at the broker's callback (without loading it); returns that address.
async fn fi_login_in_webview(
    sb: &TestSandbox,
    fi: &str,
    citizen: &str,
    authorization_url: &str,
    callback_url: &str,
) -> Result<Url> {
    let webview = Browser::new();
    let mut page: Page = webview.get(authorization_url).await?;
    for _ in 0..20 {
        if let Some(next) = page.location() {
            if next.as_str().starts_with(callback_url) {
                return Ok(next);
            }
            page = webview.get(next.as_str()).await?;
            continue;
        }
        page = match Stage::of(sb, &page) {
            Stage::FiLogin => {
                let (login, password) = credentials(fi, citizen)?;
                let form = page
                    .form("form[action$='/login']")?
                    .set("login", login)
                    .set("password", password);
                webview.submit(&form).await?
            }
            _ => bail!("the FI login stopped at {}", page.summary()),
        };
    }
    bail!("the FI login did not come back")
}

fn step_name(v: &InteractionView) -> String {
    serde_json::to_value(&v.step).map_or_else(|_| "?".into(), |j| j["step"].to_string())
}

#[tokio::test]
async fn the_app_logs_the_citizen_in_to_a_service_with_data_consent() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let browser = sb.browser();
    let pairs = request_for_app(&sb, &browser, "lyon").await?;
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let app = AppClient::new(&Url::parse(&sb.sb.broker_url)?)?;

    // The app shows who asks, what for, and the providers.
    let v = ok(app.start(&pairs).await?)?;
    assert_eq!(v.service.client_id, "sandbox-lyon");
    assert!(v.service.public_service);
    let scopes: Vec<&str> = v.data.iter().map(|d| d.scope.as_str()).collect();
    assert_eq!(scopes, ["dgfip_rfr", "dgfip_nbpart"], "{v:?}");
    let Step::ChooseFi {
        identity_providers, ..
    } = &v.step
    else {
        bail!("expected the chooser, got {}", step_name(&v));
    };
    assert!(
        identity_providers
            .iter()
            .any(|f| f.id == "impots" && f.available)
    );

    // The FI login in the app's web view.
    let v = ok(app.step(&v.id, "fi", json!({"fi": "impots"})).await?)?;
    let Step::FiLogin {
        authorization_url,
        callback_url,
        fi_name,
        ..
    } = &v.step
    else {
        bail!("expected the FI login, got {}", step_name(&v));
    };
    assert_eq!(fi_name, "impots.gouv.fr");
    let back = fi_login_in_webview(
        &sb,
        "impots",
        "vincent-berdot",
        authorization_url,
        callback_url,
    )
    .await?;
    let answer = FiCallback::from_url(&back);
    let v = ok(app
        .step(&v.id, "fi/callback", serde_json::to_value(&answer)?)
        .await?)?;
    let Step::Confirm { identity, .. } = &v.step else {
        bail!("expected the confirmation, got {} ({v:?})", step_name(&v));
    };
    assert_eq!(identity.family_name, "BERDOT");
    // The FI's answer is single-use.
    let replay = app
        .step(&v.id, "fi/callback", serde_json::to_value(&answer)?)
        .await?;
    assert!(replay.is_err(), "a replayed FI answer is refused");

    // Confirm, share only the tax income, return to the browser.
    let v = ok(app.step(&v.id, "confirm", json!({})).await?)?;
    assert!(matches!(v.step, Step::Consent), "{}", step_name(&v));
    let v = ok(app
        .step(&v.id, "consent", json!({"accepted": ["dgfip_rfr"]}))
        .await?)?;
    let Step::Return {
        redirect_url,
        success: true,
    } = &v.step
    else {
        bail!("expected the return, got {}", step_name(&v));
    };
    let trail = browser.follow(browser.get(redirect_url).await?).await?;
    let last = trail.last();
    assert_eq!(Stage::of(&sb, last), Stage::Service, "{}", trail.describe());
    assert!(last.has("#logged-in"), "{}", trail.describe());
    let lyon = sb.service("lyon").url.clone();
    let me = browser.get(&format!("{lyon}/me.json")).await?.json()?;
    assert_eq!(me["userinfo"]["family_name"], "BERDOT", "{me}");

    // The history has the connection with the datum shared, and the app
    // became one of the citizen's devices.
    let events = sb
        .sb
        .state
        .store
        .events(&EventFilter {
            code: Some(EventCode::FcRedirectedToSp),
            limit: 10,
            ..EventFilter::default()
        })
        .await?;
    let e = events.first().context("the connection event")?;
    assert_eq!(e.client_id.as_deref(), Some("sandbox-lyon"));
    let shared: Vec<&str> = e.data.iter().map(|d| d.scope.as_str()).collect();
    assert_eq!(shared, ["dgfip_rfr"]);
    let hash = e.identity_hash.clone().context("identity hash")?;
    let devices = sb.sb.state.store.devices(&hash).await?;
    assert!(
        devices.iter().any(|d| d.label == "Application Pivot"),
        "{devices:?}"
    );
    Ok(())
}

#[tokio::test]
async fn an_fi_login_abandoned_in_the_app_brings_the_chooser_back_then_cancel_returns() -> Result<()>
{
    let sb = TestSandbox::start().await?;
    let browser = sb.browser();
    let pairs = request_for_app(&sb, &browser, "mairie").await?;
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let app = AppClient::new(&Url::parse(&sb.sb.broker_url)?)?;
    let v = ok(app.start(&pairs).await?)?;
    let v = ok(app.step(&v.id, "fi", json!({"fi": "ameli"})).await?)?;
    let Step::FiLogin {
        authorization_url, ..
    } = &v.step
    else {
        bail!("expected the FI login, got {}", step_name(&v));
    };
    // The citizen closes the FI's page: the FI sends access_denied.
    let state = Url::parse(authorization_url)?
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .context("state")?;
    let v = ok(app
        .step(
            &v.id,
            "fi/callback",
            json!({"error": "access_denied", "state": state}),
        )
        .await?)?;
    let Step::ChooseFi { notice, .. } = &v.step else {
        bail!("expected the chooser, got {}", step_name(&v));
    };
    assert!(
        notice.as_deref().unwrap_or_default().contains("abandonné"),
        "{notice:?}"
    );
    let v = ok(app.step(&v.id, "cancel", json!(null)).await?)?;
    let Step::Return {
        redirect_url,
        success: false,
    } = &v.step
    else {
        bail!("expected the return, got {}", step_name(&v));
    };
    // The service hears of it.
    let trail = browser.follow(browser.get(redirect_url).await?).await?;
    assert_eq!(
        Stage::of(&sb, trail.last()),
        Stage::Service,
        "{}",
        trail.describe()
    );
    assert!(!trail.last().has("#logged-in"), "{}", trail.describe());
    Ok(())
}
