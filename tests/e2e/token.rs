//! The token, userinfo and revocation endpoints, driven directly.

use anyhow::Result;
use pivot_tests::{
    AuthRequest, Browser, TestSandbox,
    oidc::{
        ClientAuth, ClientKey, MAIRIE_SCOPE, Tokens, authorize, post_form, redeem_mairie, token,
        userinfo, verify_jwt,
    },
};

/// A client registered with `client_secret_post`.
const POST_CLIENT: &str = r#"
[[clients]]
client_id = "post-client"
client_secret = "post-client-secret-0123456789"
name = "Client secret_post"
redirect_uris = ["http://127.0.0.1:9/post-cb"]
auth_method = "client_secret_post"
"#;

/// A public client (no secret: PKCE mandatory).
const PUBLIC_APP: &str = r#"
[[clients]]
client_id = "public-app"
name = "Application mobile"
redirect_uris = ["http://127.0.0.1:9/app-cb"]
"#;

/// Clients asking signed userinfo, with either algorithm.
const SIGNED_USERINFO: &str = r#"
[[clients]]
client_id = "signed-es256"
client_secret = "signed-es256-secret-0123456789"
name = "Userinfo signé ES256"
redirect_uris = ["http://127.0.0.1:9/es-cb"]
userinfo_alg = "ES256"

[[clients]]
client_id = "signed-rs256"
client_secret = "signed-rs256-secret-0123456789"
name = "Userinfo signé RS256"
redirect_uris = ["http://127.0.0.1:9/rs-cb"]
userinfo_alg = "RS256"
id_token_alg = "RS256"
"#;

/// An authorization code for `req`, Eric logging in with ameli (or SSO).
async fn code_for(sb: &TestSandbox, b: &Browser, req: &AuthRequest) -> Result<String> {
    Ok(authorize(sb, b, req, "ameli", "eric-mercier")
        .await?
        .code()?
        .to_owned())
}

/// A fresh code of the mairie.
async fn mairie_code(sb: &TestSandbox, b: &Browser) -> Result<String> {
    code_for(sb, b, &AuthRequest::mairie(sb)).await
}

#[tokio::test]
async fn the_code_exchange_returns_bearer_tokens_and_userinfo_answers() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let code = mairie_code(&sb, &b).await?;
    let r = token(
        &sb,
        &ClientAuth::mairie(),
        &code,
        &sb.callback("mairie"),
        &[],
    )
    .await?;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let t = Tokens::from_reply(&r)?;
    assert_eq!(t.raw["token_type"], "Bearer");
    assert_eq!(t.raw["expires_in"], 60);
    assert!(
        t.raw.get("refresh_token").is_none(),
        "no refresh tokens for services"
    );
    let granted: Vec<&str> = t.raw["scope"]
        .as_str()
        .unwrap_or_default()
        .split(' ')
        .collect();
    for s in MAIRIE_SCOPE.split(' ') {
        assert!(granted.contains(&s), "scope {s} granted: {granted:?}");
    }

    let u = userinfo(&sb, &t.access_token).await?;
    assert_eq!(u.status, 200, "{}", u.body);
    assert!(
        u.header("content-type")
            .is_some_and(|c| c.starts_with("application/json"))
    );
    let claims = u.json()?;
    let id = verify_jwt(&sb, &t.id_token).await?;
    assert_eq!(claims["sub"], id.claims["sub"]);
    assert_eq!(claims["family_name"], "MERCIER");
    assert_eq!(claims["idp_id"], "ameli");
    // userinfo by POST too
    let res = reqwest::Client::new()
        .post(sb.endpoint("/userinfo"))
        .bearer_auth(&t.access_token)
        .send()
        .await?;
    assert_eq!(res.status(), 200);
    Ok(())
}

#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_what_it_issued() -> Result<()> {
    // Given a code exchanged once
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let code = mairie_code(&sb, &b).await?;
    let first = redeem_mairie(&sb, &code).await?;
    assert_eq!(userinfo(&sb, &first.access_token).await?.status, 200);

    // When the same code is presented again
    let again = token(
        &sb,
        &ClientAuth::mairie(),
        &code,
        &sb.callback("mairie"),
        &[],
    )
    .await?;

    // Then it is refused
    assert_eq!(again.status, 400);
    assert_eq!(again.error().as_deref(), Some("invalid_grant"));
    // And the access token of the first exchange no longer works
    let u = userinfo(&sb, &first.access_token).await?;
    assert_eq!(u.status, 401, "{}", u.body);
    assert_eq!(u.error().as_deref(), Some("invalid_token"));
    Ok(())
}

#[tokio::test]
async fn client_authentication_failures_are_invalid_client_and_keep_the_code() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let code = mairie_code(&sb, &b).await?;
    let cb = sb.callback("mairie");
    let attempts = [
        (
            "wrong secret",
            ClientAuth::Basic("sandbox-mairie".into(), "not-the-secret".into()),
        ),
        (
            "another client's secret",
            ClientAuth::Basic("sandbox-mairie".into(), "sandbox-secret-mediatheque".into()),
        ),
        (
            "unknown client",
            ClientAuth::Basic("inconnu".into(), "x".into()),
        ),
        (
            "client_secret_post for a client_secret_basic client",
            ClientAuth::Post("sandbox-mairie".into(), "sandbox-secret-mairie".into()),
        ),
        (
            "no authentication",
            ClientAuth::Public("sandbox-mairie".into()),
        ),
        ("nothing at all", ClientAuth::Nothing),
    ];
    for (what, auth) in attempts {
        let r = token(&sb, &auth, &code, &cb, &[]).await?;
        assert_eq!(r.status, 401, "{what}: {}", r.body);
        assert_eq!(r.error().as_deref(), Some("invalid_client"), "{what}");
        assert!(
            r.header("www-authenticate").is_some(),
            "{what}: a 401 carries a challenge"
        );
    }
    // A form client_id other than the authenticated one.
    let r = token(
        &sb,
        &ClientAuth::mairie(),
        &code,
        &cb,
        &[("client_id", "sandbox-mediatheque")],
    )
    .await?;
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.error().as_deref(), Some("invalid_client"));
    // Two methods at once is a malformed request.
    let r = token(
        &sb,
        &ClientAuth::mairie(),
        &code,
        &cb,
        &[("client_secret", "sandbox-secret-mairie")],
    )
    .await?;
    assert_eq!(r.status, 400);
    assert_eq!(r.error().as_deref(), Some("invalid_request"));
    // None of this consumed the code.
    let t = redeem_mairie(&sb, &code).await?;
    assert!(!t.id_token.is_empty());
    Ok(())
}

#[tokio::test]
async fn client_secret_post_works_for_a_client_registered_for_it() -> Result<()> {
    let sb = TestSandbox::start_with_clients(POST_CLIENT).await?;
    let b = sb.browser();
    let cb = "http://127.0.0.1:9/post-cb";
    let req = AuthRequest::new("post-client", cb, "openid profile");
    let code = code_for(&sb, &b, &req).await?;
    let post = ClientAuth::Post("post-client".into(), "post-client-secret-0123456789".into());
    let r = token(&sb, &post, &code, cb, &[]).await?;
    let t = Tokens::from_reply(&r)?;
    assert_eq!(
        verify_jwt(&sb, &t.id_token).await?.claims["aud"],
        "post-client"
    );

    // The registered method only: Basic is refused for this client.
    let code = code_for(&sb, &b, &req).await?;
    let basic = ClientAuth::Basic("post-client".into(), "post-client-secret-0123456789".into());
    let r = token(&sb, &basic, &code, cb, &[]).await?;
    assert_eq!(r.status, 401);
    assert_eq!(r.error().as_deref(), Some("invalid_client"));
    Ok(())
}

#[tokio::test]
async fn a_code_is_bound_to_its_client_and_redirect_uri() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let cb = sb.callback("mairie");
    let mediatheque = ClientAuth::Basic(
        "sandbox-mediatheque".into(),
        "sandbox-secret-mediatheque".into(),
    );
    type Case<'a> = (&'a str, &'a ClientAuth, Option<&'a str>);
    let other_cb = sb.callback("mediatheque");
    let mairie = ClientAuth::mairie();
    let cases: [Case<'_>; 4] = [
        (
            "redeemed by another client",
            &mediatheque,
            Some(cb.as_str()),
        ),
        ("another redirect_uri", &mairie, Some(other_cb.as_str())),
        ("redirect_uri with a trailing slash", &mairie, Some("x")),
        ("redirect_uri missing", &mairie, None),
    ];
    for (what, auth, redirect) in cases {
        let code = mairie_code(&sb, &b).await?;
        let slash = format!("{cb}/");
        let redirect = match redirect {
            Some("x") => Some(slash.as_str()),
            other => other,
        };
        let mut fields = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
        ];
        if let Some(r) = redirect {
            fields.push(("redirect_uri", r));
        }
        let r = post_form(&sb.endpoint("/token"), auth, &fields).await?;
        assert_eq!(r.status, 400, "{what}: {}", r.body);
        assert_eq!(r.error().as_deref(), Some("invalid_grant"), "{what}");
    }
    Ok(())
}

#[tokio::test]
async fn malformed_token_requests() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let code = mairie_code(&sb, &b).await?;
    let cb = sb.callback("mairie");
    let url = sb.endpoint("/token");
    let auth = ClientAuth::mairie();

    let r = post_form(
        &url,
        &auth,
        &[("grant_type", "refresh_token"), ("refresh_token", "x")],
    )
    .await?;
    assert_eq!(r.error().as_deref(), Some("unsupported_grant_type"));
    let r = post_form(&url, &auth, &[("code", &code), ("redirect_uri", &cb)]).await?;
    assert_eq!(
        r.error().as_deref(),
        Some("invalid_request"),
        "grant_type missing"
    );
    let r = post_form(
        &url,
        &auth,
        &[("grant_type", "authorization_code"), ("redirect_uri", &cb)],
    )
    .await?;
    assert_eq!(
        r.error().as_deref(),
        Some("invalid_request"),
        "code missing"
    );
    let r = post_form(
        &url,
        &auth,
        &[
            ("grant_type", "authorization_code"),
            ("code", "inconnu"),
            ("redirect_uri", &cb),
        ],
    )
    .await?;
    assert_eq!(r.error().as_deref(), Some("invalid_grant"), "unknown code");
    let r = post_form(
        &url,
        &auth,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("code", &code),
            ("redirect_uri", &cb),
        ],
    )
    .await?;
    assert_eq!(
        r.error().as_deref(),
        Some("invalid_request"),
        "repeated parameter"
    );
    // A confidential client that sent no challenge cannot send a verifier.
    let v = "v".repeat(43);
    let r = token(&sb, &auth, &code, &cb, &[("code_verifier", &v)]).await?;
    assert_eq!(
        r.error().as_deref(),
        Some("invalid_grant"),
        "verifier without challenge"
    );
    Ok(())
}

#[tokio::test]
async fn codes_live_30_seconds() -> Result<()> {
    // Given a sandbox on a fixed clock
    let sb = TestSandbox::start_fixed_clock().await?;
    let b = sb.browser();

    // When a code is presented 29 seconds after it was issued
    let code = mairie_code(&sb, &b).await?;
    sb.advance(29);
    // Then it is accepted
    redeem_mairie(&sb, &code).await?;

    // When another code is presented after 31 seconds
    let code = mairie_code(&sb, &b).await?;
    sb.advance(31);
    let r = token(
        &sb,
        &ClientAuth::mairie(),
        &code,
        &sb.callback("mairie"),
        &[],
    )
    .await?;
    // Then it is refused
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.error().as_deref(), Some("invalid_grant"));
    Ok(())
}

#[tokio::test]
async fn access_tokens_live_60_seconds() -> Result<()> {
    let sb = TestSandbox::start_fixed_clock().await?;
    let b = sb.browser();
    let t = redeem_mairie(&sb, &mairie_code(&sb, &b).await?).await?;
    sb.advance(59);
    assert_eq!(
        userinfo(&sb, &t.access_token).await?.status,
        200,
        "still valid at 59 s"
    );
    sb.advance(2);
    let u = userinfo(&sb, &t.access_token).await?;
    assert_eq!(u.status, 401, "{}", u.body);
    assert_eq!(u.error().as_deref(), Some("invalid_token"));
    let challenge = u.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with("Bearer") && challenge.contains("invalid_token"),
        "{challenge}"
    );
    // No token, or a malformed header, is refused the same way.
    let res = reqwest::Client::new()
        .get(sb.endpoint("/userinfo"))
        .send()
        .await?;
    assert_eq!(res.status(), 401);
    assert!(res.headers().contains_key("www-authenticate"));
    Ok(())
}

#[tokio::test]
async fn revocation_ends_an_access_token() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let t = redeem_mairie(&sb, &mairie_code(&sb, &b).await?).await?;
    let url = sb.endpoint("/token/revocation");

    // Another client cannot revoke it (answer 200 per RFC 7009, no effect).
    let other = ClientAuth::Basic(
        "sandbox-mediatheque".into(),
        "sandbox-secret-mediatheque".into(),
    );
    let r = post_form(&url, &other, &[("token", &t.access_token)]).await?;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(userinfo(&sb, &t.access_token).await?.status, 200);

    // Without client authentication: refused.
    let r = post_form(&url, &ClientAuth::Nothing, &[("token", &t.access_token)]).await?;
    assert_eq!(r.status, 401);
    assert_eq!(userinfo(&sb, &t.access_token).await?.status, 200);

    // Its own client revokes it.
    let r = post_form(
        &url,
        &ClientAuth::mairie(),
        &[
            ("token", &t.access_token),
            ("token_type_hint", "access_token"),
        ],
    )
    .await?;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(userinfo(&sb, &t.access_token).await?.status, 401);
    // Unknown tokens are not an error.
    let r = post_form(&url, &ClientAuth::mairie(), &[("token", "inconnu")]).await?;
    assert_eq!(r.status, 200);
    Ok(())
}

#[tokio::test]
async fn a_public_client_must_use_pkce() -> Result<()> {
    let sb = TestSandbox::start_with_clients(PUBLIC_APP).await?;
    let b = sb.browser();
    let cb = "http://127.0.0.1:9/app-cb";
    let app = ClientAuth::Public("public-app".into());
    let base = AuthRequest::new("public-app", cb, "openid profile");

    // Without code_challenge: refused at the authorization endpoint.
    let page = base.send(&sb, &b).await?;
    let to = page.location().expect("redirect to the app");
    assert!(to.as_str().starts_with(cb), "{to}");
    assert_eq!(
        pivot_tests::browser::query_param(&to, "error").as_deref(),
        Some("invalid_request")
    );

    // With a challenge: a wrong or missing verifier is refused…
    let verifier = pivot_broker::crypto::random_token(48);
    let req = base.clone().with_pkce(&verifier);
    let code = code_for(&sb, &b, &req).await?;
    let wrong = pivot_broker::crypto::random_token(48);
    let r = token(&sb, &app, &code, cb, &[("code_verifier", &wrong)]).await?;
    assert_eq!(r.error().as_deref(), Some("invalid_grant"), "{}", r.body);
    let code = code_for(&sb, &b, &req).await?;
    let r = token(&sb, &app, &code, cb, &[]).await?;
    assert_eq!(r.error().as_deref(), Some("invalid_grant"), "{}", r.body);

    // …and the right one accepted.
    let code = code_for(&sb, &b, &req).await?;
    let r = token(&sb, &app, &code, cb, &[("code_verifier", &verifier)]).await?;
    let t = Tokens::from_reply(&r)?;
    assert_eq!(
        userinfo(&sb, &t.access_token).await?.json()?["given_name"],
        "Eric"
    );
    Ok(())
}

#[tokio::test]
async fn private_key_jwt_authenticates_and_refuses_replays() -> Result<()> {
    // Given a client registered with the public half of an ES256 key
    let key = ClientKey::generate("client-key-1")?;
    let toml = format!(
        "[[clients]]\nclient_id = \"jwt-client\"\nname = \"Client JWT\"\nredirect_uris = [\"http://127.0.0.1:9/jwt-cb\"]\nauth_method = \"private_key_jwt\"\njwks = '{}'\n",
        key.public_jwks()?
    );
    let sb = TestSandbox::start_with_clients(&toml).await?;
    let b = sb.browser();
    let cb = "http://127.0.0.1:9/jwt-cb";
    let req = AuthRequest::new("jwt-client", cb, "openid profile");
    let aud = sb.endpoint("/token");

    // When it authenticates with a signed assertion
    let assertion = key.assertion("jwt-client", &aud, sb.now(), "jti-1")?;
    let code = code_for(&sb, &b, &req).await?;
    let r = token(
        &sb,
        &ClientAuth::Assertion(assertion.clone()),
        &code,
        cb,
        &[],
    )
    .await?;
    // Then it gets its tokens
    let t = Tokens::from_reply(&r)?;
    assert_eq!(
        verify_jwt(&sb, &t.id_token).await?.claims["aud"],
        "jwt-client"
    );

    // When the same assertion is presented again
    let code = code_for(&sb, &b, &req).await?;
    let r = token(&sb, &ClientAuth::Assertion(assertion), &code, cb, &[]).await?;
    // Then it is refused
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.error().as_deref(), Some("invalid_client"));

    // And so are assertions signed by another key, for another audience,
    // or claiming another client
    let stranger = ClientKey::generate("client-key-1")?;
    let bad = [
        (
            "another key",
            stranger.assertion("jwt-client", &aud, sb.now(), "jti-2")?,
        ),
        (
            "another audience",
            key.assertion(
                "jwt-client",
                "https://evil.example/token",
                sb.now(),
                "jti-3",
            )?,
        ),
        (
            "expired",
            key.assertion("jwt-client", &aud, sb.now() - 120, "jti-4")?,
        ),
        (
            "another client",
            key.assertion("sandbox-mairie", &aud, sb.now(), "jti-5")?,
        ),
        (
            "valid for an hour",
            key.assertion_until("jwt-client", &aud, sb.now(), sb.now() + 3600, "jti-7")?,
        ),
    ];
    for (what, a) in bad {
        let r = token(&sb, &ClientAuth::Assertion(a), &code, cb, &[]).await?;
        assert_eq!(r.status, 401, "{what}: {}", r.body);
        assert_eq!(r.error().as_deref(), Some("invalid_client"), "{what}");
    }
    // The code survived the failed attempts.
    let fresh = key.assertion("jwt-client", &aud, sb.now(), "jti-6")?;
    Tokens::from_reply(&token(&sb, &ClientAuth::Assertion(fresh), &code, cb, &[]).await?)?;
    Ok(())
}

#[tokio::test]
async fn userinfo_is_a_signed_jwt_for_clients_registered_for_it() -> Result<()> {
    let sb = TestSandbox::start_with_clients(SIGNED_USERINFO).await?;
    let b = sb.browser();
    for (client, alg, cb) in [
        ("signed-es256", "ES256", "http://127.0.0.1:9/es-cb"),
        ("signed-rs256", "RS256", "http://127.0.0.1:9/rs-cb"),
    ] {
        let req = AuthRequest::new(client, cb, "openid identite_pivot");
        let code = code_for(&sb, &b, &req).await?;
        let auth = ClientAuth::Basic(client.into(), format!("{client}-secret-0123456789"));
        let t = Tokens::from_reply(&token(&sb, &auth, &code, cb, &[]).await?)?;
        let u = userinfo(&sb, &t.access_token).await?;
        assert_eq!(u.status, 200, "{client}: {}", u.body);
        assert_eq!(
            u.header("content-type"),
            Some("application/jwt"),
            "{client}"
        );
        let jwt = verify_jwt(&sb, u.body.trim()).await?;
        assert_eq!(jwt.header["alg"], alg, "{client}");
        assert_eq!(jwt.claims["iss"], sb.issuer());
        assert_eq!(jwt.claims["aud"], client);
        assert_eq!(jwt.claims["given_name"], "Eric");
        assert_eq!(jwt.claims["birthplace"], "75056");
        let id = verify_jwt(&sb, &t.id_token).await?;
        assert_eq!(jwt.claims["sub"], id.claims["sub"], "{client}");
        let id_alg = if client == "signed-rs256" {
            "RS256"
        } else {
            "ES256"
        };
        assert_eq!(
            id.header["alg"], id_alg,
            "the ID token follows id_token_alg"
        );
    }
    Ok(())
}
