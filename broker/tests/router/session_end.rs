//! `/session/end`: RP-initiated logout.

use axum::http::{StatusCode, header};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::harness::{BASIC, Harness, POST_LOGOUT_URI, Reply, authorize_params, form, query_of};

const LOGOUT_STATE: &str = "logout-state-0123456789";

/// An ID token of `BASIC`, and a browser session (cookie).
async fn logged_in(h: &Harness) -> (String, String) {
    let t = h.tokens(BASIC, "openid").await;
    let r = h.authorize(&authorize_params(BASIC)).await;
    (
        t["id_token"].as_str().unwrap().to_owned(),
        r.session_cookie(),
    )
}

#[track_caller]
fn assert_cookie_removed(r: &Reply) {
    let c = r
        .session_set_cookie()
        .unwrap_or_else(|| panic!("session cookie not removed: {:?}", r.headers));
    let lower = c.to_ascii_lowercase();
    assert!(lower.starts_with("pivot_session=;"), "{c}");
    assert!(
        lower.contains("max-age=0") || lower.contains("expires=thu, 01 jan 1970"),
        "{c}"
    );
}

#[tokio::test]
async fn valid_logout_returns_to_the_service_with_state() {
    let h = Harness::new().await;
    let (id_token, cookie) = logged_in(&h).await;
    let uri = format!(
        "/api/v2/session/end?{}",
        form(&[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", POST_LOGOUT_URI),
            ("state", LOGOUT_STATE)
        ])
    );
    let r = h.get_with(&uri, &[(header::COOKIE, &cookie)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let loc = r.location();
    assert!(loc.starts_with(POST_LOGOUT_URI), "{loc}");
    assert_eq!(query_of(loc)["state"], LOGOUT_STATE);
    assert_cookie_removed(&r);

    // The server-side session is gone: the old cookie no longer opens it.
    let interaction = h.authorize(&authorize_params(BASIC)).await;
    let path = interaction.location().to_owned();
    assert_eq!(
        h.get_with(&path, &[(header::COOKIE, &cookie)])
            .await
            .error_code(),
        "Y000410"
    );
}

#[tokio::test]
async fn expired_id_token_is_still_a_valid_hint() {
    let h = Harness::new().await;
    let (id_token, _) = logged_in(&h).await;
    h.advance(3600);
    let body = form(&[
        ("id_token_hint", &id_token),
        ("post_logout_redirect_uri", POST_LOGOUT_URI),
    ]);
    let r = h.post_form("/api/v2/session/end", &body, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.location(), POST_LOGOUT_URI);
}

#[tokio::test]
async fn unregistered_post_logout_uri_is_an_error_page() {
    let h = Harness::new().await;
    let (id_token, cookie) = logged_in(&h).await;
    let uri = format!(
        "/api/v2/session/end?{}",
        form(&[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", "https://evil.example/"),
            ("state", LOGOUT_STATE)
        ])
    );
    let r = h.get_with(&uri, &[(header::COOKIE, &cookie)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert!(r.header(header::LOCATION).is_none());
    assert_eq!(r.error_code(), "Y030002");
}

#[tokio::test]
async fn forged_hint_is_an_error_page() {
    let h = Harness::new().await;
    let (id_token, _) = logged_in(&h).await;
    // Same header and signature, another audience in the payload.
    let parts: Vec<&str> = id_token.split('.').collect();
    let mut payload: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload["aud"] = "fs-post".into();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        parts[2]
    );
    for hint in [forged.as_str(), "not-a-jwt", "a.b.c"] {
        let body = form(&[
            ("id_token_hint", hint),
            ("post_logout_redirect_uri", POST_LOGOUT_URI),
            ("state", LOGOUT_STATE),
        ]);
        let r = h.post_form("/api/v2/session/end", &body, &[]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{hint}: {}", r.text());
        assert!(r.header(header::LOCATION).is_none());
        assert_eq!(r.error_code(), "Y030001");
    }
}

#[tokio::test]
async fn no_parameters_shows_the_logged_out_page() {
    let h = Harness::new().await;
    let (_, cookie) = logged_in(&h).await;
    let r = h
        .get_with("/api/v2/session/end", &[(header::COOKIE, &cookie)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("déconnecté"), "{}", r.text());
    assert!(r.header(header::LOCATION).is_none());
    assert_cookie_removed(&r);
}
