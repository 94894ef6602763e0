//! Signing in to "Mon espace": the app is a native public client
//! (authorization code + PKCE S256, RFC 8252 loopback redirect
//! `http://127.0.0.1:{port}/callback`). The callback is read by the same
//! strict parser as `pivot://callback` links.

use pivot_proto::deeplink::{self, AppCallback, DeepLink};
use pivot_proto::oauth::pkce;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use url::Url;

use crate::device_key::DeviceKey;
use crate::error::AppError;

/// The scopes the app asks for.
pub const SCOPES: &str = "openid given_name family_name email birthdate citizen_space";

/// The largest callback request read from the loopback listener.
const MAX_REQUEST: usize = 16 * 1024;

/// One sign-in under way.
pub struct SignInRequest {
    /// Where the browser goes.
    pub authorize_url: Url,
    /// The loopback redirect URI.
    pub redirect_uri: String,
    state: String,
    /// The PKCE verifier (secret until the code exchange).
    pub(crate) verifier: String,
}

impl std::fmt::Debug for SignInRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInRequest")
            .field("authorize_url", &self.authorize_url.as_str())
            .finish_non_exhaustive()
    }
}

impl SignInRequest {
    /// A new authorization request to `broker` for `client_id`, answered at
    /// `redirect_uri`.
    ///
    /// # Errors
    /// [`AppError::Internal`] without system randomness.
    pub fn new(
        broker: &Url,
        client_id: &str,
        redirect_uri: String,
        key: &DeviceKey,
    ) -> Result<Self, AppError> {
        let state = key.new_jti()?;
        let nonce = key.new_jti()?;
        let verifier = format!("{}{}", key.new_jti()?, key.new_jti()?);
        let mut authorize_url = broker.clone();
        authorize_url.set_path(deeplink::AUTHORIZE_PATH);
        authorize_url.set_query(None);
        authorize_url
            .query_pairs_mut()
            .append_pair("client_id", client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("scope", SCOPES)
            .append_pair("acr_values", "eidas1")
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &pkce::s256_challenge(&verifier))
            .append_pair("code_challenge_method", pkce::S256);
        Ok(Self {
            authorize_url,
            redirect_uri,
            state,
            verifier,
        })
    }

    /// The authorization code in the callback `query`, checked: known
    /// parameters only, our `state`, an issuer among `allowed`.
    ///
    /// # Errors
    /// [`AppError::Refused`] when the broker or the citizen refused,
    /// [`AppError::Invalid`] for anything else than our own answer.
    pub fn finish(&self, query: &str, allowed: &[Url]) -> Result<String, AppError> {
        let link = format!("{}://{}?{query}", deeplink::SCHEME, deeplink::CALLBACK_HOST);
        let invalid = || AppError::Invalid("réponse de connexion invalide : recommencez".into());
        let Ok(DeepLink::Callback(callback)) = deeplink::parse(&link, allowed) else {
            return Err(invalid());
        };
        match callback {
            AppCallback::Code { code, state, .. } if state == self.state => Ok(code),
            AppCallback::Error { state, .. } if state == self.state => Err(AppError::Refused(
                "la connexion a été annulée ou refusée".into(),
            )),
            _ => Err(invalid()),
        }
    }
}

/// Waits on `listener` for the browser's `GET /callback?...` and answers it
/// with a short page; other requests get a 404. Returns the query.
///
/// # Errors
/// [`AppError::Internal`] if the listener fails.
pub async fn wait_for_callback(listener: &tokio::net::TcpListener) -> Result<String, AppError> {
    loop {
        let (mut stream, _) = listener.accept().await.map_err(AppError::internal)?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 2048];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < MAX_REQUEST {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            }
        }
        let head = String::from_utf8_lossy(&buf);
        let target = head
            .lines()
            .next()
            .and_then(|line| line.strip_prefix("GET "))
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or("");
        if let Some(query) = target.strip_prefix("/callback?") {
            let page = "<!doctype html><html lang=\"fr\"><meta charset=\"utf-8\">\
                <title>Pivot</title><p>Vous pouvez revenir dans l'application Pivot.</p></html>";
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\
                 Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
            return Ok(query.to_owned());
        }
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret_store::MemoryStore;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

    fn is_b64url(s: &str) -> bool {
        B64.decode(s).is_ok()
    }

    fn request() -> SignInRequest {
        let key = DeviceKey::load_or_create(&MemoryStore::default()).unwrap();
        SignInRequest::new(
            &Url::parse("https://pivot.example/").unwrap(),
            "sandbox-app",
            "http://127.0.0.1:4567/callback".into(),
            &key,
        )
        .unwrap()
    }

    fn allowed() -> Vec<Url> {
        vec![Url::parse("https://pivot.example/").unwrap()]
    }

    #[test]
    fn the_request_uses_pkce_s256() {
        let r = request();
        let q: std::collections::BTreeMap<_, _> = r.authorize_url.query_pairs().collect();
        assert_eq!(r.authorize_url.path(), "/api/v2/authorize");
        assert_eq!(q["client_id"], "sandbox-app");
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:4567/callback");
        assert_eq!(q["scope"], SCOPES);
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"], pkce::s256_challenge(&r.verifier));
        assert!(pkce::is_valid_verifier(&r.verifier));
        assert!(is_b64url(&q["state"]) && is_b64url(&q["nonce"]));
        assert_ne!(q["state"], q["nonce"]);
    }

    #[test]
    fn only_our_answer_is_accepted() {
        let r = request();
        let iss = "iss=https%3A%2F%2Fpivot.example";
        let ok = format!("code=c1&state={}&{iss}", r.state);
        assert_eq!(r.finish(&ok, &allowed()).unwrap(), "c1");
        let refused = format!("error=access_denied&state={}", r.state);
        assert_eq!(
            r.finish(&refused, &allowed()).unwrap_err().code(),
            "refused"
        );
        for bad in [
            format!("code=c1&state=other&{iss}"),
            format!("code=c1&state={}&iss=https%3A%2F%2Fevil.example", r.state),
            format!("code=c1&state={}", r.state),
            format!("code=c1&state={}&{iss}&extra=1", r.state),
            format!("code=c1&code=c2&state={}&{iss}", r.state),
            String::new(),
        ] {
            assert_eq!(
                r.finish(&bad, &allowed()).unwrap_err().code(),
                "invalid",
                "{bad}"
            );
        }
    }

    #[tokio::test]
    async fn the_loopback_listener_returns_the_callback_query() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = tokio::spawn(async move {
            for path in ["/favicon.ico", "/callback?code=c1&state=s"] {
                let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
                s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
                    .await
                    .unwrap();
                let mut answer = String::new();
                s.read_to_string(&mut answer).await.unwrap();
                assert!(answer.starts_with(if path.starts_with("/callback") {
                    "HTTP/1.1 200"
                } else {
                    "HTTP/1.1 404"
                }));
            }
        });
        assert_eq!(
            wait_for_callback(&listener).await.unwrap(),
            "code=c1&state=s"
        );
        client.await.unwrap();
    }
}
