//! `/authorize`: which errors are pages, which go back to the service, and
//! the start of an interaction.

use axum::http::{StatusCode, header};

use crate::harness::{
    BASIC, Harness, ISSUER, PUBLIC, REDIRECT_URI, Reply, STATE, authorize_params, query_of,
};

/// Query parameters, in order.
type Params<'a> = Vec<(&'a str, &'a str)>;

/// Replaces (or adds) a parameter; `None` removes it.
fn with<'a>(mut pairs: Params<'a>, name: &'a str, value: Option<&'a str>) -> Params<'a> {
    pairs.retain(|(k, _)| *k != name);
    if let Some(v) = value {
        pairs.push((name, v));
    }
    pairs
}

/// The request was refused with a page and nothing was sent to any URL.
#[track_caller]
fn assert_page(r: &Reply) {
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert!(
        r.header(header::LOCATION).is_none(),
        "must not redirect: {:?}",
        r.headers
    );
    assert!(
        r.header(header::CONTENT_TYPE)
            .unwrap()
            .starts_with("text/html")
    );
    assert!(r.text().contains(r#"id="error-code""#), "{}", r.text());
    assert_eq!(r.error_code(), "Y000400");
    assert!(
        r.session_set_cookie().is_none(),
        "no session for a refused request"
    );
}

/// The request went back to the registered redirect URI with `error`,
/// `state` (when sent) and `iss`.
#[track_caller]
fn assert_redirect_error(r: &Reply, error: &str, state: Option<&str>) {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let loc = r.location();
    assert!(loc.starts_with(&format!("{REDIRECT_URI}?")), "{loc}");
    let q = query_of(loc);
    assert_eq!(q.get("error").map(String::as_str), Some(error), "{loc}");
    assert_eq!(q.get("state").map(String::as_str), state, "{loc}");
    assert_eq!(q.get("iss").map(String::as_str), Some(ISSUER), "{loc}");
}

#[tokio::test]
async fn unknown_client_gets_a_page_and_no_redirect() {
    let h = Harness::new().await;
    let r = h
        .authorize(&with(authorize_params(BASIC), "client_id", Some("nobody")))
        .await;
    assert_page(&r);
    assert!(r.text().contains("Service inconnu"));
}

#[tokio::test]
async fn unregistered_redirect_uri_gets_a_page() {
    let h = Harness::new().await;
    for uri in [
        "https://evil.example/callback",
        "https://fs.example/callback/",
        "https://fs.example/callback?x=1",
    ] {
        let r = h
            .authorize(&with(authorize_params(BASIC), "redirect_uri", Some(uri)))
            .await;
        assert_page(&r);
        assert!(
            !r.text().contains("evil.example"),
            "the untrusted URI is not echoed as a link"
        );
    }
}

#[tokio::test]
async fn missing_or_repeated_client_id_or_redirect_uri_gets_a_page() {
    let h = Harness::new().await;
    assert_page(
        &h.authorize(&with(authorize_params(BASIC), "client_id", None))
            .await,
    );
    assert_page(
        &h.authorize(&with(authorize_params(BASIC), "redirect_uri", None))
            .await,
    );
    let mut twice = authorize_params(BASIC);
    twice.push(("client_id", PUBLIC));
    assert_page(&h.authorize(&twice).await);
    let mut twice = authorize_params(BASIC);
    twice.push(("redirect_uri", "https://evil.example/cb"));
    assert_page(&h.authorize(&twice).await);
}

#[tokio::test]
async fn invalid_requests_go_back_to_the_service() {
    let h = Harness::new().await;
    let base = || authorize_params(BASIC);
    let cases: Vec<(&str, Params, &str)> = vec![
        (
            "short nonce",
            with(base(), "nonce", Some("0123456789abcdefghij1")),
            "invalid_request",
        ),
        (
            "unknown parameter",
            with(base(), "foo", Some("bar")),
            "invalid_request",
        ),
        (
            "response_type=token",
            with(base(), "response_type", Some("token")),
            "unsupported_response_type",
        ),
        (
            "scope without openid",
            with(base(), "scope", Some("profile")),
            "invalid_scope",
        ),
        (
            "scope not allowed",
            with(base(), "scope", Some("openid email")),
            "invalid_scope",
        ),
        (
            "acr_values=eidas2",
            with(base(), "acr_values", Some("eidas2")),
            "invalid_acr",
        ),
        (
            "missing acr_values",
            with(base(), "acr_values", None),
            "invalid_request",
        ),
        (
            "plain PKCE",
            with(
                with(
                    base(),
                    "code_challenge",
                    Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
                ),
                "code_challenge_method",
                Some("plain"),
            ),
            "invalid_request",
        ),
        (
            "prompt=none",
            with(base(), "prompt", Some("none")),
            "invalid_request",
        ),
        (
            "claims not JSON",
            with(base(), "claims", Some("{not json")),
            "invalid_request",
        ),
        (
            "request object",
            with(base(), "request", Some("eyJ.x.y")),
            "request_not_supported",
        ),
        (
            "unknown idp_hint",
            with(base(), "idp_hint", Some("nowhere")),
            "invalid_request",
        ),
    ];
    for (name, pairs, error) in cases {
        let r = h.authorize(&pairs).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{name}: {}", r.text());
        assert_redirect_error(&r, error, Some(STATE));
        assert!(
            r.session_set_cookie().is_none(),
            "{name}: no session for a refused request"
        );
    }
}

#[tokio::test]
async fn missing_state_goes_back_without_state() {
    let h = Harness::new().await;
    let r = h
        .authorize(&with(authorize_params(BASIC), "state", None))
        .await;
    assert_redirect_error(&r, "invalid_request", None);
}

#[tokio::test]
async fn public_client_must_use_pkce() {
    let h = Harness::new().await;
    let r = h.authorize(&authorize_params(PUBLIC)).await;
    assert_redirect_error(&r, "invalid_request", Some(STATE));
    let q = query_of(r.location());
    assert!(q["error_description"].contains("code_challenge"), "{q:?}");

    let challenge =
        pivot_proto::oauth::pkce::s256_challenge("verifier-0123456789-0123456789-0123456789-abc");
    let mut pairs = authorize_params(PUBLIC);
    pairs.push(("code_challenge", &challenge));
    pairs.push(("code_challenge_method", "S256"));
    let r = h.authorize(&pairs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        r.location().starts_with("/interaction/"),
        "{}",
        r.location()
    );
}

#[tokio::test]
async fn valid_request_starts_an_interaction_with_a_session_cookie() {
    let h = Harness::new().await;
    let r = h.authorize(&authorize_params(BASIC)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let id = r
        .location()
        .strip_prefix("/interaction/")
        .unwrap_or_else(|| panic!("{}", r.location()));
    assert!(
        id.len() >= 16
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "{id}"
    );

    let cookie = r.session_set_cookie().unwrap();
    let attrs: Vec<String> = cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(attrs.contains(&"httponly".to_owned()), "{cookie}");
    assert!(attrs.contains(&"samesite=lax".to_owned()), "{cookie}");
    assert!(attrs.contains(&"path=/".to_owned()), "{cookie}");
    assert!(
        !attrs.contains(&"secure".to_owned()),
        "no Secure on loopback HTTP: {cookie}"
    );
    assert!(
        !attrs
            .iter()
            .any(|a| a.starts_with("max-age") || a.starts_with("expires")),
        "browser-session cookie: {cookie}"
    );
}

#[tokio::test]
async fn post_authorize_works_like_get() {
    let h = Harness::new().await;
    let body = crate::harness::form(&authorize_params(BASIC));
    let r = h.post_form("/api/v2/authorize", &body, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert!(r.location().starts_with("/interaction/"));

    let body = crate::harness::form(&with(
        authorize_params(BASIC),
        "response_type",
        Some("id_token"),
    ));
    let r = h.post_form("/api/v2/authorize", &body, &[]).await;
    assert_redirect_error(&r, "unsupported_response_type", Some(STATE));
}

#[tokio::test]
async fn secure_cookie_outside_loopback() {
    let h = Harness::with(|c| c.server.public_url = "https://fc.example.gouv.fr".parse().unwrap())
        .await;
    let r = h.authorize(&authorize_params(BASIC)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let q = h
        .authorize(&with(authorize_params(BASIC), "prompt", Some("none")))
        .await;
    assert_eq!(
        query_of(q.location())["iss"],
        "https://fc.example.gouv.fr/api/v2"
    );
    let cookie = r.session_set_cookie().unwrap();
    assert!(
        cookie
            .split(';')
            .any(|a| a.trim().eq_ignore_ascii_case("secure")),
        "{cookie}"
    );
}

#[tokio::test]
async fn idp_hint_to_an_unreachable_provider_falls_back_to_the_chooser() {
    let h = Harness::new().await;
    let mut pairs = authorize_params(BASIC);
    pairs.push(("idp_hint", crate::harness::CLOSED_FI));
    let r = h.authorize(&pairs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let loc = r.location().to_owned();
    assert!(
        loc.starts_with("/interaction/")
            && loc.ends_with(&format!("?unavailable={}", crate::harness::CLOSED_FI)),
        "{loc}"
    );
    let page = h
        .get_with(&loc, &[(header::COOKIE, &r.session_cookie())])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(
        page.text().contains(r#"id="fi-unavailable""#),
        "{}",
        page.text()
    );
}
