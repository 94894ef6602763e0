//! In-process tests of the demo data providers against a fake broker
//! (discovery, JWKS and `checktoken` signing with a key made here). The
//! real broker is exercised by the end-to-end tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::BodyExt as _;
use josekit::jwk::{Jwk, KeyPair as _};
use josekit::jws::JwsHeader;
use pivot_proto::checktoken::{
    INTROSPECTION_JWT_MEDIA_TYPE, INTROSPECTION_JWT_TYP, IntrospectionClaims, TokenIntrospection,
};
use pivot_proto::data::DataScope;
use pivot_proto::identity::{FiIdentity, Gender, PivotIdentity, RawIdentityClaims};
use pivot_proto::rnipp::RnippQuery;
use serde_json::{Value, json};
use tower::ServiceExt as _;
use url::Url;

use super::directory::Directory;
use super::health::HEALTH_FILES;
use super::tax::TAX_FILES;
use super::*;
use crate::clock::FixedClock;
use crate::sandbox::citizens::{RegistryCase, citizens, find_citizen};
use crate::sandbox::registry::data::{RECORDS, search};

const NOW: i64 = 1_750_000_000;
const SECRET: &str = "fd-secret: with & odd = characters";

// ---------------------------------------------------------------------------
// The fake broker.

/// A signing key of the fake broker.
#[derive(Clone)]
struct Key {
    alg: &'static str,
    private: Jwk,
    public: Jwk,
}

impl Key {
    fn es256(kid: &str) -> Self {
        let pair = josekit::jws::ES256.generate_key_pair().unwrap();
        Self::with(
            "ES256",
            kid,
            pair.to_jwk_private_key(),
            pair.to_jwk_public_key(),
        )
    }

    fn rs256(kid: &str) -> Self {
        let pair = josekit::jws::RS256.generate_key_pair(2048).unwrap();
        Self::with(
            "RS256",
            kid,
            pair.to_jwk_private_key(),
            pair.to_jwk_public_key(),
        )
    }

    fn with(alg: &'static str, kid: &str, mut private: Jwk, mut public: Jwk) -> Self {
        for k in [&mut private, &mut public] {
            k.set_key_id(kid);
            k.set_algorithm(alg);
            k.set_key_use("sig");
        }
        Self {
            alg,
            private,
            public,
        }
    }

    fn sign(&self, payload: &[u8], typ: Option<&str>) -> String {
        let mut header = JwsHeader::new();
        if let Some(typ) = typ {
            header.set_token_type(typ);
        }
        if let Some(kid) = self.private.key_id() {
            header.set_key_id(kid);
        }
        match self.alg {
            "ES256" => {
                let signer = josekit::jws::ES256.signer_from_jwk(&self.private).unwrap();
                josekit::jws::serialize_compact(payload, &header, &signer).unwrap()
            }
            _ => {
                let signer = josekit::jws::RS256.signer_from_jwk(&self.private).unwrap();
                josekit::jws::serialize_compact(payload, &header, &signer).unwrap()
            }
        }
    }
}

/// How the fake broker answers `checktoken`.
#[derive(Clone, Debug, Default)]
struct Knobs {
    /// `iss` instead of the issuer.
    iss: Option<String>,
    /// `aud` instead of the provider's id.
    aud: Option<String>,
    /// JWS `typ`: `None` = the right one, `Some(None)` = no `typ`.
    typ: Option<Option<&'static str>>,
    /// Added to [`NOW`] for `iat`.
    iat_offset: i64,
    /// Answer the plain RFC 7662 JSON instead of a JWT.
    plain_json: bool,
    /// Answer this status with an empty body.
    status: Option<u16>,
    /// Wait this long before answering.
    delay: Option<std::time::Duration>,
}

#[derive(Default)]
struct Counters {
    discovery: usize,
    jwks: usize,
    checks: usize,
}

struct FakeState {
    issuer: String,
    fd_id: String,
    /// Signs the answers.
    signing: Key,
    /// Published at `jwks_uri`.
    published: Vec<Key>,
    tokens: HashMap<String, TokenIntrospection>,
    knobs: Knobs,
    counters: Counters,
}

#[derive(Clone)]
struct Fake(Arc<Mutex<FakeState>>);

impl Fake {
    fn with<T>(&self, f: impl FnOnce(&mut FakeState) -> T) -> T {
        f(&mut self.0.lock().unwrap())
    }

    fn issuer(&self) -> String {
        self.with(|s| s.issuer.clone())
    }

    /// Registers an active token granting `scope` for `identity`.
    fn grant(&self, token: &str, identity: PivotIdentity, scope: &str) {
        let answer = TokenIntrospection {
            active: true,
            aud: Some("sandbox-mairie".into()),
            client_id: Some("sandbox-mairie".into()),
            sub: Some("0123abcdv1".into()),
            iat: Some(NOW - 10),
            exp: Some(NOW + 50),
            acr: Some("eidas1".into()),
            scope: Some(scope.into()),
            identity: Some(identity),
        };
        self.with(|s| s.tokens.insert(token.to_owned(), answer));
    }

    fn set_knobs(&self, knobs: Knobs) {
        self.with(|s| s.knobs = knobs);
    }

    fn counters(&self) -> (usize, usize, usize) {
        self.with(|s| (s.counters.discovery, s.counters.jwks, s.counters.checks))
    }
}

/// `client_secret_basic` credentials, form-urldecoded.
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine as _;
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(v.strip_prefix("Basic ")?)
        .ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let (id, secret) = raw.split_once(':')?;
    let dec = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((dec(id)?, dec(secret)?))
}

async fn fake_checktoken(
    State(fake): State<Fake>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(delay) = fake.with(|s| s.knobs.delay) {
        tokio::time::sleep(delay).await;
    }
    let mut s = fake.0.lock().unwrap();
    s.counters.checks += 1;
    if let Some(status) = s.knobs.status {
        return StatusCode::from_u16(status).unwrap().into_response();
    }
    if basic(&headers) != Some((s.fd_id.clone(), SECRET.to_owned())) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    assert_eq!(headers[header::ACCEPT], INTROSPECTION_JWT_MEDIA_TYPE);
    let answer = form
        .get("token")
        .and_then(|t| s.tokens.get(t))
        .cloned()
        .unwrap_or_else(TokenIntrospection::inactive);
    if s.knobs.plain_json {
        return axum::Json(answer).into_response();
    }
    let claims = IntrospectionClaims {
        iss: s.knobs.iss.clone().unwrap_or_else(|| s.issuer.clone()),
        aud: s.knobs.aud.clone().unwrap_or_else(|| s.fd_id.clone()),
        iat: NOW + s.knobs.iat_offset,
        jti: Some(format!("jti-{}", s.counters.checks)),
        token_introspection: answer,
    };
    let typ = s.knobs.typ.unwrap_or(Some(INTROSPECTION_JWT_TYP));
    let jwt = s.signing.sign(&serde_json::to_vec(&claims).unwrap(), typ);
    ([(header::CONTENT_TYPE, INTROSPECTION_JWT_MEDIA_TYPE)], jwt).into_response()
}

/// Starts a fake broker on 127.0.0.1:0 signing with `key`, which it
/// publishes, for the provider `fd_id`.
async fn start_fake(key: Key, fd_id: &str) -> Fake {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}/api/v2", listener.local_addr().unwrap());
    let fake = Fake(Arc::new(Mutex::new(FakeState {
        issuer,
        fd_id: fd_id.to_owned(),
        published: vec![key.clone()],
        signing: key,
        tokens: HashMap::new(),
        knobs: Knobs::default(),
        counters: Counters::default(),
    })));
    let app = Router::new()
        .route(
            "/api/v2/.well-known/openid-configuration",
            get(|State(fake): State<Fake>| async move {
                fake.with(|s| {
                    s.counters.discovery += 1;
                    axum::Json(json!({
                        "issuer": s.issuer,
                        "jwks_uri": format!("{}/jwks", s.issuer),
                    }))
                })
            }),
        )
        .route(
            "/api/v2/jwks",
            get(|State(fake): State<Fake>| async move {
                fake.with(|s| {
                    s.counters.jwks += 1;
                    let keys: Vec<Value> = s
                        .published
                        .iter()
                        .map(|k| Value::Object(k.public.clone().into()))
                        .collect();
                    axum::Json(json!({ "keys": keys }))
                })
            }),
        )
        .route("/api/v2/checktoken", post(fake_checktoken))
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    fake
}

// ---------------------------------------------------------------------------
// The provider under test.

fn clock() -> SharedClock {
    Arc::new(FixedClock::new(
        time::OffsetDateTime::from_unix_timestamp(NOW).unwrap(),
    ))
}

fn spec(kind: FdKind, issuer: &str) -> FdSpec {
    FdSpec::demo(
        kind,
        Url::parse("http://127.0.0.1:7400").unwrap(),
        Url::parse(issuer).unwrap(),
        Secret::new(SECRET),
    )
}

fn app(spec: FdSpec) -> Router {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    router(spec, http, clock())
}

/// A provider of `kind` against a fresh fake broker signing ES256.
async fn setup(kind: FdKind) -> (Fake, Router) {
    let s = spec(kind, "http://placeholder/");
    let fake = start_fake(Key::es256("key-1"), &s.fd_id).await;
    let app = app(spec(kind, &fake.issuer()));
    (fake, app)
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn challenge(&self) -> Option<&str> {
        self.headers
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap())
    }

    fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }
}

async fn call(app: &Router, path: &str, auth: Option<&str>) -> Answer {
    let mut req = Request::get(path);
    if let Some(auth) = auth {
        req = req.header(header::AUTHORIZATION, auth);
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

async fn get_with(app: &Router, path: &str, token: &str) -> Answer {
    call(app, path, Some(&format!("Bearer {token}"))).await
}

/// The registry's identity of the citizen `key` (what the broker puts in
/// its answers).
fn identity(key: &str) -> PivotIdentity {
    let file = TAX_FILES
        .iter()
        .map(|f| (f.citizen, f.person))
        .chain(HEALTH_FILES.iter().map(|f| (f.citizen, f.person)))
        .find(|(c, _)| *c == key)
        .unwrap()
        .1;
    file.record().unwrap().identity()
}

const ALL_TAX: &str = "dgfip_rfr dgfip_nbpart dgfip_sitfam dgfip_adresse";
const ALL_HEALTH: &str = "cnam_beneficiaires cnam_medecin_traitant cnam_complementaire";

// ---------------------------------------------------------------------------
// Answers.

#[tokio::test]
async fn tax_year_returns_only_the_granted_members() {
    let (fake, app) = setup(FdKind::Tax).await;
    fake.grant("t-rfr", identity("vincent-berdot"), "openid dgfip_rfr");
    fake.grant(
        "t-two",
        identity("vincent-berdot"),
        "dgfip_adresse dgfip_rfr cnam_beneficiaires",
    );
    fake.grant("t-all", identity("vincent-berdot"), ALL_TAX);

    let a = get_with(&app, "/api/v1/revenus/2024", "t-rfr").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(
        a.body,
        json!({"annee": 2024, "revenu_fiscal_de_reference": 38450})
    );

    let a = get_with(&app, "/api/v1/revenus/2023", "t-two").await;
    assert_eq!(
        a.body,
        json!({"annee": 2023, "revenu_fiscal_de_reference": 37120,
               "adresse_fiscale": "12 rue Paul Bert, 69003 Lyon"})
    );

    let a = get_with(&app, "/api/v1/revenus/2024", "t-all").await;
    assert_eq!(
        a.body,
        json!({"annee": 2024, "revenu_fiscal_de_reference": 38450, "nombre_de_parts": 3.0,
               "situation_familiale": "Marié(e)",
               "adresse_fiscale": "12 rue Paul Bert, 69003 Lyon"})
    );
}

#[tokio::test]
async fn tax_years_lists_the_years_on_file() {
    let (fake, app) = setup(FdKind::Tax).await;
    fake.grant("t-pl", identity("pierre-louis-martin"), "dgfip_sitfam");
    fake.grant("t-vb", identity("vincent-berdot"), "dgfip_nbpart");

    let a = get_with(&app, "/api/v1/revenus", "t-pl").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, json!({"annees": [2022, 2023]}));
    let a = get_with(&app, "/api/v1/revenus", "t-vb").await;
    assert_eq!(a.body, json!({"annees": [2022, 2023, 2024]}));
}

#[tokio::test]
async fn corrected_identities_are_found_under_the_registry_spelling() {
    let (fake, app) = setup(FdKind::Tax).await;
    fake.grant("t-sl", identity("sophie-lefebvre"), "dgfip_nbpart");
    fake.grant("t-fl", identity("francoise-le-goff"), "dgfip_adresse");
    let a = get_with(&app, "/api/v1/revenus/2024", "t-sl").await;
    assert_eq!(a.body, json!({"annee": 2024, "nombre_de_parts": 2.5}));
    let a = get_with(&app, "/api/v1/revenus/2024", "t-fl").await;
    assert_eq!(
        a.body,
        json!({"annee": 2024, "adresse_fiscale": "7 rue de Siam, 29200 Brest"})
    );
}

#[tokio::test]
async fn health_file_returns_only_the_granted_members() {
    let (fake, app) = setup(FdKind::Health).await;
    fake.grant("h-vb", identity("vincent-berdot"), "cnam_beneficiaires");
    fake.grant("h-jd", identity("jeanne-dupont"), ALL_HEALTH);
    fake.grant(
        "h-pl",
        identity("pierre-louis-martin"),
        "cnam_medecin_traitant cnam_complementaire dgfip_rfr",
    );

    let a = get_with(&app, "/api/v1/assure", "h-vb").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(
        a.body,
        json!({"beneficiaires": [
            {"prenom": "Léo", "nom": "BERDOT", "date_naissance": "2011-03-14", "lien": "enfant"},
            {"prenom": "Chloé", "nom": "BERDOT", "date_naissance": "2014-09-02", "lien": "enfant"},
        ]})
    );

    let a = get_with(&app, "/api/v1/assure", "h-jd").await;
    assert_eq!(
        a.body,
        json!({
            "beneficiaires": [],
            "medecin_traitant": {"civilite": "M.", "nom": "BERTRAND", "prenom": "Thomas",
                                 "commune": "Aix-en-Provence"},
            "complementaire": {"presente": false},
        })
    );

    let a = get_with(&app, "/api/v1/assure", "h-pl").await;
    assert_eq!(
        a.body,
        json!({
            "medecin_traitant": null,
            "complementaire": {"presente": true, "organisme": "Groupama",
                               "reference": "GRP-33-480192"},
        })
    );
}

// ---------------------------------------------------------------------------
// Refusals of the caller.

#[tokio::test]
async fn no_token_is_401_with_a_bare_bearer_challenge() {
    let (fake, app) = setup(FdKind::Tax).await;
    for auth in [None, Some("Basic c2FuZGJveDpzZWNyZXQ=")] {
        let a = call(&app, "/api/v1/revenus/2024", auth).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(a.challenge(), Some("Bearer"));
        assert_eq!(a.error(), "invalid_token");
    }
    assert_eq!(fake.counters().2, 0, "the broker is not asked");
}

#[tokio::test]
async fn malformed_token_is_401_invalid_token_without_asking_the_broker() {
    let (fake, app) = setup(FdKind::Health).await;
    for auth in ["Bearer", "Bearer a b", "Bearer <script>"] {
        let a = call(&app, "/api/v1/assure", Some(auth)).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{auth}");
        assert_eq!(a.challenge(), Some(r#"Bearer error="invalid_token""#));
        assert_eq!(a.error(), "invalid_token");
    }
    assert_eq!(fake.counters().2, 0);
}

#[tokio::test]
async fn inactive_or_expired_token_is_401_invalid_token() {
    let (fake, app) = setup(FdKind::Tax).await;
    fake.grant("t-old", identity("vincent-berdot"), ALL_TAX);
    fake.with(|s| {
        let t = s.tokens.get_mut("t-old").unwrap();
        t.exp = Some(NOW);
    });
    for token in ["unknown-token", "t-old"] {
        let a = get_with(&app, "/api/v1/revenus/2024", token).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{token}");
        assert_eq!(a.challenge(), Some(r#"Bearer error="invalid_token""#));
        assert_eq!(a.error(), "invalid_token");
        assert!(
            a.body["error_description"]
                .as_str()
                .unwrap()
                .contains("jeton")
        );
    }
    assert_eq!(fake.counters().2, 2);
}

#[tokio::test]
async fn token_without_this_apis_scopes_is_403_insufficient_scope() {
    let (fake, app) = setup(FdKind::Tax).await;
    fake.grant(
        "t-cnam",
        identity("vincent-berdot"),
        "openid cnam_medecin_traitant",
    );
    for path in ["/api/v1/revenus", "/api/v1/revenus/2024"] {
        let a = get_with(&app, path, "t-cnam").await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(a.error(), "insufficient_scope");
        assert_eq!(
            a.challenge(),
            Some(format!(r#"Bearer error="insufficient_scope", scope="{ALL_TAX}""#).as_str())
        );
    }
}

#[tokio::test]
async fn unknown_citizen_year_or_path_is_404() {
    let (fake, app) = setup(FdKind::Tax).await;
    let stranger = PivotIdentity {
        given_name: "Personne".into(),
        family_name: "INCONNUE".into(),
        birthdate: "1980-01-01".into(),
        gender: Gender::Female,
        birthplace: "75056".into(),
        birthcountry: "99100".into(),
    };
    fake.grant("t-x", stranger, ALL_TAX);
    // Yasmine logs in (her registry record is found) but files no tax return.
    let yasmine = find_citizen("yasmine-el-amrani").unwrap();
    fake.grant("t-ya", registry_identity(yasmine.key), ALL_TAX);
    fake.grant("t-vb", identity("vincent-berdot"), "dgfip_rfr");
    fake.grant("t-pl", identity("pierre-louis-martin"), "dgfip_rfr");

    for (path, token) in [
        ("/api/v1/revenus/2024", "t-x"),
        ("/api/v1/revenus", "t-x"),
        ("/api/v1/revenus/2024", "t-ya"),
        ("/api/v1/revenus/2019", "t-vb"),
        ("/api/v1/revenus/2024", "t-pl"),
        ("/api/v1/assure", "t-vb"),
        ("/api/v2/revenus", "t-vb"),
    ] {
        let a = get_with(&app, path, token).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path} {token}");
        assert_eq!(a.error(), "not_found");
    }
    let a = get_with(&app, "/api/v1/revenus/20x4", "t-vb").await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.error(), "invalid_request");

    let (fake, app) = setup(FdKind::Health).await;
    // Marie-Hélène is insured by the MSA.
    fake.grant(
        "h-mh",
        identity("marie-helene-de-la-fontaine-eloise"),
        ALL_HEALTH,
    );
    let a = get_with(&app, "/api/v1/assure", "h-mh").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = get_with(&app, "/api/v1/revenus/2024", "h-mh").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------------------
// The broker's keys and answers.

#[tokio::test]
async fn keys_are_fetched_once_then_again_for_an_unknown_kid() {
    let (fake, app) = setup(FdKind::Tax).await;
    fake.grant("t", identity("vincent-berdot"), "dgfip_rfr");

    for _ in 0..2 {
        assert_eq!(
            get_with(&app, "/api/v1/revenus/2024", "t").await.status,
            StatusCode::OK
        );
    }
    assert_eq!(fake.counters(), (1, 1, 2), "discovery and keys cached");

    // The broker rotates: signs with key-2, publishes both.
    let new = Key::es256("key-2");
    fake.with(|s| {
        s.published.push(new.clone());
        s.signing = new;
    });
    let a = get_with(&app, "/api/v1/revenus/2024", "t").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(fake.counters(), (2, 2, 3), "keys fetched again once");
    get_with(&app, "/api/v1/revenus/2024", "t").await;
    assert_eq!(fake.counters(), (2, 2, 4), "the new key is cached");

    // A kid the broker does not publish: one more fetch, then refused.
    fake.with(|s| s.signing = Key::es256("key-3"));
    let a = get_with(&app, "/api/v1/revenus/2024", "t").await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(a.error(), "temporarily_unavailable");
    assert_eq!(fake.counters(), (3, 3, 5), "exactly one fetch per request");
    let err = checker(&fake, FdKind::Tax).check("t").await.unwrap_err();
    assert!(
        matches!(err, CheckTokenError::UnknownKey(ref kid) if kid == "key-3"),
        "{err:?}"
    );
}

/// A bare token-check client for `fake`, to see the exact error.
fn checker(fake: &Fake, kind: FdKind) -> checktoken::CheckTokenClient {
    checktoken::CheckTokenClient::new(
        spec(kind, &fake.issuer()),
        reqwest::Client::builder().no_proxy().build().unwrap(),
        clock(),
    )
}

#[tokio::test]
async fn unverifiable_answers_are_503() {
    type Expect = fn(&CheckTokenError) -> bool;
    let (fake, app) = setup(FdKind::Tax).await;
    fake.grant("t", identity("vincent-berdot"), "dgfip_rfr");
    let checker = checker(&fake, FdKind::Tax);
    let issuer = fake.issuer();
    let knobs = Knobs::default;
    let cases: Vec<(&str, Knobs, Expect)> = vec![
        (
            "issuer with a trailing slash",
            Knobs {
                iss: Some(format!("{issuer}/")),
                ..knobs()
            },
            |e| matches!(e, CheckTokenError::Issuer(_)),
        ),
        (
            "another issuer",
            Knobs {
                iss: Some("http://127.0.0.1:1/api/v2".into()),
                ..knobs()
            },
            |e| matches!(e, CheckTokenError::Issuer(_)),
        ),
        (
            "another provider",
            Knobs {
                aud: Some("sandbox-cnam".into()),
                ..knobs()
            },
            |e| matches!(e, CheckTokenError::Audience(_)),
        ),
        (
            "typ JWT",
            Knobs {
                typ: Some(Some("JWT")),
                ..knobs()
            },
            |e| matches!(e, CheckTokenError::Type(Some(t)) if t == "JWT"),
        ),
        (
            "no typ",
            Knobs {
                typ: Some(None),
                ..knobs()
            },
            |e| matches!(e, CheckTokenError::Type(None)),
        ),
        (
            "iat 61 s ago",
            Knobs {
                iat_offset: -61,
                ..knobs()
            },
            |e| matches!(e, CheckTokenError::IssuedAt { .. }),
        ),
        (
            "iat 61 s ahead",
            Knobs {
                iat_offset: 61,
                ..knobs()
            },
            |e| matches!(e, CheckTokenError::IssuedAt { .. }),
        ),
        (
            "plain JSON",
            Knobs {
                plain_json: true,
                ..knobs()
            },
            |e| matches!(e, CheckTokenError::Malformed(m) if m.contains("application/json")),
        ),
        (
            "HTTP 500",
            Knobs {
                status: Some(500),
                ..knobs()
            },
            |e| matches!(e, CheckTokenError::Status { status: 500, .. }),
        ),
    ];
    for (what, knobs, expected) in cases {
        fake.set_knobs(knobs);
        let a = get_with(&app, "/api/v1/revenus/2024", "t").await;
        assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{what}");
        assert_eq!(a.error(), "temporarily_unavailable", "{what}");
        assert_eq!(a.headers[header::RETRY_AFTER], "30", "{what}");
        assert!(a.challenge().is_none(), "{what}");
        let err = checker.check("t").await.unwrap_err();
        assert!(expected(&err), "{what}: {err:?}");
    }

    // Within the leeway is fine.
    for iat_offset in [-60, 60] {
        fake.set_knobs(Knobs {
            iat_offset,
            ..knobs()
        });
        let a = get_with(&app, "/api/v1/revenus/2024", "t").await;
        assert_eq!(a.status, StatusCode::OK, "iat {iat_offset}");
    }

    // A key with the published kid but other key material: refused.
    fake.set_knobs(knobs());
    fake.with(|s| s.signing = Key::es256("key-1"));
    let a = get_with(&app, "/api/v1/revenus/2024", "t").await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    let err = checker.check("t").await.unwrap_err();
    assert!(matches!(err, CheckTokenError::Signature(_)), "{err:?}");
}

#[tokio::test]
async fn active_answer_without_identity_is_503() {
    let (fake, app) = setup(FdKind::Health).await;
    fake.grant("h", identity("vincent-berdot"), ALL_HEALTH);
    fake.with(|s| s.tokens.get_mut("h").unwrap().identity = None);
    let a = get_with(&app, "/api/v1/assure", "h").await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn rs256_answers_are_accepted() {
    let s = spec(FdKind::Health, "http://placeholder/");
    let fake = start_fake(Key::rs256("rsa-1"), &s.fd_id).await;
    let app = app(spec(FdKind::Health, &fake.issuer()));
    fake.grant("h", identity("yasmine-el-amrani"), "cnam_complementaire");
    let a = get_with(&app, "/api/v1/assure", "h").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        a.body["complementaire"]["reference"],
        json!("C2S-34-1190427")
    );
}

#[tokio::test]
async fn broker_down_is_503() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}/api/v2", listener.local_addr().unwrap());
    drop(listener);
    let app = app(spec(FdKind::Tax, &issuer));
    let a = get_with(&app, "/api/v1/revenus/2024", "some-token").await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(a.error(), "temporarily_unavailable");
    assert!(!a.body.to_string().contains("some-token"));
    let checker = checktoken::CheckTokenClient::new(
        spec(FdKind::Tax, &issuer),
        reqwest::Client::builder().no_proxy().build().unwrap(),
        clock(),
    );
    let err = checker.check("some-token").await.unwrap_err();
    assert!(
        matches!(
            err,
            CheckTokenError::Unreachable {
                what: "checktoken",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn slow_broker_is_503_after_the_time_out() {
    let (fake, app) = setup(FdKind::Tax).await;
    fake.grant("t", identity("vincent-berdot"), "dgfip_rfr");
    fake.set_knobs(Knobs {
        delay: Some(CHECK_TIMEOUT + std::time::Duration::from_secs(2)),
        ..Knobs::default()
    });
    let started = std::time::Instant::now();
    let a = get_with(&app, "/api/v1/revenus/2024", "t").await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() < CHECK_TIMEOUT + std::time::Duration::from_secs(2));
}

#[tokio::test]
async fn refused_provider_credentials_are_503() {
    let (fake, _) = setup(FdKind::Tax).await;
    fake.grant("t", identity("vincent-berdot"), "dgfip_rfr");
    let mut wrong = spec(FdKind::Tax, &fake.issuer());
    wrong.fd_secret = Secret::new("not the secret");
    let app = app(wrong);
    let a = get_with(&app, "/api/v1/revenus/2024", "t").await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(fake.counters().2, 1);
    let mut wrong = spec(FdKind::Tax, &fake.issuer());
    wrong.fd_secret = Secret::new("not the secret");
    let checker = checktoken::CheckTokenClient::new(
        wrong,
        reqwest::Client::builder().no_proxy().build().unwrap(),
        clock(),
    );
    let err = checker.check("t").await.unwrap_err();
    assert!(matches!(err, CheckTokenError::InvalidClient), "{err:?}");
}

#[tokio::test]
async fn checker_errors_say_what_failed_without_the_token_or_secret() {
    let (fake, _) = setup(FdKind::Tax).await;
    fake.grant(
        "secret-token-value",
        identity("vincent-berdot"),
        "dgfip_rfr",
    );
    fake.set_knobs(Knobs {
        aud: Some("someone-else".into()),
        ..Knobs::default()
    });
    let checker = checker(&fake, FdKind::Tax);
    let err = checker.check("secret-token-value").await.unwrap_err();
    assert!(matches!(err, CheckTokenError::Audience(ref a) if a == "someone-else"));
    let text = format!("{err} {err:?}");
    assert!(!text.contains("secret-token-value"));
    assert!(!text.contains(SECRET));

    fake.set_knobs(Knobs::default());
    let ok = checker.check("secret-token-value").await.unwrap();
    assert!(ok.active);
    assert_eq!(ok.identity, Some(identity("vincent-berdot")));
    let inactive = checker.check("nope").await.unwrap();
    assert_eq!(inactive, TokenIntrospection::inactive());
}

#[tokio::test]
async fn home_page_describes_the_api() {
    let (_, app) = setup(FdKind::Tax).await;
    let res = app
        .clone()
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let html = String::from_utf8(body.to_vec()).unwrap();
    assert!(html.contains("API Impôt particulier (DGFIP)"));
    assert!(html.contains("http://127.0.0.1:7400/api/v1/revenus/{annee}"));
    for d in FdKind::Tax.data_scopes() {
        assert!(
            html.contains(&d.scope) && html.contains(&d.label),
            "{}",
            d.scope
        );
    }
    assert!(!html.contains("cnam_"));
}

// ---------------------------------------------------------------------------
// Specification and data sets.

#[test]
fn kinds_name_their_provider_and_scopes() {
    assert_eq!(FdKind::Tax.provider_name(), "DGFIP");
    assert_eq!(FdKind::Health.provider_name(), "CNAM");
    let labels = |k: FdKind| -> Vec<(String, String)> {
        k.data_scopes()
            .into_iter()
            .map(|d| (d.scope, d.label))
            .collect()
    };
    assert_eq!(
        labels(FdKind::Tax),
        [
            ("dgfip_rfr", "revenu fiscal de référence"),
            ("dgfip_nbpart", "nombre de parts"),
            ("dgfip_sitfam", "situation familiale"),
            ("dgfip_adresse", "adresse fiscale de référence"),
        ]
        .map(|(s, l)| (s.to_owned(), l.to_owned()))
    );
    assert_eq!(
        labels(FdKind::Health),
        [
            ("cnam_beneficiaires", "ayants droit rattachés"),
            ("cnam_medecin_traitant", "médecin traitant déclaré"),
            ("cnam_complementaire", "complémentaire santé"),
        ]
        .map(|(s, l)| (s.to_owned(), l.to_owned()))
    );
    let mut all = Vec::new();
    for k in FdKind::ALL {
        DataScope::check_list(&k.data_scopes()).unwrap();
        all.extend(k.data_scopes());
    }
    DataScope::check_list(&all).unwrap();
}

#[test]
fn demo_spec_and_debug_hide_the_secret() {
    let s = spec(FdKind::Health, "http://127.0.0.1:7000/api/v2");
    assert_eq!(s.slug, "cnam");
    assert_eq!(s.fd_id, "sandbox-cnam");
    assert_eq!(s.name, "API Droits assurance maladie (CNAM)");
    assert!(!format!("{s:?}").contains(SECRET));
}

/// The identity the broker gets from the registry after `key` logs in:
/// the FI's identity, validated as the broker does, looked up in the
/// sandbox registry.
fn registry_identity(key: &str) -> PivotIdentity {
    let c = find_citizen(key).unwrap();
    let raw = RawIdentityClaims {
        given_name: Some(c.given_name.into()),
        family_name: Some(c.family_name.into()),
        birthdate: Some(c.birthdate.into()),
        gender: Some(c.gender.into()),
        birthplace: Some(c.birthplace.into()),
        birthcountry: Some(c.birthcountry.into()),
        email: Some(c.email.into()),
        preferred_username: c.preferred_username.map(Into::into),
    };
    let today = time::macros::date!(2025 - 06 - 01);
    let fi = FiIdentity::validate(raw, today).unwrap().pivot;
    let lookup = search(RECORDS, &RnippQuery::from_identity(&fi), today);
    lookup
        .outcome
        .identity()
        .unwrap_or_else(|| panic!("{key}: registry answers {:?}", lookup.outcome))
        .clone()
}

#[test]
fn every_file_is_found_for_a_citizen_who_logs_in() {
    let files = TAX_FILES
        .iter()
        .map(|f| (f.citizen, f.person))
        .chain(HEALTH_FILES.iter().map(|f| (f.citizen, f.person)));
    for (key, person) in files {
        let c = find_citizen(key).unwrap_or_else(|| panic!("no citizen {key}"));
        assert!(
            matches!(
                c.registry,
                RegistryCase::Found | RegistryCase::Corrected | RegistryCase::SlowFound
            ),
            "{key} cannot log in"
        );
        let record = person
            .record()
            .unwrap_or_else(|| panic!("{key}: no record"));
        assert_eq!(registry_identity(key), record.identity(), "{key}");
    }
    let tax = Directory::new(TAX_FILES);
    let health = Directory::new(HEALTH_FILES);
    assert_eq!(tax.len(), TAX_FILES.len());
    assert_eq!(health.len(), HEALTH_FILES.len());
    assert_eq!(
        tax.find(&registry_identity("sophie-lefebvre"))
            .map(|f| f.citizen),
        Some("sophie-lefebvre")
    );
}

#[test]
fn most_citizens_who_log_in_have_tax_data() {
    let can_log_in: Vec<&str> = citizens()
        .iter()
        .filter(|c| {
            matches!(
                c.registry,
                RegistryCase::Found | RegistryCase::Corrected | RegistryCase::SlowFound
            )
        })
        .map(|c| c.key)
        .collect();
    let with_tax = can_log_in
        .iter()
        .filter(|k| TAX_FILES.iter().any(|f| f.citizen == **k))
        .count();
    assert!(
        with_tax + 1 >= can_log_in.len(),
        "{with_tax} of {}",
        can_log_in.len()
    );
    assert!(HEALTH_FILES.len() >= 5);
}

#[test]
fn tax_files_are_varied_and_cover_2022_to_2024() {
    let mut without_2024 = Vec::new();
    for f in TAX_FILES {
        let years = f.year_list();
        assert!(years.windows(2).all(|w| w[0] < w[1]), "{}", f.citizen);
        assert!(
            years.iter().all(|y| (2022..=2024).contains(y)),
            "{}",
            f.citizen
        );
        if !years.contains(&2024) {
            without_2024.push(f.citizen);
        }
        for y in f.years {
            assert!(y.parts >= 1.0 && (y.parts * 4.0).fract() == 0.0);
            assert!(y.rfr > 0);
        }
    }
    assert_eq!(without_2024, ["pierre-louis-martin"]);
    let statuses: std::collections::BTreeSet<&str> = TAX_FILES
        .iter()
        .flat_map(|f| f.years.iter().map(|y| y.family_status))
        .collect();
    for s in [
        "Marié(e)",
        "Célibataire",
        "Veuf(ve)",
        "Pacsé(e)",
        "Divorcé(e)",
    ] {
        assert!(statuses.contains(s), "{s}");
    }
    let parts: Vec<f64> = TAX_FILES
        .iter()
        .flat_map(|f| f.years.iter().map(|y| y.parts))
        .collect();
    assert!(parts.contains(&2.5) && parts.contains(&3.0));

    let vincent = TAX_FILES
        .iter()
        .find(|f| f.citizen == "vincent-berdot")
        .unwrap();
    for y in vincent.years {
        assert_eq!(y.family_status, "Marié(e)");
        assert!((y.parts - 3.0).abs() < f64::EPSILON);
        assert!(y.address.ends_with("69003 Lyon"));
    }
}
