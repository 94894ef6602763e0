//! Misbehaving identity providers: the broker refuses what does not verify,
//! gives up on what does not answer in time, and never hangs.

use std::time::{Duration, Instant};

use anyhow::Result;
use pivot_broker::sandbox::fi::FiBehaviour;
use pivot_tests::{
    AuthRequest, Stage, TestSandbox,
    journey::{drive, start_login},
    login,
};

#[tokio::test]
async fn answers_that_do_not_verify_are_refused() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let cases = [
        (FiBehaviour::TamperedIdToken, "tampered ID token signature"),
        (FiBehaviour::WrongIssuer, "iss of another provider (mix-up)"),
        (FiBehaviour::WrongNonce, "ID token for another nonce"),
    ];
    for (behaviour, what) in cases {
        // Given ameli misbehaving
        sb.fi("ameli").control.set(behaviour);
        let b = sb.browser();

        // When Eric logs in on the mairie with it
        let j = start_login(&sb, &b, "mairie", "ameli", "eric-mercier").await?;

        // Then he ends on the broker's error page
        let last = j.last();
        assert_eq!(
            Stage::of(&sb, last),
            Stage::BrokerError,
            "{what}:\n{}",
            j.describe()
        );
        assert!(
            last.is_at(&sb.endpoint("/fi/callback")),
            "{what}: {}",
            last.summary()
        );
        assert_eq!(last.error_code().as_deref(), Some("Y020001"), "{what}");
        let title = last.text("#error-title").unwrap_or_default();
        assert!(title.contains("Réponse invalide"), "{what}: {title}");
        // And no code reached the mairie, which does not know him
        assert!(
            !j.visited(&sb.callback("mairie")),
            "{what}:\n{}",
            j.describe()
        );
        let me = b
            .get(&format!("{}/me.json", sb.service("mairie").url))
            .await?;
        assert_eq!(me.status, 401, "{what}");
        // And the page offers to choose another account
        let action = last.link("#error-action").expect("an action link");
        assert!(
            action.path().starts_with("/interaction/"),
            "{what}: {action}"
        );
    }
    // Once ameli behaves again, the same browser flow succeeds.
    sb.fi("ameli").control.set(FiBehaviour::Normal);
    login(&sb, &sb.browser(), "mairie", "ameli", "eric-mercier").await?;
    Ok(())
}

#[tokio::test]
async fn after_a_refused_answer_the_citizen_can_choose_another_fi() -> Result<()> {
    let sb = TestSandbox::start().await?;
    sb.fi("ameli").control.set(FiBehaviour::TamperedIdToken);
    let b = sb.browser();
    let req = AuthRequest::mairie(&sb);
    let start = req.send(&sb, &b).await?;
    let j = drive(&sb, &b, start, "ameli", "eric-mercier", |_| false).await?;
    let error = j.last();
    let action = error.link("#error-action").expect("an action link");
    let chooser = b.get(action.as_str()).await?;
    assert_eq!(
        Stage::of(&sb, &chooser),
        Stage::Chooser,
        "{}",
        chooser.summary()
    );
    let resp = pivot_tests::oidc::drive_to_redirect(
        &sb,
        &b,
        chooser,
        req.redirect_uri(),
        "impots",
        "eric-mercier",
    )
    .await?;
    assert!(resp.code.is_some(), "{}", resp.journey.describe());
    let tokens = pivot_tests::oidc::redeem_mairie(&sb, resp.code()?).await?;
    let claims = pivot_tests::oidc::verify_jwt(&sb, &tokens.id_token)
        .await?
        .claims;
    assert_eq!(claims["idp_id"], "impots");
    Ok(())
}

#[tokio::test]
async fn an_unavailable_fi_sends_the_citizen_back_to_the_chooser() -> Result<()> {
    // Given ameli answering 503 to everything
    let sb = TestSandbox::start().await?;
    sb.fi("ameli").control.set(FiBehaviour::Unavailable);
    let b = sb.browser();

    // When Eric chooses it
    let j = start_login(&sb, &b, "mairie", "ameli", "eric-mercier").await?;

    // Then he is back on the chooser with a warning naming it
    let last = j.last();
    assert_eq!(Stage::of(&sb, last), Stage::Chooser, "{}", j.describe());
    assert!(last.has("#fi-unavailable"), "{}", j.describe());
    assert!(
        last.text("#fi-unavailable")
            .unwrap_or_default()
            .contains("ameli.fr")
    );
    assert!(
        !j.visited(&sb.fi("ameli").url),
        "the browser was never sent to a dead FI"
    );

    // When ameli is back, choosing it again works
    sb.fi("ameli").control.set(FiBehaviour::Normal);
    let form = last.form("form[action$='/fi']")?.set("fi", "ameli");
    let page = b.submit(&form).await?;
    let done = drive(&sb, &b, page, "ameli", "eric-mercier", |_| false).await?;
    assert!(done.last().has("#logged-in"), "{}", done.describe());
    Ok(())
}

#[tokio::test]
async fn idp_hint_to_an_unavailable_fi_shows_the_chooser() -> Result<()> {
    let sb = TestSandbox::start().await?;
    sb.fi("msa").control.set(FiBehaviour::Unavailable);
    let b = sb.browser();
    let trail = b
        .follow(
            AuthRequest::mairie(&sb)
                .set("idp_hint", "msa")
                .send(&sb, &b)
                .await?,
        )
        .await?;
    let last = trail.last();
    assert_eq!(Stage::of(&sb, last), Stage::Chooser, "{}", trail.describe());
    assert!(
        last.text("#fi-unavailable")
            .unwrap_or_default()
            .contains("MSA"),
        "{}",
        trail.describe()
    );
    Ok(())
}

#[tokio::test]
async fn a_slow_fi_is_given_up_within_the_time_out() -> Result<()> {
    // Given a broker allowing 1 s per FI call, and ameli taking 3 s
    let sb = TestSandbox::start_with(|o| o.fi_timeout_secs = 1).await?;
    sb.fi("ameli")
        .control
        .set(FiBehaviour::Slow(Duration::from_secs(3)));
    let b = sb.browser();

    // When Eric chooses ameli
    let started = Instant::now();
    let j = start_login(&sb, &b, "mairie", "ameli", "eric-mercier").await?;
    let took = started.elapsed();

    // Then he is back on the chooser, told ameli is unavailable, in bounded time
    let last = j.last();
    assert_eq!(Stage::of(&sb, last), Stage::Chooser, "{}", j.describe());
    assert!(last.has("#fi-unavailable"), "{}", j.describe());
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert!(
        took >= Duration::from_secs(1),
        "the time-out was what ended it: {took:?}"
    );
    Ok(())
}

#[tokio::test]
async fn an_fi_that_stalls_at_the_code_exchange_is_given_up() -> Result<()> {
    // Given a broker allowing 1 s per FI call, Eric on ameli's login form
    let sb = TestSandbox::start_with(|o| o.fi_timeout_secs = 1).await?;
    let b = sb.browser();
    let req = AuthRequest::mairie(&sb);
    let start = req.send(&sb, &b).await?;
    let j = drive(&sb, &b, start, "ameli", "eric-mercier", |p| {
        p.has("input[name=password]")
    })
    .await?;
    let form_page = j.last().clone();

    // When ameli becomes slow (3 s) just as he submits his password
    sb.fi("ameli")
        .control
        .set(FiBehaviour::Slow(Duration::from_secs(3)));
    let started = Instant::now();
    let (login, password) = pivot_tests::journey::credentials("ameli", "eric-mercier")?;
    let form = form_page
        .form("form[action$='/login']")?
        .set("login", login)
        .set("password", password);
    let page = b.submit(&form).await?;
    let trail = b.follow(page).await?;
    let took = started.elapsed();

    // Then the broker gives up on the token call and shows the chooser
    let last = trail.last();
    assert_eq!(Stage::of(&sb, last), Stage::Chooser, "{}", trail.describe());
    assert!(last.has("#fi-unavailable"), "{}", trail.describe());
    assert!(took < Duration::from_secs(10), "took {took:?}");
    Ok(())
}

#[tokio::test]
async fn abandoning_at_the_fi_shows_an_explanation() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let req = AuthRequest::mairie(&sb);
    let start = req.send(&sb, &b).await?;
    let j = drive(&sb, &b, start, "laposte", "carmen-garcia", |p| {
        p.has("input[name=password]")
    })
    .await?;
    let abandon = j.last().form("form[action$='/abandon']")?;
    let trail = b.follow(b.submit(&abandon).await?).await?;
    let last = trail.last();
    assert_eq!(
        last.error_code().as_deref(),
        Some("Y020001"),
        "{}",
        trail.describe()
    );
    assert_eq!(
        last.text("#error-title").as_deref(),
        Some("Connexion interrompue")
    );
    assert!(
        last.text("#error-message")
            .unwrap_or_default()
            .contains("abandonné")
    );
    assert!(!trail.visited(&sb.callback("mairie")));
    Ok(())
}
