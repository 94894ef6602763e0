//! The citizen app as the broker sees it, for end-to-end tests of the JSON
//! interaction: a P-256 device key making a DPoP proof for every request,
//! and the steps of [`pivot_proto::interaction`].

use anyhow::{Context, Result, bail};
use josekit::{
    jwk::{KeyPair, alg::ec::EcKeyPair},
    jws::{ES256, JwsHeader},
    jwt::JwtPayload,
};
use pivot_proto::interaction::{APP_INTERACTIONS_PATH, InteractionView};
use serde_json::{Value, json};
use url::Url;

/// The app: its key and the broker it talks to.
pub struct AppClient {
    http: reqwest::Client,
    broker: Url,
    key: EcKeyPair,
    jti: std::sync::atomic::AtomicU64,
}

/// An answer of the broker: the view, or its error body.
pub type Answer = std::result::Result<InteractionView, (reqwest::StatusCode, Value)>;

impl AppClient {
    /// A fresh app (new key) for the broker at `broker` (its origin).
    ///
    /// # Errors
    /// When the key cannot be made.
    pub fn new(broker: &Url) -> Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            broker: broker.clone(),
            key: ES256.generate_key_pair()?,
            jti: std::sync::atomic::AtomicU64::new(0),
        })
    }

    fn proof(&self, method: &str, url: &Url) -> Result<String> {
        let mut header = JwsHeader::new();
        header.set_token_type("dpop+jwt");
        header.set_claim(
            "jwk",
            Some(Value::Object(self.key.to_jwk_public_key().into())),
        )?;
        let mut claims = JwtPayload::new();
        let n = self.jti.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        claims.set_claim("jti", Some(json!(format!("e2e-{n}-{}", url.path()))))?;
        claims.set_claim("htm", Some(json!(method)))?;
        let mut htu = url.clone();
        htu.set_query(None);
        claims.set_claim("htu", Some(json!(htu.as_str())))?;
        // A proof is dated by the app's clock: the wall clock, as the
        // sandboxes these tests start run on it.
        #[allow(clippy::disallowed_methods)]
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs();
        claims.set_claim("iat", Some(json!(now)))?;
        let signer = ES256.signer_from_jwk(&self.key.to_jwk_key_pair())?;
        Ok(josekit::jwt::encode_with_signer(&claims, &header, &signer)?)
    }

    async fn send(&self, method: &str, path: &str, body: Option<(String, &str)>) -> Result<Answer> {
        let url = self.broker.join(path)?;
        let m = reqwest::Method::from_bytes(method.as_bytes())?;
        let mut req = self
            .http
            .request(m, url.clone())
            .header("DPoP", self.proof(method, &url)?);
        if let Some((b, ct)) = body {
            req = req.header("content-type", ct).body(b);
        }
        let res = req.send().await?;
        let status = res.status();
        let text = res.text().await?;
        let v: Value =
            serde_json::from_str(&text).with_context(|| format!("{status}: not JSON: {text}"))?;
        if status.is_success() {
            Ok(Ok(serde_json::from_value(v).with_context(|| {
                format!("not an interaction view: {text}")
            })?))
        } else {
            Ok(Err((status, v)))
        }
    }

    /// Starts the interaction of an authorization request (its pairs).
    ///
    /// # Errors
    /// On transport failure.
    pub async fn start(&self, pairs: &[(&str, &str)]) -> Result<Answer> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        self.send(
            "POST",
            APP_INTERACTIONS_PATH,
            Some((body, "application/x-www-form-urlencoded")),
        )
        .await
    }

    /// A step: `POST …/{id}/{what}` with a JSON `body`.
    ///
    /// # Errors
    /// On transport failure.
    pub async fn step(&self, id: &str, what: &str, body: Value) -> Result<Answer> {
        self.send(
            "POST",
            &format!("{APP_INTERACTIONS_PATH}/{id}/{what}"),
            Some((body.to_string(), "application/json")),
        )
        .await
    }

    /// The current view.
    ///
    /// # Errors
    /// On transport failure.
    pub async fn show(&self, id: &str) -> Result<Answer> {
        self.send("GET", &format!("{APP_INTERACTIONS_PATH}/{id}"), None)
            .await
    }
}

/// The view of a successful answer.
///
/// # Errors
/// When the broker answered an error.
pub fn ok(a: Answer) -> Result<InteractionView> {
    match a {
        Ok(v) => Ok(v),
        Err((status, body)) => bail!("the broker answered {status}: {body}"),
    }
}

/// In `browser`, the FranceConnect button of the service `service`: the
/// page it leads to (the chooser of the service's platform) and the
/// « Continuer avec l'application » link that page offers.
///
/// # Errors
/// When a page fails to load or the page has no app link.
pub async fn chooser_app_link(
    sb: &crate::TestSandbox,
    browser: &crate::Browser,
    service: &str,
) -> Result<(crate::Page, String)> {
    let url = sb.service(service).url.clone();
    let home = browser.get(&format!("{url}/")).await?;
    let form = home.form("form[action='/login']")?;
    let chooser = browser
        .follow(browser.submit(&form).await?)
        .await?
        .into_last();
    let link = chooser
        .attr("#app-link", "href")
        .with_context(|| format!("the chooser {} offers no app link", chooser.url))?;
    Ok((chooser, link))
}
