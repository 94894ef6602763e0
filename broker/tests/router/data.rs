//! Data providers in-process: registration, discovery, the consent step and
//! `/checktoken` (RFC 9701 answers, inactive tokens, credentials, roles).

use axum::http::{StatusCode, header};
use josekit::{
    jwe::{ECDH_ES, JweHeader},
    jwk::alg::ec::EcCurve,
    jwk::alg::ec::EcKeyPair,
    jwt,
};
use pivot_broker::storage::{ClientAuthMethod, ClientRole, EncryptionAlg, StorageError};
use pivot_proto::data::DataScope;
use serde_json::Value;

use crate::harness::{
    BASIC, Harness, REDIRECT_URI, authorize_params, basic, client, form, query_of, secret_of,
};

const TAX: &str = "fd-tax";
const HEALTH: &str = "fd-health";
const TAX_SCOPES: &str = "openid identite_pivot dgfip_rfr dgfip_nbpart";

fn scopes(list: &[(&str, &str)]) -> Vec<DataScope> {
    list.iter()
        .map(|(s, l)| DataScope::new(s, l).unwrap())
        .collect()
}

fn provider(id: &str, name: &str, provided: Vec<DataScope>) -> pivot_broker::storage::ClientRecord {
    let mut c = client(id, ClientAuthMethod::ClientSecretBasic);
    c.name = name.into();
    c.entity_id = id.into();
    c.redirect_uris.clear();
    c.post_logout_redirect_uris.clear();
    c.scopes.clear();
    c.role = ClientRole::DataProvider;
    c.provided = provided;
    c
}

/// A broker with a tax and a health provider; the `BASIC` service may ask
/// their data.
pub async fn harness() -> Harness {
    let h = Harness::new().await;
    let tax = provider(
        TAX,
        "DGFIP",
        scopes(&[
            ("dgfip_rfr", "revenu fiscal de référence"),
            ("dgfip_nbpart", "nombre de parts"),
        ]),
    );
    let health = provider(
        HEALTH,
        "CNAM",
        scopes(&[("cnam_medecin_traitant", "médecin traitant déclaré")]),
    );
    h.state.store.put_client(&tax).await.unwrap();
    h.state.store.put_client(&health).await.unwrap();
    let mut fs = h.client(BASIC).await;
    fs.scopes
        .extend(["dgfip_rfr", "dgfip_nbpart", "cnam_medecin_traitant"].map(str::to_owned));
    h.state.store.put_client(&fs).await.unwrap();
    h
}

async fn checktoken_as(
    h: &Harness,
    fd: &str,
    secret: &str,
    token: &str,
    accept: &str,
) -> crate::harness::Reply {
    h.post_form(
        "/api/v2/checktoken",
        &form(&[("token", token)]),
        &[
            (header::AUTHORIZATION, &basic(fd, secret)),
            (header::ACCEPT, accept),
        ],
    )
    .await
}

/// Checks `token` as `fd`; returns the verified `token_introspection`.
async fn check(h: &Harness, fd: &str, token: &str) -> Value {
    let r = checktoken_as(
        h,
        fd,
        &secret_of(fd),
        token,
        "application/token-introspection+jwt",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.header(header::CONTENT_TYPE),
        Some("application/token-introspection+jwt")
    );
    assert_eq!(r.header(header::CACHE_CONTROL), Some("no-store"));
    let jws = r.text();
    let header = jwt::decode_header(&jws).unwrap();
    assert_eq!(
        header.claim("typ").and_then(Value::as_str),
        Some("token-introspection+jwt")
    );
    let (_, _, claims) = h.verify_with_jwks(&jws).await;
    assert_eq!(claims["iss"], crate::harness::ISSUER);
    assert_eq!(claims["aud"], fd);
    assert_eq!(claims["iat"], h.now());
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() > 10));
    claims["token_introspection"].clone()
}

fn access_token(t: &Value) -> String {
    t["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn discovery_lists_the_data_scopes_and_the_introspection_endpoint() {
    let h = harness().await;
    let d = h
        .get("/api/v2/.well-known/openid-configuration")
        .await
        .json();
    let scopes: Vec<&str> = d["scopes_supported"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for s in [
        "openid",
        "dgfip_rfr",
        "dgfip_nbpart",
        "cnam_medecin_traitant",
    ] {
        assert!(scopes.contains(&s), "{s} in {scopes:?}");
    }
    assert!(
        !d["claims_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "dgfip_rfr"),
        "a datum is not a claim"
    );
    assert_eq!(
        d["introspection_endpoint"],
        "http://127.0.0.1:7000/api/v2/checktoken"
    );
}

#[tokio::test]
async fn checktoken_answers_a_signed_jwt_with_the_granted_data_of_that_provider() {
    let h = harness().await;
    let t = h
        .tokens(
            BASIC,
            "openid identite_pivot dgfip_rfr dgfip_nbpart cnam_medecin_traitant",
        )
        .await;
    let fs_sub = {
        let (_, _, c) = h.verify_with_jwks(t["id_token"].as_str().unwrap()).await;
        c["sub"].as_str().unwrap().to_owned()
    };
    let ti = check(&h, TAX, &access_token(&t)).await;
    assert_eq!(ti["active"], true);
    assert_eq!(ti["aud"], BASIC);
    assert_eq!(ti["client_id"], BASIC);
    assert_eq!(ti["acr"], "eidas1");
    // Only what this provider serves: not the identity scopes, not CNAM's.
    assert_eq!(ti["scope"], "dgfip_nbpart dgfip_rfr");
    assert_eq!(ti["iat"], h.now());
    assert_eq!(ti["exp"], h.now() + 60);
    assert_eq!(ti["identity"]["family_name"], "DUBOIS");
    assert_eq!(ti["identity"]["birthplace"], "75107");
    let tax_sub = ti["sub"].as_str().unwrap().to_owned();
    assert_ne!(tax_sub, fs_sub, "the provider gets its own sub");
    assert!(tax_sub.ends_with("v1"));

    let cnam = check(&h, HEALTH, &access_token(&t)).await;
    assert_eq!(cnam["scope"], "cnam_medecin_traitant");
    assert_ne!(cnam["sub"], tax_sub, "each provider its own sub");

    // Stable: another login of the same citizen gives the same sub.
    let again = h.tokens(BASIC, TAX_SCOPES).await;
    let ti2 = check(&h, TAX, &access_token(&again)).await;
    assert_eq!(ti2["sub"], tax_sub);
}

#[tokio::test]
async fn expired_revoked_unknown_or_foreign_tokens_are_inactive() {
    let h = harness().await;
    let inactive = serde_json::json!({ "active": false });

    // Unknown.
    assert_eq!(check(&h, TAX, "not-a-token").await, inactive);

    // Identity only: nothing for the tax office.
    let t = h.tokens(BASIC, "openid identite_pivot").await;
    assert_eq!(check(&h, TAX, &access_token(&t)).await, inactive);

    // Another provider's data only.
    let t = h.tokens(BASIC, "openid cnam_medecin_traitant").await;
    assert_eq!(check(&h, TAX, &access_token(&t)).await, inactive);
    assert_eq!(check(&h, HEALTH, &access_token(&t)).await["active"], true);

    // Revoked by the service.
    let t = h.tokens(BASIC, TAX_SCOPES).await;
    assert_eq!(check(&h, TAX, &access_token(&t)).await["active"], true);
    let r = h
        .post_form(
            "/api/v2/token/revocation",
            &form(&[("token", &access_token(&t))]),
            &[(header::AUTHORIZATION, &basic(BASIC, &secret_of(BASIC)))],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(check(&h, TAX, &access_token(&t)).await, inactive);

    // Expired.
    let t = h.tokens(BASIC, TAX_SCOPES).await;
    h.advance(59);
    assert_eq!(check(&h, TAX, &access_token(&t)).await["active"], true);
    h.advance(1);
    assert_eq!(check(&h, TAX, &access_token(&t)).await, inactive);
}

#[tokio::test]
async fn plain_json_when_asked() {
    let h = harness().await;
    let t = h.tokens(BASIC, TAX_SCOPES).await;
    let r = checktoken_as(
        &h,
        TAX,
        &secret_of(TAX),
        &access_token(&t),
        "application/json",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(
        r.header(header::CONTENT_TYPE)
            .unwrap()
            .starts_with("application/json")
    );
    let v = r.json();
    assert_eq!(v["active"], true);
    assert_eq!(v["scope"], "dgfip_nbpart dgfip_rfr");
    let r = checktoken_as(&h, TAX, &secret_of(TAX), "nope", "application/json").await;
    assert_eq!(r.json(), serde_json::json!({ "active": false }));
}

#[tokio::test]
async fn checktoken_is_encrypted_to_a_provider_that_registered_a_key() {
    let h = harness().await;
    let key = EcKeyPair::generate(EcCurve::P256).unwrap();
    let mut public = key.to_jwk_public_key();
    public.set_key_id("fd-enc");
    public.set_key_use("enc");
    public.set_algorithm("ECDH-ES");
    let mut fd = h.client(TAX).await;
    fd.jwks = Some(serde_json::json!({ "keys": [Value::Object(public.as_ref().clone())] }));
    fd.encryption_alg = Some(EncryptionAlg::EcdhEs);
    h.state.store.put_client(&fd).await.unwrap();

    let t = h.tokens(BASIC, TAX_SCOPES).await;
    // Even when plain JSON is asked: a provider with a key gets JWE only.
    let r = checktoken_as(
        &h,
        TAX,
        &secret_of(TAX),
        &access_token(&t),
        "application/json",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.header(header::CONTENT_TYPE),
        Some("application/token-introspection+jwt")
    );
    let jwe = r.text();
    assert_eq!(jwe.split('.').count(), 5, "compact JWE");
    let mut private = key.to_jwk_private_key();
    private.set_key_id("fd-enc");
    let decrypter = ECDH_ES.decrypter_from_jwk(&private).unwrap();
    let (inner, header): (Vec<u8>, JweHeader) =
        josekit::jwe::deserialize_compact(&jwe, &decrypter).unwrap();
    assert_eq!(header.content_type(), Some("JWT"));
    let (_, _, claims) = h
        .verify_with_jwks(std::str::from_utf8(&inner).unwrap())
        .await;
    assert_eq!(claims["aud"], TAX);
    assert_eq!(claims["token_introspection"]["active"], true);
}

#[tokio::test]
async fn only_data_providers_with_good_credentials_may_check_tokens() {
    let h = harness().await;
    let t = h.tokens(BASIC, TAX_SCOPES).await;
    let token = access_token(&t);
    let jwt = "application/token-introspection+jwt";
    // Wrong secret.
    checktoken_as(&h, TAX, "wrong", &token, jwt)
        .await
        .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    // A service is not a data provider.
    checktoken_as(&h, BASIC, &secret_of(BASIC), &token, jwt)
        .await
        .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    // No credentials.
    let r = h
        .post_form("/api/v2/checktoken", &form(&[("token", &token)]), &[])
        .await;
    r.assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    // No token.
    let r = h
        .post_form(
            "/api/v2/checktoken",
            "",
            &[(header::AUTHORIZATION, &basic(TAX, &secret_of(TAX)))],
        )
        .await;
    r.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    // And a data provider cannot use the token endpoint nor log citizens in.
    h.token_basic(TAX, &[("grant_type", "authorization_code"), ("code", "x")])
        .await
        .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    let mut params = authorize_params(TAX);
    params.retain(|(k, _)| *k != "redirect_uri");
    let r = h.authorize(&params).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert!(r.text().contains("Service inconnu"));
}

#[tokio::test]
async fn unregistered_or_unallowed_data_scopes_are_invalid() {
    let h = harness().await;
    for scope in ["openid dgfip_unknown", "openid cnam_medecin_traitant"] {
        let mut fs = h.client(BASIC).await;
        fs.scopes.retain(|s| s != "cnam_medecin_traitant");
        fs.scopes.push("dgfip_unknown".into());
        h.state.store.put_client(&fs).await.unwrap();
        let mut params = authorize_params(BASIC);
        params.retain(|(k, _)| *k != "scope");
        params.push(("scope", scope));
        let r = h.authorize(&params).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let q = query_of(r.location());
        assert_eq!(q["error"], "invalid_scope", "{scope}");
    }
}

#[tokio::test]
async fn a_data_scope_belongs_to_one_provider() {
    let h = harness().await;
    let thief = provider(
        "fd-other",
        "AUTRE",
        scopes(&[("dgfip_rfr", "revenu fiscal de référence")]),
    );
    let err = h.state.store.put_client(&thief).await.unwrap_err();
    assert!(matches!(err, StorageError::Conflict(_)), "{err}");
    assert!(
        h.state.store.client("fd-other").await.unwrap().is_none(),
        "nothing half-written"
    );
    // The owner re-registering its own scopes is fine.
    let tax = h.client(TAX).await;
    assert_eq!(tax.provided.len(), 2);
    h.state.store.put_client(&tax).await.unwrap();
    assert_eq!(h.state.store.data_catalogue().await.unwrap().len(), 3);
}

/// Runs `/authorize` → confirmation from an SSO session; returns the
/// cookies and the location after confirming.
async fn confirm(
    h: &Harness,
    scope: &str,
    consent_identity: bool,
) -> (String, crate::harness::Reply) {
    let cookie = h.sso_session().await;
    let cookies = [(header::COOKIE, cookie.as_str())];
    let mut params = authorize_params(BASIC);
    params.retain(|(k, _)| *k != "scope");
    params.push(("scope", scope));
    let r = h
        .get_with(&format!("/api/v2/authorize?{}", form(&params)), &cookies)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let confirm = r.location().to_owned();
    let page = h.get_with(&confirm, &cookies).await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf();
    let mut body = vec![("csrf", csrf.as_str())];
    if consent_identity {
        body.push(("consent_identity", "yes"));
    }
    let r = h.post_form(&confirm, &form(&body), &cookies).await;
    (cookie, r)
}

async fn redeem(h: &Harness, location: &str) -> Value {
    assert!(location.starts_with(REDIRECT_URI), "{location}");
    let code = query_of(location)["code"].clone();
    let t = h
        .token_basic(
            BASIC,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
            ],
        )
        .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text());
    t.json()
}

async fn consent(h: &Harness, cookie: &str, at: &str, body: &[(&str, &str)]) -> Value {
    let cookies = [(header::COOKIE, cookie)];
    let page = h.get_with(at, &cookies).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(
        html.contains("revenu fiscal de référence (DGFIP)"),
        "{html}"
    );
    assert!(html.contains("nombre de parts (DGFIP)"), "{html}");
    assert!(!html.contains("CNAM"), "only what was asked: {html}");
    let csrf = page.csrf();
    let mut pairs = vec![("csrf", csrf.as_str())];
    pairs.extend_from_slice(body);
    let r = h.post_form(at, &form(&pairs), &cookies).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    redeem(h, r.location()).await
}

#[tokio::test]
async fn consent_grants_exactly_what_the_citizen_accepted() {
    let h = harness().await;
    for (body, expected) in [
        (
            vec![("decision", "all")],
            "dgfip_nbpart dgfip_rfr identite_pivot openid",
        ),
        (
            // Ticks are ignored when everything is refused.
            vec![("decision", "none"), ("scope", "dgfip_rfr")],
            "identite_pivot openid",
        ),
        (
            // A datum not asked cannot be slipped in.
            vec![
                ("decision", "some"),
                ("scope", "dgfip_rfr"),
                ("scope", "cnam_medecin_traitant"),
            ],
            "dgfip_rfr identite_pivot openid",
        ),
    ] {
        let (cookie, r) = confirm(&h, TAX_SCOPES, false).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let at = r.location().to_owned();
        assert!(at.ends_with("/consent"), "{at}");
        let t = consent(&h, &cookie, &at, &body).await;
        assert_eq!(t["scope"], expected, "{body:?}");
        // The login works whatever was refused.
        let info = h.userinfo(&access_token(&t)).await.json();
        assert_eq!(info["family_name"], "DUBOIS");
        let ti = check(&h, TAX, &access_token(&t)).await;
        let granted_tax = expected.contains("dgfip");
        assert_eq!(ti["active"], granted_tax, "{body:?}");
    }
}

#[tokio::test]
async fn consent_page_needs_the_confirmation_first() {
    let h = harness().await;
    let cookie = h.sso_session().await;
    let cookies = [(header::COOKIE, cookie.as_str())];
    let mut params = authorize_params(BASIC);
    params.retain(|(k, _)| *k != "scope");
    params.push(("scope", TAX_SCOPES));
    let r = h
        .get_with(&format!("/api/v2/authorize?{}", form(&params)), &cookies)
        .await;
    let confirm = r.location().to_owned();
    let consent = confirm.replace("/confirm", "/consent");
    let r = h.get_with(&consent, &cookies).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), confirm);
}

#[tokio::test]
async fn a_private_service_needs_explicit_agreement_to_receive_the_identity() {
    let h = harness().await;
    let mut fs = h.client(BASIC).await;
    fs.public_service = false;
    h.state.store.put_client(&fs).await.unwrap();

    // Without the box ticked: the page again, with the reason, nothing lost.
    let (cookie, r) = confirm(&h, "openid identite_pivot", false).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let html = r.text();
    assert!(html.contains("Cochez la case"), "{html}");
    assert!(html.contains("prénoms"), "{html}");
    assert!(html.contains("lieu de naissance"), "{html}");
    assert!(html.contains("consent-identity"), "{html}");
    // Ticking it goes on to the service.
    let cookies = [(header::COOKIE, cookie.as_str())];
    let body = form(&[("csrf", &r.csrf()), ("consent_identity", "yes")]);
    let confirm_at = html
        .split("action=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .replace("&#x2f;", "/");
    let r = h.post_form(&confirm_at, &body, &cookies).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let t = redeem(&h, r.location()).await;
    assert_eq!(t["scope"], "identite_pivot openid");

    // A public service shows no box.
    let mut fs = h.client(BASIC).await;
    fs.public_service = true;
    h.state.store.put_client(&fs).await.unwrap();
    let (_, r) = confirm(&h, "openid identite_pivot", false).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
}

#[tokio::test]
async fn logging_out_revokes_what_the_session_gave_services() {
    let h = harness().await;
    let (cookie, r) = confirm(&h, TAX_SCOPES, false).await;
    let at = r.location().to_owned();
    let t = consent(&h, &cookie, &at, &[("decision", "all")]).await;
    assert_eq!(check(&h, TAX, &access_token(&t)).await["active"], true);

    let uri = format!(
        "/api/v2/session/end?{}",
        form(&[
            ("id_token_hint", t["id_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", crate::harness::POST_LOGOUT_URI),
        ])
    );
    let r = h.get_with(&uri, &[(header::COOKIE, &cookie)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());

    assert_eq!(
        check(&h, TAX, &access_token(&t)).await,
        serde_json::json!({ "active": false })
    );
    assert_eq!(
        h.userinfo(&access_token(&t)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_code_not_yet_redeemed_dies_with_the_logout() {
    let h = harness().await;
    let (cookie, r) = confirm(&h, "openid identite_pivot", false).await;
    let code = query_of(r.location())["code"].clone();
    let tokens = h.tokens(BASIC, "openid").await;
    let uri = format!(
        "/api/v2/session/end?{}",
        form(&[
            ("id_token_hint", tokens["id_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", crate::harness::POST_LOGOUT_URI),
        ])
    );
    let r = h.get_with(&uri, &[(header::COOKIE, &cookie)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    h.token_basic(
        BASIC,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
        ],
    )
    .await
    .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
}
