//! Security headers of the broker's pages and its session cookie.

use anyhow::Result;
use pivot_tests::{AuthRequest, Page, TestSandbox, journey::drive};

fn assert_secure_page(page: &Page, what: &str) {
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("frame-ancestors 'none'"),
        "{what}: CSP {csp:?}"
    );
    assert!(csp.contains("default-src 'self'"), "{what}: CSP {csp:?}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{what}: CSP {csp:?}"
    );
    assert_eq!(page.header("x-frame-options"), Some("DENY"), "{what}");
    assert_eq!(
        page.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        page.header("referrer-policy"),
        Some("no-referrer"),
        "{what}"
    );
    if page
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/html"))
    {
        assert_eq!(
            page.header("cache-control"),
            Some("no-store"),
            "{what}: pages with identities are not cached"
        );
    }
}

#[tokio::test]
async fn every_broker_page_carries_the_security_headers() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let req = AuthRequest::mairie(&sb);
    let start = req.send(&sb, &b).await?;
    let j = drive(&sb, &b, start, "ameli", "eric-mercier", |p| {
        p.location()
            .is_some_and(|l| l.as_str().starts_with(&sb.callback("mairie")))
    })
    .await?;
    let broker_hops: Vec<&Page> = j
        .hops
        .iter()
        .filter(|p| p.is_at(&sb.sb.broker_url))
        .collect();
    assert!(broker_hops.len() >= 5, "{}", j.describe());
    for p in broker_hops {
        assert_secure_page(p, &p.summary());
    }
    let error = AuthRequest::mairie(&sb)
        .set("client_id", "inconnu")
        .send(&sb, &b)
        .await?;
    assert_secure_page(&error, "error page");
    Ok(())
}

#[tokio::test]
async fn the_session_cookie_is_httponly_and_samesite_lax_and_not_secure_on_loopback() -> Result<()>
{
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let first = AuthRequest::mairie(&sb).send(&sb, &b).await?;
    let cookie = first
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("pivot_session="))
        .expect("a session cookie on the first request");
    let attrs: Vec<String> = cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(attrs.iter().any(|a| a == "httponly"), "{cookie}");
    assert!(attrs.iter().any(|a| a == "samesite=lax"), "{cookie}");
    assert!(attrs.iter().any(|a| a == "path=/"), "{cookie}");
    assert!(
        !attrs.iter().any(|a| a == "secure"),
        "plain http on loopback: {cookie}"
    );
    assert!(
        !attrs
            .iter()
            .any(|a| a.starts_with("max-age") || a.starts_with("expires")),
        "a browser-session cookie: {cookie}"
    );
    // The value is a random id, not the session data.
    let value = cookie
        .split(';')
        .next()
        .unwrap_or_default()
        .trim_start_matches("pivot_session=");
    assert!(!value.contains("MERCIER") && value.len() < 200, "{value}");
    Ok(())
}

#[tokio::test]
async fn a_tampered_session_cookie_is_ignored() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let first = AuthRequest::mairie(&sb).send(&sb, &b).await?;
    let chooser_url = first.location().expect("redirect to the chooser");
    let cookie = first
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("pivot_session="))
        .expect("a session cookie");
    let value = cookie.split(';').next().unwrap_or_default().to_owned();

    let http = reqwest::Client::new();
    let genuine = http
        .get(chooser_url.as_str())
        .header("cookie", &value)
        .send()
        .await?;
    assert_eq!(
        genuine.status(),
        200,
        "the genuine cookie opens the chooser"
    );

    // Flip one character of the signed value.
    let mut chars: Vec<char> = value.chars().collect();
    let i = chars.len() - 3;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    let forged: String = chars.into_iter().collect();
    let res = http
        .get(chooser_url.as_str())
        .header("cookie", &forged)
        .send()
        .await?;
    assert_eq!(res.status(), 400);
    assert!(res.text().await?.contains("Y000410"));
    Ok(())
}

#[tokio::test]
async fn back_channel_answers_are_not_cached() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let (_, t) = pivot_tests::oidc::mairie_login(&sb, &b, "ameli", "eric-mercier").await?;
    let u = pivot_tests::oidc::userinfo(&sb, &t.access_token).await?;
    assert_eq!(u.header("cache-control"), Some("no-store"));
    let bad = pivot_tests::oidc::userinfo(&sb, "inconnu").await?;
    assert_eq!(bad.header("cache-control"), Some("no-store"));
    Ok(())
}
