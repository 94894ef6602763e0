//! Single sign-on across services, `prompt=login`, "Ce n'est pas vous ?",
//! cancelling, and logout through the broker and the FI.

use anyhow::Result;
use pivot_tests::{
    AuthRequest, Stage, TestSandbox, browser::query_param, journey::start_login, login,
    oidc::authorize,
};

#[tokio::test]
async fn a_second_service_skips_the_chooser_and_the_fi() -> Result<()> {
    // Given Eric logged in on the mairie
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let first = login(&sb, &b, "mairie", "ameli", "eric-mercier").await?;

    // When the same browser logs in on the médiathèque
    let second = login(&sb, &b, "mediatheque", "ameli", "eric-mercier").await?;

    // Then it goes straight to the confirmation page: no chooser, no FI
    assert_eq!(
        second.journey.stages,
        [Stage::Confirm, Stage::Service],
        "{}",
        second.journey.describe()
    );
    assert!(
        !second.journey.visited(&sb.fi("ameli").url),
        "{}",
        second.journey.describe()
    );
    // And the médiathèque gets the identity, under its own sub
    assert_eq!(second.userinfo("given_name"), Some("Eric"));
    assert_eq!(second.userinfo("birthdate"), Some("1966-03-12"));
    assert_ne!(second.sub(), first.sub());
    Ok(())
}

#[tokio::test]
async fn prompt_login_forces_the_chooser_and_the_fi_form_again() -> Result<()> {
    // Given Eric logged in on the mairie (broker and ameli sessions)
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    login(&sb, &b, "mairie", "ameli", "eric-mercier").await?;

    // When the mairie asks again without prompt: SSO answers at once
    let sso = authorize(&sb, &b, &AuthRequest::mairie(&sb), "ameli", "eric-mercier").await?;
    assert_eq!(
        sso.journey.stages,
        [Stage::Confirm],
        "{}",
        sso.journey.describe()
    );

    // When it asks with prompt=login
    let req = AuthRequest::mairie(&sb).set("prompt", "login");
    let forced = authorize(&sb, &b, &req, "ameli", "eric-mercier").await?;

    // Then the chooser and ameli's login form are shown again
    assert_eq!(
        forced.journey.stages,
        [Stage::Chooser, Stage::FiLogin, Stage::Confirm],
        "{}",
        forced.journey.describe()
    );
    let to_fi = forced
        .journey
        .redirect_to(&sb.fi("ameli").url)
        .expect("a redirect to ameli");
    assert_eq!(
        query_param(&to_fi, "prompt").as_deref(),
        Some("login"),
        "the broker passes prompt=login on"
    );
    assert!(forced.code.is_some());
    Ok(())
}

#[tokio::test]
async fn not_me_forgets_the_fi_login() -> Result<()> {
    // Given Eric logged in on the mairie, now on the médiathèque's
    // confirmation page thanks to SSO
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    login(&sb, &b, "mairie", "ameli", "eric-mercier").await?;
    let req = AuthRequest::new(
        "sandbox-mediatheque",
        &sb.callback("mediatheque"),
        "openid profile",
    );
    let first = req.send(&sb, &b).await?;
    let confirm_url = first.location().expect("redirect to the confirmation page");
    assert!(confirm_url.path().ends_with("/confirm"), "{confirm_url}");

    // When he clicks "Ce n'est pas vous ?"
    let not_me = b
        .get(confirm_url.as_str().replace("/confirm", "/not-me").as_str())
        .await?;
    assert!(not_me.status.is_success(), "{}", not_me.summary());

    // Then the confirmation page sends him back to the chooser
    let again = b.get(confirm_url.as_str()).await?;
    let chooser = again.location().expect("redirect");
    assert_eq!(
        chooser.path(),
        confirm_url.path().trim_end_matches("/confirm")
    );
    // And a new request shows the chooser, and another person can log in
    let other = authorize(
        &sb,
        &b,
        &AuthRequest::new(
            "sandbox-mediatheque",
            &sb.callback("mediatheque"),
            "openid profile",
        ),
        "laposte",
        "carmen-garcia",
    )
    .await?;
    assert_eq!(
        other.journey.stages[0],
        Stage::Chooser,
        "{}",
        other.journey.describe()
    );
    Ok(())
}

#[tokio::test]
async fn cancelling_on_the_chooser_returns_access_denied() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let req = AuthRequest::mairie(&sb);
    let chooser = b.follow(req.send(&sb, &b).await?).await?.into_last();
    assert_eq!(Stage::of(&sb, &chooser), Stage::Chooser);
    let cancel = chooser
        .url
        .join(&format!("{}/cancel", chooser.url.path()))?;
    let back = b.get(cancel.as_str()).await?;
    let to = back.location().expect("redirect to the service");
    assert!(to.as_str().starts_with(&sb.callback("mairie")), "{to}");
    assert_eq!(query_param(&to, "error").as_deref(), Some("access_denied"));
    assert_eq!(query_param(&to, "state").as_deref(), Some(req.state()));
    assert_eq!(query_param(&to, "iss").as_deref(), Some(sb.issuer()));
    assert!(query_param(&to, "code").is_none());
    Ok(())
}

#[tokio::test]
async fn logout_ends_the_service_broker_and_fi_sessions() -> Result<()> {
    // Given Eric logged in on the mairie
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let mairie = sb.service("mairie").url.clone();
    login(&sb, &b, "mairie", "ameli", "eric-mercier").await?;

    // When he clicks "Se déconnecter" on the mairie
    let home = b.get(&format!("{mairie}/")).await?;
    let form = home.form("form[action='/logout']")?;
    let trail = b.follow(b.submit(&form).await?).await?;

    // Then the browser went through the broker's end-session endpoint, the
    // FI's, the broker's FI-logout callback, and back to the mairie
    let end = trail
        .hop(&sb.endpoint("/session/end"))
        .expect("broker /session/end");
    let sent_state = end.query("state").expect("the mairie sends a state");
    assert!(end.query("id_token_hint").is_some());
    assert_eq!(
        end.query("post_logout_redirect_uri"),
        Some(format!("{mairie}/logged-out"))
    );
    assert!(
        trail.visited(&format!("{}/session/end", sb.fi("ameli").url)),
        "{}",
        trail.describe()
    );
    assert!(
        trail.visited(&sb.endpoint("/fi/logout-callback")),
        "{}",
        trail.describe()
    );
    let last = trail.last();
    assert!(
        last.is_at(&format!("{mairie}/logged-out")),
        "{}",
        trail.describe()
    );
    assert_eq!(
        last.query("state"),
        Some(sent_state),
        "the mairie's state comes back"
    );
    assert!(
        last.status.is_success() && last.has("#logged-out"),
        "{}",
        last.summary()
    );
    // And the broker's session cookie was removed
    let cleared = trail
        .hops
        .iter()
        .flat_map(|p| p.set_cookies())
        .any(|c| c.starts_with("pivot_session=;"));
    assert!(cleared, "{}", trail.describe());
    // And the mairie no longer knows him
    assert_eq!(b.get(&format!("{mairie}/me.json")).await?.status, 401);

    // When he logs in on the médiathèque with the same browser
    let again = start_login(&sb, &b, "mediatheque", "ameli", "eric-mercier").await?;

    // Then the chooser (no broker session) and ameli's form (no FI
    // session) are shown again
    assert_eq!(
        again.stages,
        [
            Stage::Chooser,
            Stage::FiLogin,
            Stage::Confirm,
            Stage::Service
        ],
        "{}",
        again.describe()
    );
    Ok(())
}

#[tokio::test]
async fn logout_with_an_unregistered_return_address_is_refused() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let (_, tokens) = pivot_tests::oidc::mairie_login(&sb, &b, "ameli", "eric-mercier").await?;
    let mut url = url::Url::parse(&sb.endpoint("/session/end"))?;
    url.query_pairs_mut()
        .append_pair("id_token_hint", &tokens.id_token)
        .append_pair("post_logout_redirect_uri", "https://evil.example/")
        .append_pair("state", "s");
    let page = b.get(url.as_str()).await?;
    assert_eq!(page.status, 400, "{}", page.summary());
    assert!(page.header("location").is_none());
    assert_eq!(page.error_code().as_deref(), Some("Y030002"));
    Ok(())
}

#[tokio::test]
async fn the_broker_session_slides_and_expires_after_30_idle_minutes() -> Result<()> {
    // Given Eric logged in at minute 0, on a fixed clock
    let sb = TestSandbox::start_fixed_clock().await?;
    let b = sb.browser();
    authorize(&sb, &b, &AuthRequest::mairie(&sb), "ameli", "eric-mercier").await?;

    // When a service asks again at minute 20, then at minute 40
    for minute in [20, 40] {
        sb.advance(20 * 60);
        let r = authorize(&sb, &b, &AuthRequest::mairie(&sb), "ameli", "eric-mercier").await?;
        // Then SSO still answers: each visit extended the session
        assert_eq!(
            r.journey.stages,
            [Stage::Confirm],
            "minute {minute}:\n{}",
            r.journey.describe()
        );
    }

    // When 31 idle minutes pass
    sb.advance(31 * 60);
    let r = authorize(&sb, &b, &AuthRequest::mairie(&sb), "ameli", "eric-mercier").await?;
    // Then the chooser is back
    assert_eq!(
        r.journey.stages.first(),
        Some(&Stage::Chooser),
        "{}",
        r.journey.describe()
    );
    Ok(())
}

#[tokio::test]
async fn two_tabs_complete_two_logins_each_with_its_own_state() -> Result<()> {
    // Given one browser with two requests in progress (two tabs)
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let mairie = AuthRequest::mairie(&sb);
    let media = AuthRequest::new(
        "sandbox-mediatheque",
        &sb.callback("mediatheque"),
        "openid profile",
    );
    let tab1 = b.follow(mairie.send(&sb, &b).await?).await?.into_last();
    let tab2 = b.follow(media.send(&sb, &b).await?).await?.into_last();
    assert_eq!(Stage::of(&sb, &tab1), Stage::Chooser);
    assert_eq!(Stage::of(&sb, &tab2), Stage::Chooser);
    assert_ne!(tab1.url, tab2.url);

    // When the second tab finishes first, then the first one is reloaded
    // (a login renews the session, which may void forms opened before it)
    // and finished
    let r2 = pivot_tests::oidc::drive_to_redirect(
        &sb,
        &b,
        tab2,
        media.redirect_uri(),
        "ameli",
        "eric-mercier",
    )
    .await?;
    let tab1 = b.get(tab1.url.as_str()).await?;
    let r1 = pivot_tests::oidc::drive_to_redirect(
        &sb,
        &b,
        tab1,
        mairie.redirect_uri(),
        "ameli",
        "eric-mercier",
    )
    .await?;

    // Then each service gets its own answer, with its own state
    assert_eq!(r2.state.as_deref(), Some(media.state()));
    assert_eq!(r1.state.as_deref(), Some(mairie.state()));
    assert!(
        !r1.journey.saw(Stage::FiLogin),
        "the FI session answered the second time:\n{}",
        r1.journey.describe()
    );
    let t1 = pivot_tests::oidc::redeem_mairie(&sb, r1.code()?).await?;
    let c1 = pivot_tests::oidc::verify_jwt(&sb, &t1.id_token)
        .await?
        .claims;
    assert_eq!(c1["nonce"], mairie.nonce());
    Ok(())
}

#[tokio::test]
async fn prompt_login_as_someone_else_replaces_the_sso_identity() -> Result<()> {
    // Given Eric logged in with ameli
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let (_, eric) = pivot_tests::oidc::mairie_login(&sb, &b, "ameli", "eric-mercier").await?;

    // When the mairie forces a new login and Carmen logs in at ameli
    let req = AuthRequest::mairie(&sb).set("prompt", "login");
    let r = authorize(&sb, &b, &req, "ameli", "carmen-garcia").await?;
    let carmen = pivot_tests::oidc::redeem_mairie(&sb, r.code()?).await?;

    // Then the mairie gets Carmen, under another sub
    let u = pivot_tests::oidc::userinfo(&sb, &carmen.access_token)
        .await?
        .json()?;
    assert_eq!(u["given_name"], "Carmen Isabel");
    let sub = |t: &pivot_tests::oidc::Tokens| {
        let t = t.id_token.clone();
        let sb = &sb;
        async move {
            pivot_tests::oidc::verify_jwt(sb, &t)
                .await
                .map(|j| j.claims["sub"].clone())
        }
    };
    assert_ne!(sub(&eric).await?, sub(&carmen).await?);
    // And later SSO answers with Carmen, not Eric
    let (_, again) = pivot_tests::oidc::mairie_login(&sb, &b, "ameli", "carmen-garcia").await?;
    let u = pivot_tests::oidc::userinfo(&sb, &again.access_token)
        .await?
        .json()?;
    assert_eq!(u["given_name"], "Carmen Isabel");
    Ok(())
}

#[tokio::test]
async fn logging_out_again_goes_straight_back_to_the_service() -> Result<()> {
    // Given Eric logged in on the mairie, then logged out
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let (_, t) = pivot_tests::oidc::mairie_login(&sb, &b, "ameli", "eric-mercier").await?;
    let logged_out = format!("{}/logged-out", sb.service("mairie").url);
    let end = |state: &str| {
        let mut url = url::Url::parse(&sb.endpoint("/session/end")).expect("URL");
        url.query_pairs_mut()
            .append_pair("id_token_hint", &t.id_token)
            .append_pair("post_logout_redirect_uri", &logged_out)
            .append_pair("state", state);
        url.to_string()
    };
    let first = b.get(&end("premier-etat")).await?;
    let to_fi = first.location().expect("redirect");
    assert!(
        to_fi.as_str().starts_with(&sb.fi("ameli").url),
        "the first logout goes through ameli: {to_fi}"
    );
    b.follow(first).await?;

    // When the service sends him to the end-session endpoint again
    let second = b.get(&end("second-etat")).await?;

    // Then no FI is involved: straight back with the state
    let to = second.location().expect("redirect");
    assert!(to.as_str().starts_with(&logged_out), "{to}");
    assert_eq!(query_param(&to, "state").as_deref(), Some("second-etat"));
    Ok(())
}
