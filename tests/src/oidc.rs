//! A hand-written OpenID Connect client, for protocol-level tests: build any
//! authorization request, stop at the redirect to the service to take the
//! code, call the token, userinfo and revocation endpoints directly.
//!
//! Both platforms of the sandbox are reachable ([`Platform`]). For the high
//! platform (FranceConnect+), which encrypts what it hands services, a test
//! registers its own client ([`TestClient`]) with an encryption key whose
//! private half it keeps ([`EncKey`]), inline or served at a `jwks_uri` by a
//! tiny local server ([`JwksServer`]), and opens the nested JWTs it receives
//! ([`open_nested`]).

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use anyhow::{Context, Result, anyhow, bail};
use base64::{
    Engine as _,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use josekit::{
    jwk::{Jwk, JwkSet, alg::ec::EcCurve},
    jws::{ES256, JwsHeader, JwsVerifier, RS256},
    jwt::{self, JwtPayload},
};
use pivot_broker::{
    crypto::{random_token, sha256_hex},
    state::AppState,
    storage::{ClientAuthMethod, ClientRecord, EncryptionAlg, SigningAlg},
};
use reqwest::{StatusCode, header::HeaderMap};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use url::Url;

use crate::{
    Browser, MAIRIE, MAIRIE_SECRET, TestSandbox,
    browser::query_param,
    journey::{Journey, drive},
};

/// Scopes the raw client asks for the mairie: the pivot identity, e-mail,
/// `amr` and `idp_id`.
pub const MAIRIE_SCOPE: &str = "openid identite_pivot email amr idp_id";

/// One of the two platforms (issuers) the sandbox's broker serves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Platform {
    /// FranceConnect: `eidas1`.
    #[default]
    Low,
    /// FranceConnect+: `eidas2`, `eidas3`, encrypted tokens.
    High,
}

impl Platform {
    /// Its issuer, `{broker}/api/v2`.
    #[must_use]
    pub fn issuer(self, sb: &TestSandbox) -> &str {
        match self {
            Platform::Low => sb.issuer(),
            Platform::High => sb.high_issuer(),
        }
    }

    /// An endpoint of its provider (`/token` → `{issuer}/token`).
    #[must_use]
    pub fn endpoint(self, sb: &TestSandbox, path: &str) -> String {
        format!("{}{path}", self.issuer(sb))
    }

    /// Its broker's base URL.
    #[must_use]
    pub fn url(self, sb: &TestSandbox) -> &str {
        match self {
            Platform::Low => &sb.sb.broker_url,
            Platform::High => &sb.sb.high.url,
        }
    }

    /// Its broker's state (storage, keys, configuration).
    #[must_use]
    pub fn state(self, sb: &TestSandbox) -> &AppState {
        match self {
            Platform::Low => &sb.sb.state,
            Platform::High => &sb.sb.high.state,
        }
    }
}

/// An authorization request, parameter by parameter (order kept, repeats
/// possible), aimed at one platform.
#[derive(Clone, Debug)]
pub struct AuthRequest {
    /// The parameters.
    pub params: Vec<(String, String)>,
    /// The platform whose `/authorize` receives it.
    pub platform: Platform,
}

impl AuthRequest {
    /// A valid request of the low platform: `response_type=code`, random
    /// 43-character `state` and `nonce`, `acr_values=eidas1`.
    #[must_use]
    pub fn new(client_id: &str, redirect_uri: &str, scope: &str) -> Self {
        let p = |k: &str, v: &str| (k.to_owned(), v.to_owned());
        Self {
            params: vec![
                p("client_id", client_id),
                p("response_type", "code"),
                p("redirect_uri", redirect_uri),
                p("scope", scope),
                p("state", &random_token(32)),
                p("nonce", &random_token(32)),
                p("acr_values", "eidas1"),
            ],
            platform: Platform::Low,
        }
    }

    /// A valid request of the high platform: as [`AuthRequest::new`] (the
    /// 43-character `state` and `nonce` meet its 32-character minimum) with
    /// `acr_values=eidas2`.
    #[must_use]
    pub fn high(client_id: &str, redirect_uri: &str, scope: &str) -> Self {
        Self::new(client_id, redirect_uri, scope)
            .set("acr_values", "eidas2")
            .on(Platform::High)
    }

    /// The same request, sent to another platform.
    #[must_use]
    pub fn on(mut self, platform: Platform) -> Self {
        self.platform = platform;
        self
    }

    /// A valid request of the demo mairie (`sandbox-mairie`).
    #[must_use]
    pub fn mairie(sb: &TestSandbox) -> Self {
        Self::new(MAIRIE, &sb.callback("mairie"), MAIRIE_SCOPE)
    }

    /// Sets a parameter (replacing every value it had).
    #[must_use]
    pub fn set(self, name: &str, value: &str) -> Self {
        let mut s = self.without(name);
        s.params.push((name.to_owned(), value.to_owned()));
        s
    }

    /// Adds a value, keeping the existing ones (repeated parameter).
    #[must_use]
    pub fn add(mut self, name: &str, value: &str) -> Self {
        self.params.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Removes a parameter.
    #[must_use]
    pub fn without(mut self, name: &str) -> Self {
        self.params.retain(|(k, _)| k != name);
        self
    }

    /// Adds PKCE: `code_challenge` (S256 of `verifier`) and its method.
    #[must_use]
    pub fn with_pkce(self, verifier: &str) -> Self {
        self.set(
            "code_challenge",
            &pivot_proto::oauth::pkce::s256_challenge(verifier),
        )
        .set("code_challenge_method", "S256")
    }

    /// A parameter's first value.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `state`.
    #[must_use]
    pub fn state(&self) -> &str {
        self.get("state").unwrap_or_default()
    }

    /// The `nonce`.
    #[must_use]
    pub fn nonce(&self) -> &str {
        self.get("nonce").unwrap_or_default()
    }

    /// The `redirect_uri`.
    #[must_use]
    pub fn redirect_uri(&self) -> &str {
        self.get("redirect_uri").unwrap_or_default()
    }

    /// The `GET` URL of the request at its platform's broker.
    ///
    /// # Panics
    /// When the issuer is not a URL.
    #[must_use]
    pub fn url(&self, sb: &TestSandbox) -> String {
        let mut u = Url::parse(&self.platform.endpoint(sb, "/authorize")).expect("issuer URL");
        u.query_pairs_mut().extend_pairs(&self.params);
        u.to_string()
    }

    /// Sends the request (`GET`); the first response only.
    pub async fn send(&self, sb: &TestSandbox, browser: &Browser) -> Result<crate::Page> {
        browser.get(&self.url(sb)).await
    }
}

/// The authorization response at the service's redirect URI.
#[derive(Clone, Debug)]
pub struct CodeResponse {
    /// The full `Location` the broker sent the browser to.
    pub location: Url,
    /// `code`, when not an error.
    pub code: Option<String>,
    /// `state`.
    pub state: Option<String>,
    /// `iss` (RFC 9207).
    pub iss: Option<String>,
    /// `error`, on failure.
    pub error: Option<String>,
    /// The way there.
    pub journey: Journey,
}

impl CodeResponse {
    /// The code.
    ///
    /// # Errors
    /// When the response is an error.
    pub fn code(&self) -> Result<&str> {
        self.code
            .as_deref()
            .ok_or_else(|| anyhow!("no code in {}:\n{}", self.location, self.journey.describe()))
    }

    fn from_location(location: Url, journey: Journey) -> Self {
        let q = |n: &str| query_param(&location, n);
        Self {
            code: q("code"),
            state: q("state"),
            iss: q("iss"),
            error: q("error"),
            location,
            journey,
        }
    }
}

/// Follows an already sent request's response (`start`) through the
/// chooser, FI and confirmation until the broker redirects to
/// `redirect_uri`; the service is never reached.
pub async fn drive_to_redirect(
    sb: &TestSandbox,
    browser: &Browser,
    start: crate::Page,
    redirect_uri: &str,
    fi: &str,
    citizen: &str,
) -> Result<CodeResponse> {
    let prefix = redirect_uri.to_owned();
    let to_client = move |p: &crate::Page| {
        p.location()
            .is_some_and(|l| l.as_str().starts_with(&prefix))
    };
    let journey = drive(sb, browser, start, fi, citizen, &to_client).await?;
    match journey.last().location() {
        Some(l) if l.as_str().starts_with(redirect_uri) => {
            Ok(CodeResponse::from_location(l, journey))
        }
        _ => bail!(
            "the broker never redirected to {redirect_uri}:\n{}",
            journey.describe()
        ),
    }
}

/// Sends `req` and drives the browser to the redirect back to the client.
pub async fn authorize(
    sb: &TestSandbox,
    browser: &Browser,
    req: &AuthRequest,
    fi: &str,
    citizen: &str,
) -> Result<CodeResponse> {
    let start = req.send(sb, browser).await?;
    drive_to_redirect(sb, browser, start, req.redirect_uri(), fi, citizen).await
}

/// A back-channel HTTP answer.
#[derive(Clone, Debug)]
pub struct HttpReply {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: String,
}

impl HttpReply {
    async fn read(res: reqwest::Response) -> Result<Self> {
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.text().await?;
        Ok(Self {
            status,
            headers,
            body,
        })
    }

    /// The body as JSON.
    pub fn json(&self) -> Result<Value> {
        serde_json::from_str(&self.body)
            .with_context(|| format!("JSON body ({}): {}", self.status, self.body))
    }

    /// The OAuth `error` of a JSON body.
    #[must_use]
    pub fn error(&self) -> Option<String> {
        self.json()
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned))
    }

    /// A header.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Client authentication at the token and revocation endpoints.
#[derive(Clone, Debug)]
pub enum ClientAuth {
    /// `client_secret_basic`.
    Basic(String, String),
    /// `client_secret_post`.
    Post(String, String),
    /// A public client: `client_id` only.
    Public(String),
    /// `private_key_jwt`: the signed assertion.
    Assertion(String),
    /// Nothing at all.
    Nothing,
}

impl ClientAuth {
    /// The mairie's `client_secret_basic` credentials.
    #[must_use]
    pub fn mairie() -> Self {
        Self::Basic(MAIRIE.to_owned(), MAIRIE_SECRET.to_owned())
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("HTTP client")
}

/// `POST` a form to an endpoint with client authentication.
pub async fn post_form(url: &str, auth: &ClientAuth, fields: &[(&str, &str)]) -> Result<HttpReply> {
    let mut form: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let mut req = http().post(url);
    match auth {
        ClientAuth::Basic(id, secret) => {
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let token = STANDARD.encode(format!("{}:{}", enc(id), enc(secret)));
            req = req.header("authorization", format!("Basic {token}"));
        }
        ClientAuth::Post(id, secret) => {
            form.push(("client_id".into(), id.clone()));
            form.push(("client_secret".into(), secret.clone()));
        }
        ClientAuth::Public(id) => form.push(("client_id".into(), id.clone())),
        ClientAuth::Assertion(jwt) => {
            form.push((
                "client_assertion_type".into(),
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
            ));
            form.push(("client_assertion".into(), jwt.clone()));
        }
        ClientAuth::Nothing => {}
    }
    let res = req
        .form(&form)
        .send()
        .await
        .with_context(|| format!("POST {url}"))?;
    HttpReply::read(res).await
}

/// `POST /token` with the authorization-code grant (low platform).
pub async fn token(
    sb: &TestSandbox,
    auth: &ClientAuth,
    code: &str,
    redirect_uri: &str,
    extra: &[(&str, &str)],
) -> Result<HttpReply> {
    token_on(sb, Platform::Low, auth, code, redirect_uri, extra).await
}

/// `POST /token` with the authorization-code grant, on `platform`.
pub async fn token_on(
    sb: &TestSandbox,
    platform: Platform,
    auth: &ClientAuth,
    code: &str,
    redirect_uri: &str,
    extra: &[(&str, &str)],
) -> Result<HttpReply> {
    let mut fields = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
    ];
    fields.extend_from_slice(extra);
    post_form(&platform.endpoint(sb, "/token"), auth, &fields).await
}

/// Tokens of a successful exchange.
#[derive(Clone, Debug)]
pub struct Tokens {
    /// Access token.
    pub access_token: String,
    /// ID token (compact JWS).
    pub id_token: String,
    /// The whole response.
    pub raw: Value,
}

impl Tokens {
    /// Reads a successful token response.
    ///
    /// # Errors
    /// When it is not one.
    pub fn from_reply(r: &HttpReply) -> Result<Self> {
        if r.status != StatusCode::OK {
            bail!("token endpoint answered {}: {}", r.status, r.body);
        }
        let raw = r.json()?;
        let s = |k: &str| {
            raw[k]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| anyhow!("no {k} in {raw}"))
        };
        Ok(Self {
            access_token: s("access_token")?,
            id_token: s("id_token")?,
            raw: raw.clone(),
        })
    }
}

/// Redeems a code of the mairie (basic auth), expecting success.
pub async fn redeem_mairie(sb: &TestSandbox, code: &str) -> Result<Tokens> {
    let r = token(sb, &ClientAuth::mairie(), code, &sb.callback("mairie"), &[]).await?;
    Tokens::from_reply(&r)
}

/// A full raw login on the mairie: authorization code and tokens.
pub async fn mairie_login(
    sb: &TestSandbox,
    browser: &Browser,
    fi: &str,
    citizen: &str,
) -> Result<(AuthRequest, Tokens)> {
    let req = AuthRequest::mairie(sb);
    let resp = authorize(sb, browser, &req, fi, citizen).await?;
    let tokens = redeem_mairie(sb, resp.code()?).await?;
    Ok((req, tokens))
}

/// `GET /userinfo` with a bearer token (low platform).
pub async fn userinfo(sb: &TestSandbox, access_token: &str) -> Result<HttpReply> {
    userinfo_on(sb, Platform::Low, access_token).await
}

/// `GET /userinfo` with a bearer token, on `platform`.
pub async fn userinfo_on(
    sb: &TestSandbox,
    platform: Platform,
    access_token: &str,
) -> Result<HttpReply> {
    let res = http()
        .get(platform.endpoint(sb, "/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await?;
    HttpReply::read(res).await
}

/// The broker's published keys (low platform).
pub async fn jwks(sb: &TestSandbox) -> Result<JwkSet> {
    jwks_on(sb, Platform::Low).await
}

/// The published keys of `platform`.
pub async fn jwks_on(sb: &TestSandbox, platform: Platform) -> Result<JwkSet> {
    let body = http()
        .get(platform.endpoint(sb, "/jwks"))
        .send()
        .await?
        .bytes()
        .await?;
    JwkSet::from_bytes(&body).context("JWKS")
}

/// `GET` a JSON document (e.g. a discovery document).
pub async fn get_json(url: &str) -> Result<Value> {
    let res = http()
        .get(url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    HttpReply::read(res).await?.json()
}

/// A verifier for `jwk` under `alg`.
fn verifier(jwk: &Jwk, alg: &str) -> Result<Box<dyn JwsVerifier>> {
    Ok(match alg {
        "ES256" => Box::new(ES256.verifier_from_jwk(jwk)?),
        "RS256" => Box::new(RS256.verifier_from_jwk(jwk)?),
        other => bail!("unexpected alg {other}"),
    })
}

/// A JWT checked against the broker's JWKS: header and claims.
#[derive(Clone, Debug)]
pub struct VerifiedJwt {
    /// The JOSE header.
    pub header: Map<String, Value>,
    /// The claims.
    pub claims: Map<String, Value>,
}

/// Verifies the signature of a JWT with the broker's key named by its `kid`
/// (low platform).
pub async fn verify_jwt(sb: &TestSandbox, token: &str) -> Result<VerifiedJwt> {
    verify_jwt_on(sb, Platform::Low, token).await
}

/// Verifies the signature of a JWT with the key of `platform` named by its
/// `kid`.
pub async fn verify_jwt_on(
    sb: &TestSandbox,
    platform: Platform,
    token: &str,
) -> Result<VerifiedJwt> {
    let set = jwks_on(sb, platform).await?;
    let header = jwt::decode_header(token).context("JOSE header")?;
    let kid = header
        .claim("kid")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("no kid"))?
        .to_owned();
    let alg = header
        .claim("alg")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("no alg"))?
        .to_owned();
    let jwk = set
        .get(&kid)
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("kid {kid} is not in the JWKS"))?;
    let v = verifier(jwk, &alg)?;
    let (payload, header) = jwt::decode_with_verifier(token, v.as_ref()).context("signature")?;
    Ok(VerifiedJwt {
        header: header.claims_set().clone(),
        claims: payload.claims_set().clone(),
    })
}

/// An ES256 key pair of a test client: the private JWK and the public JWKS
/// to register.
#[derive(Clone, Debug)]
pub struct ClientKey {
    /// Private key.
    pub private: Jwk,
    /// Public key.
    pub public: Jwk,
    /// Key id.
    pub kid: String,
}

impl ClientKey {
    /// A fresh ES256 key.
    pub fn generate(kid: &str) -> Result<Self> {
        let kp = ES256.generate_key_pair()?;
        let mut private = kp.to_jwk_private_key();
        private.set_key_id(kid);
        let mut public = kp.to_jwk_public_key();
        public.set_key_id(kid);
        Ok(Self {
            private,
            public,
            kid: kid.to_owned(),
        })
    }

    /// `{"keys": [public key]}`.
    pub fn public_jwks(&self) -> Result<String> {
        Ok(json!({ "keys": [Value::Object(self.public.as_ref().clone())] }).to_string())
    }

    /// A `private_key_jwt` client assertion (RFC 7523): `iss` = `sub` =
    /// `client_id`, `aud`, `iat`, `exp` = `now + 60`, `jti`.
    pub fn assertion(&self, client_id: &str, aud: &str, now: i64, jti: &str) -> Result<String> {
        self.assertion_until(client_id, aud, now, now + 60, jti)
    }

    /// A client assertion with an explicit `exp`.
    pub fn assertion_until(
        &self,
        client_id: &str,
        aud: &str,
        now: i64,
        exp: i64,
        jti: &str,
    ) -> Result<String> {
        let mut payload = JwtPayload::new();
        payload.set_issuer(client_id);
        payload.set_subject(client_id);
        payload.set_claim("aud", Some(json!(aud)))?;
        payload.set_claim("iat", Some(json!(now)))?;
        payload.set_claim("exp", Some(json!(exp)))?;
        payload.set_jwt_id(jti);
        let mut header = JwsHeader::new();
        header.set_token_type("JWT");
        header.set_key_id(&self.kid);
        let signer = ES256.signer_from_jwk(&self.private)?;
        Ok(jwt::encode_with_signer(&payload, &header, &signer)?)
    }
}

/// The protected header of a compact JWS or JWE (its first segment).
pub fn jose_header(token: &str) -> Result<Map<String, Value>> {
    let first = token.split('.').next().unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD
        .decode(first)
        .context("the header is not base64url")?;
    serde_json::from_slice(&bytes).context("the header is not a JSON object")
}

/// A service's encryption key pair for the high platform: the private JWK
/// the test decrypts with and the public one it registers.
#[derive(Clone, Debug)]
pub struct EncKey {
    /// Key-management algorithm.
    pub alg: EncryptionAlg,
    /// Private key (with `kid`, `use` and `alg` when generated so).
    pub private: Jwk,
    /// Public key, as registered.
    pub public: Jwk,
}

impl EncKey {
    /// A fresh key for `alg` (EC P-256 for `ECDH-ES`, RSA 2048 for
    /// `RSA-OAEP-256`) with `kid`, `use: enc` and `alg`.
    pub fn generate(alg: EncryptionAlg, kid: &str) -> Result<Self> {
        Self::generate_with(alg, Some(kid))
    }

    /// A fresh key, with `kid` only when given.
    pub fn generate_with(alg: EncryptionAlg, kid: Option<&str>) -> Result<Self> {
        let mut private = match alg {
            EncryptionAlg::EcdhEs => Jwk::generate_ec_key(EcCurve::P256)?,
            EncryptionAlg::RsaOaep256 => Jwk::generate_rsa_key(2048)?,
        };
        if let Some(kid) = kid {
            private.set_key_id(kid);
        }
        private.set_key_use("enc");
        private.set_algorithm(alg.as_str());
        let mut public = private.to_public_key()?;
        if let Some(kid) = kid {
            public.set_key_id(kid);
        }
        public.set_key_use("enc");
        public.set_algorithm(alg.as_str());
        Ok(Self {
            alg,
            private,
            public,
        })
    }

    /// Its `kid`.
    #[must_use]
    pub fn kid(&self) -> Option<&str> {
        self.public.key_id()
    }

    /// `{"keys": [public key]}`.
    #[must_use]
    pub fn public_jwks(&self) -> Value {
        json!({ "keys": [Value::Object(self.public.as_ref().clone())] })
    }

    /// Decrypts a compact JWE addressed to this key: the content (a signed
    /// JWT).
    pub fn decrypt(&self, jwe: &str) -> Result<String> {
        pivot_broker::jwe::decrypt_jwt(jwe, &self.private)
            .map_err(|e| anyhow!("decrypting with {:?}: {e}", self.kid()))
    }
}

/// A nested JWT opened: the JWE header, then the inner JWS verified with
/// the issuing platform's keys.
#[derive(Clone, Debug)]
pub struct Opened {
    /// The JWE's protected header.
    pub jwe_header: Map<String, Value>,
    /// The inner signed JWT.
    pub jws: String,
    /// The inner JWT, verified.
    pub inner: VerifiedJwt,
}

/// Decrypts `jwe` with `key` and verifies the signed JWT inside against the
/// JWKS of `platform`.
pub async fn open_nested(
    sb: &TestSandbox,
    platform: Platform,
    key: &EncKey,
    jwe: &str,
) -> Result<Opened> {
    if jwe.split('.').count() != 5 {
        bail!("not a compact JWE (five parts): {jwe}");
    }
    let jwe_header = jose_header(jwe)?;
    let jws = key.decrypt(jwe)?;
    let inner = verify_jwt_on(sb, platform, &jws)
        .await
        .context("the decrypted content is not a JWT signed by the broker")?;
    Ok(Opened {
        jwe_header,
        jws,
        inner,
    })
}

/// A client a test registers directly in a platform's storage.
#[derive(Clone, Debug)]
pub struct TestClient {
    /// Client id.
    pub client_id: String,
    /// Client secret (`client_secret_basic`).
    pub secret: String,
    /// Its only redirect URI (never visited: tests stop at the redirect).
    pub redirect_uri: String,
    /// Scopes it may ask.
    pub scopes: Vec<String>,
    /// ID token signing algorithm it registered.
    pub id_token_alg: SigningAlg,
    /// Userinfo signing algorithm, if it wants a signed userinfo.
    pub userinfo_alg: Option<SigningAlg>,
    /// Inline public keys.
    pub jwks: Option<Value>,
    /// Where it publishes its public keys.
    pub jwks_uri: Option<String>,
    /// Encryption of ID token and userinfo.
    pub encryption_alg: Option<EncryptionAlg>,
    /// Identity providers it accepts (`None`: all).
    pub fi_allow: Option<Vec<String>>,
    /// Identity providers it refuses.
    pub fi_deny: Vec<String>,
}

impl TestClient {
    /// A client allowed every identity and `rnipp_*` scope, ES256, no key,
    /// every FI accepted.
    #[must_use]
    pub fn new(client_id: &str) -> Self {
        Self {
            client_id: client_id.to_owned(),
            secret: format!("{client_id}-secret-{}", random_token(16)),
            redirect_uri: format!("https://{client_id}.example/callback"),
            scopes: pivot_proto::scope::KNOWN_IDENTITY_SCOPES
                .iter()
                .chain(pivot_proto::scope::RNIPP_SCOPES)
                .map(|s| (*s).to_owned())
                .collect(),
            id_token_alg: SigningAlg::ES256,
            userinfo_alg: None,
            jwks: None,
            jwks_uri: None,
            encryption_alg: None,
            fi_allow: None,
            fi_deny: Vec::new(),
        }
    }

    /// Encrypting to `key`, registered inline.
    #[must_use]
    pub fn with_inline_key(mut self, key: &EncKey) -> Self {
        self.jwks = Some(key.public_jwks());
        self.encryption_alg = Some(key.alg);
        self
    }

    /// Encrypting with `alg` to the keys published at `uri`.
    #[must_use]
    pub fn with_jwks_uri(mut self, alg: EncryptionAlg, uri: &str) -> Self {
        self.jwks_uri = Some(uri.to_owned());
        self.encryption_alg = Some(alg);
        self
    }

    /// The storage record.
    #[must_use]
    pub fn record(&self, now: i64) -> ClientRecord {
        ClientRecord {
            client_id: self.client_id.clone(),
            entity_id: format!("entity-{}", self.client_id),
            name: format!("Service de test {}", self.client_id),
            secret_hash: Some(sha256_hex(&self.secret)),
            auth_method: ClientAuthMethod::ClientSecretBasic,
            jwks: self.jwks.clone(),
            redirect_uris: vec![self.redirect_uri.clone()],
            post_logout_redirect_uris: Vec::new(),
            scopes: self.scopes.clone(),
            id_token_alg: self.id_token_alg,
            userinfo_alg: self.userinfo_alg,
            public_service: true,
            created_at: now,
            jwks_uri: self.jwks_uri.clone(),
            encryption_alg: self.encryption_alg,
            fi_allow: self.fi_allow.clone(),
            fi_deny: self.fi_deny.clone(),
            role: pivot_broker::storage::ClientRole::Service,
            provided: Vec::new(),
        }
    }

    /// Registers (or replaces) the client at `platform`.
    pub async fn register(&self, sb: &TestSandbox, platform: Platform) -> Result<()> {
        let st = platform.state(sb);
        st.store
            .put_client(&self.record(st.now()))
            .await
            .context("registering the test client")
    }

    /// Its `client_secret_basic` credentials.
    #[must_use]
    pub fn auth(&self) -> ClientAuth {
        ClientAuth::Basic(self.client_id.clone(), self.secret.clone())
    }

    /// A valid request of this client on `platform` (`eidas2` on high,
    /// `eidas1` on low).
    #[must_use]
    pub fn request(&self, platform: Platform, scope: &str) -> AuthRequest {
        match platform {
            Platform::Low => AuthRequest::new(&self.client_id, &self.redirect_uri, scope),
            Platform::High => AuthRequest::high(&self.client_id, &self.redirect_uri, scope),
        }
    }

    /// Redeems a code at `platform`, expecting success.
    pub async fn redeem(&self, sb: &TestSandbox, platform: Platform, code: &str) -> Result<Tokens> {
        let r = token_on(sb, platform, &self.auth(), code, &self.redirect_uri, &[]).await?;
        Tokens::from_reply(&r)
    }
}

/// A tiny HTTP server answering every request with a JWKS document, as a
/// service's `jwks_uri`. Stops when dropped.
#[derive(Debug)]
pub struct JwksServer {
    /// The URL to register as `jwks_uri`.
    pub url: String,
    hits: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for JwksServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl JwksServer {
    /// Serves `jwks` at `http://127.0.0.1:{free port}/jwks.json`.
    pub async fn start(jwks: &Value) -> Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/jwks.json", listener.local_addr()?);
        let body = jwks.to_string();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let body = body.clone();
                let counter = counter.clone();
                tokio::spawn(async move {
                    // Read the request head; the body of a GET is empty.
                    let mut head = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                        match sock.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    counter.fetch_add(1, Ordering::SeqCst);
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = sock.write_all(reply.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        Ok(Self { url, hits, task })
    }

    /// How many requests it answered.
    #[must_use]
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// Registers, on the high platform, a client encrypting to a fresh inline
/// `ECDH-ES` key; returns it and the key.
pub async fn high_client(sb: &TestSandbox, client_id: &str) -> Result<(TestClient, EncKey)> {
    let key = EncKey::generate(EncryptionAlg::EcdhEs, &format!("{client_id}-enc"))?;
    let client = TestClient::new(client_id).with_inline_key(&key);
    client.register(sb, Platform::High).await?;
    Ok((client, key))
}

/// Redeems a code of a high-platform client and opens its ID token.
pub async fn high_id_token(
    sb: &TestSandbox,
    client: &TestClient,
    key: &EncKey,
    code: &str,
) -> Result<(Tokens, Opened)> {
    let tokens = client.redeem(sb, Platform::High, code).await?;
    let opened = open_nested(sb, Platform::High, key, &tokens.id_token).await?;
    Ok((tokens, opened))
}

/// The OAuth `error` of a response that sends the browser straight back
/// to the client of `req`, after checking that it carries the request's
/// `state` and the platform's `iss` and no code.
///
/// # Errors
/// When `page` is anything else.
pub fn error_redirect(sb: &TestSandbox, req: &AuthRequest, page: &crate::Page) -> Result<String> {
    let Some(to) = page.location() else {
        bail!("no redirect: {}", page.summary());
    };
    if !to.as_str().starts_with(req.redirect_uri()) {
        bail!("redirect elsewhere than the client: {to}");
    }
    let q = |n: &str| query_param(&to, n);
    if q("code").is_some() {
        bail!("a code was issued: {to}");
    }
    if req.get("state").is_some() && q("state").as_deref() != Some(req.state()) {
        bail!("state not returned: {to}");
    }
    if q("iss").as_deref() != Some(req.platform.issuer(sb)) {
        bail!("iss is not the platform's issuer: {to}");
    }
    q("error").ok_or_else(|| anyhow!("no error in {to}"))
}

/// Sends `req` and follows the redirects: the page the citizen lands on
/// (the chooser, normally).
pub async fn land(sb: &TestSandbox, browser: &Browser, req: &AuthRequest) -> Result<crate::Page> {
    Ok(browser
        .follow(req.send(sb, browser).await?)
        .await?
        .into_last())
}
