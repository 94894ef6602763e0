//! The citizen app's real window (Tauri, WebKitGTK), driven over WebDriver
//! against a sandbox: see `pivot_tests::desktop`. These tests need a
//! display, tauri-driver and the app binary, so the workspace run skips
//! them; `scripts/app-test.sh` (`make app-test`) runs them under Xvfb, and
//! there a missing piece is a failure.
//!
//! Each test starts its own sandbox and app. Screenshots:
//! `$ARTIFACTS_DIR/app-*.png`.

use anyhow::{Result, ensure};
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
        let home = browser.get(&format!("{}/", lyon.url)).await?;
        let form = home.form("form[action='/login']")?;
        let chooser = browser
            .follow(browser.submit(&form).await?)
            .await?
            .into_last();
        let link = chooser
            .attr("#app-link", "href")
            .ok_or_else(|| anyhow::anyhow!("the chooser offers no app link"))?;
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
