//! Key rotation seen from a service.

use axum::http::StatusCode;

use crate::harness::{BASIC, Harness, POST, POST_LOGOUT_URI, form};

#[tokio::test]
async fn rotation_keeps_old_tokens_verifiable_and_signs_with_new_keys() {
    let h = Harness::new().await;
    let before = h.tokens(BASIC, "openid").await;
    let old_token = before["id_token"].as_str().unwrap().to_owned();
    let (old_kid, _, _) = h.verify_with_jwks(&old_token).await;
    let old_rs = h.tokens(POST, "openid").await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (old_rs_kid, _, _) = h.verify_with_jwks(&old_rs).await;

    h.advance(10);
    let new_kids = h.state.keys.rotate(h.now()).unwrap();
    assert_eq!(new_kids.len(), 2);
    let jwks = h.jwks().await;
    assert_eq!(jwks.len(), 4, "retired keys stay published");

    // Old tokens still verify with the published keys.
    let (kid, _, claims) = h.verify_with_jwks(&old_token).await;
    assert_eq!(kid, old_kid);
    assert_eq!(claims["aud"], BASIC);
    h.verify_with_jwks(&old_rs).await;

    // New tokens use the new keys.
    let (new_kid, alg, _) = h
        .verify_with_jwks(
            h.tokens(BASIC, "openid").await["id_token"]
                .as_str()
                .unwrap(),
        )
        .await;
    assert_eq!(alg, "ES256");
    assert_ne!(new_kid, old_kid);
    assert!(new_kids.contains(&new_kid));
    let (new_rs_kid, _, _) = h
        .verify_with_jwks(h.tokens(POST, "openid").await["id_token"].as_str().unwrap())
        .await;
    assert_ne!(new_rs_kid, old_rs_kid);
    assert!(new_kids.contains(&new_rs_kid));

    // An ID token signed before the rotation is still a logout hint.
    let body = form(&[
        ("id_token_hint", &old_token),
        ("post_logout_redirect_uri", POST_LOGOUT_URI),
    ]);
    let r = h.post_form("/api/v2/session/end", &body, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
}
