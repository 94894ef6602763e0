//! The citizen space in-process: the event log behind the history, the
//! JSON API and its token rules, preferences and the blocking rules, the
//! disabled flag, fraud reports, and the web space's own login.

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
    response::IntoResponse,
};
use axum_extra::extract::SignedCookieJar;
use pivot_broker::{
    config::IdpConfig,
    crypto::random_token,
    session::SsoLogin,
    storage::{ClientAuthMethod, EventFilter, EventRecord},
};
use pivot_proto::{
    citizen::{EventCode, HISTORY_WINDOW_SECS},
    sub::identity_hash,
};
use serde_json::{Value, json};

use crate::harness::{
    BASIC, CLOSED_FI, CLOSED_FI_NAME, Harness, REDIRECT_URI, authorize_params, authorize_request,
    client, form, identity, login,
};

/// A public client of the app, allowed the citizen-space scope.
const APP: &str = "app-citizen";
const OTHER_FI: &str = "fi-other";

async fn harness() -> Harness {
    let h = Harness::with(|cfg| {
        let mut other: IdpConfig = cfg.identity_providers[0].clone();
        other.id = OTHER_FI.into();
        other.name = "Autre Fournisseur".into();
        cfg.identity_providers.push(other);
    })
    .await;
    let mut app = client(APP, ClientAuthMethod::None);
    app.scopes.push("citizen_space".into());
    app.scopes.push("email".into());
    h.state.store.put_client(&app).await.unwrap();
    h
}

fn login_at(h: &Harness, fi: &str) -> SsoLogin {
    SsoLogin {
        fi_id: fi.into(),
        ..login(h.now())
    }
}

fn own_hash() -> String {
    identity_hash(&identity().pivot).as_str().to_owned()
}

/// The app's device key (ECDSA P-256), as the app holds it.
pub struct DeviceKey(josekit::jwk::alg::ec::EcKeyPair);

impl DeviceKey {
    pub fn new() -> Self {
        Self(josekit::jws::ES256.generate_key_pair().unwrap())
    }

    /// The key's RFC 7638 thumbprint.
    pub fn jkt(&self) -> String {
        use josekit::jwk::KeyPair;
        pivot_broker::keys::thumbprint(&self.0.to_jwk_public_key())
    }

    /// A DPoP proof (RFC 9449) for `method` on `url`, for `token` if any.
    pub fn proof(&self, method: &str, url: &str, token: Option<&str>, iat: i64) -> String {
        use josekit::jwk::KeyPair;
        let public = self.0.to_jwk_public_key();
        let mut header = josekit::jws::JwsHeader::new();
        header.set_token_type("dpop+jwt");
        header
            .set_claim("jwk", Some(Value::Object(public.into())))
            .unwrap();
        let mut claims = josekit::jwt::JwtPayload::new();
        claims
            .set_claim("jti", Some(json!(random_token(12))))
            .unwrap();
        claims.set_claim("htm", Some(json!(method))).unwrap();
        claims.set_claim("htu", Some(json!(url))).unwrap();
        claims.set_claim("iat", Some(json!(iat))).unwrap();
        if let Some(t) = token {
            claims
                .set_claim(
                    "ath",
                    Some(json!(pivot_broker::op::dpop::access_token_hash(t))),
                )
                .unwrap();
        }
        let signer = josekit::jws::ES256
            .signer_from_jwk(&self.0.to_jwk_key_pair())
            .unwrap();
        josekit::jwt::encode_with_signer(&claims, &header, &signer).unwrap()
    }
}

/// What a request presents: a bearer token, or the app's DPoP-bound token.
pub trait Present {
    fn authorize(&self, h: &Harness, method: &str, path: &str)
    -> Vec<(header::HeaderName, String)>;
}

impl Present for &str {
    fn authorize(&self, _: &Harness, _: &str, _: &str) -> Vec<(header::HeaderName, String)> {
        vec![(header::AUTHORIZATION, format!("Bearer {self}"))]
    }
}

impl Present for String {
    fn authorize(&self, h: &Harness, m: &str, p: &str) -> Vec<(header::HeaderName, String)> {
        self.as_str().authorize(h, m, p)
    }
}

/// The app's token and its key.
pub struct AppToken {
    pub token: String,
    pub key: DeviceKey,
    pub refresh: Option<String>,
}

impl Present for AppToken {
    fn authorize(
        &self,
        h: &Harness,
        method: &str,
        path: &str,
    ) -> Vec<(header::HeaderName, String)> {
        let url = format!("http://127.0.0.1:7000{path}");
        vec![
            (header::AUTHORIZATION, format!("DPoP {}", self.token)),
            (
                header::HeaderName::from_static("dpop"),
                self.key.proof(method, &url, Some(&self.token), h.now()),
            ),
        ]
    }
}

/// An access token of the app for a login at `fi`, bound to a new key.
async fn app_token(h: &Harness, fi: &str) -> AppToken {
    let client = h.client(APP).await;
    let verifier = "v".repeat(50);
    let challenge = pivot_proto::oauth::pkce::s256_challenge(&verifier);
    let req = authorize_request(APP, "openid email citizen_space", Some(challenge));
    let (code, _) = h
        .state
        .issue_code(&client, &req, &login_at(h, fi), req.scope.clone())
        .await
        .unwrap();
    let key = DeviceKey::new();
    let proof = key.proof("POST", "http://127.0.0.1:7000/api/v2/token", None, h.now());
    let body = form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", &verifier),
        ("client_id", APP),
    ]);
    let r = h
        .post_form(
            "/api/v2/token",
            &body,
            &[(header::HeaderName::from_static("dpop"), proof.as_str())],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["token_type"], "DPoP");
    AppToken {
        token: r.json()["access_token"].as_str().unwrap().to_owned(),
        key,
        refresh: r.json()["refresh_token"].as_str().map(str::to_owned),
    }
}

async fn api(
    h: &Harness,
    method: Method,
    path: &str,
    who: &impl Present,
    body: Option<Value>,
) -> crate::harness::Reply {
    let full = format!("/api/v2/citizen{path}");
    let mut b = Request::builder().method(method.clone()).uri(&full);
    let bare = full.split('?').next().unwrap_or_default().to_owned();
    for (k, v) in who.authorize(h, method.as_str(), &bare) {
        b = b.header(k, v);
    }
    if body.is_some() {
        b = b.header(header::CONTENT_TYPE, "application/json");
    }
    let body = body.map_or_else(Body::empty, |v| Body::from(v.to_string()));
    h.send(b.body(body).unwrap()).await
}

/// A browser session holding a finished login at `fi`.
async fn sso_cookie(h: &Harness, fi: &str) -> String {
    let jar = SignedCookieJar::new(h.state.cookie_key.clone());
    let mut session = h.state.load_session(&jar).await.unwrap();
    session.data.sso = Some(login_at(h, fi));
    let jar = h.state.save_session(jar, &session).await.unwrap();
    let res = jar.into_response();
    let set = res
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    set.split(';').next().unwrap().to_owned()
}

/// Runs an SSO login of BASIC to the confirmation POST; returns its reply.
async fn sso_login(h: &Harness, fi: &str) -> crate::harness::Reply {
    let cookie = sso_cookie(h, fi).await;
    let cookies = [(header::COOKIE, cookie.as_str())];
    let r = h
        .get_with(
            &format!("/api/v2/authorize?{}", form(&authorize_params(BASIC))),
            &cookies,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let confirm = r.location().to_owned();
    let page = h.get_with(&confirm, &cookies).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    h.post_form(&confirm, &form(&[("csrf", &page.csrf())]), &cookies)
        .await
}

fn event(hash: &str, code: EventCode, at: i64, client: &str) -> EventRecord {
    EventRecord {
        reference: random_token(12),
        at,
        code,
        identity_hash: Some(hash.to_owned()),
        session_ref: None,
        client_id: Some(client.to_owned()),
        client_name: Some(format!("Service {client}")),
        fi_id: Some(CLOSED_FI.into()),
        acr: Some(pivot_proto::eidas::Eidas::Eidas1),
        data: Vec::new(),
        details: None,
    }
}

#[tokio::test]
async fn every_step_is_recorded_and_the_history_shows_only_own_connections() {
    let h = harness().await;
    // Given a login through the confirmation page and a userinfo read,
    let r = sso_login(&h, CLOSED_FI).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let code = crate::harness::query_of(r.location())["code"].clone();
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
    let at = t.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(h.userinfo(&at).await.status, StatusCode::OK);
    // and records of another citizen and of seven months ago,
    let now = h.now();
    let store = &h.state.store;
    store
        .record_event(&event(
            "someone-else",
            EventCode::FcRedirectedToSp,
            now - 10,
            "fs-x",
        ))
        .await
        .unwrap();
    store
        .record_event(&event(
            &own_hash(),
            EventCode::FcRedirectedToSp,
            now - HISTORY_WINDOW_SECS - 60,
            "fs-old",
        ))
        .await
        .unwrap();
    store
        .record_event(&event(
            &own_hash(),
            EventCode::FcRedirectedToSp,
            now - HISTORY_WINDOW_SECS + 60,
            "fs-recent",
        ))
        .await
        .unwrap();

    // when operators list the events,
    let codes: Vec<EventCode> = store
        .events(&EventFilter {
            limit: 100,
            ..EventFilter::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.client_id.as_deref() == Some(BASIC))
        .map(|e| e.code)
        .collect();
    // then every step of the login is there, newest first,
    assert_eq!(
        codes,
        [
            EventCode::SpRequestedUserinfo,
            EventCode::FcAlertQueued,
            EventCode::FcRedirectedToSp,
            EventCode::FcAuthorizeInitiated,
        ],
    );

    // and the citizen's history holds exactly their connections of the
    // last six months.
    let token = app_token(&h, CLOSED_FI).await;
    let r = api(&h, Method::GET, "/history", &token, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let page = r.json();
    let services: Vec<&str> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["service"].as_str().unwrap())
        .collect();
    assert_eq!(services, ["Service fs-basic", "Service fs-recent"]);
    let first = &page["entries"][0];
    assert_eq!(first["kind"], "connection");
    assert_eq!(first["identity_provider"], CLOSED_FI_NAME);
    assert_eq!(first["acr"], "eidas1");
    assert_eq!(page["since"], now - HISTORY_WINDOW_SECS);

    // Filters narrow it.
    let r = api(&h, Method::GET, "/history?service=recent", &token, None).await;
    assert_eq!(r.json()["entries"].as_array().unwrap().len(), 1);
    let r = api(&h, Method::GET, "/history?kind=data_check", &token, None).await;
    assert_eq!(r.json()["entries"], json!([]));
}

#[tokio::test]
async fn the_api_needs_a_live_token_with_the_citizen_space_scope() {
    let h = harness().await;
    let r = h.get("/api/v2/citizen/history").await;
    r.assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_token");
    assert!(r.header(header::WWW_AUTHENTICATE).is_some());

    let basic = h.tokens(BASIC, "openid").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    api(&h, Method::GET, "/history", &basic, None)
        .await
        .assert_oauth_error(StatusCode::FORBIDDEN, "insufficient_scope");

    let token = app_token(&h, CLOSED_FI).await;
    assert_eq!(
        api(&h, Method::GET, "/preferences", &token, None)
            .await
            .status,
        StatusCode::OK
    );
    h.advance(61);
    api(&h, Method::GET, "/preferences", &token, None)
        .await
        .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_token");
    api(&h, Method::GET, "/history", &"forged", None)
        .await
        .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_token");
}

#[tokio::test]
async fn preferences_block_other_providers_never_the_one_in_use() {
    let h = harness().await;
    let token = app_token(&h, CLOSED_FI).await;
    let r = api(&h, Method::GET, "/preferences", &token, None).await;
    let v = r.json();
    assert_eq!(v["connection_alerts"], true);
    assert_eq!(v["identity_providers"][0]["in_use"], true);
    assert_eq!(v["identity_providers"][1]["blocked"], false);

    // Blocking the provider in use is refused, and nothing changes.
    let r = api(
        &h,
        Method::PATCH,
        "/preferences",
        &token,
        Some(json!({"blocked_fis": [CLOSED_FI]})),
    )
    .await;
    r.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(
        r.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("Vous ne pouvez pas bloquer")
    );
    let r = api(
        &h,
        Method::PATCH,
        "/preferences",
        &token,
        Some(json!({"blocked_fis": ["nope"]})),
    )
    .await;
    r.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    let r = api(
        &h,
        Method::PATCH,
        "/preferences",
        &token,
        Some(json!("garbage")),
    )
    .await;
    r.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_request");

    // Another provider can be blocked, alerts turned off.
    let r = api(
        &h,
        Method::PATCH,
        "/preferences",
        &token,
        Some(json!({"blocked_fis": [OTHER_FI], "connection_alerts": false})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["identity_providers"][1]["blocked"], true);
    assert_eq!(v["connection_alerts"], false);
    let account = h.state.store.account(&own_hash()).await.unwrap().unwrap();
    assert_eq!(account.preferences.blocked_fis, [OTHER_FI]);
    let changed = h
        .state
        .store
        .events(&EventFilter {
            code: Some(EventCode::FcPreferencesChanged),
            limit: 10,
            ..EventFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(
        changed[0].details.as_deref(),
        Some(&*format!("blocked {OTHER_FI}; alerts off"))
    );
}

#[tokio::test]
async fn a_blocked_provider_or_a_disabled_account_cannot_log_in() {
    let h = harness().await;
    // Given the citizen blocked the other provider,
    let token = app_token(&h, CLOSED_FI).await;
    let r = api(
        &h,
        Method::PATCH,
        "/preferences",
        &token,
        Some(json!({"blocked_fis": [OTHER_FI]})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    // a login through it stops with a page saying why,
    let r = sso_login(&h, OTHER_FI).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert_eq!(r.error_code(), "Y030002");
    assert!(r.text().contains("Autre Fournisseur"));
    // while the allowed provider still works.
    assert_eq!(sso_login(&h, CLOSED_FI).await.status, StatusCode::SEE_OTHER);

    // Given an operator disabled the account,
    assert!(
        h.state
            .store
            .set_disabled(&own_hash(), Some("usurpation signalée au support"))
            .await
            .unwrap()
    );
    let r = sso_login(&h, CLOSED_FI).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.error_code(), "Y030001");
    assert!(
        r.text().contains("usurpation signalée au support"),
        "{}",
        r.text()
    );
    let refused = h
        .state
        .store
        .events(&EventFilter {
            code: Some(EventCode::FcLoginRefused),
            limit: 10,
            ..EventFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(refused.len(), 2);
    // Enabled again, it logs in.
    h.state.store.set_disabled(&own_hash(), None).await.unwrap();
    assert_eq!(sso_login(&h, CLOSED_FI).await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn fraud_reports_are_stored_with_the_connection_concerned() {
    let h = harness().await;
    assert_eq!(sso_login(&h, CLOSED_FI).await.status, StatusCode::SEE_OTHER);
    let token = app_token(&h, CLOSED_FI).await;
    let history = api(&h, Method::GET, "/history", &token, None).await.json();
    let reference = history["entries"][0]["reference"]
        .as_str()
        .unwrap()
        .to_owned();

    let bad = api(
        &h,
        Method::POST,
        "/reports",
        &token,
        Some(json!({"contact_email": "nope", "message": "x"})),
    )
    .await;
    bad.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    let foreign = api(
        &h,
        Method::POST,
        "/reports",
        &token,
        Some(json!({"reference": "not-mine", "contact_email": "a@example.fr", "message": "x"})),
    )
    .await;
    foreign.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    assert!(
        h.state.store.reports(10).await.unwrap().is_empty(),
        "nothing stored for bad reports"
    );

    let r = api(
        &h,
        Method::POST,
        "/reports",
        &token,
        Some(json!({"reference": reference, "contact_email": " angela@example.fr ", "message": "Ce n'était pas moi."})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let ack = r.json();
    let stored = h.state.store.reports(10).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].reference, ack["reference"].as_str().unwrap());
    assert_eq!(
        stored[0].event_reference.as_deref(),
        Some(reference.as_str())
    );
    assert_eq!(
        stored[0].identity_hash.as_deref(),
        Some(own_hash().as_str())
    );
    assert_eq!(stored[0].contact_email, "angela@example.fr");
    assert_eq!(stored[0].source, "api");
}

#[tokio::test]
async fn the_web_space_logs_in_through_the_brokers_own_authorize() {
    let h = harness().await;
    let r = h.get("/espace/preferences").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let to = r.location().to_owned();
    let q = crate::harness::query_of(&to);
    assert!(
        to.starts_with("http://127.0.0.1:7000/api/v2/authorize?"),
        "{to}"
    );
    assert_eq!(q["client_id"], "citizen-space");
    assert_eq!(q["redirect_uri"], "http://127.0.0.1:7000/espace/callback");
    assert_eq!(q["prompt"], "login");
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["scope"].contains("citizen_space"));
    // The request is valid: the citizen is sent to the chooser.
    let cookie = r.session_cookie();
    let path = to.trim_start_matches("http://127.0.0.1:7000");
    let r = h.get_with(path, &[(header::COOKIE, cookie.as_str())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert!(
        r.location().starts_with("/interaction/"),
        "{}",
        r.location()
    );
    // A forged callback is refused with a page.
    let r = h
        .get_with(
            "/espace/callback?code=x&state=forged",
            &[(header::COOKIE, cookie.as_str())],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_code(), "Y040001");
}

#[tokio::test]
async fn the_api_is_described_by_an_openapi_document() {
    let h = harness().await;
    let r = h.get("/api/v2/citizen/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    for path in [
        "/api/v2/citizen/history",
        "/api/v2/citizen/preferences",
        "/api/v2/citizen/devices",
        "/api/v2/citizen/devices/{id}",
        "/api/v2/citizen/reports",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing");
    }
    assert!(doc["components"]["schemas"]["HistoryEntry"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

#[tokio::test]
async fn alerts_preference_changes_and_reports_wait_in_the_outbox() {
    let h = harness().await;
    let kinds = || async {
        h.state
            .store
            .due_mails(h.now(), 50)
            .await
            .unwrap()
            .into_iter()
            .map(|m| (m.mail.kind, m.mail.recipient, m.mail.subject, m.mail.text))
            .collect::<Vec<_>>()
    };
    // A login from a browser new to the citizen queues the alert (no worker
    // runs here: nothing is sent, nothing lost).
    assert_eq!(sso_login(&h, CLOSED_FI).await.status, StatusCode::SEE_OTHER);
    let mails = kinds().await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].0, "connection_alert");
    assert_eq!(mails[0].1, "angela.dubois@example.fr");
    assert_eq!(
        mails[0].2,
        "Alerte de connexion au service Service fs-basic avec FranceConnect"
    );
    assert!(mails[0].3.contains(CLOSED_FI_NAME), "{}", mails[0].3);

    // A change of preferences is confirmed by mail, naming the provider.
    let token = app_token(&h, CLOSED_FI).await;
    let r = api(
        &h,
        Method::PATCH,
        "/preferences",
        &token,
        Some(json!({"blocked_fis": [OTHER_FI]})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    // Saving the same again changes nothing and sends nothing.
    api(
        &h,
        Method::PATCH,
        "/preferences",
        &token,
        Some(json!({"blocked_fis": [OTHER_FI]})),
    )
    .await;
    let mails = kinds().await;
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[1].0, "preferences_changed");
    assert!(mails[1].3.contains("Autre Fournisseur"), "{}", mails[1].3);

    // A report goes to support and is acknowledged to the contact.
    let r = api(
        &h,
        Method::POST,
        "/reports",
        &token,
        Some(json!({"contact_email": "angela@example.fr", "message": "Pas moi."})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let reference = r.json()["reference"].as_str().unwrap().to_owned();
    let mails = kinds().await;
    assert_eq!(mails.len(), 4);
    assert_eq!(
        (mails[2].0.as_str(), mails[2].1.as_str()),
        ("fraud_report", "support@franceconnect.test")
    );
    assert!(mails[2].3.contains("Pas moi."));
    assert_eq!(
        (mails[3].0.as_str(), mails[3].1.as_str()),
        ("fraud_report_ack", "angela@example.fr")
    );
    assert!(mails[3].2.contains(&reference) || mails[3].3.contains(&reference));
}

#[tokio::test]
async fn an_anonymous_report_needs_the_reference_of_a_connection() {
    let h = harness().await;
    // Without a connection named, nobody can make the broker mail anyone.
    let r = h.get("/signaler").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.error_code(), "Y040002");
    let r = h.get("/signaler?ref=made-up").await;
    assert_eq!(r.error_code(), "Y040002");

    // With the reference an alert carries, the report is taken.
    assert_eq!(sso_login(&h, CLOSED_FI).await.status, StatusCode::SEE_OTHER);
    let connection = h
        .state
        .store
        .events(&EventFilter {
            code: Some(EventCode::FcRedirectedToSp),
            limit: 1,
            ..EventFilter::default()
        })
        .await
        .unwrap()
        .remove(0);
    let page = h
        .get(&format!("/signaler?ref={}", connection.reference))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let cookie = page.session_cookie();
    let r = h
        .post_form(
            "/signaler",
            &form(&[
                ("csrf", &page.csrf()),
                ("ref", &connection.reference),
                ("contact_email", "angela@example.fr"),
                ("message", "Ce n'était pas moi."),
            ]),
            &[(header::COOKIE, cookie.as_str())],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let stored = h.state.store.reports(5).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].source, "email");
    assert_eq!(
        stored[0].identity_hash.as_deref(),
        Some(own_hash().as_str())
    );
    assert_eq!(
        stored[0].event_reference.as_deref(),
        Some(connection.reference.as_str())
    );
}

/// A code for the app (PKCE verifier `v…v`).
async fn app_code(h: &Harness) -> String {
    let client = h.client(APP).await;
    let challenge = pivot_proto::oauth::pkce::s256_challenge(&"v".repeat(50));
    let req = authorize_request(APP, "openid email citizen_space", Some(challenge));
    h.state
        .issue_code(&client, &req, &login_at(h, CLOSED_FI), req.scope.clone())
        .await
        .unwrap()
        .0
}

async fn app_token_request(h: &Harness, code: &str, dpop: Option<&str>) -> crate::harness::Reply {
    let body = form(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", &"v".repeat(50)),
        ("client_id", APP),
    ]);
    let headers: Vec<(header::HeaderName, &str)> = dpop
        .map(|p| vec![(header::HeaderName::from_static("dpop"), p)])
        .unwrap_or_default();
    h.post_form("/api/v2/token", &body, &headers).await
}

#[tokio::test]
async fn the_app_must_bind_its_tokens_with_dpop() {
    let h = harness().await;
    let token_url = "http://127.0.0.1:7000/api/v2/token";
    let key = DeviceKey::new();
    let code = app_code(&h).await;
    // Without a proof, or with a bad one, the app gets no token, and the
    // code is not spent.
    app_token_request(&h, &code, None)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof");
    let wrong_url = key.proof(
        "POST",
        "http://127.0.0.1:7000/api/v2/userinfo",
        None,
        h.now(),
    );
    app_token_request(&h, &code, Some(&wrong_url))
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof");
    let stale = key.proof("POST", token_url, None, h.now() - 120);
    app_token_request(&h, &code, Some(&stale))
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof");
    let proof = key.proof("POST", token_url, None, h.now());
    let r = app_token_request(&h, &code, Some(&proof)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["token_type"], "DPoP");
    let app = AppToken {
        token: r.json()["access_token"].as_str().unwrap().to_owned(),
        key,
        refresh: None,
    };
    // The same proof cannot be used again.
    let code2 = app_code(&h).await;
    app_token_request(&h, &code2, Some(&proof))
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof");

    // With its proof the token works, at the API and at userinfo;
    assert_eq!(
        api(&h, Method::GET, "/devices", &app, None).await.status,
        StatusCode::OK
    );
    let ui_proof = app.key.proof(
        "GET",
        "http://127.0.0.1:7000/api/v2/userinfo",
        Some(&app.token),
        h.now(),
    );
    let r = dpop_get(&h, "/api/v2/userinfo", &app.token, &ui_proof).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // as a bearer token it does not,
    let r = api(&h, Method::GET, "/devices", &app.token, None).await;
    r.assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_token");
    assert!(r.header(header::WWW_AUTHENTICATE).unwrap().contains("DPoP"));
    // nor with another key's proof, a proof for another request, a replayed
    // proof or one without the token's hash.
    let thief = AppToken {
        token: app.token.clone(),
        key: DeviceKey::new(),
        refresh: None,
    };
    api(&h, Method::GET, "/devices", &thief, None)
        .await
        .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_dpop_proof");
    let url = "http://127.0.0.1:7000/api/v2/citizen/devices";
    for bad in [
        app.key.proof("POST", url, Some(&app.token), h.now()),
        app.key.proof(
            "GET",
            "http://127.0.0.1:7000/api/v2/citizen/history",
            Some(&app.token),
            h.now(),
        ),
        app.key.proof("GET", url, None, h.now()),
    ] {
        let r = dpop_get(&h, "/api/v2/citizen/devices", &app.token, &bad).await;
        r.assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_dpop_proof");
    }
    let once = app.key.proof("GET", url, Some(&app.token), h.now());
    let devices = "/api/v2/citizen/devices";
    assert_eq!(
        dpop_get(&h, devices, &app.token, &once).await.status,
        StatusCode::OK
    );
    dpop_get(&h, devices, &app.token, &once)
        .await
        .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_dpop_proof");
    // Discovery says which proofs are accepted.
    let d = h
        .get("/api/v2/.well-known/openid-configuration")
        .await
        .json();
    assert_eq!(d["dpop_signing_alg_values_supported"], json!(["ES256"]));
}

/// A GET presenting `token` with the DPoP scheme and `proof`.
async fn dpop_get(h: &Harness, path: &str, token: &str, proof: &str) -> crate::harness::Reply {
    h.get_with(
        path,
        &[
            (header::AUTHORIZATION, &format!("DPoP {token}")),
            (header::HeaderName::from_static("dpop"), proof),
        ],
    )
    .await
}

async fn refresh_with(h: &Harness, key: &DeviceKey, refresh: &str) -> crate::harness::Reply {
    let proof = key.proof("POST", "http://127.0.0.1:7000/api/v2/token", None, h.now());
    h.post_form(
        "/api/v2/token",
        &form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", APP),
        ]),
        &[(header::HeaderName::from_static("dpop"), proof.as_str())],
    )
    .await
}

#[tokio::test]
async fn the_app_renews_its_tokens_with_rotating_bound_refresh_tokens() {
    let h = harness().await;
    let app = app_token(&h, CLOSED_FI).await;
    let first = app.refresh.clone().expect("the app gets a refresh token");
    // An hour later the access token is long gone, the refresh token renews it.
    h.advance(3600);
    assert_eq!(
        api(&h, Method::GET, "/devices", &app, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = refresh_with(&h, &app.key, &first).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["token_type"], "DPoP");
    assert!(v.get("id_token").is_none());
    let second = v["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    let renewed = AppToken {
        token: v["access_token"].as_str().unwrap().to_owned(),
        key: DeviceKey(app.key.0.clone()),
        refresh: Some(second.clone()),
    };
    assert_eq!(
        api(&h, Method::GET, "/devices", &renewed, None)
            .await
            .status,
        StatusCode::OK
    );

    // Without a proof, nothing (and the token stays usable).
    let r = h
        .post_form(
            "/api/v2/token",
            &form(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", &second),
                ("client_id", APP),
            ]),
            &[],
        )
        .await;
    r.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof");

    // The first refresh token presented again (stolen and used, or used by
    // its thief first): the whole grant ends.
    refresh_with(&h, &app.key, &first)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(
        api(&h, Method::GET, "/devices", &renewed, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    refresh_with(&h, &app.key, &second)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn a_refresh_token_is_bound_to_its_key_its_client_and_a_live_account() {
    let h = harness().await;
    // Another key: refused, and the grant is revoked.
    let app = app_token(&h, CLOSED_FI).await;
    let r = refresh_with(&h, &DeviceKey::new(), app.refresh.as_deref().unwrap()).await;
    r.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert_eq!(
        api(&h, Method::GET, "/devices", &app, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    // A disabled account renews nothing.
    let app = app_token(&h, CLOSED_FI).await;
    h.state
        .store
        .set_disabled(&own_hash(), Some("fraude"))
        .await
        .unwrap();
    refresh_with(&h, &app.key, app.refresh.as_deref().unwrap())
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    h.state.store.set_disabled(&own_hash(), None).await.unwrap();
    // Revoking the refresh token signs the app out.
    let app = app_token(&h, CLOSED_FI).await;
    let r = h
        .post_form(
            "/api/v2/token/revocation",
            &form(&[
                ("token", app.refresh.as_deref().unwrap()),
                ("token_type_hint", "refresh_token"),
                ("client_id", APP),
            ]),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        api(&h, Method::GET, "/devices", &app, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Services get no refresh tokens and cannot use the grant.
    let t = h.tokens(BASIC, "openid").await;
    assert!(t.get("refresh_token").is_none());
    h.token_basic(
        BASIC,
        &[("grant_type", "refresh_token"), ("refresh_token", "x")],
    )
    .await
    .assert_oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
}

#[tokio::test]
async fn the_app_trusts_itself_as_the_device_of_its_key() {
    let h = harness().await;
    let app = app_token(&h, CLOSED_FI).await;
    let r = api(&h, Method::POST, "/devices/current/trust", &app, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["label"], "Application Pivot");
    assert_eq!(v["current"], true);
    assert_eq!(
        v["trusted_until"].as_i64(),
        Some(h.now() + pivot_proto::citizen::TRUSTED_DEVICE_SECS)
    );
    // Listed as the current device, and it is the device the app's logins
    // are alerted from.
    let devices = api(&h, Method::GET, "/devices", &app, None).await.json();
    let listed: Vec<&Value> = devices
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["current"] == true)
        .collect();
    assert_eq!(listed.len(), 1, "{devices}");
    assert_eq!(
        listed[0]["id"],
        pivot_broker::citizen::device::app_device_id(&app.key.jkt())
    );
    // A bearer token names no device.
    let mut basic = h.client(BASIC).await;
    basic.scopes.push("citizen_space".into());
    h.state.store.put_client(&basic).await.unwrap();
    let bearer = h.tokens(BASIC, "openid citizen_space").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = api(&h, Method::POST, "/devices/current/trust", &bearer, None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
}
