//! The whole code flow in-process, from a browser session that already holds
//! an FI login (single sign-on): `/authorize` → confirmation → code → tokens.

use axum::http::{StatusCode, header};

use crate::harness::{
    BASIC, Harness, ISSUER, NONCE, POST_LOGOUT_URI, REDIRECT_URI, STATE, authorize_params, form,
    query_of,
};

#[tokio::test]
async fn sso_login_goes_through_confirmation_to_a_code() {
    let h = Harness::new().await;
    let cookie = h.sso_session().await;
    let cookies = [(header::COOKIE, cookie.as_str())];

    // Given a browser with a finished FI login,
    // when a service asks for a login,
    let r = h
        .get_with(
            &format!("/api/v2/authorize?{}", form(&authorize_params(BASIC))),
            &cookies,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let confirm = r.location().to_owned();
    assert!(
        confirm.starts_with("/interaction/") && confirm.ends_with("/confirm"),
        "{confirm}"
    );

    // then the citizen sees who they are,
    let page = h.get_with(&confirm, &cookies).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    // (minijinja escapes `/` in HTML.)
    let html = page.text().replace("&#x2f;", "/");
    assert!(
        html.contains("Bienvenue Angela Claire Louise DUBOIS"),
        "{html}"
    );
    assert!(
        html.contains("née le <strong>24/08/1962</strong>"),
        "{html}"
    );
    assert_eq!(page.header(header::CACHE_CONTROL), Some("no-store"));

    // and confirming sends a code back to the service.
    let r = h
        .post_form(&confirm, &form(&[("csrf", &page.csrf())]), &cookies)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let loc = r.location().to_owned();
    assert!(loc.starts_with(&format!("{REDIRECT_URI}?")), "{loc}");
    let q = query_of(&loc);
    assert_eq!(q["state"], STATE);
    assert_eq!(q["iss"], ISSUER);
    let code = &q["code"];

    let t = h
        .token_basic(
            BASIC,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT_URI),
            ],
        )
        .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text());
    let t = t.json();
    let (_, _, claims) = h.verify_with_jwks(t["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["nonce"], NONCE);
    assert_eq!(claims["aud"], BASIC);
    let info = h.userinfo(t["access_token"].as_str().unwrap()).await.json();
    assert_eq!(info["family_name"], "DUBOIS");
    assert_eq!(info["sub"], claims["sub"]);

    // The same sub as a code seeded for the same identity and entity.
    let seeded = h.tokens(BASIC, "openid").await;
    let (_, _, seeded_claims) = h
        .verify_with_jwks(seeded["id_token"].as_str().unwrap())
        .await;
    assert_eq!(seeded_claims["sub"], claims["sub"]);

    // The interaction is over: confirming again gives no second code.
    let again = h
        .post_form(&confirm, &form(&[("csrf", &page.csrf())]), &cookies)
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.error_code(), "Y000410");
}

#[tokio::test]
async fn confirmation_with_a_wrong_csrf_is_forbidden() {
    let h = Harness::new().await;
    let cookie = h.sso_session().await;
    let cookies = [(header::COOKIE, cookie.as_str())];
    let r = h
        .get_with(
            &format!("/api/v2/authorize?{}", form(&authorize_params(BASIC))),
            &cookies,
        )
        .await;
    let confirm = r.location().to_owned();
    let r = h
        .post_form(&confirm, &form(&[("csrf", "forged")]), &cookies)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(r.error_code(), "Y000403");
    assert!(r.header(header::LOCATION).is_none());
}

#[tokio::test]
async fn prompt_login_skips_single_sign_on() {
    let h = Harness::new().await;
    let cookie = h.sso_session().await;
    let mut pairs = authorize_params(BASIC);
    pairs.push(("prompt", "login"));
    let r = h
        .get_with(
            &format!("/api/v2/authorize?{}", form(&pairs)),
            &[(header::COOKIE, &cookie)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let loc = r.location().to_owned();
    assert!(!loc.ends_with("/confirm"), "{loc}");
    // The confirmation page of that interaction sends back to the chooser.
    let r = h
        .get_with(&format!("{loc}/confirm"), &[(header::COOKIE, &cookie)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), loc);
}

#[tokio::test]
async fn not_me_forgets_the_login() {
    let h = Harness::new().await;
    let cookie = h.sso_session().await;
    let cookies = [(header::COOKIE, cookie.as_str())];
    let authorize = format!("/api/v2/authorize?{}", form(&authorize_params(BASIC)));
    let confirm = h.get_with(&authorize, &cookies).await.location().to_owned();
    let not_me = confirm.replace("/confirm", "/not-me");
    assert_eq!(h.get_with(&not_me, &cookies).await.status, StatusCode::OK);
    let r = h.get_with(&authorize, &cookies).await;
    assert!(
        !r.location().ends_with("/confirm"),
        "SSO forgotten: {}",
        r.location()
    );
}

#[tokio::test]
async fn logout_ends_single_sign_on_even_when_the_fi_is_down() {
    let h = Harness::new().await;
    let cookie = h.sso_session().await;
    let cookies = [(header::COOKIE, cookie.as_str())];
    let id_token = h.tokens(BASIC, "openid").await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let uri = format!(
        "/api/v2/session/end?{}",
        form(&[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", POST_LOGOUT_URI),
            ("state", "st")
        ])
    );
    // The FI's discovery fails (nothing listens): its logout is skipped.
    let r = h.get_with(&uri, &cookies).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(r.location(), format!("{POST_LOGOUT_URI}?state=st"));
    let r = h
        .get_with(
            &format!("/api/v2/authorize?{}", form(&authorize_params(BASIC))),
            &cookies,
        )
        .await;
    assert!(
        !r.location().ends_with("/confirm"),
        "SSO ended: {}",
        r.location()
    );
}

#[tokio::test]
async fn renewing_a_session_kills_the_old_cookie() {
    // What the FI callback does on a successful login (session fixation
    // defence): the old id no longer opens the session, the new one does,
    // with its interactions and a new CSRF token.
    let h = Harness::new().await;
    let r = h.authorize(&authorize_params(BASIC)).await;
    let path = r.location().to_owned();
    let old_cookie = r.session_cookie();
    let old_csrf = h
        .get_with(&path, &[(header::COOKIE, &old_cookie)])
        .await
        .csrf();

    let mut headers = axum::http::HeaderMap::new();
    headers.insert(header::COOKIE, old_cookie.parse().unwrap());
    let jar =
        axum_extra::extract::SignedCookieJar::from_headers(&headers, h.state.cookie_key.clone());
    let mut session = h.state.load_session(&jar).await.unwrap();
    assert!(
        !session.data.interactions.is_empty(),
        "the test loads the real session"
    );
    h.state.renew_session(&mut session).await.unwrap();
    let jar = h.state.save_session(jar, &session).await.unwrap();
    let res = axum::response::IntoResponse::into_response(jar);
    let set = res
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    let new_cookie = set.split(';').next().unwrap().to_owned();
    assert_ne!(new_cookie, old_cookie);

    let old = h.get_with(&path, &[(header::COOKIE, &old_cookie)]).await;
    assert_eq!(old.error_code(), "Y000410");
    let new = h.get_with(&path, &[(header::COOKIE, &new_cookie)]).await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.text());
    assert_ne!(new.csrf(), old_csrf);
}
