//! The broker built in-process from a configuration written in code, driven
//! with `tower::ServiceExt::oneshot`.

use std::{collections::BTreeMap, path::PathBuf, sync::Arc};

use axum::response::IntoResponse;
use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Method, Request, StatusCode, header},
};
use axum_extra::extract::SignedCookieJar;
use base64::{Engine, engine::general_purpose::STANDARD};
use http_body_util::BodyExt;
use josekit::{
    jwk::Jwk,
    jws::{ES256, JwsVerifier, RS256},
    jwt,
};
use pivot_broker::{
    app::{build_state, router},
    clock::FixedClock,
    config::{FileConfig, IdpConfig, PlatformConfig, SecretsConfig, ServerConfig, StorageConfig},
    crypto::sha256_hex,
    secret::Secret,
    session::{COOKIE, SsoLogin},
    state::AppState,
    storage::{ClientAuthMethod, ClientRecord, SigningAlg},
};
use pivot_proto::{
    eidas::Eidas,
    identity::{FiIdentity, Gender, PivotIdentity},
    oauth::{AuthorizeRequest, ClaimsRequest},
    scope::ScopeSet,
};
use serde_json::Value;
use time::macros::datetime;
use tower::ServiceExt;

pub const ISSUER: &str = "http://127.0.0.1:7000/api/v2";
pub const REDIRECT_URI: &str = "https://fs.example/callback";
pub const POST_LOGOUT_URI: &str = "https://fs.example/logged-out";
pub const STATE: &str = "state-0123456789abcdefghij";
pub const NONCE: &str = "nonce-0123456789abcdefghij";
/// The identity provider of the default configuration: nothing listens there.
pub const CLOSED_FI: &str = "fi-closed";
pub const CLOSED_FI_NAME: &str = "Fournisseur Fermé";

/// Confidential client authenticating with HTTP Basic; ID tokens in ES256.
pub const BASIC: &str = "fs-basic";
/// Confidential client authenticating in the form body; ID tokens in RS256.
pub const POST: &str = "fs-post";
/// Public client (PKCE mandatory).
pub const PUBLIC: &str = "fs-public";
/// Client that receives userinfo as a signed JWT (RS256).
pub const SIGNED_USERINFO: &str = "fs-jwt";

/// The secret of every confidential test client.
pub fn secret_of(client_id: &str) -> String {
    format!("secret-of-{client_id}-0123456789abcdef")
}

/// A test broker with its own data folder and clock.
pub struct Harness {
    pub state: AppState,
    pub clock: FixedClock,
    app: Router,
    dir: PathBuf,
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A response with its body read.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: impl header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The `Location` header.
    pub fn location(&self) -> &str {
        self.header(header::LOCATION)
            .unwrap_or_else(|| panic!("no Location ({}): {}", self.status, self.text()))
    }

    /// Every `Set-Cookie` header.
    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect()
    }

    /// The `Set-Cookie` header of the session cookie.
    pub fn session_set_cookie(&self) -> Option<&str> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{COOKIE}=")))
    }

    /// `name=value` of the session cookie, to send back.
    pub fn session_cookie(&self) -> String {
        let c = self
            .session_set_cookie()
            .unwrap_or_else(|| panic!("no session cookie set: {:?}", self.headers));
        c.split(';').next().unwrap().to_owned()
    }

    /// The hidden CSRF field of a form page.
    pub fn csrf(&self) -> String {
        let html = self.text();
        let at = html
            .find(r#"name="csrf" value=""#)
            .unwrap_or_else(|| panic!("no csrf field: {html}"));
        let rest = &html[at + r#"name="csrf" value=""#.len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }

    /// The stable code shown on an error page.
    pub fn error_code(&self) -> String {
        let html = self.text();
        let start = html
            .find(r#"id="error-code">"#)
            .unwrap_or_else(|| panic!("not an error page: {html}"));
        let rest = &html[start + r#"id="error-code">"#.len()..];
        rest[..rest.find('<').unwrap()].to_owned()
    }

    /// Asserts an OAuth JSON error.
    #[track_caller]
    pub fn assert_oauth_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.json()["error"], code, "{}", self.text());
    }
}

/// Query parameters of a URL, as a map (repeated names keep the last).
pub fn query_of(url: &str) -> BTreeMap<String, String> {
    let u = url::Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    u.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// A URL-encoded form or query string.
pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// `Authorization: Basic` for a client.
pub fn basic(client_id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{client_id}:{secret}")))
}

pub fn client(client_id: &str, auth_method: ClientAuthMethod) -> ClientRecord {
    ClientRecord {
        client_id: client_id.to_owned(),
        entity_id: format!("entity-{client_id}"),
        name: format!("Service {client_id}"),
        secret_hash: (auth_method != ClientAuthMethod::None)
            .then(|| sha256_hex(&secret_of(client_id))),
        auth_method,
        jwks: None,
        redirect_uris: vec![REDIRECT_URI.to_owned()],
        post_logout_redirect_uris: vec![POST_LOGOUT_URI.to_owned()],
        scopes: [
            "openid",
            "identite_pivot",
            "profile",
            "birth",
            "given_name",
            "family_name",
            "amr",
            "idp_id",
        ]
        .map(str::to_owned)
        .to_vec(),
        id_token_alg: SigningAlg::ES256,
        userinfo_alg: None,
        public_service: true,
        created_at: 0,
        jwks_uri: None,
        encryption_alg: None,
        fi_allow: None,
        fi_deny: Vec::new(),
        role: pivot_broker::storage::ClientRole::Service,
        provided: Vec::new(),
    }
}

pub fn config(dir: &std::path::Path) -> FileConfig {
    FileConfig {
        server: ServerConfig {
            listen: "127.0.0.1:7000".parse().unwrap(),
            public_url: "http://127.0.0.1:7000".parse().unwrap(),
        },
        storage: StorageConfig {
            database_url: "sqlite::memory:".into(),
            data_dir: dir.to_owned(),
        },
        secrets: SecretsConfig {
            session_secret: Some(Secret::new("router-test-session-secret-0123456789abcdef")),
            sub_secret: Some(Secret::new("router-test-sub-secret")),
            ..SecretsConfig::default()
        },
        platform: PlatformConfig {
            fi_timeout_secs: 2,
            ..PlatformConfig::default()
        },
        registry: None,
        identity_providers: vec![IdpConfig {
            id: CLOSED_FI.into(),
            name: CLOSED_FI_NAME.into(),
            // Port 1 on loopback: connections are refused at once.
            issuer: "http://127.0.0.1:1/closed".parse().unwrap(),
            client_id: "broker".into(),
            client_secret: Some(Secret::new("fi-secret")),
            client_secret_file: None,
            acr_values: vec![Eidas::Eidas1],
            enabled: true,
            login: Default::default(),
        }],
        dsfr_dir: None,
        app_links: Some(pivot_broker::applinks::AppLinksConfig {
            android_package: Some("fr.gouv.pivot.test".into()),
            android_sha256_cert_fingerprints: vec!["AB:CD".into()],
            apple_app_ids: vec!["TEAM123.fr.gouv.pivot.test".into()],
            desktop_link: true,
        }),
        // Nothing listens there, and no worker runs in these tests: mails
        // stay in the outbox for the tests to read.
        mail: Some(pivot_broker::mail::MailConfig::new(
            "smtp://127.0.0.1:1",
            "FranceConnect <ne-pas-repondre@franceconnect.test>",
            "support@franceconnect.test",
        )),
    }
}

impl Harness {
    pub async fn new() -> Self {
        Self::with(|_| {}).await
    }

    /// A broker whose configuration is first adjusted by `tweak`.
    pub async fn with(tweak: impl FnOnce(&mut FileConfig)) -> Self {
        let dir = std::env::temp_dir().join(format!("pivot-router-{}", uuid::Uuid::new_v4()));
        let mut cfg = config(&dir);
        tweak(&mut cfg);
        let clock = FixedClock::new(datetime!(2026-01-01 12:00 UTC));
        let state = build_state(&cfg, Arc::new(clock.clone())).await.unwrap();
        let app = router(state.clone());
        let h = Self {
            state,
            clock,
            app,
            dir,
        };
        let mut post = client(POST, ClientAuthMethod::ClientSecretPost);
        post.id_token_alg = SigningAlg::RS256;
        let mut signed = client(SIGNED_USERINFO, ClientAuthMethod::ClientSecretBasic);
        signed.userinfo_alg = Some(SigningAlg::RS256);
        for c in [
            client(BASIC, ClientAuthMethod::ClientSecretBasic),
            post,
            client(PUBLIC, ClientAuthMethod::None),
            signed,
        ] {
            h.state.store.put_client(&c).await.unwrap();
        }
        h
    }

    pub fn advance(&self, secs: i64) {
        self.clock.advance(time::Duration::seconds(secs));
    }

    pub fn now(&self) -> i64 {
        self.state.now()
    }

    pub async fn client(&self, client_id: &str) -> ClientRecord {
        self.state.store.client(client_id).await.unwrap().unwrap()
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub async fn get_with(&self, uri: &str, headers: &[(header::HeaderName, &str)]) -> Reply {
        let mut b = Request::get(uri);
        for (k, v) in headers {
            b = b.header(k, *v);
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    /// A form POST with extra headers.
    pub async fn post_form(
        &self,
        uri: &str,
        body: &str,
        headers: &[(header::HeaderName, &str)],
    ) -> Reply {
        let mut b = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (k, v) in headers {
            b = b.header(k, *v);
        }
        self.send(b.body(Body::from(body.to_owned())).unwrap())
            .await
    }

    /// `GET /api/v2/authorize` with the given parameters.
    pub async fn authorize(&self, pairs: &[(&str, &str)]) -> Reply {
        self.get(&format!("/api/v2/authorize?{}", form(pairs)))
            .await
    }

    /// `POST /api/v2/token` with HTTP Basic for `client_id`.
    pub async fn token_basic(&self, client_id: &str, pairs: &[(&str, &str)]) -> Reply {
        let auth = basic(client_id, &secret_of(client_id));
        self.post_form(
            "/api/v2/token",
            &form(pairs),
            &[(header::AUTHORIZATION, &auth)],
        )
        .await
    }

    /// `POST /api/v2/token` authenticated the way `client_id` is registered.
    pub async fn token_as(&self, client_id: &str, pairs: &[(&str, &str)]) -> Reply {
        let secret = secret_of(client_id);
        let mut pairs = pairs.to_vec();
        match self.client(client_id).await.auth_method {
            ClientAuthMethod::ClientSecretBasic => {
                return self.token_basic(client_id, &pairs).await;
            }
            ClientAuthMethod::ClientSecretPost => {
                pairs.extend([("client_id", client_id), ("client_secret", &secret)])
            }
            ClientAuthMethod::None => pairs.push(("client_id", client_id)),
            other => panic!("no test credentials for {other:?}"),
        }
        self.post_form("/api/v2/token", &form(&pairs), &[]).await
    }

    /// `GET /api/v2/userinfo` with a bearer token.
    pub async fn userinfo(&self, access_token: &str) -> Reply {
        self.get_with(
            "/api/v2/userinfo",
            &[(header::AUTHORIZATION, &format!("Bearer {access_token}"))],
        )
        .await
    }

    /// A browser session holding a finished FI login (as the FI callback
    /// leaves it); returns the `Cookie` header to send.
    pub async fn sso_session(&self) -> String {
        let jar = SignedCookieJar::new(self.state.cookie_key.clone());
        let mut session = self.state.load_session(&jar).await.unwrap();
        session.data.sso = Some(login(self.now()));
        let jar = self.state.save_session(jar, &session).await.unwrap();
        let res = jar.into_response();
        let set = res
            .headers()
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap();
        set.split(';').next().unwrap().to_owned()
    }

    /// Seeds a code as if the citizen had logged in and confirmed.
    pub async fn seed_code(
        &self,
        client_id: &str,
        scope: &str,
        code_challenge: Option<String>,
    ) -> String {
        let client = self.client(client_id).await;
        let req = authorize_request(client_id, scope, code_challenge);
        self.state
            .issue_code(&client, &req, &login(self.now()), req.scope.clone())
            .await
            .unwrap()
            .0
    }

    /// Seeds a code and redeems it; returns the token response.
    pub async fn tokens(&self, client_id: &str, scope: &str) -> Value {
        let code = self.seed_code(client_id, scope, None).await;
        let r = self
            .token_as(
                client_id,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT_URI),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        r.json()
    }

    /// The published JWKS.
    pub async fn jwks(&self) -> Vec<Value> {
        let r = self.get("/api/v2/jwks").await;
        assert_eq!(r.status, StatusCode::OK);
        r.json()["keys"].as_array().unwrap().clone()
    }

    /// Verifies a JWT with the published JWKS (as a service would) and
    /// returns its header `kid`, `alg` and claims.
    pub async fn verify_with_jwks(
        &self,
        token: &str,
    ) -> (String, String, serde_json::Map<String, Value>) {
        let header = jwt::decode_header(token).unwrap();
        let kid = header
            .claim("kid")
            .and_then(Value::as_str)
            .unwrap()
            .to_owned();
        let alg = header
            .claim("alg")
            .and_then(Value::as_str)
            .unwrap()
            .to_owned();
        let key = self
            .jwks()
            .await
            .into_iter()
            .find(|k| k["kid"] == kid.as_str())
            .unwrap_or_else(|| panic!("kid {kid} not in the JWKS"));
        assert_eq!(key["alg"], alg.as_str());
        let jwk = Jwk::from_map(key.as_object().unwrap().clone()).unwrap();
        let verifier: Box<dyn JwsVerifier> = match alg.as_str() {
            "ES256" => Box::new(ES256.verifier_from_jwk(&jwk).unwrap()),
            "RS256" => Box::new(RS256.verifier_from_jwk(&jwk).unwrap()),
            other => panic!("unexpected alg {other}"),
        };
        let (payload, _) = jwt::decode_with_verifier(token, verifier.as_ref()).unwrap();
        (kid, alg, payload.claims_set().clone())
    }
}

/// The valid authorization request parameters of `client_id`.
pub fn authorize_params(client_id: &str) -> Vec<(&str, &str)> {
    vec![
        ("client_id", client_id),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid identite_pivot"),
        ("state", STATE),
        ("nonce", NONCE),
        ("acr_values", "eidas1"),
    ]
}

pub fn authorize_request(
    client_id: &str,
    scope: &str,
    code_challenge: Option<String>,
) -> AuthorizeRequest {
    AuthorizeRequest {
        client_id: client_id.to_owned(),
        redirect_uri: REDIRECT_URI.to_owned(),
        scope: ScopeSet::parse(scope),
        state: STATE.to_owned(),
        nonce: NONCE.to_owned(),
        acr: Eidas::Eidas1,
        prompt_login: false,
        prompt_consent: false,
        claims: ClaimsRequest::default(),
        idp_hint: None,
        ui_locales: None,
        code_challenge,
    }
}

pub fn identity() -> FiIdentity {
    FiIdentity {
        pivot: PivotIdentity {
            given_name: "Angela Claire Louise".into(),
            family_name: "DUBOIS".into(),
            birthdate: "1962-08-24".into(),
            gender: Gender::Female,
            birthplace: "75107".into(),
            birthcountry: "99100".into(),
        },
        email: "angela.dubois@example.fr".into(),
        preferred_username: None,
    }
}

pub fn login(now: i64) -> SsoLogin {
    SsoLogin {
        identity: identity(),
        registry: Some(identity().pivot),
        fi_id: CLOSED_FI.into(),
        acr: Eidas::Eidas1,
        amr: vec!["pwd".into()],
        auth_time: now - 20,
        fi_id_token: "fi.id.token".into(),
    }
}
