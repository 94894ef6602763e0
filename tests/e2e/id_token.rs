//! The ID token as a service verifies it: signature against the published
//! keys, issuer, audience, nonce, lifetimes.

use anyhow::Result;
use pivot_tests::{
    AuthRequest, FIXED_START, TestSandbox,
    oidc::{
        ClientAuth, Tokens, authorize, jwks, mairie_login, redeem_mairie, token, userinfo,
        verify_jwt,
    },
};

#[tokio::test]
async fn the_id_token_verifies_and_carries_the_expected_claims() -> Result<()> {
    // Given a raw login of the mairie
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let (req, tokens) = mairie_login(&sb, &b, "ameli", "eric-mercier").await?;

    // When the ID token is verified with the key its kid names in /jwks
    let jwt = verify_jwt(&sb, &tokens.id_token).await?;

    // Then it is an ES256 JWT from the broker, for the mairie, with our nonce
    assert_eq!(
        jwt.header["alg"], "ES256",
        "the mairie is registered for ES256"
    );
    assert_eq!(jwt.header["typ"], "JWT");
    let c = &jwt.claims;
    assert_eq!(c["iss"], sb.issuer());
    assert_eq!(c["aud"], "sandbox-mairie");
    assert_eq!(c["nonce"], req.nonce());
    assert_eq!(c["acr"], "eidas1");
    assert_eq!(c["amr"], serde_json::json!(["pwd"]));
    assert_eq!(c["idp_id"], "ameli");
    let (iat, exp, auth_time) = (
        c["iat"].as_i64().unwrap(),
        c["exp"].as_i64().unwrap(),
        c["auth_time"].as_i64().unwrap(),
    );
    assert_eq!(exp - iat, 60, "ID tokens live 60 s");
    assert!(auth_time <= iat, "auth_time {auth_time} after iat {iat}");
    assert!((iat - sb.now()).abs() < 30, "iat is now");
    // And its sub is userinfo's
    let u = userinfo(&sb, &tokens.access_token).await?.json()?;
    assert_eq!(u["sub"], c["sub"]);
    // And no identity leaks into the ID token
    for claim in ["given_name", "family_name", "birthdate", "email"] {
        assert!(c.get(claim).is_none(), "{claim} in the ID token");
    }
    Ok(())
}

#[tokio::test]
async fn the_broker_dates_tokens_with_its_own_clock() -> Result<()> {
    let sb = TestSandbox::start_fixed_clock().await?;
    let b = sb.browser();
    let start = FIXED_START.unix_timestamp();
    let req = AuthRequest::mairie(&sb);
    let code = authorize(&sb, &b, &req, "ameli", "eric-mercier")
        .await?
        .code()?
        .to_owned();
    sb.advance(10);
    let t = redeem_mairie(&sb, &code).await?;
    let c = verify_jwt(&sb, &t.id_token).await?.claims;
    assert_eq!(
        c["auth_time"], start,
        "the FI login happened at the fixed start"
    );
    assert_eq!(c["iat"], start + 10);
    assert_eq!(c["exp"], start + 70);
    Ok(())
}

#[tokio::test]
async fn a_forged_id_token_does_not_verify_and_is_refused_as_logout_hint() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let (_, tokens) = mairie_login(&sb, &b, "ameli", "eric-mercier").await?;

    // A token whose payload was changed no longer verifies.
    let parts: Vec<&str> = tokens.id_token.split('.').collect();
    let forged_payload = {
        use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1])?)?;
        claims["aud"] = "sandbox-mediatheque".into();
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims)?)
    };
    let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    assert!(verify_jwt(&sb, &forged).await.is_err());

    // The broker refuses it as id_token_hint: an error page, no redirect.
    let mut url = url::Url::parse(&sb.endpoint("/session/end"))?;
    url.query_pairs_mut()
        .append_pair("id_token_hint", &forged)
        .append_pair(
            "post_logout_redirect_uri",
            &format!("{}/logged-out", sb.service("mediatheque").url),
        )
        .append_pair("state", "etat-de-deconnexion");
    let page = b.get(url.as_str()).await?;
    assert_eq!(page.status, 400, "{}", page.summary());
    assert!(page.header("location").is_none());
    assert_eq!(page.error_code().as_deref(), Some("Y030001"));
    Ok(())
}

#[tokio::test]
async fn the_claims_parameter_can_ask_amr_without_the_scope() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let cb = sb.callback("mediatheque");
    let auth = ClientAuth::Basic(
        "sandbox-mediatheque".into(),
        "sandbox-secret-mediatheque".into(),
    );

    // Without the amr scope nor claims: no amr.
    let plain = AuthRequest::new("sandbox-mediatheque", &cb, "openid profile");
    let code = authorize(&sb, &b, &plain, "ameli", "eric-mercier")
        .await?
        .code()?
        .to_owned();
    let t = Tokens::from_reply(&token(&sb, &auth, &code, &cb, &[]).await?)?;
    assert!(
        verify_jwt(&sb, &t.id_token)
            .await?
            .claims
            .get("amr")
            .is_none()
    );

    // With claims={"id_token":{"amr":…}}: amr.
    let asked = plain
        .clone()
        .set("claims", r#"{"id_token":{"amr":{"essential":true}}}"#);
    let code = authorize(&sb, &b, &asked, "ameli", "eric-mercier")
        .await?
        .code()?
        .to_owned();
    let t = Tokens::from_reply(&token(&sb, &auth, &code, &cb, &[]).await?)?;
    assert_eq!(
        verify_jwt(&sb, &t.id_token).await?.claims["amr"],
        serde_json::json!(["pwd"])
    );
    Ok(())
}

#[tokio::test]
async fn every_published_key_is_public_and_named() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let set = jwks(&sb).await?;
    for k in set.keys() {
        assert!(k.key_id().is_some(), "a kid on every key");
        assert!(k.parameter("d").is_none(), "no private part in the JWKS");
    }
    Ok(())
}
