//! The ID-card login at the France Identité-style provider, end to end on
//! the high platform: a service asking `eidas3` sends the browser to
//! FranceConnect+; the app walks the broker's JSON twin with its DPoP key,
//! gets the provider's challenge, has the in-process virtual card sign it
//! (PACE with the card access number, PIN, INTERNAL AUTHENTICATE), posts
//! the card's answer, relays the provider's redirect to the twin, confirms
//! and hands the final redirect back to the browser. Then the refusals: on
//! the card (wrong PIN, blocked PIN) the provider is never asked; at the
//! provider (expired card, another card's signature) it says why.

use anyhow::{Context, Result, bail};
use pivot_proto::{
    card_auth::{CardAuthErrorCode, CardProblem},
    deeplink::{DeepLink, parse},
    eidas::Eidas,
    interaction::{FiCallback, InteractionView, LoginMethod, Step},
};
use pivot_tests::{
    Browser, Stage, TestSandbox,
    app::{AppClient, chooser_app_link, ok},
    card::{Card, CardFi, CardOutcome, login},
};
use serde_json::json;
use url::Url;

/// The demo service asking `eidas3` (FranceConnect+).
const SERVICE: &str = "procuration";
const FI: &str = "france-identite";

/// The browser clicks the service's FranceConnect+ button, then the high
/// platform's chooser offers the request to the app: a `pivot://authorize`
/// link naming FranceConnect+, which an app trusting both platforms sends
/// there (its home broker is FranceConnect's). Returns the request and the
/// broker it goes to.
async fn request_for_app(
    sb: &TestSandbox,
    browser: &Browser,
) -> Result<(Vec<(String, String)>, Url)> {
    let service = sb.service(SERVICE);
    assert_eq!(service.platform, "high");
    let (chooser, link) = chooser_app_link(sb, browser, SERVICE).await?;
    assert_eq!(
        Stage::of(sb, &chooser),
        Stage::Chooser,
        "{}",
        chooser.summary()
    );
    assert!(
        chooser.url.as_str().starts_with(&sb.high("/")),
        "{}",
        chooser.url
    );
    let low = Url::parse(&sb.sb.broker_url)?;
    let high = Url::parse(&sb.sb.high.url)?;
    let DeepLink::Authorize(req) = parse(&link, &[low, high.clone()])? else {
        bail!("not an authorization link: {link}");
    };
    assert_eq!(req.broker_origin.origin(), high.origin(), "{link}");
    let pairs = req
        .to_pairs()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Ok((pairs, req.broker_origin))
}

fn step_name(v: &InteractionView) -> String {
    serde_json::to_value(&v.step).map_or_else(|_| "?".into(), |j| j["step"].to_string())
}

/// A login of the service's request in the app, at the provider's card
/// step: the app, the view, the authorization and callback URLs.
async fn at_card_step(
    sb: &TestSandbox,
    browser: &Browser,
) -> Result<(AppClient, InteractionView, String, String)> {
    let (pairs, broker) = request_for_app(sb, browser).await?;
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let app = AppClient::new(&broker)?;
    let v = ok(app.start(&pairs).await?)?;
    assert_eq!(v.level, Eidas::Eidas3);
    let Step::ChooseFi {
        identity_providers, ..
    } = &v.step
    else {
        bail!("expected the chooser, got {}", step_name(&v));
    };
    let offered = identity_providers
        .iter()
        .find(|f| f.id == FI)
        .context("France Identité is offered on FranceConnect+")?;
    assert!(offered.available);
    assert_eq!(offered.name, "France Identité");
    let v = ok(app.step(&v.id, "fi", json!({ "fi": FI })).await?)?;
    let Step::FiLogin {
        authorization_url,
        callback_url,
        method,
        fi_name,
        ..
    } = &v.step
    else {
        bail!("expected the FI login, got {}", step_name(&v));
    };
    assert_eq!(*method, LoginMethod::Card);
    assert_eq!(fi_name, "France Identité");
    let (a, c) = (authorization_url.clone(), callback_url.clone());
    Ok((app, v, a, c))
}

/// The twin's chooser after the app relayed a way back from the provider.
async fn back_to_chooser(app: &AppClient, v: &InteractionView, url: &str) -> Result<String> {
    let answer = FiCallback::from_url(&Url::parse(url)?);
    assert_eq!(answer.error.as_deref(), Some("access_denied"));
    let v = ok(app
        .step(&v.id, "fi/callback", serde_json::to_value(&answer)?)
        .await?)?;
    let Step::ChooseFi { notice, .. } = &v.step else {
        bail!("expected the chooser, got {}", step_name(&v));
    };
    Ok(notice.clone().unwrap_or_default())
}

#[tokio::test]
async fn the_app_logs_in_with_the_id_card_and_the_service_gets_eidas3() -> Result<()> {
    // Given a service asking eidas3 and Eric Mercier's card on the reader.
    let sb = TestSandbox::start().await?;
    let browser = sb.browser();
    let (app, v, authorization_url, callback_url) = at_card_step(&sb, &browser).await?;
    let mut card = Card::of("eric-mercier")?;

    // When the card signs the provider's challenge with the right PIN.
    let CardOutcome::Redirect(back) = login(&authorization_url, &mut card, "1234").await? else {
        bail!("the card login failed");
    };
    assert!(back.as_str().starts_with(&callback_url), "{back}");

    // Then the twin has the card's identity to confirm.
    let v = ok(app
        .step(
            &v.id,
            "fi/callback",
            serde_json::to_value(FiCallback::from_url(&back))?,
        )
        .await?)?;
    let Step::Confirm {
        identity, fi_name, ..
    } = &v.step
    else {
        bail!("expected the confirmation, got {} ({v:?})", step_name(&v));
    };
    assert_eq!(fi_name, "France Identité");
    assert_eq!(identity.family_name, "MERCIER");
    assert_eq!(identity.given_name, "Eric");
    assert_eq!(identity.birthdate, "12/03/1966");

    // And once confirmed, the browser brings the service an eidas3 login.
    let mut v = ok(app.step(&v.id, "confirm", json!({})).await?)?;
    if matches!(v.step, Step::Consent) {
        v = ok(app.step(&v.id, "consent", json!({"accepted": []})).await?)?;
    }
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
    let me = browser
        .get(&format!("{}/me.json", sb.service(SERVICE).url))
        .await?
        .json()?;
    assert_eq!(me["id_token"]["acr"], "eidas3", "{me}");
    assert_eq!(me["userinfo"]["family_name"], "MERCIER", "{me}");
    assert_eq!(me["userinfo"]["birthdate"], "1966-03-12", "{me}");
    Ok(())
}

#[tokio::test]
async fn a_wrong_pin_and_a_blocked_pin_never_reach_the_provider() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let browser = sb.browser();
    let (app, v, authorization_url, callback_url) = at_card_step(&sb, &browser).await?;

    // A wrong PIN: the card counts it and says how many tries are left.
    let mut card = Card::of("eric-mercier")?;
    let CardOutcome::Card(problem, challenge) =
        login(&authorization_url, &mut card, "0000").await?
    else {
        bail!("a wrong PIN signed");
    };
    assert_eq!(problem, CardProblem::WrongPin { tries_left: 2 });
    assert!(problem.message_fr().contains("2 essais"));
    // The provider was never asked: the same challenge is still open, and
    // the right PIN answers it.
    let read = card
        .sign("1234", &challenge.challenge_bytes()?)?
        .map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let fi = CardFi::new()?;
    let redirect = fi
        .answer(&challenge, &read)
        .await?
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    assert!(redirect.redirect_url.starts_with(&callback_url));
    let back = FiCallback::from_url(&Url::parse(&redirect.redirect_url)?);
    let confirm = ok(app
        .step(&v.id, "fi/callback", serde_json::to_value(&back)?)
        .await?)?;
    assert!(
        matches!(confirm.step, Step::Confirm { .. }),
        "{}",
        step_name(&confirm)
    );

    // A blocked PIN (Carmen García's card): the app cannot sign; the
    // citizen gives up and the twin offers the providers again.
    let (app2, v2, authorization_url, _) = at_card_step(&sb, &browser).await?;
    let mut blocked = Card::of("carmen-garcia")?;
    let CardOutcome::Card(problem, challenge) =
        login(&authorization_url, &mut blocked, "1234").await?
    else {
        bail!("a blocked card signed");
    };
    assert_eq!(problem, CardProblem::PinBlocked);
    assert!(problem.message_fr().contains("PUK"));
    let notice = back_to_chooser(&app2, &v2, &challenge.cancel_url).await?;
    assert!(notice.contains("abandonné"), "{notice}");
    Ok(())
}

#[tokio::test]
async fn the_provider_refuses_an_expired_card_and_another_cards_signature() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let browser = sb.browser();

    // Marie-Hélène's card expired on 2024-06-09: it still signs, the
    // provider refuses it and says why; the app leaves the provider.
    let (app, v, authorization_url, _) = at_card_step(&sb, &browser).await?;
    let mut expired = Card::of("marie-helene-de-la-fontaine-eloise")?;
    let CardOutcome::Refused(e) = login(&authorization_url, &mut expired, "1234").await? else {
        bail!("an expired card was accepted");
    };
    assert_eq!(e.error, CardAuthErrorCode::CertificateExpired);
    assert!(
        e.message.contains("a expiré le 09/06/2024"),
        "{}",
        e.message
    );
    let notice = back_to_chooser(&app, &v, e.return_url.as_deref().context("way back")?).await?;
    assert!(notice.contains("France Identité"), "{notice}");

    // Another card signs the challenge; the app presents Eric's chain and
    // identity with it.
    let (_app, _v, authorization_url, _) = at_card_step(&sb, &browser).await?;
    let fi = CardFi::new()?;
    let challenge = fi
        .challenge(&authorization_url)
        .await?
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let bytes = challenge.challenge_bytes()?;
    let other = expired
        .sign("1234", &bytes)?
        .map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let mut eric = Card::of("eric-mercier")?;
    let eric_read = eric
        .sign("1234", &bytes)?
        .map_err(|p| anyhow::anyhow!("{p:?}"))?;
    let swapped = pivot_card::client::CardAnswer {
        signature: other.signature,
        ..eric_read
    };
    let e = fi
        .answer(&challenge, &swapped)
        .await?
        .err()
        .context("another card's signature was accepted")?;
    assert_eq!(e.error, CardAuthErrorCode::BadSignature);
    assert!(
        e.message.contains("ne vient pas de la carte"),
        "{}",
        e.message
    );
    Ok(())
}

#[tokio::test]
async fn a_browser_at_the_card_provider_is_sent_back_to_choose_the_app() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let browser = sb.browser();
    let (pairs, _) = request_for_app(&sb, &browser).await?;
    let url = Url::parse_with_params(&sb.high("/api/v2/authorize"), &pairs)?;
    let chooser = browser
        .follow(browser.get(url.as_str()).await?)
        .await?
        .into_last();
    assert_eq!(
        Stage::of(&sb, &chooser),
        Stage::Chooser,
        "{}",
        chooser.summary()
    );
    assert!(
        chooser.has(&format!("button#fi-{FI}[name=fi]")),
        "{}",
        chooser.summary()
    );
    let form = chooser.form("form[action$='/fi']")?.set("fi", FI);
    let trail = browser.follow(browser.submit(&form).await?).await?;
    let page = trail.last();
    assert!(page.is_at(&sb.fi(FI).url), "{}", trail.describe());
    assert!(page.has("#card-app"), "{}", page.summary());
    // "Revenir": the broker hears the citizen left, and offers the
    // providers again (where the service's page has the app's link).
    let back = page.link("#card-return").context("Revenir")?;
    let trail = browser.follow(browser.get(back.as_str()).await?).await?;
    let left = trail.last();
    assert_eq!(
        Stage::of(&sb, left),
        Stage::BrokerError,
        "{}",
        trail.describe()
    );
    assert!(
        left.summary().contains("Connexion interrompue"),
        "{}",
        left.summary()
    );
    let again = left
        .link("#error-action")
        .context("Choisir un autre compte")?;
    let chooser = browser.get(again.as_str()).await?;
    assert_eq!(
        Stage::of(&sb, &chooser),
        Stage::Chooser,
        "{}",
        chooser.summary()
    );
    // with « Continuer avec l'application », as the provider's page said.
    let link = chooser
        .attr("#app-link", "href")
        .context("the app's link")?;
    assert!(link.starts_with("pivot://authorize?"), "{link}");
    Ok(())
}
