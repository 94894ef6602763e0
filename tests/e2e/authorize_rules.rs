//! The authorization endpoint's rules: errors before the redirect URI is
//! trusted are pages; after, OAuth errors back to the service with `state`
//! and `iss`.

use anyhow::Result;
use pivot_tests::{
    AuthRequest, Page, Stage, TestSandbox,
    browser::query_param,
    oidc::{authorize, drive_to_redirect},
};

/// Asserts an error page shown by the broker itself: no redirect anywhere.
fn assert_page(page: &Page, code: &str, what: &str) {
    assert_eq!(page.status, 400, "{what}: {}", page.summary());
    assert!(
        page.header("location").is_none(),
        "{what}: never redirected: {}",
        page.summary()
    );
    assert_eq!(
        page.error_code().as_deref(),
        Some(code),
        "{what}: {}",
        page.summary()
    );
    assert!(
        page.has("#error-title") && page.has("#error-message"),
        "{what}"
    );
}

#[tokio::test]
async fn an_unknown_client_gets_a_page() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let page = AuthRequest::mairie(&sb)
        .set("client_id", "inconnu")
        .send(&sb, &b)
        .await?;
    assert_page(&page, "Y000400", "unknown client_id");
    assert_eq!(
        page.text("#error-title").as_deref(),
        Some("Service inconnu")
    );

    let page = AuthRequest::mairie(&sb)
        .without("client_id")
        .send(&sb, &b)
        .await?;
    assert_page(&page, "Y000400", "missing client_id");

    let page = AuthRequest::mairie(&sb)
        .add("client_id", "sandbox-mediatheque")
        .send(&sb, &b)
        .await?;
    assert_page(&page, "Y000400", "repeated client_id");
    Ok(())
}

#[tokio::test]
async fn a_redirect_uri_not_registered_gets_a_page_without_location() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let cases = [
        ("https://evil.example/callback".to_owned(), "foreign"),
        (
            format!("{}/callback/", sb.service("mairie").url),
            "trailing slash (exact match only)",
        ),
        (sb.callback("mediatheque"), "another service's URI"),
        ("javascript:alert(1)".to_owned(), "not http"),
        (
            format!("{}#fragment", sb.callback("mairie")),
            "with a fragment",
        ),
    ];
    for (uri, what) in cases {
        let page = AuthRequest::mairie(&sb)
            .set("redirect_uri", &uri)
            .send(&sb, &b)
            .await?;
        assert_page(&page, "Y000400", what);
    }
    let page = AuthRequest::mairie(&sb)
        .without("redirect_uri")
        .send(&sb, &b)
        .await?;
    assert_page(&page, "Y000400", "missing redirect_uri");
    Ok(())
}

#[tokio::test]
async fn invalid_requests_go_back_to_the_service_with_an_oauth_error() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    type Tweak = fn(AuthRequest) -> AuthRequest;
    let cases: &[(&str, Tweak, &str)] = &[
        ("nonce missing", |r| r.without("nonce"), "invalid_request"),
        (
            "nonce of 21 characters",
            |r| r.set("nonce", &"n".repeat(21)),
            "invalid_request",
        ),
        (
            "state of 21 characters",
            |r| r.set("state", &"s".repeat(21)),
            "invalid_request",
        ),
        ("state missing", |r| r.without("state"), "invalid_request"),
        (
            "state of 513 characters",
            |r| r.set("state", &"s".repeat(513)),
            "invalid_request",
        ),
        (
            "nonce with non-ASCII characters",
            |r| r.set("nonce", "nonce-accentué-nonce-accentué"),
            "invalid_request",
        ),
        (
            "unknown parameter",
            |r| r.set("foo", "bar"),
            "invalid_request",
        ),
        (
            "repeated scope",
            |r| r.add("scope", "openid profile"),
            "invalid_request",
        ),
        (
            "response_type=token",
            |r| r.set("response_type", "token"),
            "unsupported_response_type",
        ),
        (
            "response_type missing",
            |r| r.without("response_type"),
            "invalid_request",
        ),
        (
            "scope without openid",
            |r| r.set("scope", "profile email"),
            "invalid_scope",
        ),
        (
            "unknown scope",
            |r| r.set("scope", "openid dgfip_rfr_inconnu"),
            "invalid_scope",
        ),
        (
            "acr_values=eidas3 on the low platform",
            |r| r.set("acr_values", "eidas3"),
            "invalid_acr",
        ),
        (
            "acr_values unknown",
            |r| r.set("acr_values", "loa-max"),
            "invalid_acr",
        ),
        (
            "acr_values missing",
            |r| r.without("acr_values"),
            "invalid_request",
        ),
        (
            "code_challenge_method=plain",
            |r| {
                r.set("code_challenge", &"a".repeat(43))
                    .set("code_challenge_method", "plain")
            },
            "invalid_request",
        ),
        (
            "code_challenge of the wrong size",
            |r| {
                r.set("code_challenge", "abc")
                    .set("code_challenge_method", "S256")
            },
            "invalid_request",
        ),
        (
            "prompt=none",
            |r| r.set("prompt", "none"),
            "invalid_request",
        ),
        (
            "prompt=select_account",
            |r| r.set("prompt", "select_account"),
            "invalid_request",
        ),
        (
            "claims not JSON",
            |r| r.set("claims", "{\"id_token\": "),
            "invalid_request",
        ),
        (
            "idp_hint unknown",
            |r| r.set("idp_hint", "franceconnect-plus"),
            "invalid_request",
        ),
        (
            "request object",
            |r| r.set("request", "eyJhbGciOiJub25lIn0.e30."),
            "request_not_supported",
        ),
        (
            "request_uri",
            |r| r.set("request_uri", "https://evil.example/r"),
            "request_uri_not_supported",
        ),
    ];
    let mut failures = Vec::new();
    for (what, tweak, expected) in cases {
        let req = tweak(AuthRequest::mairie(&sb));
        let page = req.send(&sb, &b).await?;
        let Some(to) = page
            .location()
            .filter(|l| l.as_str().starts_with(&sb.callback("mairie")))
        else {
            failures.push(format!(
                "{what}: no redirect to the service: {}",
                page.summary()
            ));
            continue;
        };
        let q = |n: &str| query_param(&to, n);
        if q("error").as_deref() != Some(*expected) {
            failures.push(format!(
                "{what}: expected {expected}, got {:?} ({:?})",
                q("error"),
                q("error_description")
            ));
        }
        if q("state").as_deref() != req.get("state") {
            failures.push(format!("{what}: state not echoed: {to}"));
        }
        if q("iss").as_deref() != Some(sb.issuer()) {
            failures.push(format!("{what}: no iss: {to}"));
        }
        if q("code").is_some() {
            failures.push(format!("{what}: a code was issued"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    Ok(())
}

#[tokio::test]
async fn boundaries_and_optional_parameters_are_accepted() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    type Tweak = fn(AuthRequest) -> AuthRequest;
    let cases: &[(&str, Tweak)] = &[
        ("nonce and state of 22 characters", |r| {
            r.set("nonce", &"n".repeat(22))
                .set("state", &"s".repeat(22))
        }),
        ("prompt=login consent", |r| r.set("prompt", "login consent")),
        ("claims asking amr", |r| {
            r.set("claims", r#"{"id_token":{"amr":{"essential":true}}}"#)
        }),
        ("ui_locales", |r| r.set("ui_locales", "fr")),
        ("empty parameter ignored", |r| r.set("ui_locales", "")),
        ("several acr values, eidas1 among them", |r| {
            r.set("acr_values", "eidas1 eidas2")
        }),
    ];
    for (what, tweak) in cases {
        let page = tweak(AuthRequest::mairie(&sb)).send(&sb, &b).await?;
        let to = page.location();
        assert!(
            to.as_ref()
                .is_some_and(|l| l.path().starts_with("/interaction/")),
            "{what}: expected the chooser, got {}",
            page.summary()
        );
    }
    Ok(())
}

#[tokio::test]
async fn the_chooser_names_the_service_and_offers_every_fi() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let chooser = b
        .follow(AuthRequest::mairie(&sb).send(&sb, &b).await?)
        .await?
        .into_last();
    assert_eq!(Stage::of(&sb, &chooser), Stage::Chooser);
    assert_eq!(
        chooser.text("#client-name").as_deref(),
        Some("Mairie de Pivotville")
    );
    for fi in ["impots", "ameli", "laposte", "msa"] {
        assert!(
            chooser.has(&format!("button#fi-{fi}[name=fi][value={fi}]")),
            "{fi} offered"
        );
    }
    // Choosing an FI that does not exist leaves the citizen on the chooser.
    let form = chooser.form("form[action$='/fi']")?.set("fi", "inconnu");
    let back = b.submit(&form).await?;
    assert_eq!(
        back.location().map(|l| l.path().to_owned()),
        Some(chooser.url.path().to_owned())
    );
    Ok(())
}

#[tokio::test]
async fn idp_hint_goes_straight_to_the_fi() -> Result<()> {
    // Given a request naming ameli
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let req = AuthRequest::mairie(&sb).set("idp_hint", "ameli");

    // When it is sent
    let first = req.send(&sb, &b).await?;

    // Then the broker sends the browser directly to ameli's authorization
    // endpoint, and the login completes without the chooser
    let to = first.location().expect("redirect");
    assert!(
        to.as_str()
            .starts_with(&format!("{}/authorize", sb.fi("ameli").url)),
        "{to}"
    );
    let resp =
        drive_to_redirect(&sb, &b, first, req.redirect_uri(), "ameli", "eric-mercier").await?;
    assert!(
        !resp.journey.saw(Stage::Chooser),
        "{}",
        resp.journey.describe()
    );
    assert_eq!(resp.journey.stages, [Stage::FiLogin, Stage::Confirm]);
    assert_eq!(resp.state.as_deref(), Some(req.state()));
    assert!(resp.code.is_some());
    Ok(())
}

#[tokio::test]
async fn post_authorize_works_like_get() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let req = AuthRequest::mairie(&sb);
    let first = b.post(&sb.endpoint("/authorize"), &req.params).await?;
    assert!(
        first
            .location()
            .is_some_and(|l| l.path().starts_with("/interaction/")),
        "{}",
        first.summary()
    );
    let resp =
        drive_to_redirect(&sb, &b, first, req.redirect_uri(), "impots", "eric-mercier").await?;
    assert_eq!(resp.state.as_deref(), Some(req.state()));
    let tokens = pivot_tests::oidc::redeem_mairie(&sb, resp.code()?).await?;
    assert!(!tokens.access_token.is_empty());

    // Errors too: same rules, same answers.
    let bad = req.clone().set("response_type", "id_token");
    let page = b.post(&sb.endpoint("/authorize"), &bad.params).await?;
    let to = page.location().expect("redirect to the service");
    assert_eq!(
        query_param(&to, "error").as_deref(),
        Some("unsupported_response_type")
    );
    let unknown = req.set("client_id", "inconnu");
    let page = b.post(&sb.endpoint("/authorize"), &unknown.params).await?;
    assert_page(&page, "Y000400", "unknown client by POST");
    Ok(())
}

#[tokio::test]
async fn a_full_raw_login_returns_state_and_iss() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let b = sb.browser();
    let req = AuthRequest::mairie(&sb);
    let resp = authorize(&sb, &b, &req, "ameli", "eric-mercier").await?;
    assert_eq!(resp.state.as_deref(), Some(req.state()));
    assert_eq!(resp.iss.as_deref(), Some(sb.issuer()));
    assert!(resp.error.is_none());
    assert!(resp.code()?.len() >= 43, "a code with at least 256 bits");
    Ok(())
}

#[tokio::test]
async fn a_client_only_gets_the_scopes_it_is_registered_for() -> Result<()> {
    let toml = r#"
[[clients]]
client_id = "sobre"
client_secret = "sobre-secret-0123456789"
name = "Service sobre"
redirect_uris = ["http://127.0.0.1:9/sobre"]
scopes = ["openid", "given_name", "family_name"]
"#;
    let sb = TestSandbox::start_with_clients(toml).await?;
    let b = sb.browser();
    let cb = "http://127.0.0.1:9/sobre";
    let page = AuthRequest::new("sobre", cb, "openid given_name email")
        .send(&sb, &b)
        .await?;
    let to = page.location().expect("redirect to the service");
    assert!(to.as_str().starts_with(cb), "{to}");
    assert_eq!(query_param(&to, "error").as_deref(), Some("invalid_scope"));

    let req = AuthRequest::new("sobre", cb, "openid given_name family_name");
    let code = authorize(&sb, &b, &req, "msa", "pierre-louis-martin")
        .await?
        .code()?
        .to_owned();
    let auth =
        pivot_tests::oidc::ClientAuth::Basic("sobre".into(), "sobre-secret-0123456789".into());
    let t = pivot_tests::oidc::Tokens::from_reply(
        &pivot_tests::oidc::token(&sb, &auth, &code, cb, &[]).await?,
    )?;
    let u = pivot_tests::oidc::userinfo(&sb, &t.access_token)
        .await?
        .json()?;
    let mut keys: Vec<&str> = u
        .as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    assert_eq!(keys, ["family_name", "given_name", "sub"], "{u}");
    assert_eq!(u["given_name"], "Pierre-Louis");
    Ok(())
}
