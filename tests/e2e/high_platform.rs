//! The high platform (FranceConnect+): its demo service, encrypted ID
//! tokens and userinfo, ES256 only, discovery, 32-character state and
//! nonce, `rnipp_*` claims, its 10-minute non-sliding session and SSO for
//! `eidas2` only; and the low platform's rules where they differ.

use anyhow::Result;
use pivot_broker::storage::{EncryptionAlg, SigningAlg};
use pivot_proto::sub::{identity_hash, pairwise_sub};
use pivot_tests::{
    AuthRequest, Page, Stage, TestSandbox,
    browser::query_param,
    journey::drive,
    login,
    oidc::{
        EncKey, JwksServer, Opened, Platform, TestClient, authorize, error_redirect, get_json,
        high_client, high_id_token, jwks_on, land, open_nested, userinfo_on,
    },
};
use serde_json::{Value, json};

/// Checks the JWE header of a nested JWT the broker encrypted to `key`,
/// and the signed JWT inside.
fn assert_nested(opened: &Opened, key: &EncKey, what: &str) {
    let h = &opened.jwe_header;
    assert_eq!(h["alg"], key.alg.as_str(), "{what}: alg in {h:?}");
    assert_eq!(h["enc"], "A256GCM", "{what}: enc in {h:?}");
    assert_eq!(h["cty"], "JWT", "{what}: a nested JWT (cty) in {h:?}");
    assert_eq!(h["kid"].as_str(), key.kid(), "{what}: kid in {h:?}");
    assert!(h.get("zip").is_none(), "{what}: no compression");
    match key.alg {
        EncryptionAlg::EcdhEs => {
            assert_eq!(h["epk"]["kty"], "EC", "{what}: ephemeral key in {h:?}");
            assert_eq!(h["epk"]["crv"], "P-256", "{what}: ephemeral key in {h:?}");
            assert!(h["epk"].get("d").is_none(), "{what}: private epk");
        }
        EncryptionAlg::RsaOaep256 => assert!(h.get("epk").is_none(), "{what}: epk with RSA"),
    }
    assert_eq!(opened.inner.header["alg"], "ES256", "{what}: inner JWS");
    assert_eq!(opened.inner.header["typ"], "JWT", "{what}: inner JWS");
}

/// Checks that `jwe` opens with `key` only: another key of the same type,
/// with the same `kid` or without one, cannot decrypt it.
fn assert_only_key_opens(jwe: &str, key: &EncKey, what: &str) -> Result<()> {
    assert!(
        key.decrypt(jwe).is_ok(),
        "{what}: the client's key decrypts"
    );
    let same_kid = EncKey::generate_with(key.alg, key.kid())?;
    let no_kid = EncKey::generate_with(key.alg, None)?;
    let other_kid = EncKey::generate(key.alg, "another-key")?;
    for (other, which) in [
        (same_kid, "another key with the same kid"),
        (no_kid, "another key without kid"),
        (other_kid, "another key with another kid"),
    ] {
        assert!(
            other.decrypt(jwe).is_err(),
            "{what}: {which} decrypts the JWE"
        );
    }
    Ok(())
}

/// A full login of `client` (eidas2 through the test FI), then its tokens
/// and userinfo, checked to be encrypted to `key`.
async fn encrypted_login(
    sb: &TestSandbox,
    client: &TestClient,
    key: &EncKey,
) -> Result<(AuthRequest, Opened, Opened)> {
    let b = sb.browser();
    let req = client.request(Platform::High, "openid identite_pivot email");
    let resp = authorize(sb, &b, &req, "test-eidas3", "eric-mercier").await?;
    let (tokens, id_token) = high_id_token(sb, client, key, resp.code()?).await?;
    assert_eq!(tokens.raw["token_type"], "Bearer");
    let u = userinfo_on(sb, Platform::High, &tokens.access_token).await?;
    assert_eq!(u.status, 200, "{}", u.body);
    assert!(
        u.header("content-type")
            .is_some_and(|c| c.starts_with("application/jwt")),
        "userinfo content type {:?}",
        u.header("content-type")
    );
    assert!(
        serde_json::from_str::<Value>(&u.body).is_err(),
        "userinfo must not be plain JSON on the high platform: {}",
        u.body
    );
    let userinfo = open_nested(sb, Platform::High, key, u.body.trim()).await?;
    assert_only_key_opens(&tokens.id_token, key, "ID token")?;
    assert_only_key_opens(u.body.trim(), key, "userinfo")?;
    Ok((req, id_token, userinfo))
}

#[tokio::test]
async fn the_renovation_service_logs_in_through_la_poste_with_a_one_time_code() -> Result<()> {
    // Given the sandbox and its high-platform demo service
    let sb = TestSandbox::start_high(false).await?;
    let b = sb.browser();
    assert_eq!(sb.service("renovation").platform, "high");

    // When Sophie logs in through La Poste: password, then the code her
    // phone received
    let r = login(&sb, &b, "renovation", "laposte", "sophie-lefebvre").await?;

    // Then she saw the chooser, La Poste's two forms, the confirmation
    assert_eq!(
        r.journey.stages,
        [
            Stage::Chooser,
            Stage::FiLogin,
            Stage::FiCode,
            Stage::Confirm,
            Stage::Service
        ],
        "{}",
        r.journey.describe()
    );
    // And only the high platform's broker was involved, asking La Poste for eidas2
    assert!(r.journey.visited(&sb.high_endpoint("/authorize")));
    assert!(!r.journey.visited(&sb.endpoint("/authorize")));
    let to_fi = r
        .journey
        .redirect_to(&format!("{}/authorize", sb.fi("laposte").url))
        .expect("a redirect to La Poste");
    assert_eq!(query_param(&to_fi, "acr_values").as_deref(), Some("eidas2"));
    // And the service got an eidas2 ID token from the high issuer, with the
    // one-time code among the methods
    assert_eq!(r.id_token("iss"), sb.high_issuer());
    assert_eq!(r.id_token("aud"), "sandbox-renovation");
    assert_eq!(r.id_token("acr"), "eidas2");
    let amr: Vec<&str> = r
        .id_token("amr")
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(amr.contains(&"pwd") && amr.contains(&"otp"), "amr {amr:?}");
    // And the identity La Poste sent, with the registry's beside it
    assert_eq!(r.userinfo("given_name"), Some("Sophie"));
    assert_eq!(r.userinfo("family_name"), Some("LEFEBVRE"));
    assert_eq!(r.userinfo("birthdate"), Some("1985-04-17"));
    assert_eq!(r.userinfo("gender"), Some("female"));
    assert_eq!(r.userinfo("birthplace"), Some("59350"));
    assert_eq!(r.userinfo("birthcountry"), Some("99100"));
    assert_eq!(r.userinfo("email"), Some("sophie.lefebvre@example.fr"));
    assert_eq!(r.userinfo("rnipp_given_name"), Some("Sophie Anne Claire"));
    assert_eq!(r.userinfo("rnipp_family_name"), Some("LEFEBVRE"));
    assert_eq!(r.userinfo("rnipp_birthdate"), Some("1985-04-17"));
    // And the sub is pairwise, from the registry's identity and the high
    // platform's own secret
    let checked = pivot_proto::identity::PivotIdentity {
        given_name: "Sophie Anne Claire".into(),
        family_name: "LEFEBVRE".into(),
        birthdate: "1985-04-17".into(),
        gender: pivot_proto::identity::Gender::Female,
        birthplace: "59350".into(),
        birthcountry: "99100".into(),
    };
    let hash = identity_hash(&checked);
    assert_eq!(
        r.sub(),
        pairwise_sub("sandbox-entity-renovation", &hash, &sb.high_sub_secret()?).as_str()
    );
    assert_ne!(
        r.sub(),
        pairwise_sub("sandbox-entity-renovation", &hash, &sb.sub_secret()?).as_str(),
        "each platform has its own sub secret"
    );
    Ok(())
}

#[tokio::test]
async fn the_renovation_service_publishes_the_key_the_broker_encrypts_to() -> Result<()> {
    let sb = TestSandbox::start_high(false).await?;
    let url = format!("{}/.well-known/jwks.json", sb.service("renovation").url);
    let jwks = get_json(&url).await?;
    let keys = jwks["keys"].as_array().cloned().unwrap_or_default();
    assert_eq!(keys.len(), 1, "{jwks}");
    let k = &keys[0];
    assert_eq!(k["kty"], "EC");
    assert_eq!(k["crv"], "P-256");
    assert_eq!(k["use"], "enc");
    assert_eq!(k["alg"], "ECDH-ES");
    assert!(k.get("d").is_none(), "private key published: {k}");
    // And the high platform has it registered with that jwks_uri
    let rec = sb
        .sb
        .high
        .state
        .store
        .client("sandbox-renovation")
        .await?
        .expect("renovation registered on the high platform");
    assert_eq!(rec.jwks_uri.as_deref(), Some(url.as_str()));
    assert_eq!(rec.encryption_alg, Some(EncryptionAlg::EcdhEs));
    assert!(
        sb.sb
            .state
            .store
            .client("sandbox-renovation")
            .await?
            .is_none(),
        "renovation is not a client of the low platform"
    );
    Ok(())
}

#[tokio::test]
async fn id_token_and_userinfo_are_encrypted_to_an_inline_rsa_oaep_key() -> Result<()> {
    // Given a client registered with an inline RSA-OAEP-256 key
    let sb = TestSandbox::start_high(false).await?;
    let key = EncKey::generate(EncryptionAlg::RsaOaep256, "fs-rsa-enc")?;
    let client = TestClient::new("fs-rsa").with_inline_key(&key);
    client.register(&sb, Platform::High).await?;

    // When Eric logs in and the client redeems the code and reads userinfo
    let (req, id_token, userinfo) = encrypted_login(&sb, &client, &key).await?;

    // Then both are JWE to its key around a JWS signed by the high platform
    assert_nested(&id_token, &key, "ID token");
    assert_nested(&userinfo, &key, "userinfo");
    let c = &id_token.inner.claims;
    assert_eq!(c["iss"], sb.high_issuer());
    assert_eq!(c["aud"], "fs-rsa");
    assert_eq!(c["nonce"], req.nonce());
    assert_eq!(c["acr"], "eidas2");
    let u = &userinfo.inner.claims;
    assert_eq!(u["sub"], c["sub"]);
    assert_eq!(u["iss"], sb.high_issuer());
    assert_eq!(u["aud"], "fs-rsa");
    assert_eq!(u["given_name"], "Eric");
    assert_eq!(u["family_name"], "MERCIER");
    assert_eq!(u["email"], "eric.mercier@example.fr");
    Ok(())
}

#[tokio::test]
async fn id_token_and_userinfo_are_encrypted_to_an_ecdh_es_key_at_a_jwks_uri() -> Result<()> {
    // Given a client whose ECDH-ES key is served at its jwks_uri
    let sb = TestSandbox::start_high(false).await?;
    let key = EncKey::generate(EncryptionAlg::EcdhEs, "fs-ec-enc")?;
    let server = JwksServer::start(&key.public_jwks()).await?;
    let client = TestClient::new("fs-ec").with_jwks_uri(EncryptionAlg::EcdhEs, &server.url);
    client.register(&sb, Platform::High).await?;

    // When Eric logs in
    let (req, id_token, userinfo) = encrypted_login(&sb, &client, &key).await?;

    // Then the broker fetched the key there and encrypted to it
    assert!(server.hits() >= 1, "the jwks_uri was never fetched");
    assert_nested(&id_token, &key, "ID token");
    assert_nested(&userinfo, &key, "userinfo");
    let c = &id_token.inner.claims;
    assert_eq!(c["aud"], "fs-ec");
    assert_eq!(c["nonce"], req.nonce());
    assert_eq!(userinfo.inner.claims["sub"], c["sub"]);
    assert_eq!(userinfo.inner.claims["given_name"], "Eric");
    Ok(())
}

#[tokio::test]
async fn the_high_platform_signs_with_es256_only() -> Result<()> {
    // Given a client that registered RS256 for its ID token and userinfo
    let sb = TestSandbox::start_high(false).await?;
    let key = EncKey::generate(EncryptionAlg::EcdhEs, "fs-rs256-enc")?;
    let mut client = TestClient::new("fs-rs256").with_inline_key(&key);
    client.id_token_alg = SigningAlg::RS256;
    client.userinfo_alg = Some(SigningAlg::RS256);
    client.register(&sb, Platform::High).await?;

    // When Eric logs in
    let (_, id_token, userinfo) = encrypted_login(&sb, &client, &key).await?;

    // Then both are still signed ES256, with a key the high JWKS publishes
    assert_eq!(id_token.inner.header["alg"], "ES256");
    assert_eq!(userinfo.inner.header["alg"], "ES256");
    let set = jwks_on(&sb, Platform::High).await?;
    let kid = id_token.inner.header["kid"].as_str().unwrap_or_default();
    let jwk = set.get(kid);
    assert_eq!(jwk.len(), 1, "kid {kid} in the high JWKS");
    assert_eq!(jwk[0].key_type(), "EC");
    // And it is not a key of the low platform
    let low = jwks_on(&sb, Platform::Low).await?;
    assert!(low.get(kid).is_empty(), "the platforms share a signing key");
    Ok(())
}

#[tokio::test]
async fn a_client_without_encryption_is_refused_at_authorize() -> Result<()> {
    // Given a client with no encryption key, registered on both platforms
    let sb = TestSandbox::start_high(false).await?;
    let b = sb.browser();
    let client = TestClient::new("fs-clair");
    client.register(&sb, Platform::High).await?;
    client.register(&sb, Platform::Low).await?;

    // When it sends the citizen to the high platform
    let req = client.request(Platform::High, "openid given_name");
    let page = req.send(&sb, &b).await?;

    // Then the citizen goes straight back with unauthorized_client
    assert_eq!(
        error_redirect(&sb, &req, &page)?,
        "unauthorized_client",
        "{}",
        page.summary()
    );
    // While the low platform, where encryption is optional, lets it in
    let low = client.request(Platform::Low, "openid given_name");
    let page = low.send(&sb, &b).await?;
    let to = page.location().expect("a redirect");
    assert!(
        to.path().starts_with("/interaction/"),
        "low platform: {}",
        page.summary()
    );
    Ok(())
}

#[tokio::test]
async fn a_client_registered_for_encryption_without_a_usable_key_is_refused_at_authorize()
-> Result<()> {
    // Given clients registered for encryption whose keys cannot be used:
    // none at all, or an inline JWKS without a key for the algorithm
    let sb = TestSandbox::start_high(false).await?;
    let b = sb.browser();
    let mut no_key = TestClient::new("fs-sans-cle");
    no_key.encryption_alg = Some(EncryptionAlg::EcdhEs);
    let ec = EncKey::generate(EncryptionAlg::EcdhEs, "ec-only")?;
    let mut wrong_type = TestClient::new("fs-mauvaise-cle").with_inline_key(&ec);
    wrong_type.encryption_alg = Some(EncryptionAlg::RsaOaep256);

    // When each sends the citizen to the high platform
    let mut outcomes = Vec::new();
    for client in [&no_key, &wrong_type] {
        client.register(&sb, Platform::High).await?;
        let req = client.request(Platform::High, "openid given_name");
        let page = req.send(&sb, &b).await?;
        outcomes.push((
            client.client_id.clone(),
            error_redirect(&sb, &req, &page).unwrap_or_else(|e| format!("no error: {e}")),
        ));
    }

    // Then each is refused before the citizen logs in, as a client without
    // encryption is (not after the login, at the token endpoint)
    assert_eq!(
        outcomes,
        [
            ("fs-sans-cle".to_owned(), "unauthorized_client".to_owned()),
            (
                "fs-mauvaise-cle".to_owned(),
                "unauthorized_client".to_owned()
            ),
        ]
    );
    Ok(())
}

#[tokio::test]
async fn state_and_nonce_need_32_characters_on_the_high_platform() -> Result<()> {
    let sb = TestSandbox::start_high(false).await?;
    let b = sb.browser();
    let high = || AuthRequest::high("sandbox-renovation", &sb.callback("renovation"), "openid");
    let s31 = "s".repeat(31);
    let n31 = "n".repeat(31);
    for (what, req) in [
        ("state of 31 characters", high().set("state", &s31)),
        ("nonce of 31 characters", high().set("nonce", &n31)),
    ] {
        let page = req.send(&sb, &b).await?;
        assert_eq!(
            error_redirect(&sb, &req, &page)?,
            "invalid_request",
            "{what}: {}",
            page.summary()
        );
    }
    // 32 characters are enough
    let ok = high()
        .set("state", &"s".repeat(32))
        .set("nonce", &"n".repeat(32));
    let page = ok.send(&sb, &b).await?;
    let to = page.location().expect("a redirect");
    assert!(to.path().starts_with("/interaction/"), "{}", page.summary());
    // And 31 are enough on the low platform (22 minimum)
    let low = AuthRequest::mairie(&sb)
        .set("state", &s31)
        .set("nonce", &n31);
    let page = low.send(&sb, &b).await?;
    let to = page.location().expect("a redirect");
    assert!(to.path().starts_with("/interaction/"), "{}", page.summary());
    Ok(())
}

fn strings(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[tokio::test]
async fn each_platform_advertises_exactly_what_it_supports() -> Result<()> {
    let sb = TestSandbox::start_high(false).await?;
    let low = get_json(&sb.endpoint("/.well-known/openid-configuration")).await?;
    let high = get_json(&sb.high_endpoint("/.well-known/openid-configuration")).await?;

    // Two issuers, each naming its own endpoints
    assert_eq!(low["issuer"], sb.issuer());
    assert_eq!(high["issuer"], sb.high_issuer());
    assert_ne!(sb.issuer(), sb.high_issuer());
    for k in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
    ] {
        let h = high[k].as_str().unwrap_or_default();
        assert!(h.starts_with(sb.high_issuer()), "high {k}: {h}");
    }

    // Levels
    assert_eq!(low["acr_values_supported"], json!(["eidas1"]));
    assert_eq!(high["acr_values_supported"], json!(["eidas2", "eidas3"]));

    // Signing: ES256 and RS256 on low, ES256 only on high
    for k in [
        "id_token_signing_alg_values_supported",
        "userinfo_signing_alg_values_supported",
    ] {
        assert_eq!(strings(&low[k]), ["ES256", "RS256"], "low {k}");
        assert_eq!(strings(&high[k]), ["ES256"], "high {k}");
    }

    // Encryption: ECDH-ES and RSA-OAEP-256 with A256GCM
    for k in [
        "id_token_encryption_alg_values_supported",
        "userinfo_encryption_alg_values_supported",
    ] {
        assert_eq!(strings(&high[k]), ["ECDH-ES", "RSA-OAEP-256"], "high {k}");
    }
    for k in [
        "id_token_encryption_enc_values_supported",
        "userinfo_encryption_enc_values_supported",
    ] {
        assert_eq!(strings(&high[k]), ["A256GCM"], "high {k}");
    }

    // rnipp_* scopes and claims on high only
    let rnipp: Vec<String> = pivot_proto::scope::RNIPP_SCOPES
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let (low_scopes, high_scopes) = (
        strings(&low["scopes_supported"]),
        strings(&high["scopes_supported"]),
    );
    for s in &rnipp {
        assert!(high_scopes.contains(s), "high lacks scope {s}");
        assert!(!low_scopes.contains(s), "low offers scope {s}");
    }
    for s in ["openid", "identite_pivot", "email", "amr", "idp_id"] {
        assert!(high_scopes.iter().any(|h| h == s), "high lacks {s}");
        assert!(low_scopes.iter().any(|l| l == s), "low lacks {s}");
    }
    let low_claims = strings(&low["claims_supported"]);
    let high_claims = strings(&high["claims_supported"]);
    assert!(high_claims.iter().any(|c| c == "rnipp_given_name"));
    assert!(
        !low_claims.iter().any(|c| c.starts_with("rnipp_")),
        "{low_claims:?}"
    );
    Ok(())
}

#[tokio::test]
async fn rnipp_claims_come_on_request_beside_the_fi_identity() -> Result<()> {
    // Given Sophie, whose FI omits the middle given names the registry knows
    let sb = TestSandbox::start_high(false).await?;
    let b = sb.browser();
    let (client, key) = high_client(&sb, "fs-rnipp").await?;
    let read = |scope: &'static str| {
        let (sb, b, client, key) = (&sb, &b, &client, &key);
        async move {
            let req = client.request(Platform::High, scope);
            let resp = authorize(sb, b, &req, "test-eidas3", "sophie-lefebvre").await?;
            let (tokens, _) = high_id_token(sb, client, key, resp.code()?).await?;
            let u = userinfo_on(sb, Platform::High, &tokens.access_token).await?;
            let opened = open_nested(sb, Platform::High, key, u.body.trim()).await?;
            anyhow::Ok(opened.inner.claims)
        }
    };

    // When the service asks the pivot identity only
    let u = read("openid identite_pivot").await?;
    // Then it gets the FI's identity and no rnipp_* claim
    assert_eq!(u["given_name"], "Sophie");
    assert_eq!(u["family_name"], "LEFEBVRE");
    assert!(
        u.keys().all(|k| !k.starts_with("rnipp_")),
        "rnipp claims not asked: {u:?}"
    );

    // When it asks given_name and two rnipp scopes
    let u = read("openid given_name rnipp_given_name rnipp_birthplace").await?;
    // Then it gets exactly those, the registry's beside the FI's
    assert_eq!(u["given_name"], "Sophie");
    assert_eq!(u["rnipp_given_name"], "Sophie Anne Claire");
    assert_eq!(u["rnipp_birthplace"], "59350");
    for absent in ["family_name", "rnipp_family_name", "rnipp_birthdate"] {
        assert!(u.get(absent).is_none(), "{absent} not asked: {u:?}");
    }

    // When it asks rnipp_identite_pivot
    let u = read("openid rnipp_identite_pivot").await?;
    // Then it gets the registry's six pivot claims
    assert_eq!(u["rnipp_given_name"], "Sophie Anne Claire");
    assert_eq!(u["rnipp_family_name"], "LEFEBVRE");
    assert_eq!(u["rnipp_birthdate"], "1985-04-17");
    assert_eq!(u["rnipp_gender"], "female");
    assert_eq!(u["rnipp_birthplace"], "59350");
    assert_eq!(u["rnipp_birthcountry"], "99100");
    assert!(u.get("given_name").is_none(), "{u:?}");
    Ok(())
}

#[tokio::test]
async fn rnipp_scopes_are_refused_on_the_low_platform() -> Result<()> {
    // The mairie is registered with every scope: the platform refuses them
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    for scope in [
        "openid rnipp_identite_pivot",
        "openid given_name rnipp_given_name",
        "openid rnipp_birthcountry",
    ] {
        let req = AuthRequest::mairie(&sb).set("scope", scope);
        let page = req.send(&sb, &b).await?;
        assert_eq!(
            error_redirect(&sb, &req, &page)?,
            "invalid_scope",
            "{scope}: {}",
            page.summary()
        );
    }
    Ok(())
}

/// The broker's session cookie set by `page` (whatever each platform
/// names it).
fn session_cookie(page: &Page) -> String {
    page.set_cookies()
        .into_iter()
        .find(|c| {
            c.split('=')
                .next()
                .is_some_and(|name| name.starts_with("pivot") && name.contains("session"))
        })
        .unwrap_or_else(|| panic!("no session cookie set by {}", page.summary()))
}

#[tokio::test]
async fn the_session_cookie_lasts_as_long_as_the_browser() -> Result<()> {
    let sb = TestSandbox::start_high(false).await?;
    for (platform, req) in [
        (
            "high",
            AuthRequest::high("sandbox-renovation", &sb.callback("renovation"), "openid"),
        ),
        ("low", AuthRequest::mairie(&sb)),
    ] {
        let b = sb.browser();
        let page = req.send(&sb, &b).await?;
        let cookie = session_cookie(&page);
        let attrs = cookie.to_ascii_lowercase();
        assert!(
            !attrs.contains("max-age") && !attrs.contains("expires"),
            "{platform}: a browser-session cookie: {cookie}"
        );
        assert!(attrs.contains("httponly"), "{platform}: {cookie}");
        assert!(attrs.contains("samesite=lax"), "{platform}: {cookie}");
    }
    Ok(())
}

#[tokio::test]
async fn the_high_session_ends_ten_minutes_after_it_began_whatever_the_activity() -> Result<()> {
    // Given Eric logged in at eidas2 on the high platform, at t0
    let sb = TestSandbox::start_high(true).await?;
    let b = sb.browser();
    let (client, _) = high_client(&sb, "fs-session").await?;
    let req = || client.request(Platform::High, "openid given_name");
    let first = authorize(&sb, &b, &req(), "test-eidas3", "eric-mercier").await?;
    assert!(first.code.is_some(), "{}", first.journey.describe());

    // When he comes back at t0 + 4 min and t0 + 9 min
    for secs in [240, 300] {
        sb.advance(secs);
        let again = authorize(&sb, &b, &req(), "test-eidas3", "eric-mercier").await?;
        // Then his session is reused (SSO at eidas2)
        assert_eq!(
            again.journey.stages,
            [Stage::Confirm],
            "{}",
            again.journey.describe()
        );
        assert!(again.code.is_some());
    }

    // When he comes back at t0 + 10 min 1 s, one minute after his last visit
    sb.advance(61);
    let late = authorize(&sb, &b, &req(), "test-eidas3", "eric-mercier").await?;

    // Then the session is gone: the chooser again
    assert_eq!(
        late.journey.stages.first(),
        Some(&Stage::Chooser),
        "{}",
        late.journey.describe()
    );
    Ok(())
}

#[tokio::test]
async fn a_login_finished_late_in_a_high_session_is_kept() -> Result<()> {
    // Given Eric logged in at eidas2 at t0
    let sb = TestSandbox::start_high(true).await?;
    let b = sb.browser();
    let (client, key) = high_client(&sb, "fs-tardif").await?;
    let at = |acr: &str| {
        client
            .request(Platform::High, "openid given_name")
            .set("acr_values", acr)
    };
    authorize(&sb, &b, &at("eidas2"), "test-eidas3", "eric-mercier")
        .await?
        .code()?;

    // When, at t0 + 9 min, a service asks eidas3: the FI's form is shown
    sb.advance(9 * 60);
    let chooser = land(&sb, &b, &at("eidas3")).await?;
    assert_eq!(
        Stage::of(&sb, &chooser),
        Stage::Chooser,
        "{}",
        chooser.summary()
    );
    let form = chooser
        .form("form[action$='/fi']")?
        .set("fi", "test-eidas3");
    let fi_form = b.follow(b.submit(&form).await?).await?.into_last();
    assert_eq!(
        Stage::of(&sb, &fi_form),
        Stage::FiLogin,
        "{}",
        fi_form.summary()
    );

    // And Eric takes two minutes to type his password and code
    sb.advance(2 * 60);
    let prefix = client.redirect_uri.clone();
    let j = drive(
        &sb,
        &b,
        fi_form,
        "test-eidas3",
        "eric-mercier",
        move |p: &Page| {
            p.location()
                .is_some_and(|l| l.as_str().starts_with(&prefix))
        },
    )
    .await?;

    // Then his fresh eidas3 login reaches the service (the interaction is
    // not lost with the session begun at t0)
    let to = j.redirect_to(&client.redirect_uri);
    let code = to.as_ref().and_then(|u| query_param(u, "code"));
    assert!(
        code.is_some(),
        "the login made at t0 + 11 min was lost:\n{}",
        j.describe()
    );
    let (_, t) = high_id_token(&sb, &client, &key, &code.unwrap_or_default()).await?;
    assert_eq!(t.inner.claims["acr"], "eidas3");
    // And it opens a new 10-minute session: an eidas2 request at t0 + 15 min
    // is served by SSO
    sb.advance(4 * 60);
    let sso = authorize(&sb, &b, &at("eidas2"), "test-eidas3", "eric-mercier").await?;
    assert_eq!(
        sso.journey.stages,
        [Stage::Confirm],
        "{}",
        sso.journey.describe()
    );
    Ok(())
}

#[tokio::test]
async fn the_low_session_slides_with_activity_up_to_thirty_minutes_of_inactivity() -> Result<()> {
    // Given Eric logged in on the mairie (low platform) at t0
    let sb = TestSandbox::start_high(true).await?;
    let b = sb.browser();
    authorize(&sb, &b, &AuthRequest::mairie(&sb), "ameli", "eric-mercier")
        .await?
        .code()?;

    // When he comes back at t0 + 20 min and t0 + 45 min
    for secs in [20 * 60, 25 * 60] {
        sb.advance(secs);
        let again = authorize(&sb, &b, &AuthRequest::mairie(&sb), "ameli", "eric-mercier").await?;
        // Then his session is still there: each visit extended it
        assert_eq!(
            again.journey.stages,
            [Stage::Confirm],
            "{}",
            again.journey.describe()
        );
    }

    // When he comes back after 31 minutes without activity
    sb.advance(31 * 60);
    let late = authorize(&sb, &b, &AuthRequest::mairie(&sb), "ameli", "eric-mercier").await?;

    // Then the session has expired
    assert_eq!(
        late.journey.stages.first(),
        Some(&Stage::Chooser),
        "{}",
        late.journey.describe()
    );
    Ok(())
}

#[tokio::test]
async fn sso_serves_eidas2_but_eidas3_always_goes_back_to_the_fi() -> Result<()> {
    // Given Eric logged in at eidas2 through the test FI
    let sb = TestSandbox::start_high(false).await?;
    let b = sb.browser();
    let (client, key) = high_client(&sb, "fs-sso").await?;
    let fi = sb.fi("test-eidas3").url.clone();
    let at = |acr: &str| {
        client
            .request(Platform::High, "openid given_name")
            .set("acr_values", acr)
    };
    let first = authorize(&sb, &b, &at("eidas2"), "test-eidas3", "eric-mercier").await?;
    assert_eq!(
        first.journey.stages,
        [
            Stage::Chooser,
            Stage::FiLogin,
            Stage::FiCode,
            Stage::Confirm
        ],
        "{}",
        first.journey.describe()
    );

    // When another eidas2 request comes
    let sso = authorize(&sb, &b, &at("eidas2"), "test-eidas3", "eric-mercier").await?;
    // Then the session serves it: confirmation only, no FI
    assert_eq!(
        sso.journey.stages,
        [Stage::Confirm],
        "{}",
        sso.journey.describe()
    );
    assert!(!sso.journey.visited(&fi));
    let (_, t) = high_id_token(&sb, &client, &key, sso.code()?).await?;
    assert_eq!(t.inner.claims["acr"], "eidas2");

    // When an eidas3 request comes, twice (after the eidas2 login, then
    // after an eidas3 login)
    for round in ["after eidas2", "after eidas3"] {
        let high = authorize(&sb, &b, &at("eidas3"), "test-eidas3", "eric-mercier").await?;
        // Then the FI is asked to authenticate again (prompt=login) and
        // shows its forms although its own session is alive
        assert_eq!(
            high.journey.stages,
            [
                Stage::Chooser,
                Stage::FiLogin,
                Stage::FiCode,
                Stage::Confirm
            ],
            "{round}: {}",
            high.journey.describe()
        );
        let to_fi = high
            .journey
            .redirect_to(&format!("{fi}/authorize"))
            .expect("a redirect to the FI");
        assert_eq!(
            query_param(&to_fi, "prompt").as_deref(),
            Some("login"),
            "{round}"
        );
        assert_eq!(
            query_param(&to_fi, "acr_values").as_deref(),
            Some("eidas3"),
            "{round}"
        );
        let (_, t) = high_id_token(&sb, &client, &key, high.code()?).await?;
        assert_eq!(t.inner.claims["acr"], "eidas3", "{round}");
    }

    // When an eidas2 request follows the eidas3 login
    let sso = authorize(&sb, &b, &at("eidas2"), "test-eidas3", "eric-mercier").await?;
    // Then the session serves it, at the level it holds
    assert_eq!(
        sso.journey.stages,
        [Stage::Confirm],
        "{}",
        sso.journey.describe()
    );
    let (_, t) = high_id_token(&sb, &client, &key, sso.code()?).await?;
    assert_eq!(t.inner.claims["acr"], "eidas3");
    Ok(())
}

#[tokio::test]
async fn the_two_platforms_sessions_live_side_by_side_in_one_browser() -> Result<()> {
    // Given Eric logged in on the mairie (low platform)
    let sb = TestSandbox::start_high(false).await?;
    let b = sb.browser();
    login(&sb, &b, "mairie", "ameli", "eric-mercier").await?;

    // When he also logs in on a service of the high platform
    let (client, _) = high_client(&sb, "fs-cote-a-cote").await?;
    let req = client.request(Platform::High, "openid given_name");
    authorize(&sb, &b, &req, "test-eidas3", "eric-mercier")
        .await?
        .code()?;

    // Then his low-platform session still serves the mairie (SSO)
    let again = authorize(&sb, &b, &AuthRequest::mairie(&sb), "ameli", "eric-mercier").await?;
    assert_eq!(
        again.journey.stages,
        [Stage::Confirm],
        "the high platform's session cookie replaced the low one: {:?}\n{}",
        b.cookies_for(&sb.broker("/")),
        again.journey.describe()
    );
    // And his high-platform session still serves eidas2
    let again = authorize(
        &sb,
        &b,
        &client.request(Platform::High, "openid given_name"),
        "test-eidas3",
        "eric-mercier",
    )
    .await?;
    assert_eq!(
        again.journey.stages,
        [Stage::Confirm],
        "{}",
        again.journey.describe()
    );
    Ok(())
}
