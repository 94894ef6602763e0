//! In-process tests of the demo service provider. The full login against the
//! real broker is covered by the end-to-end tests.

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use http_body_util::BodyExt as _;
use tower::ServiceExt as _;
use url::Url;

use super::*;
use crate::storage::EncryptionAlg;

/// How the fake broker behaves.
#[derive(Clone, Debug)]
pub(super) struct Knobs {
    /// Sign ID tokens (and userinfo JWTs) with RS256 instead of ES256.
    rs256: bool,
    /// Answer userinfo as a signed JWT.
    userinfo_jwt: bool,
    /// The `acr` put in ID tokens.
    acr: Option<&'static str>,
    /// The `sub` returned by userinfo.
    userinfo_sub: &'static str,
    /// Encrypt the ID token to the recipient key, as the "high" platform
    /// does (see [`Fake::encrypt_to`]).
    encrypt_id_token: bool,
    /// Encrypt userinfo (then always a JWT) to the recipient key.
    encrypt_userinfo: bool,
    /// Add the registry's identity (`rnipp_*` claims) to userinfo.
    rnipp: bool,
    /// The token response's `scope` member (what was granted); absent
    /// when `None`.
    pub(super) scope: Option<&'static str>,
}

impl Default for Knobs {
    fn default() -> Self {
        Self {
            rs256: false,
            userinfo_jwt: false,
            acr: Some("eidas1"),
            userinfo_sub: SUB,
            encrypt_id_token: false,
            encrypt_userinfo: false,
            rnipp: false,
            scope: None,
        }
    }
}

impl Knobs {
    /// The "high" platform: everything encrypted, level `eidas2`.
    fn high() -> Self {
        Self {
            acr: Some("eidas2"),
            encrypt_id_token: true,
            encrypt_userinfo: true,
            ..Self::default()
        }
    }
}

pub(super) const SUB: &str = "b6048e95bb134ec5b1d1e1fa69f287172e91722b9354d637a1bcf2ebb0fd2ef5v1";
pub(super) const ACCESS_TOKEN: &str = "at-0123456789";
pub(super) const NOW: i64 = 1_750_000_000;

/// A fake broker: discovery, keys, token and userinfo endpoints, enough to
/// run the whole code flow in-process.
pub(super) struct Fake {
    pub(super) issuer: String,
    knobs: Knobs,
    signer: Box<dyn josekit::jws::JwsSigner>,
    jwks: serde_json::Value,
    /// `nonce` and `code_challenge` of the last authorization request.
    expected: std::sync::Mutex<Option<(String, String)>>,
    /// The service's key-management algorithm and JWKS, as registered.
    recipient: std::sync::Mutex<Option<(EncryptionAlg, serde_json::Value)>>,
}

impl Fake {
    /// Registers the service's encryption key (what the broker would read
    /// from its `jwks_uri`).
    fn encrypt_to(&self, alg: EncryptionAlg, jwks: serde_json::Value) {
        *self.recipient.lock().unwrap() = Some((alg, jwks));
    }

    fn encrypt(&self, jws: String) -> String {
        let (alg, jwks) = self.recipient.lock().unwrap().clone().unwrap();
        crate::jwe::encrypt_jwt(&jws, &jwks, alg).unwrap()
    }

    fn sign(&self, claims: serde_json::Value) -> String {
        let mut header = josekit::jws::JwsHeader::new();
        header.set_token_type("JWT");
        header.set_key_id("key-1");
        let payload = josekit::jwt::JwtPayload::from_map(match claims {
            serde_json::Value::Object(m) => m,
            _ => unreachable!(),
        })
        .unwrap();
        josekit::jwt::encode_with_signer(&payload, &header, &*self.signer).unwrap()
    }

    pub(super) fn expect(&self, authorize: &HashMap<String, String>) {
        *self.expected.lock().unwrap() = Some((
            authorize["nonce"].clone(),
            authorize["code_challenge"].clone(),
        ));
    }
}

async fn fake_token(
    axum::extract::State(fake): axum::extract::State<Arc<Fake>>,
    headers: axum::http::HeaderMap,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Result<axum::Json<serde_json::Value>, StatusCode> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use sha2::Digest as _;

    // client_secret_basic
    let basic = format!("Basic {}", STANDARD.encode("fs-mairie:s3cret"));
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(&basic)
    {
        return Err(StatusCode::UNAUTHORIZED);
    }
    let (nonce, challenge) = fake.expected.lock().unwrap().clone().unwrap();
    let verifier = form.get("code_verifier").ok_or(StatusCode::BAD_REQUEST)?;
    let computed = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    if form.get("grant_type").map(String::as_str) != Some("authorization_code")
        || form.get("code").map(String::as_str) != Some("good-code")
        || form.get("redirect_uri").map(String::as_str) != Some("http://127.0.0.1:7200/callback")
        || computed != challenge
    {
        return Err(StatusCode::BAD_REQUEST);
    }
    let at_hash = URL_SAFE_NO_PAD.encode(&sha2::Sha256::digest(ACCESS_TOKEN.as_bytes())[..16]);
    let mut claims = serde_json::json!({
        "iss": fake.issuer, "sub": SUB, "aud": "fs-mairie",
        "exp": NOW + 60, "iat": NOW, "auth_time": NOW - 5,
        "nonce": nonce, "amr": ["pwd"], "at_hash": at_hash,
    });
    if let Some(acr) = fake.knobs.acr {
        claims["acr"] = acr.into();
    }
    let mut id_token = fake.sign(claims);
    if fake.knobs.encrypt_id_token {
        id_token = fake.encrypt(id_token);
    }
    let mut response = serde_json::json!({
        "access_token": ACCESS_TOKEN,
        "token_type": "Bearer",
        "expires_in": 60,
        "id_token": id_token,
    });
    if let Some(scope) = fake.knobs.scope {
        response["scope"] = scope.into();
    }
    Ok(axum::Json(response))
}

async fn fake_userinfo(
    axum::extract::State(fake): axum::extract::State<Arc<Fake>>,
    headers: axum::http::HeaderMap,
) -> Response {
    use axum::response::IntoResponse as _;
    let bearer = format!("Bearer {ACCESS_TOKEN}");
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(&bearer)
    {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let mut claims = serde_json::json!({
        "sub": fake.knobs.userinfo_sub,
        "given_name": "Angela Claire Louise",
        "family_name": "DUBOIS",
        "birthdate": "1962-08-24",
        "gender": "female",
        "birthplace": "75107",
        "birthcountry": "99100",
        "email": "wossewodda-3728@yopmail.com",
        "preferred_username": "",
    });
    if fake.knobs.rnipp {
        for (name, value) in [
            ("rnipp_given_name", "Angela Claire Louise"),
            ("rnipp_family_name", "DUBOIS"),
            ("rnipp_birthdate", "1962-08-24"),
            ("rnipp_gender", "female"),
            ("rnipp_birthplace", "75114"),
            ("rnipp_birthcountry", "99100"),
        ] {
            claims[name] = value.into();
        }
    }
    if fake.knobs.userinfo_jwt || fake.knobs.encrypt_userinfo {
        claims["iss"] = fake.issuer.clone().into();
        claims["aud"] = "fs-mairie".into();
        claims["iat"] = NOW.into();
        claims["exp"] = (NOW + 60).into();
        let mut jwt = fake.sign(claims);
        if fake.knobs.encrypt_userinfo {
            jwt = fake.encrypt(jwt);
        }
        ([(header::CONTENT_TYPE, "application/jwt")], jwt).into_response()
    } else {
        axum::Json(claims).into_response()
    }
}

/// Starts a fake broker on 127.0.0.1:0.
pub(super) async fn start_fake(knobs: Knobs) -> Arc<Fake> {
    use josekit::jwk::KeyPair as _;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let issuer = format!("{base}/api/v2");
    let (alg, mut private, mut public) = if knobs.rs256 {
        let pair = josekit::jws::RS256.generate_key_pair(2048).unwrap();
        ("RS256", pair.to_jwk_private_key(), pair.to_jwk_public_key())
    } else {
        let pair = josekit::jws::ES256.generate_key_pair().unwrap();
        ("ES256", pair.to_jwk_private_key(), pair.to_jwk_public_key())
    };
    for k in [&mut private, &mut public] {
        k.set_key_id("key-1");
        k.set_algorithm(alg);
        k.set_key_use("sig");
    }
    let signer: Box<dyn josekit::jws::JwsSigner> = if knobs.rs256 {
        Box::new(josekit::jws::RS256.signer_from_jwk(&private).unwrap())
    } else {
        Box::new(josekit::jws::ES256.signer_from_jwk(&private).unwrap())
    };
    let public: serde_json::Map<String, serde_json::Value> = public.into();
    let fake = Arc::new(Fake {
        issuer: issuer.clone(),
        knobs,
        signer,
        jwks: serde_json::json!({ "keys": [public] }),
        expected: std::sync::Mutex::new(None),
        recipient: std::sync::Mutex::new(None),
    });
    let doc = serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "end_session_endpoint": format!("{issuer}/session/end"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["ES256", "RS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "authorization_response_iss_parameter_supported": true,
    });
    let app = Router::new()
        .route(
            "/api/v2/.well-known/openid-configuration",
            get(move || {
                let doc = doc.clone();
                async move { axum::Json(doc) }
            }),
        )
        .route(
            "/api/v2/jwks",
            get(
                |axum::extract::State(fake): axum::extract::State<Arc<Fake>>| async move {
                    axum::Json(fake.jwks.clone())
                },
            ),
        )
        .route("/api/v2/token", axum::routing::post(fake_token))
        .route("/api/v2/userinfo", get(fake_userinfo))
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    fake
}

/// Starts a fake broker with the default behaviour; returns its issuer.
async fn fake_broker() -> Url {
    Url::parse(&start_fake(Knobs::default()).await.issuer).unwrap()
}

/// The FS app against a fake broker, with the clock at [`NOW`].
fn app_at_now(issuer: &str) -> Router {
    let templates = Templates::new(&[TEMPLATES]).unwrap();
    let clock =
        crate::clock::FixedClock::new(time::OffsetDateTime::from_unix_timestamp(NOW).unwrap());
    router_with_clock(
        spec(Url::parse(issuer).unwrap()),
        templates,
        reqwest::Client::new(),
        Arc::new(clock),
    )
}

/// Runs a login up to the callback; returns the callback's response.
async fn login_through(fake: &Fake, app: &Router, cookie: &str, csrf: &str) -> Response {
    let q = start_login(app, cookie, csrf).await;
    fake.expect(&q);
    let uri = format!(
        "/callback?code=good-code&state={}&iss={}",
        q["state"],
        urlencode(&fake.issuer)
    );
    send(app, get_req(&uri, Some(cookie))).await
}

/// An issuer where nothing listens.
pub(super) async fn dead_broker() -> Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    Url::parse(&format!("http://{addr}/api/v2")).unwrap()
}

pub(super) fn spec(issuer: Url) -> FsSpec {
    FsSpec {
        slug: "mairie".into(),
        name: "Mairie de Pivotville".into(),
        public_url: Url::parse("http://127.0.0.1:7200").unwrap(),
        broker_issuer: issuer,
        client_id: "fs-mairie".into(),
        client_secret: Secret::new("s3cret"),
        scopes: vec![
            "openid".into(),
            "identite_pivot".into(),
            "email".into(),
            "preferred_username".into(),
        ],
        acr_values: "eidas1".into(),
        encryption: None,
        quotient: None,
    }
}

/// A service of the "high" platform decrypting with `key`, clock at [`NOW`].
fn high_app_with_key(issuer: &str, key: FsKey) -> Router {
    let templates = Templates::new(&[TEMPLATES]).unwrap();
    let clock =
        crate::clock::FixedClock::new(time::OffsetDateTime::from_unix_timestamp(NOW).unwrap());
    let mut spec = spec(Url::parse(issuer).unwrap());
    spec.encryption = Some(key.alg());
    spec.acr_values = "eidas2".into();
    router_with_key(
        spec,
        templates,
        reqwest::Client::new(),
        Arc::new(clock),
        key,
    )
}

/// A JWKS published by an app, read through its own endpoint.
async fn published_jwks(app: &Router) -> serde_json::Value {
    let res = send(app, get_req("/.well-known/jwks.json", None)).await;
    assert_eq!(res.status(), StatusCode::OK);
    serde_json::from_str(&body_text(res).await).unwrap()
}

fn app(issuer: Url) -> Router {
    let templates = Templates::new(&[TEMPLATES]).unwrap();
    router(spec(issuer), templates, reqwest::Client::new())
}

pub(super) async fn send(app: &Router, req: Request<Body>) -> Response {
    app.clone().oneshot(req).await.unwrap()
}

pub(super) async fn body_text(res: Response) -> String {
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

pub(super) fn get_req(uri: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(uri);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

pub(super) fn post_form(uri: &str, cookie: Option<&str>, body: &str) -> Request<Body> {
    let mut b =
        Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(body.to_owned())).unwrap()
}

/// Opens the home page; returns the session cookie and the CSRF token.
pub(super) async fn open_home(app: &Router) -> (String, String) {
    let res = send(app, get_req("/", None)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let set_cookie = res
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set_cookie.starts_with("pivot_fs_mairie="), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"));
    assert!(set_cookie.contains("SameSite=Lax"));
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let html = body_text(res).await;
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let csrf = html[start..].split('"').next().unwrap().to_owned();
    assert!(csrf.len() >= 43);
    (cookie, csrf)
}

/// Starts a login; returns the authorization URL's query parameters.
async fn start_login(app: &Router, cookie: &str, csrf: &str) -> HashMap<String, String> {
    let res = send(
        app,
        post_form("/login", Some(cookie), &format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()[header::LOCATION].to_str().unwrap();
    Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

#[test]
fn registered_uris_have_no_double_slash() {
    let mut s = spec(Url::parse("http://127.0.0.1:7000/api/v2").unwrap());
    assert_eq!(s.redirect_uri(), "http://127.0.0.1:7200/callback");
    assert_eq!(
        s.post_logout_redirect_uri(),
        "http://127.0.0.1:7200/logged-out"
    );
    s.public_url = Url::parse("http://127.0.0.1:7201/").unwrap();
    assert_eq!(s.redirect_uri(), "http://127.0.0.1:7201/callback");
    s.slug = "caf-demo".into();
    assert_eq!(s.cookie_name(), "pivot_fs_caf_demo");
}

#[tokio::test]
async fn home_shows_the_franceconnect_button() {
    let app = app(dead_broker().await);
    let res = send(&app, get_req("/", None)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().contains_key(header::CONTENT_SECURITY_POLICY));
    let html = body_text(res).await;
    assert!(html.contains("Mairie de Pivotville"));
    assert!(html.contains(r#"<div class="fr-connect-group"><form method="post" action="/login">"#));
    assert!(html.contains(r#"<button class="fr-connect" type="submit" id="franceconnect"><span class="fr-connect__login">S’identifier avec</span> <span class="fr-connect__brand">FranceConnect</span></button>"#));
    assert!(html.contains("Qu’est-ce que FranceConnect ?"));
    assert!(!html.contains("id=\"logout\""));
}

#[tokio::test]
async fn login_without_csrf_is_refused() {
    let app = app(dead_broker().await);
    let (cookie, csrf) = open_home(&app).await;

    let res = send(&app, post_form("/login", Some(&cookie), "")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(body_text(res).await.contains(r#"data-error="csrf""#));

    let res = send(&app, post_form("/login", Some(&cookie), "csrf=forged")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // The right token without the session cookie is refused too.
    let res = send(&app, post_form("/login", None, &format!("csrf={csrf}"))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn login_redirects_to_the_broker_with_every_required_parameter() {
    let issuer = fake_broker().await;
    let app = app(issuer.clone());
    let (cookie, csrf) = open_home(&app).await;

    let res = send(
        &app,
        post_form("/login", Some(&cookie), &format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = Url::parse(res.headers()[header::LOCATION].to_str().unwrap()).unwrap();
    assert_eq!(
        location.as_str().split('?').next().unwrap(),
        format!("{issuer}/authorize")
    );
    let q: HashMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], "fs-mairie");
    assert_eq!(q["redirect_uri"], "http://127.0.0.1:7200/callback");
    assert_eq!(q["scope"], "openid identite_pivot email preferred_username");
    assert_eq!(q["acr_values"], "eidas1");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    assert!(q["state"].len() >= 32);
    assert!(q["nonce"].len() >= 32);
    assert_ne!(q["state"], q["nonce"]);

    // Every login gets fresh values.
    let again = start_login(&app, &cookie, &csrf).await;
    assert_ne!(again["state"], q["state"]);
    assert_ne!(again["nonce"], q["nonce"]);
    assert_ne!(again["code_challenge"], q["code_challenge"]);
}

#[tokio::test]
async fn unreachable_broker_shows_a_readable_page() {
    let app = app(dead_broker().await);
    let (cookie, csrf) = open_home(&app).await;
    let res = send(
        &app,
        post_form("/login", Some(&cookie), &format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    let html = body_text(res).await;
    assert!(html.contains(r#"data-error="broker_unreachable""#));
    assert!(html.contains("momentanément indisponible"));
}

#[tokio::test]
async fn callback_with_another_issuer_is_refused() {
    let issuer = fake_broker().await;
    let app = app(issuer.clone());
    let (cookie, csrf) = open_home(&app).await;
    let q = start_login(&app, &cookie, &csrf).await;

    let uri = format!(
        "/callback?code=abc&state={}&iss={}",
        q["state"],
        urlencode("http://127.0.0.1:1/api/v2")
    );
    let res = send(&app, get_req(&uri, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(
        body_text(res)
            .await
            .contains(r#"data-error="issuer_mismatch""#)
    );

    // Without `iss` at all: refused as well.
    let uri = format!("/callback?code=abc&state={}", q["state"]);
    let res = send(&app, get_req(&uri, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(
        body_text(res)
            .await
            .contains(r#"data-error="issuer_mismatch""#)
    );
}

#[tokio::test]
async fn callback_with_an_unknown_state_is_refused() {
    let issuer = fake_broker().await;
    let app = app(issuer.clone());
    let (cookie, csrf) = open_home(&app).await;
    let q = start_login(&app, &cookie, &csrf).await;
    let iss = urlencode(issuer.as_str());

    let uri = format!("/callback?code=abc&state=not-the-state-sent-to-the-broker&iss={iss}");
    let res = send(&app, get_req(&uri, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(
        body_text(res)
            .await
            .contains(r#"data-error="unknown_state""#)
    );

    // The right state from another browser (no session cookie): refused.
    let uri = format!("/callback?code=abc&state={}&iss={iss}", q["state"]);
    let res = send(&app, get_req(&uri, None)).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(
        body_text(res)
            .await
            .contains(r#"data-error="unknown_state""#)
    );
}

#[tokio::test]
async fn callback_with_access_denied_shows_the_error() {
    let issuer = fake_broker().await;
    let app = app(issuer.clone());
    let (cookie, csrf) = open_home(&app).await;
    let q = start_login(&app, &cookie, &csrf).await;

    let uri = format!(
        "/callback?error=access_denied&error_description={}&state={}&iss={}",
        urlencode("L'usager a annulé <b>"),
        q["state"],
        urlencode(issuer.as_str())
    );
    let res = send(&app, get_req(&uri, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = body_text(res).await;
    assert!(html.contains(r#"<p id="oauth-error">access_denied</p>"#));
    assert!(html.contains(r#"href="/""#));
    assert!(!html.contains("<b>"), "the description is escaped");

    // The state is consumed: the same response cannot be replayed with a code.
    let uri = format!(
        "/callback?code=abc&state={}&iss={}",
        q["state"],
        urlencode(issuer.as_str())
    );
    let res = send(&app, get_req(&uri, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn me_json_is_401_when_logged_out() {
    let app = app(dead_broker().await);
    let res = send(&app, get_req("/me.json", None)).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let body: serde_json::Value = serde_json::from_str(&body_text(res).await).unwrap();
    assert_eq!(body["error"], "not_logged_in");

    let (cookie, _) = open_home(&app).await;
    let res = send(&app, get_req("/me.json", Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_needs_csrf_and_logged_out_needs_its_state() {
    let app = app(dead_broker().await);
    let (cookie, csrf) = open_home(&app).await;

    let res = send(&app, post_form("/logout", Some(&cookie), "csrf=forged")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Not logged in: back home.
    let res = send(
        &app,
        post_form("/logout", Some(&cookie), &format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[header::LOCATION], "/");

    let res = send(&app, get_req("/logged-out?state=whatever", Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(
        body_text(res)
            .await
            .contains(r#"data-error="unknown_logout_state""#)
    );
}

pub(super) fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn full_login_and_logout_with_es256_and_json_userinfo() {
    // Given a fake broker signing with ES256 and a fresh browser session
    let fake = start_fake(Knobs::default()).await;
    let app = app_at_now(&fake.issuer);
    let (cookie, csrf) = open_home(&app).await;

    // When the citizen logs in
    let res = login_through(&fake, &app, &cookie, &csrf).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        body_text(res).await
    );
    assert_eq!(res.headers()[header::LOCATION], "/");

    // Then the home page shows the claims and a logout button
    let html = body_text(send(&app, get_req("/", Some(&cookie))).await).await;
    assert!(html.contains("Vous êtes connecté"));
    assert!(html.contains(r#"<td data-claim="given_name">Angela Claire Louise</td>"#));
    assert!(html.contains(r#"<td data-claim="birthplace">75107</td>"#));
    assert!(html.contains(&format!(r#"<td data-claim="sub">{SUB}</td>"#)));
    assert!(html.contains(r#"<td data-idtoken-claim="acr">eidas1</td>"#));
    assert!(html.contains(r#"<td data-idtoken-claim="amr">pwd</td>"#));
    assert!(html.contains(r#"id="logout""#));
    assert!(!html.contains(r#"id="franceconnect""#));

    // And /me.json returns both claim sets
    let res = send(&app, get_req("/me.json", Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: serde_json::Value = serde_json::from_str(&body_text(res).await).unwrap();
    assert_eq!(me["userinfo"]["birthcountry"], "99100");
    assert_eq!(me["userinfo"]["family_name"], "DUBOIS");
    assert_eq!(me["id_token"]["acr"], "eidas1");
    assert_eq!(me["id_token"]["sub"], SUB);

    // When the citizen logs out
    let res = send(
        &app,
        post_form("/logout", Some(&cookie), &format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = Url::parse(res.headers()[header::LOCATION].to_str().unwrap()).unwrap();
    assert_eq!(
        location.as_str().split('?').next().unwrap(),
        format!("{}/session/end", fake.issuer)
    );
    let q: HashMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!(
        q["post_logout_redirect_uri"],
        "http://127.0.0.1:7200/logged-out"
    );
    assert_eq!(q["id_token_hint"].split('.').count(), 3);
    assert!(q["state"].len() >= 32);

    // Then the local session is gone, and the return page checks the state
    let res = send(&app, get_req("/me.json", Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let uri = format!("/logged-out?state={}", q["state"]);
    let res = send(&app, get_req(&uri, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(body_text(res).await.contains(r#"<h1 id="logged-out">"#));
    let res = send(&app, get_req(&uri, Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn login_with_rs256_and_signed_userinfo() {
    let fake = start_fake(Knobs {
        rs256: true,
        userinfo_jwt: true,
        ..Knobs::default()
    })
    .await;
    let app = app_at_now(&fake.issuer);
    let (cookie, csrf) = open_home(&app).await;
    let res = login_through(&fake, &app, &cookie, &csrf).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        body_text(res).await
    );
    let res = send(&app, get_req("/me.json", Some(&cookie))).await;
    let me: serde_json::Value = serde_json::from_str(&body_text(res).await).unwrap();
    assert_eq!(me["userinfo"]["given_name"], "Angela Claire Louise");
    assert_eq!(me["userinfo"]["aud"], "fs-mairie");
}

#[tokio::test]
async fn id_token_without_acr_is_refused() {
    let fake = start_fake(Knobs {
        acr: None,
        ..Knobs::default()
    })
    .await;
    let app = app_at_now(&fake.issuer);
    let (cookie, csrf) = open_home(&app).await;
    let res = login_through(&fake, &app, &cookie, &csrf).await;
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    assert!(
        body_text(res)
            .await
            .contains(r#"data-error="invalid_id_token""#)
    );
    let res = send(&app, get_req("/me.json", Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn userinfo_for_another_subject_is_refused() {
    let fake = start_fake(Knobs {
        userinfo_sub: "someone-else",
        ..Knobs::default()
    })
    .await;
    let app = app_at_now(&fake.issuer);
    let (cookie, csrf) = open_home(&app).await;
    let res = login_through(&fake, &app, &cookie, &csrf).await;
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    assert!(
        body_text(res)
            .await
            .contains(r#"data-error="invalid_userinfo""#)
    );
}

#[tokio::test]
async fn expired_id_token_is_refused() {
    let fake = start_fake(Knobs::default()).await;
    let templates = Templates::new(&[TEMPLATES]).unwrap();
    // The service's clock is two minutes past the token's expiry.
    let clock = crate::clock::FixedClock::new(
        time::OffsetDateTime::from_unix_timestamp(NOW + 180).unwrap(),
    );
    let app = router_with_clock(
        spec(Url::parse(&fake.issuer).unwrap()),
        templates,
        reqwest::Client::new(),
        Arc::new(clock),
    );
    let (cookie, csrf) = open_home(&app).await;
    let res = login_through(&fake, &app, &cookie, &csrf).await;
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    assert!(
        body_text(res)
            .await
            .contains(r#"data-error="invalid_id_token""#)
    );
}

/// A high-platform service that generated its own key at start (as the
/// sandbox builds it), clock at [`NOW`].
fn high_app(issuer: &str, alg: EncryptionAlg) -> Router {
    let mut high = spec(Url::parse(issuer).unwrap());
    high.encryption = Some(alg);
    high.acr_values = "eidas2".into();
    try_router_with_clock(
        high,
        Templates::new(&[TEMPLATES]).unwrap(),
        reqwest::Client::new(),
        Arc::new(crate::clock::FixedClock::new(
            time::OffsetDateTime::from_unix_timestamp(NOW).unwrap(),
        )),
    )
    .unwrap()
}

#[tokio::test]
async fn encrypted_id_token_and_userinfo_round_trip() {
    for alg in EncryptionAlg::ALL {
        // Given a high-platform service that generated its own key at
        // start, and a broker encrypting to the JWKS that service publishes
        let fake = start_fake(Knobs {
            rnipp: true,
            ..Knobs::high()
        })
        .await;
        let app = high_app(&fake.issuer, alg);
        let jwks = published_jwks(&app).await;
        assert_eq!(jwks["keys"][0]["alg"], alg.as_str());
        fake.encrypt_to(alg, jwks);
        let (cookie, csrf) = open_home(&app).await;

        // When the citizen logs in
        let res = login_through(&fake, &app, &cookie, &csrf).await;

        // Then both the ID token and userinfo were decrypted and verified
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "{alg:?}: {}",
            body_text(res).await
        );
        let res = send(&app, get_req("/me.json", Some(&cookie))).await;
        let me: serde_json::Value = serde_json::from_str(&body_text(res).await).unwrap();
        assert_eq!(me["id_token"]["acr"], "eidas2", "{alg:?}");
        assert_eq!(me["id_token"]["sub"], SUB);
        assert_eq!(me["userinfo"]["family_name"], "DUBOIS");
        assert_eq!(me["userinfo"]["aud"], "fs-mairie");
        assert_eq!(me["userinfo"]["rnipp_birthplace"], "75114");

        // And the page shows the level, the birth place by name and the
        // registry's identity
        let html = body_text(send(&app, get_req("/", Some(&cookie))).await).await;
        assert!(html.contains(r#"<p id="acr" data-acr="eidas2">"#), "{html}");
        assert!(html.contains("niveau substantiel"));
        assert!(
            html.contains(r#"<td data-identity="birthplace">Paris 7e Arrondissement, FRANCE</td>"#)
        );
        assert!(html.contains(r#"<td data-identity="birthdate">24 août 1962</td>"#));
        assert!(html.contains(r#"<table id="identity-rnipp">"#));
        assert!(html.contains(
            r#"<td data-rnipp-identity="birthplace">Paris 14e Arrondissement, FRANCE</td>"#
        ));

        // And logout sends the decrypted, signed ID token as the hint
        let res = send(
            &app,
            post_form("/logout", Some(&cookie), &format!("csrf={csrf}")),
        )
        .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let location = Url::parse(res.headers()[header::LOCATION].to_str().unwrap()).unwrap();
        let q: HashMap<String, String> = location.query_pairs().into_owned().collect();
        assert_eq!(q["id_token_hint"].split('.').count(), 3);
    }
}

#[tokio::test]
async fn jwe_to_another_key_shows_an_error_page() {
    for alg in EncryptionAlg::ALL {
        // Given a broker encrypting to a key that is not the service's
        let fake = start_fake(Knobs::high()).await;
        let other = FsKey::generate(alg).unwrap();
        fake.encrypt_to(alg, other.public_jwks().clone());
        let app = high_app_with_key(&fake.issuer, FsKey::generate(alg).unwrap());
        let (cookie, csrf) = open_home(&app).await;

        // When the citizen logs in
        let res = login_through(&fake, &app, &cookie, &csrf).await;

        // Then a clear error page, and no session
        assert_eq!(res.status(), StatusCode::BAD_GATEWAY, "{alg:?}");
        let html = body_text(res).await;
        assert!(html.contains(r#"data-error="decryption_failed""#), "{html}");
        assert!(html.contains("n’ont pas pu être déchiffrées"));
        let res = send(&app, get_req("/me.json", Some(&cookie))).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_given_private_key_is_used_and_published() {
    let private = {
        let mut k =
            josekit::jwk::Jwk::generate_ec_key(josekit::jwk::alg::ec::EcCurve::P256).unwrap();
        k.set_key_id("test-key");
        k
    };
    let key = FsKey::from_private_jwk(EncryptionAlg::EcdhEs, private).unwrap();
    let fake = start_fake(Knobs::high()).await;
    let app = high_app_with_key(&fake.issuer, key);
    let jwks = published_jwks(&app).await;
    assert_eq!(jwks["keys"][0]["kid"], "test-key");
    fake.encrypt_to(EncryptionAlg::EcdhEs, jwks);
    let (cookie, csrf) = open_home(&app).await;
    let res = login_through(&fake, &app, &cookie, &csrf).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        body_text(res).await
    );
}

#[tokio::test]
async fn jwks_endpoint_serves_only_the_public_key() {
    for alg in EncryptionAlg::ALL {
        let app = high_app(dead_broker().await.as_str(), alg);
        let res = send(&app, get_req("/.well-known/jwks.json", None)).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            res.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let jwks: serde_json::Value = serde_json::from_str(&body_text(res).await).unwrap();
        let keys = jwks["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1);
        let key = keys[0].as_object().unwrap();
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(!key.contains_key(private), "{alg:?} publishes {private}");
        }
        assert_eq!(key["use"], "enc");
        assert_eq!(
            key["kty"],
            match alg {
                EncryptionAlg::EcdhEs => "EC",
                EncryptionAlg::RsaOaep256 => "RSA",
            }
        );
    }
    // A service that does not decrypt publishes nothing.
    let app = app(dead_broker().await);
    let res = send(&app, get_req("/.well-known/jwks.json", None)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn high_service_refuses_what_is_not_encrypted() {
    // Given a broker that signs but does not encrypt the ID token
    let fake = start_fake(Knobs {
        encrypt_id_token: false,
        ..Knobs::high()
    })
    .await;
    let app = high_app(&fake.issuer, EncryptionAlg::EcdhEs);
    fake.encrypt_to(EncryptionAlg::EcdhEs, published_jwks(&app).await);
    let (cookie, csrf) = open_home(&app).await;
    let res = login_through(&fake, &app, &cookie, &csrf).await;
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    assert!(
        body_text(res)
            .await
            .contains(r#"data-error="decryption_failed""#)
    );

    // Given a broker that encrypts the ID token but answers userinfo in
    // plain JSON
    let fake = start_fake(Knobs {
        encrypt_userinfo: false,
        ..Knobs::high()
    })
    .await;
    let app = high_app(&fake.issuer, EncryptionAlg::RsaOaep256);
    fake.encrypt_to(EncryptionAlg::RsaOaep256, published_jwks(&app).await);
    let (cookie, csrf) = open_home(&app).await;
    let res = login_through(&fake, &app, &cookie, &csrf).await;
    assert_eq!(res.status(), StatusCode::BAD_GATEWAY);
    assert!(
        body_text(res)
            .await
            .contains(r#"data-error="decryption_failed""#)
    );
    let res = send(&app, get_req("/me.json", Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[test]
fn jwks_uri_is_under_well_known() {
    let s = spec(Url::parse("http://127.0.0.1:7000/api/v2").unwrap());
    assert_eq!(s.jwks_uri(), "http://127.0.0.1:7200/.well-known/jwks.json");
}
