//! A hand-written OpenID Connect client, for protocol-level tests: build any
//! authorization request, stop at the redirect to the service to take the
//! code, call the token, userinfo and revocation endpoints directly.

use anyhow::{Context, Result, anyhow, bail};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use josekit::{
    jwk::{Jwk, JwkSet},
    jws::{ES256, JwsHeader, JwsVerifier, RS256},
    jwt::{self, JwtPayload},
};
use pivot_broker::crypto::random_token;
use reqwest::{StatusCode, header::HeaderMap};
use serde_json::{Map, Value, json};
use url::Url;

use crate::{
    Browser, MAIRIE, MAIRIE_SECRET, TestSandbox,
    browser::query_param,
    journey::{Journey, drive},
};

/// Scopes the raw client asks for the mairie: the pivot identity, e-mail,
/// `amr` and `idp_id`.
pub const MAIRIE_SCOPE: &str = "openid identite_pivot email amr idp_id";

/// An authorization request, parameter by parameter (order kept, repeats
/// possible).
#[derive(Clone, Debug)]
pub struct AuthRequest {
    /// The parameters.
    pub params: Vec<(String, String)>,
}

impl AuthRequest {
    /// A valid request: `response_type=code`, random 43-character `state`
    /// and `nonce`, `acr_values=eidas1`.
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
        }
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

    /// The `GET` URL of the request at the broker.
    ///
    /// # Panics
    /// When the issuer is not a URL.
    #[must_use]
    pub fn url(&self, sb: &TestSandbox) -> String {
        let mut u = Url::parse(&sb.endpoint("/authorize")).expect("issuer URL");
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

/// `POST /token` with the authorization-code grant.
pub async fn token(
    sb: &TestSandbox,
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
    post_form(&sb.endpoint("/token"), auth, &fields).await
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

/// `GET /userinfo` with a bearer token.
pub async fn userinfo(sb: &TestSandbox, access_token: &str) -> Result<HttpReply> {
    let res = http()
        .get(sb.endpoint("/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await?;
    HttpReply::read(res).await
}

/// The broker's published keys.
pub async fn jwks(sb: &TestSandbox) -> Result<JwkSet> {
    let body = http()
        .get(sb.endpoint("/jwks"))
        .send()
        .await?
        .bytes()
        .await?;
    JwkSet::from_bytes(&body).context("JWKS")
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

/// Verifies the signature of a JWT with the broker's key named by its `kid`.
pub async fn verify_jwt(sb: &TestSandbox, token: &str) -> Result<VerifiedJwt> {
    let set = jwks(sb).await?;
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
