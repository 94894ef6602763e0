//! Forms and steps bound to the browser that started them.

use anyhow::Result;
use pivot_tests::{
    AuthRequest, Page, Stage, TestSandbox,
    journey::drive,
    login,
    oidc::{authorize, drive_to_redirect},
};

fn assert_forbidden(page: &Page, what: &str) {
    assert_eq!(page.status, 403, "{what}: {}", page.summary());
    assert!(page.header("location").is_none(), "{what}");
    assert_eq!(page.error_code().as_deref(), Some("Y000403"), "{what}");
}

#[tokio::test]
async fn the_chooser_refuses_a_forged_csrf_token() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let req = AuthRequest::mairie(&sb);
    let chooser = b.follow(req.send(&sb, &b).await?).await?.into_last();
    let form = chooser.form("form[action$='/fi']")?.set("fi", "ameli");

    let forged = b
        .submit(
            &form
                .clone()
                .set("csrf", "forged-token-forged-token-forged-tok"),
        )
        .await?;
    assert_forbidden(&forged, "forged chooser token");
    let empty = b.submit(&form.clone().set("csrf", "")).await?;
    assert_forbidden(&empty, "empty chooser token");

    // The genuine form still works.
    let ok = b.submit(&form).await?;
    assert!(
        ok.location()
            .is_some_and(|l| l.as_str().starts_with(&sb.fi("ameli").url)),
        "{}",
        ok.summary()
    );
    Ok(())
}

#[tokio::test]
async fn the_confirmation_refuses_a_forged_csrf_token() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let req = AuthRequest::mairie(&sb);
    // Drive up to the confirmation page, without submitting it.
    let start = req.send(&sb, &b).await?;
    let j = drive(&sb, &b, start, "ameli", "eric-mercier", |p| {
        p.has("#welcome")
    })
    .await?;
    let confirm = j.last();
    assert_eq!(Stage::of(&sb, confirm), Stage::Confirm, "{}", j.describe());
    let form = confirm.form("form[action$='/confirm']")?;

    let forged = b
        .submit(
            &form
                .clone()
                .set("csrf", "forged-token-forged-token-forged-tok"),
        )
        .await?;
    assert_forbidden(&forged, "forged confirmation token");

    // A token of another browser session is refused as well.
    let other = sb.browser();
    let other_chooser = other
        .follow(AuthRequest::mairie(&sb).send(&sb, &other).await?)
        .await?
        .into_last();
    let other_csrf = other_chooser
        .form("form[action$='/fi']")?
        .get("csrf")
        .unwrap_or_default()
        .to_owned();
    let cross = b.submit(&form.clone().set("csrf", &other_csrf)).await?;
    assert_forbidden(&cross, "another session's token");

    // The genuine form still issues the code.
    let ok = b.submit(&form).await?;
    let to = ok.location().expect("redirect to the mairie");
    assert!(to.as_str().starts_with(&sb.callback("mairie")), "{to}");
    assert!(to.query_pairs().any(|(k, _)| k == "code"));
    Ok(())
}

#[tokio::test]
async fn the_service_refuses_login_and_logout_without_its_csrf_token() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let mairie = sb.service("mairie").url.clone();

    // Login button without the token: no redirect to the broker.
    b.get(&format!("{mairie}/")).await?;
    let page = b.post(&format!("{mairie}/login"), &[]).await?;
    assert!(page.status.is_client_error(), "{}", page.summary());
    assert!(page.header("location").is_none(), "{}", page.summary());
    assert!(page.has("#fs-error[data-error=csrf]"), "{}", page.body);
    let page = b
        .post(
            &format!("{mairie}/login"),
            &[("csrf".into(), "forged".into())],
        )
        .await?;
    assert!(page.header("location").is_none(), "{}", page.summary());

    // Logout with a forged token: still logged in.
    login(&sb, &b, "mairie", "ameli", "eric-mercier").await?;
    let page = b
        .post(
            &format!("{mairie}/logout"),
            &[("csrf".into(), "forged".into())],
        )
        .await?;
    assert!(page.header("location").is_none(), "{}", page.summary());
    assert_eq!(b.get(&format!("{mairie}/me.json")).await?.status, 200);
    Ok(())
}

#[tokio::test]
async fn an_fi_answer_only_completes_in_the_browser_that_started_the_login() -> Result<()> {
    // Given someone who logged in at ameli and stopped at the redirect back
    // to the broker (the FI's answer, with its code)
    let sb = TestSandbox::start().await?;
    let attacker = sb.browser();
    let req = AuthRequest::mairie(&sb);
    let callback = sb.endpoint("/fi/callback");
    let start = req.send(&sb, &attacker).await?;
    let j = drive(&sb, &attacker, start, "ameli", "eric-mercier", |p| {
        p.location()
            .is_some_and(|l| l.as_str().starts_with(&callback))
    })
    .await?;
    let fi_answer = j.last().location().expect("the FI's answer");

    // When another browser is sent to that URL
    let victim = sb.browser();
    let page = victim.get(fi_answer.as_str()).await?;

    // Then the broker refuses it: the login is not the victim's
    assert_eq!(page.status, 400, "{}", page.summary());
    assert_eq!(page.error_code().as_deref(), Some("Y000410"));
    assert!(page.header("location").is_none());

    // And the browser that started it can still finish
    let resp = drive_to_redirect(
        &sb,
        &attacker,
        attacker.get(fi_answer.as_str()).await?,
        req.redirect_uri(),
        "ameli",
        "eric-mercier",
    )
    .await?;
    assert!(resp.code.is_some());
    Ok(())
}

#[tokio::test]
async fn interactions_belong_to_their_browser_session() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let a = sb.browser();
    let chooser = a
        .follow(AuthRequest::mairie(&sb).send(&sb, &a).await?)
        .await?
        .into_last();
    let b = sb.browser();
    for path in ["", "/confirm", "/not-me", "/cancel"] {
        let page = b.get(&format!("{}{path}", chooser.url)).await?;
        assert_eq!(page.status, 400, "{path}: {}", page.summary());
        assert_eq!(page.error_code().as_deref(), Some("Y000410"), "{path}");
    }
    // Once used, an interaction is gone: the confirmed one cannot be
    // confirmed twice.
    let resp = authorize(&sb, &a, &AuthRequest::mairie(&sb), "ameli", "eric-mercier").await?;
    let confirm_post = resp
        .journey
        .hops
        .iter()
        .find(|p| p.method == reqwest::Method::POST && p.url.path().ends_with("/confirm"))
        .expect("the confirmation POST");
    let page = a.get(confirm_post.url.as_str()).await?;
    assert_eq!(
        page.error_code().as_deref(),
        Some("Y000410"),
        "{}",
        page.summary()
    );
    Ok(())
}

#[tokio::test]
async fn a_login_left_open_more_than_30_minutes_expires() -> Result<()> {
    // Given a chooser opened at minute 0, on a fixed clock
    let sb = TestSandbox::start_fixed_clock().await?;
    let b = sb.browser();
    let old = b
        .follow(AuthRequest::mairie(&sb).send(&sb, &b).await?)
        .await?
        .into_last();
    let form = old.form("form[action$='/fi']")?.set("fi", "ameli");

    // When the browser stays active (another request at minute 20) and the
    // first chooser is submitted at minute 31
    sb.advance(20 * 60);
    b.follow(AuthRequest::mairie(&sb).send(&sb, &b).await?)
        .await?;
    sb.advance(11 * 60);
    let page = b.submit(&form).await?;

    // Then that login has expired (the session itself has not)
    assert_eq!(page.status, 400, "{}", page.summary());
    assert_eq!(page.error_code().as_deref(), Some("Y000410"));
    Ok(())
}

#[tokio::test]
async fn an_fi_callback_without_a_login_in_progress_is_refused() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    for query in [
        "",
        "?code=abc",
        "?code=abc&state=inconnu",
        "?error=access_denied&state=inconnu",
    ] {
        let page = b
            .get(&format!("{}{query}", sb.endpoint("/fi/callback")))
            .await?;
        assert_eq!(page.status, 400, "{query}: {}", page.summary());
        assert_eq!(page.error_code().as_deref(), Some("Y000410"), "{query}");
        assert!(page.header("location").is_none(), "{query}");
    }
    Ok(())
}

#[tokio::test]
async fn the_session_id_changes_when_the_citizen_logs_in() -> Result<()> {
    // Given a browser that received a session cookie before logging in
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let req = AuthRequest::mairie(&sb);
    let first = req.send(&sb, &b).await?;
    let cookie = |p: &Page| {
        p.set_cookies()
            .into_iter()
            .find(|c| c.starts_with("pivot_session="))
            .map(|c| c.split(';').next().unwrap_or_default().to_owned())
    };
    let before = cookie(&first).expect("a session cookie");

    // When the FI sends him back logged in
    let resp =
        drive_to_redirect(&sb, &b, first, req.redirect_uri(), "ameli", "eric-mercier").await?;
    let callback = resp
        .journey
        .hop(&sb.endpoint("/fi/callback"))
        .expect("the FI callback");

    // Then the broker issued a new session cookie (no session fixation)
    let after = cookie(callback).expect("a new session cookie at login");
    assert_ne!(before, after);
    // And the cookie known before the login no longer reaches the session
    let confirm_again = AuthRequest::mairie(&sb);
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?
        .get(confirm_again.url(&sb))
        .header("cookie", &before)
        .send()
        .await?;
    let to = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        !to.ends_with("/confirm"),
        "the old cookie must not give SSO: {to}"
    );
    Ok(())
}
