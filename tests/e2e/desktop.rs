//! The citizen app's real window (Tauri, WebKitGTK), driven over WebDriver
//! against a sandbox: see `pivot_tests::desktop`. These tests need a
//! display, tauri-driver and the app binary, so the workspace run skips
//! them; `scripts/app-test.sh` (`make app-test`) runs them under Xvfb, and
//! there a missing piece is a failure.
//!
//! Each test starts its own sandbox and app. Screenshots:
//! `$ARTIFACTS_DIR/app-*.png`.

use anyhow::{Result, ensure};
use pivot_tests::app::chooser_app_link;
use pivot_tests::desktop::{DesktopApp, SCREEN};

/// The citizen and the identity provider the scenarios sign in with.
const CITIZEN: &str = "eric-mercier";
const FI: &str = "impots";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and the app binary: scripts/app-test.sh"]
async fn the_home_screen_is_in_french_with_the_sign_in_button() -> Result<()> {
    let app = DesktopApp::launch("home").await?;
    let w = &app.window;
    app.check(async {
        // Given the app just started, signed out
        // Then the home screen shows, in French, with the sign-in button
        w.wait_for("#home-title", "Mon espace", SCREEN).await?;
        w.wait_for(
            "#main",
            "Connectez-vous pour consulter votre historique",
            SCREEN,
        )
        .await?;
        w.wait_for("#main button", "Se connecter", SCREEN).await?;
        let lang = w
            .execute(
                "return document.documentElement.lang;",
                serde_json::json!([]),
            )
            .await?;
        ensure!(lang == "fr", "<html lang> is {lang}, not fr");
        app.screenshot("01-home").await?;
        Ok(())
    })
    .await?;
    app.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and the app binary: scripts/app-test.sh"]
async fn signing_in_to_mon_espace_goes_through_the_browser() -> Result<()> {
    let app = DesktopApp::launch("sign-in").await?;
    let w = &app.window;
    app.check(async {
        // When the citizen signs in: the app opens the broker's authorize URL
        // in the browser, where they choose impots.gouv.fr, log in and confirm
        let journey = app.sign_in(FI, CITIZEN).await?;
        ensure!(
            journey.visited(&app.sb.fi(FI).url),
            "the login did not go through {FI}:\n{}",
            journey.describe()
        );
        // Then the app shows the signed-in home, greeting the citizen by the
        // given name the broker's userinfo gave, with the sign-out button
        w.wait_for("#home-title", "Bonjour Eric", SCREEN).await?;
        w.wait_for("#main button", "Historique", SCREEN).await?;
        w.wait_for("header button", "Se déconnecter", SCREEN)
            .await?;
        app.screenshot("02-signed-in").await?;
        Ok(())
    })
    .await?;
    app.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and the app binary: scripts/app-test.sh"]
async fn the_history_lists_a_web_login_and_the_preferences_show() -> Result<()> {
    let app = DesktopApp::launch("history").await?;
    let w = &app.window;
    app.check(async {
        // Given the citizen signed in to the app
        app.sign_in(FI, CITIZEN).await?;
        // And then logged in to the town hall's website in their browser
        pivot_tests::login(&app.sb, &app.browser, "mairie", FI, CITIZEN).await?;
        let mairie = app.sb.service("mairie").name.clone();

        // When they open the history
        w.click_on("header .fr-nav__link", "Historique", SCREEN)
            .await?;
        // Then that connection is listed, with the service's name
        w.wait_for("#history-title", "Historique", SCREEN).await?;
        w.wait_for("#main td", &mairie, SCREEN).await?;
        app.screenshot("03-history").await?;

        // When they open the preferences
        w.click_on("header .fr-nav__link", "Préférences", SCREEN)
            .await?;
        // Then the screen shows the identity providers and the alert switch
        w.wait_for("#prefs-title", "Préférences", SCREEN).await?;
        w.wait_for("#main", "Comptes autorisés", SCREEN).await?;
        w.wait_for("#main label[for=allow-impots]", "impots.gouv.fr", SCREEN)
            .await?;
        w.wait_for("#main label[for=alerts]", "Alertes de connexion", SCREEN)
            .await?;
        app.screenshot("04-preferences").await?;
        Ok(())
    })
    .await?;
    app.close().await;
    Ok(())
}

/// Waits for the app to have a window other than `main`; returns its handle.
async fn provider_window(app: &DesktopApp, main: &str) -> Result<String> {
    let deadline = std::time::Instant::now() + SCREEN;
    loop {
        let handles = app.window.window_handles().await?;
        if let Some(h) = handles.iter().find(|h| *h != main) {
            return Ok(h.clone());
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "the provider's window did not open (windows: {handles:?})"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and the app binary: scripts/app-test.sh"]
async fn a_service_login_arrives_by_deep_link_and_ends_in_the_browser() -> Result<()> {
    let app = DesktopApp::launch("deep-link").await?;
    let w = &app.window;
    app.check(async {
        // Given the citizen signed in to the app (for the history)
        app.sign_in(FI, CITIZEN).await?;
        // When, on the Ville de Lyon's site in a browser without a
        // FranceConnect session, they click the FranceConnect button, then
        // "Continuer avec l'application" on the chooser
        let browser = pivot_tests::Browser::new();
        let lyon = app.sb.service("lyon").clone();
        let (_, link) = chooser_app_link(&app.sb, &browser, "lyon").await?;
        ensure!(link.starts_with("pivot://authorize?"), "{link}");
        app.open_link(&link).await?;

        // Then the app shows who asks, at which level, for which data
        w.wait_for("#request-service", &lyon.name, SCREEN).await?;
        w.wait_for("#request-data", "DGFIP", SCREEN).await?;
        app.screenshot("05-request").await?;
        w.click_on("#request-continue", "", SCREEN).await?;
        // and the providers; they choose impots.gouv.fr
        w.wait_for("#step-title", "", SCREEN).await?;
        app.screenshot("06-providers").await?;
        // (the main window's handle, read before a second window exists:
        // the driver lists handles in no set order)
        let main = w.window_handle().await?;
        w.click_on(&format!("#fi-{FI}"), "", SCREEN).await?;

        // The provider's page opens in its own window: they log in there
        let fi_window = provider_window(&app, &main).await?;
        w.switch_to_window(&fi_window).await?;
        let (login, password) = pivot_tests::journey::credentials(FI, CITIZEN)?;
        w.wait_for("input[name=password]", "", SCREEN).await?;
        w.execute(
            "document.querySelector('input[name=login]').value = arguments[0];
             document.querySelector('input[name=password]').value = arguments[1];
             document.querySelector('input[name=password]').form.submit();",
            serde_json::json!([login, password]),
        )
        .await?;
        // The window closes by itself once the provider answers the broker
        w.switch_to_window(&main).await?;
        w.wait_for("#identity-name", "MERCIER", SCREEN).await?;
        app.screenshot("07-confirm").await?;
        w.click_on("#confirm-continue", "", SCREEN).await?;
        // They share their tax data
        w.wait_for("#consent-legend", "", SCREEN).await?;
        app.screenshot("08-consent").await?;
        w.click_on("#accept-all", "", SCREEN).await?;
        w.wait_for("#done-message", "", SCREEN).await?;
        app.screenshot("09-done").await?;

        // And the app hands the service's answer back to the browser, where
        // the service is now logged in
        let back = app.next_opened_url(SCREEN).await?;
        ensure!(back.starts_with(&lyon.url), "the app opened {back}");
        let trail = browser.follow(browser.get(&back).await?).await?;
        ensure!(
            trail.last().has("#logged-in"),
            "the service is not logged in:\n{}",
            trail.describe()
        );
        // And the connection is in the app's history
        w.click_on("header .fr-nav__link", "Historique", SCREEN)
            .await?;
        w.wait_for("#main td", &lyon.name, SCREEN).await?;
        app.screenshot("10-history-after-app-login").await?;
        Ok(())
    })
    .await?;
    app.close().await;
    Ok(())
}

/// The demo service asking `eidas3` on FranceConnect+, and its card
/// provider.
const HIGH_SERVICE: &str = "procuration";
const CARD_FI: &str = "france-identite";
const READER: &str = "Virtual PCD 00 00";

/// In `browser`, the high-level service's FranceConnect+ button, then the
/// app link FranceConnect+'s chooser offers; the link opened in the app,
/// which shows the request; the citizen continues and picks the card
/// provider.
async fn card_login_from_the_high_service(
    app: &DesktopApp,
    browser: &pivot_tests::Browser,
) -> Result<()> {
    let w = &app.window;
    let service = app.sb.service(HIGH_SERVICE).clone();
    let (_, link) = chooser_app_link(&app.sb, browser, HIGH_SERVICE).await?;
    app.open_link(&link).await?;
    w.wait_for("#request-service", &service.name, SCREEN)
        .await?;
    w.click_on("#request-continue", "", SCREEN).await?;
    w.click_on(&format!("#fi-{CARD_FI}"), "", SCREEN).await?;
    // The card screen, not a provider window.
    w.wait_for("#step-title", "France Identité", SCREEN).await?;
    Ok(())
}

/// Types the card access number and the PIN, and validates.
async fn use_card(app: &DesktopApp, can: &str, pin: &str) -> Result<()> {
    let w = &app.window;
    w.fill("#card-can", can, SCREEN).await?;
    w.fill("#card-pin", pin, SCREEN).await?;
    w.click_on("#card-submit", "", SCREEN).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver, pcscd and the app binary: scripts/app-test.sh"]
async fn the_id_card_on_a_pcsc_reader_logs_in_at_eidas3() -> Result<()> {
    let app = DesktopApp::launch_with("card", true).await?;
    let w = &app.window;
    app.check(async {
        // Given Eric Mercier's ID card on the reader (pcscd + vpcd), and a
        // service asking eidas3 in the browser
        app.insert_card(CITIZEN)?;
        let browser = pivot_tests::Browser::new();
        card_login_from_the_high_service(&app, &browser).await?;
        // Then the app sees the card on the reader
        w.wait_for(
            "#card-reader-status",
            &format!("Carte détectée sur {READER}"),
            SCREEN,
        )
        .await?;
        app.screenshot("11-card").await?;

        // When they mistype the PIN, the card says how many tries are left
        // (the provider is never asked)
        use_card(&app, "123456", "9999").await?;
        w.wait_for("#card-tries-left", "2 essais restants", SCREEN)
            .await?;
        w.wait_for("#card-problem", "Code PIN incorrect", SCREEN)
            .await?;
        app.screenshot("12-card-wrong-pin").await?;

        // When they type the right one, the card signs the provider's
        // challenge and the identity read from the card is shown
        w.fill("#card-pin", "1234", SCREEN).await?;
        w.click_on("#card-submit", "", SCREEN).await?;
        w.wait_for("#identity-name", "MERCIER", SCREEN).await?;
        app.screenshot("13-card-confirm").await?;
        w.click_on("#confirm-continue", "", SCREEN).await?;
        w.wait_for("#done-message, #consent-legend", "", SCREEN)
            .await?;
        if w.find_with_text("#consent-legend", "").await?.is_some() {
            w.click_on("#accept-all", "", SCREEN).await?;
        }
        w.wait_for("#done-message", "", SCREEN).await?;

        // And the service, back in the browser, is logged in at eidas3
        let service = app.sb.service(HIGH_SERVICE).clone();
        let back = app.next_opened_url(SCREEN).await?;
        ensure!(back.starts_with(&service.url), "the app opened {back}");
        let trail = browser.follow(browser.get(&back).await?).await?;
        ensure!(
            trail.last().has("#logged-in"),
            "the service is not logged in:\n{}",
            trail.describe()
        );
        let me = browser
            .get(&format!("{}/me.json", service.url))
            .await?
            .json()?;
        ensure!(me["id_token"]["acr"] == "eidas3", "{me}");
        ensure!(me["userinfo"]["family_name"] == "MERCIER", "{me}");
        Ok(())
    })
    .await?;
    app.close().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver, pcscd and the app binary: scripts/app-test.sh"]
async fn the_card_screen_follows_the_reader_and_explains_every_refusal() -> Result<()> {
    let app = DesktopApp::launch_with("card-refusals", true).await?;
    let w = &app.window;
    app.check(async {
        // Given an empty reader, the card screen asks for the card
        let browser = pivot_tests::Browser::new();
        card_login_from_the_high_service(&app, &browser).await?;
        w.wait_for(
            "#card-reader-status",
            &format!("Posez votre carte sur le lecteur {READER}"),
            SCREEN,
        )
        .await?;

        // When an expired card is put on it, the app sees it live, and the
        // provider refuses it with its reason
        app.insert_card("marie-helene-de-la-fontaine-eloise")?;
        w.wait_for("#card-reader-status", "Carte détectée", SCREEN)
            .await?;
        use_card(&app, "345678", "1234").await?;
        w.wait_for("#card-problem", "expir", SCREEN).await?;
        app.screenshot("14-card-expired").await?;

        // When it is taken off, the screen asks for a card again
        app.remove_card()?;
        w.wait_for("#card-reader-status", "Posez votre carte", SCREEN)
            .await?;

        // When a card whose PIN is blocked is put on instead, the app says
        // so and offers the PUK
        app.insert_card("carmen-garcia")?;
        w.wait_for("#card-reader-status", "Carte détectée", SCREEN)
            .await?;
        use_card(&app, "234567", "1234").await?;
        w.wait_for("#card-problem", "bloqué", SCREEN).await?;
        w.wait_for("#card-puk", "", SCREEN).await?;
        app.screenshot("15-card-blocked").await?;
        // and the PUK, with a new PIN typed twice, unblocks it
        w.fill("#card-puk", "87654321", SCREEN).await?;
        w.fill("#card-new-pin", "2468", SCREEN).await?;
        w.fill("#card-new-pin-confirm", "2468", SCREEN).await?;
        w.click_on("#card-unblock-submit", "", SCREEN).await?;
        w.wait_for("#card-unblocked", "", SCREEN).await?;

        // When that card is taken away too, the screen says so
        app.remove_card()?;
        w.wait_for("#card-reader-status", "Posez votre carte", SCREEN)
            .await?;

        // And the citizen can choose another way to log in
        w.click_on("#card-cancel", "", SCREEN).await?;
        w.wait_for(&format!("#fi-{CARD_FI}"), "", SCREEN).await?;
        Ok(())
    })
    .await?;
    app.close().await;
    Ok(())
}
