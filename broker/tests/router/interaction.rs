//! The interaction pages: the FI chooser, its form, expiry.

use axum::http::{StatusCode, header};

use crate::harness::{
    BASIC, CLOSED_FI, CLOSED_FI_NAME, Harness, ISSUER, REDIRECT_URI, STATE, authorize_params, form,
    query_of,
};

/// Starts an interaction; returns its path and the session cookie.
async fn start(h: &Harness) -> (String, String) {
    let r = h.authorize(&authorize_params(BASIC)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    (r.location().to_owned(), r.session_cookie())
}

#[tokio::test]
async fn chooser_lists_the_configured_provider_with_protective_headers() {
    let h = Harness::new().await;
    let (path, cookie) = start(&h).await;
    let r = h.get_with(&path, &[(header::COOKIE, &cookie)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    assert!(html.contains(&format!(r#"id="fi-{CLOSED_FI}""#)), "{html}");
    assert!(html.contains(CLOSED_FI_NAME));
    assert!(
        html.contains("Service fs-basic"),
        "the service's name is shown"
    );
    let csp = r.header(header::CONTENT_SECURITY_POLICY).unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(r.header(header::X_FRAME_OPTIONS), Some("DENY"));
    assert_eq!(r.header(header::CACHE_CONTROL), Some("no-store"));
    assert_eq!(r.header(header::X_CONTENT_TYPE_OPTIONS), Some("nosniff"));
}

#[tokio::test]
async fn chooser_without_providers_lists_none() {
    let h = Harness::with(|c| c.identity_providers.clear()).await;
    let (path, cookie) = start(&h).await;
    let r = h.get_with(&path, &[(header::COOKIE, &cookie)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(!r.text().contains(r#"name="fi""#), "{}", r.text());
    assert!(!r.text().contains(CLOSED_FI_NAME));
}

#[tokio::test]
async fn chooser_needs_the_session_that_started_it() {
    let h = Harness::new().await;
    let (path, _) = start(&h).await;
    let r = h.get(&path).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_code(), "Y000410");
    let (_, other_cookie) = start(&h).await;
    let r = h.get_with(&path, &[(header::COOKIE, &other_cookie)]).await;
    assert_eq!(
        r.error_code(),
        "Y000410",
        "an interaction belongs to one browser"
    );
    // A forged (unsigned) cookie is no session.
    let id = path.strip_prefix("/interaction/").unwrap();
    let r = h
        .get_with(&path, &[(header::COOKIE, &format!("pivot_session={id}"))])
        .await;
    assert_eq!(r.error_code(), "Y000410");
}

#[tokio::test]
async fn choose_with_a_wrong_csrf_is_forbidden() {
    let h = Harness::new().await;
    let (path, cookie) = start(&h).await;
    let r = h
        .post_form(
            &format!("{path}/fi"),
            &form(&[("csrf", "forged"), ("fi", CLOSED_FI)]),
            &[(header::COOKIE, &cookie)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(r.error_code(), "Y000403");
    assert!(r.header(header::LOCATION).is_none());
}

#[tokio::test]
async fn choosing_an_unreachable_provider_comes_back_to_the_chooser() {
    let h = Harness::new().await;
    let (path, cookie) = start(&h).await;
    let page = h.get_with(&path, &[(header::COOKIE, &cookie)]).await;
    let csrf = page.csrf();
    let r = h
        .post_form(
            &format!("{path}/fi"),
            &form(&[("csrf", &csrf), ("fi", CLOSED_FI)]),
            &[(header::COOKIE, &cookie)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.location(), format!("{path}?unavailable={CLOSED_FI}"));

    // An FI that is not configured is not followed either.
    let r = h
        .post_form(
            &format!("{path}/fi"),
            &form(&[("csrf", &csrf), ("fi", "elsewhere")]),
            &[(header::COOKIE, &cookie)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), path);
}

#[tokio::test]
async fn cancel_goes_back_with_access_denied() {
    let h = Harness::new().await;
    let (path, cookie) = start(&h).await;
    let r = h
        .get_with(&format!("{path}/cancel"), &[(header::COOKIE, &cookie)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let loc = r.location();
    assert!(loc.starts_with(REDIRECT_URI), "{loc}");
    let q = query_of(loc);
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], STATE);
    assert_eq!(q["iss"], ISSUER);
    // The interaction is gone.
    let r = h.get_with(&path, &[(header::COOKIE, &cookie)]).await;
    assert_eq!(r.error_code(), "Y000410");
}

#[tokio::test]
async fn expired_interaction_shows_the_expired_page() {
    // A session that outlives the interaction, so that the interaction's own
    // lifetime is what expires.
    let h = Harness::with(|c| c.platform.session_ttl_secs = 4 * 3600).await;
    let ttl = h.state.cfg.interaction_ttl_secs;
    let (path, cookie) = start(&h).await;
    h.advance(ttl - 1);
    let r = h.get_with(&path, &[(header::COOKIE, &cookie)]).await;
    assert_eq!(r.status, StatusCode::OK, "still alive just before its end");
    h.advance(2);
    let r = h.get_with(&path, &[(header::COOKIE, &cookie)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_code(), "Y000410");
    assert!(r.text().contains("expiré"), "{}", r.text());
    assert_eq!(r.header(header::CACHE_CONTROL), Some("no-store"));

    // The session itself is alive: a new request works with the same cookie.
    let r = h
        .get_with(
            &format!("/api/v2/authorize?{}", form(&authorize_params(BASIC))),
            &[(header::COOKIE, &cookie)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let fresh = r.location().to_owned();
    assert_eq!(r.session_cookie(), cookie, "same session");
    assert_eq!(
        h.get_with(&fresh, &[(header::COOKIE, &cookie)])
            .await
            .status,
        StatusCode::OK
    );
}
