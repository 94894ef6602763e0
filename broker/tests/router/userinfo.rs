//! `/userinfo` and `/token/revocation`.

use axum::http::{StatusCode, header};

use crate::harness::{BASIC, Harness, ISSUER, SIGNED_USERINFO, basic, form, secret_of};

#[tokio::test]
async fn openid_alone_gives_only_sub() {
    let h = Harness::new().await;
    let t = h.tokens(BASIC, "openid").await;
    let r = h.userinfo(t["access_token"].as_str().unwrap()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        r.header(header::CONTENT_TYPE)
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(r.header(header::CACHE_CONTROL), Some("no-store"));
    let claims = r.json();
    let keys: Vec<&String> = claims.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["sub"]);
}

#[tokio::test]
async fn identite_pivot_gives_the_six_claims() {
    let h = Harness::new().await;
    let t = h.tokens(BASIC, "openid identite_pivot").await;
    let (_, _, id_claims) = h.verify_with_jwks(t["id_token"].as_str().unwrap()).await;
    let r = h.userinfo(t["access_token"].as_str().unwrap()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let claims = r.json();
    let mut keys: Vec<&str> = claims
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "birthcountry",
            "birthdate",
            "birthplace",
            "family_name",
            "gender",
            "given_name",
            "sub"
        ]
    );
    assert_eq!(
        claims["sub"], id_claims["sub"],
        "userinfo sub is the ID token's"
    );
    assert!(claims.get("email").is_none(), "email needs its own scope");
    insta::assert_json_snapshot!("userinfo_identite_pivot", claims, { ".sub" => "[sub]" });
}

#[tokio::test]
async fn post_userinfo_works_too() {
    let h = Harness::new().await;
    let t = h.tokens(BASIC, "openid given_name").await;
    let auth = format!("Bearer {}", t["access_token"].as_str().unwrap());
    let r = h
        .post_form("/api/v2/userinfo", "", &[(header::AUTHORIZATION, &auth)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["given_name"], "Angela Claire Louise");
}

#[tokio::test]
async fn signed_userinfo_for_a_registered_client() {
    let h = Harness::new().await;
    let t = h.tokens(SIGNED_USERINFO, "openid identite_pivot").await;
    let r = h.userinfo(t["access_token"].as_str().unwrap()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header(header::CONTENT_TYPE), Some("application/jwt"));
    let (_, alg, claims) = h.verify_with_jwks(&r.text()).await;
    assert_eq!(alg, "RS256");
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], SIGNED_USERINFO);
    assert_eq!(claims["family_name"], "DUBOIS");
    assert_eq!(claims["iat"].as_i64(), Some(h.now()));
}

#[tokio::test]
async fn expired_access_token_is_refused() {
    let h = Harness::new().await;
    let t = h.tokens(BASIC, "openid").await;
    let access = t["access_token"].as_str().unwrap();
    h.advance(59);
    assert_eq!(h.userinfo(access).await.status, StatusCode::OK);
    h.advance(2);
    let r = h.userinfo(access).await;
    r.assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_token");
    assert!(
        r.header(header::WWW_AUTHENTICATE)
            .unwrap()
            .starts_with("Bearer"),
        "{:?}",
        r.headers
    );
}

#[tokio::test]
async fn revoked_access_token_is_refused() {
    let h = Harness::new().await;
    let t = h.tokens(BASIC, "openid").await;
    let access = t["access_token"].as_str().unwrap();

    // Another client cannot revoke it (but still gets 200, RFC 7009).
    let auth = basic(SIGNED_USERINFO, &secret_of(SIGNED_USERINFO));
    let r = h
        .post_form(
            "/api/v2/token/revocation",
            &form(&[("token", access)]),
            &[(header::AUTHORIZATION, &auth)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(h.userinfo(access).await.status, StatusCode::OK);

    let auth = basic(BASIC, &secret_of(BASIC));
    let r = h
        .post_form(
            "/api/v2/token/revocation",
            &form(&[("token", access)]),
            &[(header::AUTHORIZATION, &auth)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    h.userinfo(access)
        .await
        .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_token");

    // Unknown tokens are answered 200 too; unauthenticated calls are not.
    let r = h
        .post_form(
            "/api/v2/token/revocation",
            &form(&[("token", "nope")]),
            &[(header::AUTHORIZATION, &auth)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = h
        .post_form("/api/v2/token/revocation", &form(&[("token", access)]), &[])
        .await;
    r.assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn missing_or_malformed_bearer_is_refused() {
    let h = Harness::new().await;
    let r = h.get("/api/v2/userinfo").await;
    r.assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_token");
    assert!(r.header(header::WWW_AUTHENTICATE).is_some());
    for auth in ["Bearer", "Bearer ", "Basic abc", "bearer-token"] {
        let r = h
            .get_with("/api/v2/userinfo", &[(header::AUTHORIZATION, auth)])
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{auth:?}");
    }
    h.userinfo("unknown-token")
        .await
        .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_token");
}
