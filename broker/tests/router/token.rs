//! `/token` with codes seeded directly (no FI login needed).

use axum::http::{StatusCode, header};
use pivot_broker::{crypto::sha256_hex, storage::CodeRow};
use pivot_proto::oauth::pkce::s256_challenge;

use crate::harness::{
    BASIC, Harness, ISSUER, NONCE, POST, PUBLIC, REDIRECT_URI, SIGNED_USERINFO, basic, form,
    secret_of,
};

const SCOPE: &str = "openid identite_pivot";

fn redeem(code: &str) -> Vec<(&str, &str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
    ]
}

#[tokio::test]
async fn code_gives_a_verifiable_id_token() {
    let h = Harness::new().await;
    let code = h.seed_code(BASIC, SCOPE, None).await;
    let r = h.token_basic(BASIC, &redeem(&code)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.header(header::CACHE_CONTROL), Some("no-store"));
    let body = r.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 60);
    assert_eq!(body["scope"], "identite_pivot openid");
    assert!(body.get("refresh_token").is_none());
    assert!(body["access_token"].as_str().unwrap().len() >= 43);

    let (_, alg, claims) = h.verify_with_jwks(body["id_token"].as_str().unwrap()).await;
    assert_eq!(alg, "ES256", "the client's registered algorithm");
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], BASIC);
    assert_eq!(claims["nonce"], NONCE);
    assert_eq!(claims["acr"], "eidas1");
    let sub = claims["sub"].as_str().unwrap();
    assert_eq!(sub.len(), 66, "{sub}");
    assert!(
        sub.ends_with("v1")
            && sub[..64]
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
        "{sub}"
    );
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(iat, h.now());
    assert_eq!(exp - iat, 60);
    assert_eq!(claims["auth_time"].as_i64().unwrap(), h.now() - 20);
    assert!(claims.get("amr").is_none(), "amr only when asked");
    assert!(claims.get("idp_id").is_none(), "idp_id only when asked");
    insta::assert_json_snapshot!("id_token_claims", claims, {
        ".sub" => "[sub]",
        ".iat" => "[iat]",
        ".exp" => "[exp]",
        ".auth_time" => "[auth_time]",
    });
}

#[tokio::test]
async fn amr_and_idp_id_scopes_add_their_claims() {
    let h = Harness::new().await;
    let body = h.tokens(BASIC, "openid amr idp_id").await;
    let (_, _, claims) = h.verify_with_jwks(body["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    assert_eq!(claims["idp_id"], crate::harness::CLOSED_FI);
}

async fn sub_of(h: &Harness, tokens: &serde_json::Value) -> String {
    let (_, _, claims) = h
        .verify_with_jwks(tokens["id_token"].as_str().unwrap())
        .await;
    claims["sub"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn sub_is_pairwise_per_entity_and_stable() {
    let h = Harness::new().await;
    let a1 = sub_of(&h, &h.tokens(BASIC, SCOPE).await).await;
    let a2 = sub_of(&h, &h.tokens(BASIC, SCOPE).await).await;
    // Another client of another entity.
    let b = sub_of(&h, &h.tokens(SIGNED_USERINFO, SCOPE).await).await;
    assert_eq!(a1, a2);
    assert_ne!(a1, b, "another entity gets another sub");
}

#[tokio::test]
async fn replayed_code_is_refused_and_revokes_the_first_token() {
    let h = Harness::new().await;
    let code = h.seed_code(BASIC, SCOPE, None).await;
    let first = h.token_basic(BASIC, &redeem(&code)).await;
    assert_eq!(first.status, StatusCode::OK);
    let access = first.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(h.userinfo(&access).await.status, StatusCode::OK);

    h.token_basic(BASIC, &redeem(&code))
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    let r = h.userinfo(&access).await;
    r.assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_token");
}

#[tokio::test]
async fn wrong_secret_is_invalid_client_with_a_challenge() {
    let h = Harness::new().await;
    let code = h.seed_code(BASIC, SCOPE, None).await;
    let auth = basic(BASIC, "not-the-secret");
    let r = h
        .post_form(
            "/api/v2/token",
            &form(&redeem(&code)),
            &[(header::AUTHORIZATION, &auth)],
        )
        .await;
    r.assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    assert!(
        r.header(header::WWW_AUTHENTICATE)
            .unwrap()
            .starts_with("Basic"),
        "{:?}",
        r.headers
    );
    // The code was not burnt by the failed attempt.
    assert_eq!(
        h.token_basic(BASIC, &redeem(&code)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn unknown_client_and_missing_authentication_are_invalid_client() {
    let h = Harness::new().await;
    let code = h.seed_code(BASIC, SCOPE, None).await;
    let auth = basic("nobody", "x");
    let r = h
        .post_form(
            "/api/v2/token",
            &form(&redeem(&code)),
            &[(header::AUTHORIZATION, &auth)],
        )
        .await;
    r.assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    let mut pairs = redeem(&code);
    pairs.push(("client_id", BASIC));
    let r = h.post_form("/api/v2/token", &form(&pairs), &[]).await;
    r.assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn registered_method_is_enforced() {
    // A client_secret_basic client cannot send its secret in the body.
    let h = Harness::new().await;
    let code = h.seed_code(BASIC, SCOPE, None).await;
    let secret = secret_of(BASIC);
    let mut pairs = redeem(&code);
    pairs.extend([("client_id", BASIC), ("client_secret", secret.as_str())]);
    let r = h.post_form("/api/v2/token", &form(&pairs), &[]).await;
    r.assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn client_secret_post_works_and_signs_with_rs256() {
    let h = Harness::new().await;
    let code = h.seed_code(POST, SCOPE, None).await;
    let r = h.token_as(POST, &redeem(&code)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let (_, alg, claims) = h
        .verify_with_jwks(r.json()["id_token"].as_str().unwrap())
        .await;
    assert_eq!(alg, "RS256");
    assert_eq!(claims["aud"], POST);

    // The same client cannot switch to HTTP Basic.
    let code = h.seed_code(POST, SCOPE, None).await;
    h.token_basic(POST, &redeem(&code))
        .await
        .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn basic_and_post_at_once_is_invalid_request() {
    let h = Harness::new().await;
    let code = h.seed_code(BASIC, SCOPE, None).await;
    let secret = secret_of(BASIC);
    let mut pairs = redeem(&code);
    pairs.extend([("client_id", BASIC), ("client_secret", secret.as_str())]);
    let auth = basic(BASIC, &secret);
    let r = h
        .post_form(
            "/api/v2/token",
            &form(&pairs),
            &[(header::AUTHORIZATION, &auth)],
        )
        .await;
    r.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn expired_code_is_invalid_grant() {
    let h = Harness::new().await;
    let code = h.seed_code(BASIC, SCOPE, None).await;
    h.advance(31);
    h.token_basic(BASIC, &redeem(&code))
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn code_is_still_good_just_before_expiry() {
    let h = Harness::new().await;
    let code = h.seed_code(BASIC, SCOPE, None).await;
    h.advance(29);
    assert_eq!(
        h.token_basic(BASIC, &redeem(&code)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn redirect_uri_must_match() {
    let h = Harness::new().await;
    for other in [Some("https://fs.example/other"), None] {
        let code = h.seed_code(BASIC, SCOPE, None).await;
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
        ];
        if let Some(u) = other {
            pairs.push(("redirect_uri", u));
        }
        h.token_basic(BASIC, &pairs)
            .await
            .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
}

#[tokio::test]
async fn pkce_verifier_is_checked() {
    let h = Harness::new().await;
    let verifier = "verifier-0123456789-0123456789-0123456789-abcdef";
    let wrong = "verifier-0123456789-0123456789-0123456789-zzzzzz";

    let code = h
        .seed_code(PUBLIC, SCOPE, Some(s256_challenge(verifier)))
        .await;
    let mut pairs = redeem(&code);
    pairs.extend([("client_id", PUBLIC), ("code_verifier", wrong)]);
    h.post_form("/api/v2/token", &form(&pairs), &[])
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");

    let code = h
        .seed_code(PUBLIC, SCOPE, Some(s256_challenge(verifier)))
        .await;
    let mut pairs = redeem(&code);
    pairs.push(("client_id", PUBLIC));
    h.post_form("/api/v2/token", &form(&pairs), &[])
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");

    let code = h
        .seed_code(PUBLIC, SCOPE, Some(s256_challenge(verifier)))
        .await;
    let mut pairs = redeem(&code);
    pairs.extend([("client_id", PUBLIC), ("code_verifier", verifier)]);
    let r = h.post_form("/api/v2/token", &form(&pairs), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let (_, _, claims) = h
        .verify_with_jwks(r.json()["id_token"].as_str().unwrap())
        .await;
    assert_eq!(claims["aud"], PUBLIC);

    // A verifier for a code issued without a challenge is refused too.
    let code = h.seed_code(BASIC, SCOPE, None).await;
    let mut pairs = redeem(&code);
    pairs.push(("code_verifier", verifier));
    h.token_basic(BASIC, &pairs)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn other_grant_types_are_unsupported() {
    let h = Harness::new().await;
    let r = h
        .token_basic(
            BASIC,
            &[
                ("grant_type", "password"),
                ("username", "a"),
                ("password", "b"),
            ],
        )
        .await;
    r.assert_oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    let r = h
        .token_basic(
            BASIC,
            &[("grant_type", "refresh_token"), ("refresh_token", "x")],
        )
        .await;
    r.assert_oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    let r = h.token_basic(BASIC, &[("code", "x")]).await;
    r.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn repeated_parameter_is_invalid_request() {
    let h = Harness::new().await;
    let code = h.seed_code(BASIC, SCOPE, None).await;
    let mut pairs = redeem(&code);
    pairs.push(("code", "another"));
    h.token_basic(BASIC, &pairs)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    // Nothing was redeemed.
    assert_eq!(
        h.token_basic(BASIC, &redeem(&code)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn code_of_another_client_is_invalid_grant() {
    let h = Harness::new().await;
    let code = h.seed_code(BASIC, SCOPE, None).await;
    let r = h.token_as(POST, &redeem(&code)).await;
    r.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(!r.text().contains("id_token"));
}

#[tokio::test]
async fn unknown_code_is_invalid_grant() {
    let h = Harness::new().await;
    h.token_basic(BASIC, &redeem("no-such-code"))
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn internal_failure_answers_a_generic_500() {
    // A stored code whose sealed grant does not open (corruption, or a
    // changed session secret): the cause must not reach the response.
    let h = Harness::new().await;
    let code = "corrupt-code-0123456789";
    h.state
        .store
        .put_code(&CodeRow {
            code_hash: sha256_hex(code),
            grant_id: "g-corrupt".into(),
            client_id: BASIC.into(),
            data: b"definitely not a sealed grant".to_vec(),
            expires_at: h.now() + 30,
        })
        .await
        .unwrap();
    let r = h.token_basic(BASIC, &redeem(code)).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.text());
    let body = r.text();
    for leak in [
        "sealed",
        "SealError",
        "opened",
        "g-corrupt",
        "corrupt",
        "sqlite",
        "panicked",
    ] {
        assert!(
            !body.contains(leak),
            "internal detail {leak:?} leaked: {body}"
        );
    }
    assert_eq!(r.header(header::CACHE_CONTROL), Some("no-store"));
}
