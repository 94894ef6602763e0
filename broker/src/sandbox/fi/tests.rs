//! In-process tests of the demo FI, driving its router with `oneshot`.

use std::{collections::HashMap, sync::Arc, time::Duration as StdDuration};

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Request, StatusCode, header},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use josekit::{
    jwk::JwkSet,
    jws::{ES256, JwsVerifier, RS256},
};
use serde_json::{Map, Value};
use time::{Duration, macros::datetime};
use tower::ServiceExt;

use super::*;
use crate::{clock::FixedClock, sandbox::citizens::find_citizen};

mod card;

const CLIENT_ID: &str = "pivot-broker";
const CLIENT_SECRET: &str = "s3cret:broker+ü";
const REDIRECT_URI: &str = "http://127.0.0.1:7000/fi/callback";
const LOGOUT_URI: &str = "http://127.0.0.1:7000/fi/logged-out";
/// RFC 7636 appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const NONCE: &str = "n-0S6_WzA2Mj-n-0S6_WzA2Mj";
const STATE: &str = "af0ifjsldkj";

struct Fi {
    kind: FiKind,
    router: Router,
    control: FiControl,
    clock: FixedClock,
    issuer: String,
    prefix: String,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn location(&self) -> url::Url {
        let loc = self.headers[header::LOCATION].to_str().unwrap();
        url::Url::parse(loc).unwrap()
    }

    fn query(&self) -> HashMap<String, String> {
        self.location().query_pairs().into_owned().collect()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    /// `name=value` of the FI session cookie set by this answer.
    fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.contains("_session="))
            .and_then(|v| v.split(';').next())
            .map(str::to_owned)
    }

    /// The hidden pending request id of a login page.
    fn request_id(&self) -> String {
        let marker = "name=\"request_id\" value=\"";
        let start = self.body.find(marker).expect("no request id in page") + marker.len();
        let end = self.body[start..].find('"').unwrap();
        self.body[start..start + end].to_owned()
    }
}

fn spec_at(kind: FiKind, issuer: &str) -> FiSpec {
    FiSpec::demo(
        kind,
        url::Url::parse(issuer).unwrap(),
        vec![FiClientReg {
            client_id: CLIENT_ID.into(),
            client_secret: Secret::new(CLIENT_SECRET),
            redirect_uris: vec![REDIRECT_URI.into()],
            post_logout_redirect_uris: vec![LOGOUT_URI.into()],
        }],
    )
}

fn fi_at(kind: FiKind, issuer: &str) -> Fi {
    fi_from(spec_at(kind, issuer))
}

fn fi_from(spec: FiSpec) -> Fi {
    let kind = spec.kind;
    let clock = FixedClock::new(datetime!(2024-05-02 09:30 UTC));
    let control = FiControl::new();
    let issuer = spec.issuer_str().to_owned();
    let prefix = spec.issuer.path().trim_end_matches('/').to_owned();
    let templates = Templates::new(&[TEMPLATES]).unwrap();
    let router = router(spec, control.clone(), Arc::new(clock.clone()), templates).unwrap();
    Fi {
        kind,
        router,
        control,
        clock,
        issuer,
        prefix,
    }
}

fn fi(kind: FiKind) -> Fi {
    fi_at(kind, "http://127.0.0.1:7101/")
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
    )
}

impl Fi {
    async fn send(&self, req: Request<Body>) -> Answer {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap();
        Answer {
            status,
            headers,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> Answer {
        let mut req = Request::get(format!("{}{path}", self.prefix));
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }

    async fn post_form(&self, path: &str, pairs: &[(&str, &str)]) -> Answer {
        let req = Request::post(format!("{}{path}", self.prefix))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form(pairs)))
            .unwrap();
        self.send(req).await
    }

    fn authorize_path(&self, overrides: &[(&str, Option<&str>)]) -> String {
        let mut params: Vec<(&str, &str)> = vec![
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT_URI),
            ("response_type", "code"),
            ("scope", "openid identite_pivot email"),
            ("state", STATE),
            ("nonce", NONCE),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("acr_values", "eidas1"),
        ];
        for (k, v) in overrides {
            params.retain(|(name, _)| name != k);
            if let Some(v) = v {
                params.push((k, v));
            }
        }
        format!("/authorize?{}", form(&params))
    }

    async fn authorize(&self, overrides: &[(&str, Option<&str>)]) -> Answer {
        self.get(&self.authorize_path(overrides), None).await
    }

    async fn login(&self, request_id: &str, login: &str, password: &str) -> Answer {
        self.post_form(
            "/login",
            &[
                ("request_id", request_id),
                ("login", login),
                ("password", password),
            ],
        )
        .await
    }

    /// Logs `citizen` in through the form; returns the redirect answer.
    async fn log_in(&self, citizen: &str, scope: &str) -> Answer {
        let page = self.authorize(&[("scope", Some(scope))]).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let account = demo_login(self.kind, find_citizen(citizen).unwrap()).unwrap();
        let answer = self
            .login(&page.request_id(), account.login, account.password)
            .await;
        assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
        answer
    }

    /// A fresh authorization code for `citizen`.
    async fn code(&self, citizen: &str) -> String {
        self.log_in(citizen, "openid identite_pivot email")
            .await
            .query()["code"]
            .clone()
    }

    async fn token(&self, pairs: &[(&str, &str)], authorization: Option<&str>) -> Answer {
        let mut req = Request::post(format!("{}/token", self.prefix))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(a) = authorization {
            req = req.header(header::AUTHORIZATION, a);
        }
        self.send(req.body(Body::from(form(pairs))).unwrap()).await
    }

    async fn exchange(&self, code: &str, verifier: &str) -> Answer {
        self.token(
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", verifier),
            ],
            Some(&basic(CLIENT_ID, CLIENT_SECRET)),
        )
        .await
    }

    async fn userinfo(&self, access_token: &str) -> Answer {
        let req = Request::get(format!("{}/userinfo", self.prefix))
            .header(header::AUTHORIZATION, format!("Bearer {access_token}"))
            .body(Body::empty())
            .unwrap();
        self.send(req).await
    }

    /// Verifies an ID token against the published JWKS.
    async fn verify(&self, id_token: &str) -> Result<Map<String, Value>, josekit::JoseError> {
        let jwks = JwkSet::from_bytes(self.get("/jwks", None).await.body)?;
        let header = josekit::jwt::decode_header(id_token)?;
        let kid = header.claim("kid").and_then(Value::as_str).unwrap();
        let jwk = jwks.get(kid)[0];
        let verifier: Box<dyn JwsVerifier> = match jwk.algorithm() {
            Some("ES256") => Box::new(ES256.verifier_from_jwk(jwk)?),
            _ => Box::new(RS256.verifier_from_jwk(jwk)?),
        };
        let (payload, _) = josekit::jwt::decode_with_verifier(id_token, &*verifier)?;
        Ok(payload.claims_set().clone())
    }
}

/// Claims of a JWT, without checking the signature.
fn unverified_claims(jwt: &str) -> Map<String, Value> {
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn discovery_document() {
    for kind in FiKind::ALL {
        let fi = fi(kind);
        let answer = fi.get("/.well-known/openid-configuration", None).await;
        assert_eq!(answer.status, StatusCode::OK);
        let d = answer.json();
        assert_eq!(d["issuer"], "http://127.0.0.1:7101");
        assert_eq!(
            d["authorization_endpoint"],
            "http://127.0.0.1:7101/authorize"
        );
        assert_eq!(d["token_endpoint"], "http://127.0.0.1:7101/token");
        assert_eq!(d["userinfo_endpoint"], "http://127.0.0.1:7101/userinfo");
        assert_eq!(d["jwks_uri"], "http://127.0.0.1:7101/jwks");
        assert_eq!(
            d["end_session_endpoint"],
            "http://127.0.0.1:7101/session/end"
        );
        assert_eq!(d["response_types_supported"], serde_json::json!(["code"]));
        assert_eq!(d["subject_types_supported"], serde_json::json!(["public"]));
        assert_eq!(
            d["id_token_signing_alg_values_supported"],
            serde_json::json!([kind.default_sign_alg().name()])
        );
        assert_eq!(
            d["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        assert_eq!(d["authorization_response_iss_parameter_supported"], true);
        let levels: Vec<&str> = kind.default_levels().iter().map(|l| l.as_str()).collect();
        assert_eq!(d["acr_values_supported"], serde_json::json!(levels));
        assert_eq!(
            d["token_endpoint_auth_methods_supported"],
            serde_json::json!(["client_secret_basic", "client_secret_post"])
        );
        for s in ["openid", "profile", "birth", "email", "identite_pivot"] {
            assert!(
                d["scopes_supported"]
                    .as_array()
                    .unwrap()
                    .contains(&s.into())
            );
        }
        for c in [
            "sub",
            "given_name",
            "birthplace",
            "birthcountry",
            "acr",
            "amr",
        ] {
            assert!(
                d["claims_supported"]
                    .as_array()
                    .unwrap()
                    .contains(&c.into())
            );
        }
    }
    assert_eq!(FiKind::Impots.default_sign_alg(), SignAlg::Rs256);
    assert_eq!(FiKind::Msa.default_sign_alg(), SignAlg::Rs256);
    assert_eq!(FiKind::Ameli.default_sign_alg(), SignAlg::Es256);
    assert_eq!(FiKind::LaPoste.default_sign_alg(), SignAlg::Es256);
}

#[tokio::test]
async fn issuer_with_a_path_serves_under_it() {
    let fi = fi_at(FiKind::Msa, "http://127.0.0.1:7100/fi/msa/");
    assert_eq!(fi.issuer, "http://127.0.0.1:7100/fi/msa");
    let d = fi
        .get("/.well-known/openid-configuration", None)
        .await
        .json();
    assert_eq!(d["issuer"], "http://127.0.0.1:7100/fi/msa");
    assert_eq!(d["token_endpoint"], "http://127.0.0.1:7100/fi/msa/token");
    // The whole flow works under the prefix, forms post to prefixed paths.
    let page = fi.authorize(&[]).await;
    // minijinja escapes '/' in attributes; browsers decode it.
    assert!(
        page.body
            .contains("action=\"&#x2f;fi&#x2f;msa&#x2f;login\""),
        "{}",
        page.body
    );
    let answer = fi
        .login(&page.request_id(), "2881169123087", "azerty")
        .await;
    assert_eq!(answer.status, StatusCode::FOUND);
    assert!(answer.session_cookie().is_some());
    let set_cookie = answer.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(set_cookie.contains("Path=/fi/msa"), "{set_cookie}");
    let tokens = fi.exchange(&answer.query()["code"], VERIFIER).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    // Nothing at the root.
    let root = fi
        .send(Request::get("/jwks").body(Body::empty()).unwrap())
        .await;
    assert_eq!(root.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_issuer_urls_are_refused() {
    let templates = Templates::new(&[TEMPLATES]).unwrap();
    for bad in [
        "ftp://127.0.0.1/",
        "http://127.0.0.1:7101/?x=1",
        "http://127.0.0.1/#f",
    ] {
        let spec = FiSpec::demo(FiKind::Ameli, url::Url::parse(bad).unwrap(), vec![]);
        let r = router(
            spec,
            FiControl::new(),
            Arc::new(crate::clock::SystemClock),
            templates.clone(),
        );
        assert!(matches!(r, Err(FiError::Issuer { .. })), "{bad}");
    }
    let mut spec = FiSpec::demo(
        FiKind::Ameli,
        url::Url::parse("http://127.0.0.1:7101").unwrap(),
        vec![],
    );
    spec.clients.push(FiClientReg {
        client_id: "x".into(),
        client_secret: Secret::new("y"),
        redirect_uris: vec!["/relative".into()],
        post_logout_redirect_uris: vec![],
    });
    let r = router(
        spec,
        FiControl::new(),
        Arc::new(crate::clock::SystemClock),
        templates,
    );
    assert!(matches!(r, Err(FiError::ClientUri { .. })));
}

#[tokio::test]
async fn jwks_publishes_the_signing_key() {
    for (kind, kty) in [(FiKind::Impots, "RSA"), (FiKind::LaPoste, "EC")] {
        let fi = fi(kind);
        let answer = fi.get("/jwks", None).await;
        assert_eq!(answer.status, StatusCode::OK);
        let jwks = answer.json();
        let keys = jwks["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1);
        let k = &keys[0];
        assert_eq!(k["kty"], kty);
        assert_eq!(k["use"], "sig");
        assert_eq!(k["alg"], kind.default_sign_alg().name());
        assert_eq!(k["kid"].as_str().unwrap().len(), 43);
        assert!(k.get("d").is_none(), "private part leaked");
        assert!(k.get("p").is_none(), "private part leaked");
    }
    // Each FI has its own key.
    let a = fi(FiKind::Ameli).get("/jwks", None).await.json();
    let b = fi(FiKind::Ameli).get("/jwks", None).await.json();
    assert_ne!(a["keys"][0]["kid"], b["keys"][0]["kid"]);
}

#[tokio::test]
async fn full_code_flow_with_basic_auth() {
    // Given Vincent BERDOT's impots.gouv account.
    let fi = fi(FiKind::Impots);
    // When he opens the login form and enters his credentials (with spaces).
    let page = fi.authorize(&[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Numéro fiscal"));
    let answer = fi
        .login(&page.request_id(), "3074 1031 14021", "123456")
        .await;
    // Then he is sent back with a code, the state and the issuer.
    assert_eq!(answer.status, StatusCode::FOUND);
    let q = answer.query();
    assert!(
        answer
            .location()
            .as_str()
            .starts_with(&format!("{REDIRECT_URI}?"))
    );
    assert_eq!(q["state"], STATE);
    assert_eq!(q["iss"], fi.issuer);
    assert!(q["code"].len() >= 43);
    // And the code buys signed tokens.
    let tokens = fi.exchange(&q["code"], VERIFIER).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    assert_eq!(tokens.headers[header::CACHE_CONTROL], "no-store");
    let t = tokens.json();
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 60);
    let claims = fi.verify(t["id_token"].as_str().unwrap()).await.unwrap();
    let vincent = find_citizen("vincent-berdot").unwrap();
    let now = datetime!(2024-05-02 09:30 UTC).unix_timestamp();
    assert_eq!(claims["iss"], "http://127.0.0.1:7101");
    assert_eq!(claims["sub"], subject(FiKind::Impots, vincent));
    assert_eq!(claims["aud"], CLIENT_ID);
    assert_eq!(claims["nonce"], NONCE);
    assert_eq!(claims["acr"], "eidas1");
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    assert_eq!(claims["iat"], now);
    assert_eq!(claims["auth_time"], now);
    assert_eq!(claims["exp"], now + 300);
    let header = josekit::jwt::decode_header(t["id_token"].as_str().unwrap()).unwrap();
    assert_eq!(header.claim("alg").unwrap(), "RS256");
    // And the access token reads the identity.
    let info = fi.userinfo(t["access_token"].as_str().unwrap()).await;
    assert_eq!(info.status, StatusCode::OK);
    let u = info.json();
    assert_eq!(u["sub"], claims["sub"]);
    assert_eq!(u["given_name"], "Vincent Maurice Jean");
    assert_eq!(u["family_name"], "BERDOT");
    assert_eq!(u["birthdate"], "1974-10-31");
    assert_eq!(u["gender"], "male");
    assert_eq!(u["birthplace"], "75114");
    assert_eq!(u["birthcountry"], "99100");
    assert_eq!(u["email"], "vincent.berdot@example.fr");
    assert!(u.get("preferred_username").is_none());
}

#[tokio::test]
async fn full_code_flow_es256_with_post_auth() {
    let fi = fi(FiKind::LaPoste);
    let page = fi
        .authorize(&[("scope", Some("openid profile birth email"))])
        .await;
    assert!(page.body.contains("Adresse e-mail"));
    let answer = fi
        .login(
            &page.request_id(),
            "Carmen.Garcia@example.com",
            "madrid1981",
        )
        .await;
    let code = answer.query()["code"].clone();
    let tokens = fi
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", VERIFIER),
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
            ],
            None,
        )
        .await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    let t = tokens.json();
    let id_token = t["id_token"].as_str().unwrap();
    let header = josekit::jwt::decode_header(id_token).unwrap();
    assert_eq!(header.claim("alg").unwrap(), "ES256");
    let claims = fi.verify(id_token).await.unwrap();
    // at_hash: left half of SHA-256 of the access token.
    let digest = sha2::Sha256::digest(t["access_token"].as_str().unwrap().as_bytes());
    assert_eq!(
        claims["at_hash"],
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
    );
    let u = fi
        .userinfo(t["access_token"].as_str().unwrap())
        .await
        .json();
    assert_eq!(u["given_name"], "Carmen Isabel");
    assert_eq!(u["birthplace"], "");
    assert_eq!(u["birthcountry"], "99134");
    assert_eq!(u["gender"], "female");
}

#[tokio::test]
async fn userinfo_follows_scopes() {
    let fi = fi(FiKind::Msa);
    let cases: &[(&str, &[&str])] = &[
        ("openid", &["sub"]),
        (
            "openid profile",
            &[
                "sub",
                "given_name",
                "family_name",
                "birthdate",
                "gender",
                "preferred_username",
            ],
        ),
        ("openid birth", &["sub", "birthplace", "birthcountry"]),
        ("openid email given_name", &["sub", "email", "given_name"]),
    ];
    for (scope, expected) in cases {
        let answer = fi.log_in("marie-helene-de-la-fontaine-eloise", scope).await;
        let t = fi.exchange(&answer.query()["code"], VERIFIER).await.json();
        let u = fi
            .userinfo(t["access_token"].as_str().unwrap())
            .await
            .json();
        let mut keys: Vec<_> = u.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        let mut want: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        want.sort();
        assert_eq!(keys, want, "{scope}");
        if scope.contains("profile") {
            assert_eq!(u["given_name"], "Marie-Hélène Élodie");
            assert_eq!(u["family_name"], "DE LA FONTAINE-ÉLOÏSE");
            assert_eq!(u["preferred_username"], "MARTIN-DUBOIS");
        }
    }
}

#[tokio::test]
async fn presumed_birthdate_is_sent_as_is() {
    let fi = fi(FiKind::Impots);
    let code = fi.code("ahmed-benali").await;
    let t = fi.exchange(&code, VERIFIER).await.json();
    let u = fi
        .userinfo(t["access_token"].as_str().unwrap())
        .await
        .json();
    assert_eq!(u["birthdate"], "1950-06");
    assert_eq!(u["birthplace"], "");
}

#[tokio::test]
async fn login_pages_look_like_the_real_ones() {
    for (kind, label, hint) in [
        (
            FiKind::Impots,
            "Numéro fiscal",
            "Votre numéro fiscal est composé de 13 chiffres.",
        ),
        (FiKind::Ameli, "Numéro de sécurité sociale", "13 caractères"),
        (FiKind::LaPoste, "Adresse e-mail", "nom@domaine.fr"),
        (FiKind::Msa, "Numéro de sécurité sociale", "13 caractères"),
    ] {
        let fi = fi(kind);
        let page = fi.authorize(&[]).await;
        let b = &page.body;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(b.contains(label), "{kind}");
        assert!(b.contains(hint), "{kind}");
        assert!(
            b.contains(kind.display_name().replace('\'', "&#x27;").as_str()),
            "{kind}"
        );
        assert!(b.contains("<label class=\"fr-label\" for=\"login\">"));
        assert!(b.contains("<label class=\"fr-label\" for=\"password\">"));
        assert!(b.contains("name=\"login\""));
        assert!(b.contains("name=\"password\""));
        assert!(b.contains("autocomplete=\"username\""));
        assert!(b.contains("autocomplete=\"current-password\""));
        assert!(b.contains("class=\"fr-input\""));
        assert!(b.contains("class=\"fr-btn\""));
        assert!(b.contains("Abandonner"));
        assert!(b.contains("Bac à sable"));
        assert!(!b.contains("{% extends"));
        // The sandbox banner lists this FI's accounts, and only them.
        for (c, a) in crate::sandbox::citizens::accounts_for(kind) {
            assert!(b.contains(a.login), "{kind}: {}", c.key);
        }
        for other in FiKind::ALL.into_iter().filter(|k| *k != kind) {
            for (_, a) in crate::sandbox::citizens::accounts_for(other) {
                if crate::sandbox::citizens::accounts_for(kind).all(|(_, x)| x.login != a.login) {
                    assert!(!b.contains(a.login), "{kind} lists {}", a.login);
                }
            }
        }
        assert_eq!(page.request_id().len(), 22, "128-bit id");
    }
}

#[tokio::test]
async fn wrong_password_shows_the_form_again_then_locks() {
    let fi = fi(FiKind::Ameli);
    let id = fi.authorize(&[]).await.request_id();
    for attempt in 1..=4u32 {
        let answer = fi.login(&id, "1660375056123", "wrong").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        let b = &answer.body;
        assert!(b.contains("fr-alert fr-alert--error"));
        assert!(b.contains("Numéro de sécurité sociale ou mot de passe incorrect."));
        assert!(b.contains(&format!("Il vous reste {} tentative", 5 - attempt)));
        assert!(b.contains("id=\"login-error\""));
        assert!(b.contains("aria-describedby=\"login-hint login-error\""));
        assert!(b.contains("autofocus"));
        assert!(b.contains("<title>Erreur : "));
        // The identifier is kept, the password is not.
        assert!(b.contains("value=\"1660375056123\""));
        assert!(!b.contains("value=\"wrong\""));
        assert!(answer.session_cookie().is_none());
    }
    let answer = fi.login(&id, "1660375056123", "wrong").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.body.contains("Connexion bloquée"));
    assert!(!answer.body.contains("name=\"password\""));
    // Even the right password is refused now.
    let answer = fi.login(&id, "1660375056123", "123456").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.headers.get(header::LOCATION).is_none());
    // Abandoning still works.
    let answer = fi.post_form("/abandon", &[("request_id", &id)]).await;
    assert_eq!(answer.status, StatusCode::FOUND);
    assert_eq!(answer.query()["error"], "access_denied");
}

#[tokio::test]
async fn malformed_identifier_is_explained_and_not_counted() {
    let fi = fi(FiKind::Impots);
    let id = fi.authorize(&[]).await.request_id();
    for _ in 0..6 {
        let answer = fi.login(&id, "12345", "123456").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert!(
            answer
                .body
                .contains("Le numéro fiscal doit comporter 13 chiffres.")
        );
    }
    for _ in 0..6 {
        let answer = fi.login(&id, "3074103114021", "").await;
        assert!(answer.body.contains("Saisissez votre mot de passe."));
    }
    let answer = fi.login(&id, "3074103114021", "123456").await;
    assert_eq!(answer.status, StatusCode::FOUND);
}

#[tokio::test]
async fn unknown_or_expired_pending_request_shows_a_page() {
    let fi = fi(FiKind::Ameli);
    let answer = fi.login("nope", "1660375056123", "123456").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("Demande expirée"));
    let id = fi.authorize(&[]).await.request_id();
    fi.clock.advance(Duration::minutes(11));
    let answer = fi.login(&id, "1660375056123", "123456").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.headers.get(header::LOCATION).is_none());
}

#[tokio::test]
async fn bad_client_or_redirect_uri_shows_a_page() {
    let fi = fi(FiKind::Impots);
    for overrides in [
        vec![("redirect_uri", Some("http://evil.example/cb"))],
        vec![("redirect_uri", Some("http://127.0.0.1:7000/fi/callback/"))],
        vec![("redirect_uri", None)],
        vec![("client_id", Some("unknown"))],
        vec![("client_id", None)],
    ] {
        let answer = fi.authorize(&overrides).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{overrides:?}");
        assert!(answer.headers.get(header::LOCATION).is_none());
        assert!(answer.body.contains("fr-alert--error"));
    }
    // A duplicated redirect_uri is not trusted either.
    let path = format!(
        "{}&redirect_uri={}",
        fi.authorize_path(&[]),
        url::form_urlencoded::byte_serialize(REDIRECT_URI.as_bytes()).collect::<String>()
    );
    let answer = fi.get(&path, None).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn request_errors_go_back_with_state_and_iss() {
    let fi = fi(FiKind::Ameli);
    type Overrides<'a> = &'a [(&'a str, Option<&'a str>)];
    let cases: &[(Overrides, &str)] = &[
        (
            &[("response_type", Some("token"))],
            "unsupported_response_type",
        ),
        (&[("scope", Some("profile"))], "invalid_scope"),
        (&[("nonce", None)], "invalid_request"),
        (&[("code_challenge", None)], "invalid_request"),
        (
            &[("code_challenge_method", Some("plain"))],
            "invalid_request",
        ),
        (&[("code_challenge_method", None)], "invalid_request"),
        (&[("code_challenge", Some("short"))], "invalid_request"),
        (&[("prompt", Some("none login"))], "invalid_request"),
        (&[("prompt", Some("none"))], "login_required"),
        (&[("max_age", Some("soon"))], "invalid_request"),
    ];
    for (overrides, error) in cases {
        let answer = fi.authorize(overrides).await;
        assert_eq!(answer.status, StatusCode::FOUND, "{overrides:?}");
        let q = answer.query();
        assert_eq!(q["error"], *error, "{overrides:?}");
        assert_eq!(q["state"], STATE);
        assert_eq!(q["iss"], fi.issuer);
        assert!(answer.location().as_str().starts_with(REDIRECT_URI));
    }
    // Without state, the error still goes back, without state.
    let answer = fi.authorize(&[("state", None)]).await;
    let q = answer.query();
    assert_eq!(q["error"], "invalid_request");
    assert!(!q.contains_key("state"));
}

#[tokio::test]
async fn abandon_goes_back_with_access_denied() {
    let fi = fi(FiKind::LaPoste);
    let id = fi.authorize(&[]).await.request_id();
    let answer = fi.post_form("/abandon", &[("request_id", &id)]).await;
    assert_eq!(answer.status, StatusCode::FOUND);
    let q = answer.query();
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], STATE);
    assert_eq!(q["iss"], fi.issuer);
    // The request is gone.
    let again = fi
        .login(&id, "carmen.garcia@example.com", "madrid1981")
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn session_cookie_gives_sso_at_the_fi() {
    let fi = fi(FiKind::Ameli);
    let answer = fi.log_in("eric-mercier", "openid").await;
    let set_cookie = answer.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set_cookie.starts_with("pivot_fi_ameli_session="));
    assert!(set_cookie.contains("HttpOnly"));
    assert!(set_cookie.contains("SameSite=Lax"));
    assert!(set_cookie.contains("Path=/"));
    assert!(!set_cookie.contains("Secure"), "http issuer");
    let cookie = answer.session_cookie().unwrap();

    // Later, a new request skips the form.
    fi.clock.advance(Duration::minutes(5));
    let sso = fi.get(&fi.authorize_path(&[]), Some(&cookie)).await;
    assert_eq!(sso.status, StatusCode::FOUND);
    let code = sso.query()["code"].clone();
    let t = fi.exchange(&code, VERIFIER).await.json();
    let claims = fi.verify(t["id_token"].as_str().unwrap()).await.unwrap();
    let eric = find_citizen("eric-mercier").unwrap();
    assert_eq!(claims["sub"], subject(FiKind::Ameli, eric));
    assert_eq!(
        claims["auth_time"],
        datetime!(2024-05-02 09:30 UTC).unix_timestamp()
    );
    // prompt=none works with the session.
    let none = fi
        .get(
            &fi.authorize_path(&[("prompt", Some("none"))]),
            Some(&cookie),
        )
        .await;
    assert!(none.query().contains_key("code"));
    // prompt=login and a too old max_age show the form.
    let login = fi
        .get(
            &fi.authorize_path(&[("prompt", Some("login"))]),
            Some(&cookie),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    let old = fi
        .get(
            &fi.authorize_path(&[("max_age", Some("60"))]),
            Some(&cookie),
        )
        .await;
    assert_eq!(old.status, StatusCode::OK);
    let fresh = fi
        .get(
            &fi.authorize_path(&[("max_age", Some("600"))]),
            Some(&cookie),
        )
        .await;
    assert_eq!(fresh.status, StatusCode::FOUND);
    // The session ends after 30 minutes.
    fi.clock.advance(Duration::minutes(26));
    let expired = fi.get(&fi.authorize_path(&[]), Some(&cookie)).await;
    assert_eq!(expired.status, StatusCode::OK);
}

#[tokio::test]
async fn code_replay_is_refused_and_revokes_the_token() {
    let fi = fi(FiKind::Impots);
    let code = fi.code("vincent-berdot").await;
    let first = fi.exchange(&code, VERIFIER).await;
    assert_eq!(first.status, StatusCode::OK);
    let access_token = first.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(fi.userinfo(&access_token).await.status, StatusCode::OK);
    let second = fi.exchange(&code, VERIFIER).await;
    assert_eq!(second.status, StatusCode::BAD_REQUEST);
    assert_eq!(second.json()["error"], "invalid_grant");
    let info = fi.userinfo(&access_token).await;
    assert_eq!(info.status, StatusCode::UNAUTHORIZED);
    assert!(
        info.headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
}

#[tokio::test]
async fn wrong_pkce_verifier_is_refused_and_spends_the_code() {
    let fi = fi(FiKind::Ameli);
    let code = fi.code("eric-mercier").await;
    let wrong = "x".repeat(43);
    let answer = fi.exchange(&code, &wrong).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["error"], "invalid_grant");
    assert_eq!(
        fi.exchange(&code, VERIFIER).await.status,
        StatusCode::BAD_REQUEST
    );
    // Missing verifier.
    let code = fi.code("eric-mercier").await;
    let answer = fi
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
            ],
            Some(&basic(CLIENT_ID, CLIENT_SECRET)),
        )
        .await;
    assert_eq!(answer.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn client_authentication_errors() {
    let fi = fi(FiKind::LaPoste);
    let code = fi.code("carmen-garcia").await;
    let grant = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", VERIFIER),
    ];
    // Wrong secret (basic), unknown client, no authentication: 401.
    for auth in [
        Some(basic(CLIENT_ID, "wrong")),
        Some(basic("someone", CLIENT_SECRET)),
        Some("Basic !!!".to_owned()),
        None,
    ] {
        let answer = fi.token(&grant, auth.as_deref()).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(answer.json()["error"], "invalid_client");
        assert!(
            answer.headers[header::WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .starts_with("Basic")
        );
    }
    // Wrong secret (post).
    let mut post = grant.to_vec();
    post.extend([("client_id", CLIENT_ID), ("client_secret", "wrong")]);
    let answer = fi.token(&post, None).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    // Two methods at once.
    let mut both = grant.to_vec();
    both.extend([("client_secret", CLIENT_SECRET)]);
    let answer = fi
        .token(&both, Some(&basic(CLIENT_ID, CLIENT_SECRET)))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["error"], "invalid_request");
    // The code was never spent by those failures.
    let ok = fi.exchange(&code, VERIFIER).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
}

#[tokio::test]
async fn token_request_errors() {
    let fi = fi(FiKind::Msa);
    let auth = basic(CLIENT_ID, CLIENT_SECRET);
    let code = fi.code("pierre-louis-martin").await;
    let answer = fi
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1:7000/other"),
                ("code_verifier", VERIFIER),
            ],
            Some(&auth),
        )
        .await;
    assert_eq!(answer.json()["error"], "invalid_grant");
    let answer = fi
        .token(&[("grant_type", "client_credentials")], Some(&auth))
        .await;
    assert_eq!(answer.json()["error"], "unsupported_grant_type");
    let answer = fi
        .token(&[("grant_type", "authorization_code")], Some(&auth))
        .await;
    assert_eq!(answer.json()["error"], "invalid_request");
    let answer = fi.exchange("made-up", VERIFIER).await;
    assert_eq!(answer.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn code_expires_after_sixty_seconds() {
    let fi = fi(FiKind::Impots);
    let code = fi.code("vincent-berdot").await;
    fi.clock.advance(Duration::seconds(61));
    let answer = fi.exchange(&code, VERIFIER).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["error"], "invalid_grant");
    // Within the lifetime it works.
    let code = fi.code("vincent-berdot").await;
    fi.clock.advance(Duration::seconds(59));
    assert_eq!(fi.exchange(&code, VERIFIER).await.status, StatusCode::OK);
}

#[tokio::test]
async fn access_token_expires_and_bearer_is_required() {
    let fi = fi(FiKind::Ameli);
    let code = fi.code("eric-mercier").await;
    let t = fi.exchange(&code, VERIFIER).await.json();
    let at = t["access_token"].as_str().unwrap();
    fi.clock.advance(Duration::seconds(61));
    assert_eq!(fi.userinfo(at).await.status, StatusCode::UNAUTHORIZED);
    let no_auth = fi.get("/userinfo", None).await;
    assert_eq!(no_auth.status, StatusCode::UNAUTHORIZED);
    assert!(
        no_auth.headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
}

#[tokio::test]
async fn end_session_redirects_with_state_and_ends_the_fi_session() {
    let fi = fi(FiKind::Impots);
    let answer = fi.log_in("vincent-berdot", "openid").await;
    let cookie = answer.session_cookie().unwrap();
    let t = fi.exchange(&answer.query()["code"], VERIFIER).await.json();
    let hint = t["id_token"].as_str().unwrap();
    let path = format!(
        "/session/end?{}",
        form(&[
            ("id_token_hint", hint),
            ("post_logout_redirect_uri", LOGOUT_URI),
            ("state", "bye-123"),
        ])
    );
    let out = fi.get(&path, Some(&cookie)).await;
    assert_eq!(out.status, StatusCode::FOUND);
    assert!(out.location().as_str().starts_with(LOGOUT_URI));
    assert_eq!(out.query()["state"], "bye-123");
    let removal = out.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(removal.starts_with("pivot_fi_impots_session="), "{removal}");
    assert!(removal.contains("Max-Age=0"), "{removal}");
    // The old cookie no longer gives SSO.
    let again = fi.get(&fi.authorize_path(&[]), Some(&cookie)).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(again.body.contains("name=\"password\""));
}

#[tokio::test]
async fn end_session_without_a_valid_redirect_shows_a_page() {
    let fi = fi(FiKind::Ameli);
    let answer = fi.log_in("eric-mercier", "openid").await;
    let cookie = answer.session_cookie().unwrap();
    let t = fi.exchange(&answer.query()["code"], VERIFIER).await.json();
    let hint = t["id_token"].as_str().unwrap();
    let tampered = keys::tamper_signature(hint);
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        // Unregistered URI.
        vec![
            ("id_token_hint", hint),
            ("post_logout_redirect_uri", "http://evil.example/"),
        ],
        // No way to know the client.
        vec![("post_logout_redirect_uri", LOGOUT_URI)],
        // Forged hint.
        vec![
            ("id_token_hint", &tampered),
            ("post_logout_redirect_uri", LOGOUT_URI),
        ],
        // Hint and client_id disagree.
        vec![
            ("id_token_hint", hint),
            ("client_id", "other"),
            ("post_logout_redirect_uri", LOGOUT_URI),
        ],
    ];
    for params in cases {
        let out = fi
            .get(&format!("/session/end?{}", form(&params)), Some(&cookie))
            .await;
        assert_eq!(out.status, StatusCode::OK, "{params:?}");
        assert!(out.headers.get(header::LOCATION).is_none());
        assert!(out.body.contains("Vous êtes déconnecté"));
    }
    // client_id alone identifies the client.
    let out = fi
        .get(
            &format!(
                "/session/end?{}",
                form(&[
                    ("client_id", CLIENT_ID),
                    ("post_logout_redirect_uri", LOGOUT_URI)
                ])
            ),
            None,
        )
        .await;
    assert_eq!(out.status, StatusCode::FOUND);
    assert!(!out.query().contains_key("state"));
    // The session is over.
    let again = fi.get(&fi.authorize_path(&[]), Some(&cookie)).await;
    assert_eq!(again.status, StatusCode::OK);
}

#[tokio::test]
async fn behaviour_tampered_id_token() {
    let fi = fi(FiKind::Ameli);
    fi.control.set(FiBehaviour::TamperedIdToken);
    assert_eq!(fi.control.get(), FiBehaviour::TamperedIdToken);
    let code = fi.code("eric-mercier").await;
    let t = fi.exchange(&code, VERIFIER).await.json();
    let id_token = t["id_token"].as_str().unwrap();
    assert!(fi.verify(id_token).await.is_err());
    // The claims themselves are intact: only the signature is broken.
    assert_eq!(unverified_claims(id_token)["nonce"], NONCE);
    fi.control.set(FiBehaviour::Normal);
    let code = fi.code("eric-mercier").await;
    let t = fi.exchange(&code, VERIFIER).await.json();
    assert!(fi.verify(t["id_token"].as_str().unwrap()).await.is_ok());
}

#[tokio::test]
async fn behaviour_wrong_issuer() {
    let fi = fi(FiKind::Impots);
    fi.control.set(FiBehaviour::WrongIssuer);
    let answer = fi.log_in("vincent-berdot", "openid").await;
    let q = answer.query();
    assert_eq!(q["iss"], wrong_issuer(FiKind::Impots));
    assert_ne!(q["iss"], fi.issuer);
    let t = fi.exchange(&q["code"], VERIFIER).await.json();
    let claims = fi.verify(t["id_token"].as_str().unwrap()).await.unwrap();
    assert_eq!(claims["iss"], wrong_issuer(FiKind::Impots));
    // Discovery still announces the real issuer.
    let d = fi
        .get("/.well-known/openid-configuration", None)
        .await
        .json();
    assert_eq!(d["issuer"], fi.issuer);
    // Errors carry the wrong issuer too.
    let err = fi.authorize(&[("nonce", None)]).await;
    assert_eq!(err.query()["iss"], wrong_issuer(FiKind::Impots));
}

#[tokio::test]
async fn behaviour_wrong_nonce() {
    let fi = fi(FiKind::LaPoste);
    fi.control.set(FiBehaviour::WrongNonce);
    let code = fi.code("carmen-garcia").await;
    let t = fi.exchange(&code, VERIFIER).await.json();
    let claims = fi.verify(t["id_token"].as_str().unwrap()).await.unwrap();
    assert_ne!(claims["nonce"], NONCE);
    assert_eq!(claims["iss"], fi.issuer);
}

#[tokio::test]
async fn behaviour_unavailable() {
    let fi = fi(FiKind::Msa);
    let code = fi.code("pierre-louis-martin").await;
    fi.control.set(FiBehaviour::Unavailable);
    for path in [
        "/.well-known/openid-configuration",
        "/jwks",
        "/authorize",
        "/userinfo",
    ] {
        let answer = fi.get(path, None).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert!(answer.headers.contains_key(header::RETRY_AFTER));
    }
    assert_eq!(
        fi.exchange(&code, VERIFIER).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    // Back to normal: the code was never spent.
    fi.control.set(FiBehaviour::Normal);
    assert_eq!(fi.exchange(&code, VERIFIER).await.status, StatusCode::OK);
}

#[tokio::test]
async fn behaviour_slow() {
    let fi = fi(FiKind::Ameli);
    fi.control
        .set(FiBehaviour::Slow(StdDuration::from_millis(300)));
    // A client with a short timeout gives up.
    let req = Request::get("/.well-known/openid-configuration")
        .body(Body::empty())
        .unwrap();
    let timed_out =
        tokio::time::timeout(StdDuration::from_millis(50), fi.router.clone().oneshot(req)).await;
    assert!(timed_out.is_err());
    // A patient one gets the answer, late.
    let started = std::time::Instant::now();
    let answer = fi.get("/jwks", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(started.elapsed() >= StdDuration::from_millis(300));
}

#[test]
fn kinds() {
    assert_eq!(FiKind::ALL.len(), 4);
    for k in FiKind::ALL {
        assert_eq!(FiKind::from_id(k.id()), Some(k));
        assert_eq!(serde_json::to_value(k).unwrap(), k.id());
    }
    assert_eq!(
        FiKind::LaPoste.display_name(),
        "L'Identité Numérique La Poste"
    );
    assert_eq!(
        FiKind::Impots.normalize_login("3074 1031 14021").unwrap(),
        "3074103114021"
    );
    assert!(FiKind::Impots.normalize_login("307410311402A").is_none());
    assert_eq!(
        FiKind::Ameli.normalize_login("2 69 05 2A 004 012").unwrap(),
        "269052A004012"
    );
    assert!(FiKind::Msa.normalize_login("1234").is_none());
    assert!(FiKind::LaPoste.normalize_login("no-at-sign").is_none());
    assert!(FiKind::LaPoste.normalize_login("a b@c.fr").is_none());
    assert_eq!(serde_json::to_value(SignAlg::Es256).unwrap(), "ES256");
}

#[test]
fn subjects_are_stable_and_local_to_the_fi() {
    let eric = find_citizen("eric-mercier").unwrap();
    let a = subject(FiKind::Ameli, eric);
    assert_eq!(a, subject(FiKind::Ameli, eric));
    assert_ne!(a, subject(FiKind::Impots, eric));
    assert_eq!(a.len(), 64);
}

#[test]
fn control_clones_share_the_setting() {
    let c = FiControl::default();
    let d = c.clone();
    d.set(FiBehaviour::Slow(StdDuration::from_secs(2)));
    assert_eq!(c.get(), FiBehaviour::Slow(StdDuration::from_secs(2)));
}

// ---------------------------------------------------------------------------
// Levels, the one-time code and the test eidas3 provider.
// ---------------------------------------------------------------------------

impl Fi {
    /// Shows the form for `acr_values` and types `citizen`'s password;
    /// returns the answer (the code page when the level needs one).
    async fn password_step(&self, citizen: &str, acr_values: &str) -> (String, Answer) {
        let page = self.authorize(&[("acr_values", Some(acr_values))]).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let id = page.request_id();
        let l = demo_login(self.kind, find_citizen(citizen).unwrap()).unwrap();
        let answer = self.login(&id, l.login, l.password).await;
        (id, answer)
    }

    async fn submit_code(&self, request_id: &str, code: &str) -> Answer {
        self.post_form("/code", &[("request_id", request_id), ("code", code)])
            .await
    }

    /// The latest code the demo phone shows for `login`.
    async fn latest_code(&self, login: &str) -> String {
        let phone = self.get(PHONE_PATH, None).await;
        assert_eq!(phone.status, StatusCode::OK, "{}", phone.body);
        let marker = format!("data-login=\"{login}\" data-code=\"");
        let start = phone
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no code for {login}: {}", phone.body))
            + marker.len();
        phone.body[start..start + 6].to_owned()
    }

    /// Password then code: the redirect answer.
    async fn strong_log_in(&self, citizen: &str, acr_values: &str) -> Answer {
        let (id, page) = self.password_step(citizen, acr_values).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("id=\"otp-form\""), "{}", page.body);
        let login = demo_login(self.kind, find_citizen(citizen).unwrap())
            .unwrap()
            .login;
        let code = self.latest_code(&login.to_lowercase()).await;
        let answer = self.submit_code(&id, &code).await;
        assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
        answer
    }

    /// ID token claims for the code of a redirect answer.
    async fn claims_of(&self, answer: &Answer) -> Map<String, Value> {
        let t = self.exchange(&answer.query()["code"], VERIFIER).await;
        assert_eq!(t.status, StatusCode::OK, "{}", t.body);
        let t = t.json();
        self.verify(t["id_token"].as_str().unwrap()).await.unwrap()
    }
}

async fn levels_of(fi: &Fi) -> Value {
    fi.get("/.well-known/openid-configuration", None)
        .await
        .json()["acr_values_supported"]
        .clone()
}

fn amr(values: &[&str]) -> Value {
    serde_json::json!(values)
}

#[tokio::test]
async fn acr_is_chosen_from_acr_values() {
    // La Poste (eidas1, eidas2): the lowest level meeting the request.
    let fi = self::fi(FiKind::LaPoste);
    for (acr_values, want) in [(Some("eidas1"), "eidas1"), (None, "eidas1")] {
        let page = fi.authorize(&[("acr_values", acr_values)]).await;
        assert!(!page.body.contains("second-factor-notice"));
        let l = demo_login(FiKind::LaPoste, find_citizen("carmen-garcia").unwrap()).unwrap();
        let answer = fi.login(&page.request_id(), l.login, l.password).await;
        assert_eq!(answer.status, StatusCode::FOUND, "{acr_values:?}");
        let claims = fi.claims_of(&answer).await;
        assert_eq!(claims["acr"], want, "{acr_values:?}");
        assert_eq!(claims["amr"], amr(AMR_PASSWORD));
    }
    let claims = fi
        .claims_of(&fi.strong_log_in("carmen-garcia", "eidas2").await)
        .await;
    assert_eq!(claims["acr"], "eidas2");
    // eidas3 cannot be met: La Poste asserts its highest level, eidas2, and
    // leaves the refusal to the broker.
    let claims = fi
        .claims_of(&fi.strong_log_in("carmen-garcia", "eidas3").await)
        .await;
    assert_eq!(claims["acr"], "eidas2");

    // impots.gouv (eidas1 only) answers eidas1 to an eidas2 request, with no
    // second factor.
    let fi = self::fi(FiKind::Impots);
    let (_, answer) = fi.password_step("vincent-berdot", "eidas2").await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
    let claims = fi.claims_of(&answer).await;
    assert_eq!(claims["acr"], "eidas1");
    assert_eq!(claims["amr"], amr(&["pwd"]));
}

#[tokio::test]
async fn discovery_lists_the_levels() {
    let json = |v: &[&str]| serde_json::json!(v);
    assert_eq!(levels_of(&fi(FiKind::Impots)).await, json(&["eidas1"]));
    assert_eq!(
        levels_of(&fi(FiKind::LaPoste)).await,
        json(&["eidas1", "eidas2"])
    );
    assert_eq!(
        levels_of(&fi(FiKind::TestHigh)).await,
        json(&["eidas2", "eidas3"])
    );
    // Any set of levels, in order, without duplicates.
    let mut spec = spec_at(FiKind::Ameli, "http://127.0.0.1:7101/");
    spec.levels = vec![Eidas::Eidas3, Eidas::Eidas1, Eidas::Eidas3];
    assert_eq!(levels_of(&fi_from(spec)).await, json(&["eidas1", "eidas3"]));
    // No level at all is a configuration error.
    let mut spec = spec_at(FiKind::Ameli, "http://127.0.0.1:7101/");
    spec.levels.clear();
    let r = router(
        spec,
        FiControl::new(),
        Arc::new(crate::clock::SystemClock),
        Templates::new(&[TEMPLATES]).unwrap(),
    );
    assert!(matches!(r, Err(FiError::NoLevel)));
}

#[tokio::test]
async fn eidas2_at_la_poste_needs_the_one_time_code() {
    // Given Carmen GARCIA's La Poste account and an eidas2 request.
    let fi = self::fi(FiKind::LaPoste);
    let page = fi.authorize(&[("acr_values", Some("eidas2"))]).await;
    assert!(page.body.contains("id=\"second-factor-notice\""));
    let id = page.request_id();
    // When she types her password, she gets the code page, not a code.
    let answer = fi
        .login(&id, "Carmen.Garcia@example.com", "madrid1981")
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(answer.headers.get(header::LOCATION).is_none());
    assert!(answer.session_cookie().is_none());
    let b = &answer.body;
    assert!(b.contains("Saisissez le code à 6 chiffres envoyé sur votre téléphone"));
    assert!(b.contains("<label class=\"fr-label\" for=\"code\">"));
    assert!(b.contains("autocomplete=\"one-time-code\""));
    assert!(b.contains("inputmode=\"numeric\""));
    assert!(b.contains("name=\"code\""));
    assert!(b.contains("aria-describedby=\"code-hint\""));
    assert!(b.contains("class=\"fr-input\""));
    assert!(b.contains("Abandonner"));
    assert!(b.contains("&#x2f;telephone"), "link to the demo phone");
    assert!(b.contains("carmen.garcia@example.com"));
    assert!(!b.contains("name=\"password\""));
    // The code is on the demo phone, not on the page.
    let code = fi.latest_code("carmen.garcia@example.com").await;
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|c| c.is_ascii_digit()));
    // And typing it gives a code for an eidas2 ID token with pwd + otp.
    let answer = fi.submit_code(&id, &code).await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
    assert_eq!(answer.query()["state"], STATE);
    assert_eq!(answer.query()["iss"], fi.issuer);
    assert!(answer.session_cookie().is_some());
    let claims = fi.claims_of(&answer).await;
    assert_eq!(claims["acr"], "eidas2");
    assert_eq!(claims["amr"], amr(&["pwd", "otp", "mfa"]));
    let carmen = find_citizen("carmen-garcia").unwrap();
    assert_eq!(claims["sub"], subject(FiKind::LaPoste, carmen));
    // The phone shows it used; a replay of the same form finds nothing.
    let phone = fi.get(PHONE_PATH, None).await;
    assert!(phone.body.contains(&format!(
        "data-login=\"carmen.garcia@example.com\" data-code=\"{code}\" data-state=\"used\""
    )));
    let replay = fi.submit_code(&id, &code).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    assert!(replay.body.contains("Demande expirée"));
    assert!(replay.headers.get(header::LOCATION).is_none());
}

#[tokio::test]
async fn wrong_codes_three_times_restart_the_login() {
    let fi = self::fi(FiKind::LaPoste);
    let (id, page) = fi.password_step("vincent-berdot", "eidas2").await;
    assert_eq!(page.status, StatusCode::OK);
    let login = "vincent.berdot@example.fr";
    let code = fi.latest_code(login).await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    // Malformed codes are explained and not counted.
    for bad in ["12345", "abcdef", "1234567", ""] {
        let answer = fi.submit_code(&id, bad).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{bad}");
        assert!(answer.body.contains("Le code doit comporter 6 chiffres"));
    }
    for left in [2, 1] {
        let answer = fi.submit_code(&id, wrong).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        let b = &answer.body;
        assert!(b.contains("Code incorrect."), "{b}");
        let plural = if left > 1 { "s" } else { "" };
        assert!(b.contains(&format!("Il vous reste {left} tentative{plural}.")));
        assert!(b.contains("id=\"code-error\""));
        assert!(b.contains("aria-describedby=\"code-hint code-error\""));
        assert!(b.contains("aria-invalid=\"true\""));
        assert!(b.contains("<title>Erreur : "));
    }
    // The third wrong code sends her back to the password form.
    let answer = fi.submit_code(&id, wrong).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.body.contains("3 fois un code incorrect"));
    assert!(answer.body.contains("name=\"password\""));
    assert!(answer.body.contains(&format!("value=\"{login}\"")));
    // The right code is no good any more.
    let late = fi.submit_code(&id, &code).await;
    assert!(late.headers.get(header::LOCATION).is_none());
    assert!(late.body.contains("name=\"password\""));
    let phone = fi.get(PHONE_PATH, None).await;
    assert!(
        phone
            .body
            .contains(&format!("data-code=\"{code}\" data-state=\"cancelled\""))
    );
    // A new password gives a new code, which works.
    let again = fi.login(&id, login, "laposte123").await;
    assert!(again.body.contains("id=\"otp-form\""));
    let fresh = fi.latest_code(login).await;
    let answer = fi.submit_code(&id, &fresh).await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
    assert_eq!(fi.claims_of(&answer).await["acr"], "eidas2");
}

#[tokio::test]
async fn a_code_expires_after_five_minutes() {
    let fi = self::fi(FiKind::LaPoste);
    let login = "mh.delafontaine@example.fr";
    // Within five minutes it works.
    let (id, _) = fi
        .password_step("marie-helene-de-la-fontaine-eloise", "eidas2")
        .await;
    let code = fi.latest_code(login).await;
    fi.clock.advance(Duration::seconds(299));
    assert_eq!(fi.submit_code(&id, &code).await.status, StatusCode::FOUND);
    // At five minutes it has expired: back to the password form.
    let (id, _) = fi
        .password_step("marie-helene-de-la-fontaine-eloise", "eidas2")
        .await;
    let code = fi.latest_code(login).await;
    let phone = fi.get(PHONE_PATH, None).await;
    assert!(
        phone
            .body
            .contains(&format!("data-code=\"{code}\" data-state=\"valid\""))
    );
    fi.clock.advance(Duration::minutes(5));
    let answer = fi.submit_code(&id, &code).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.headers.get(header::LOCATION).is_none());
    assert!(answer.body.contains("Ce code a expiré"));
    assert!(answer.body.contains("name=\"password\""));
    let phone = fi.get(PHONE_PATH, None).await;
    assert!(
        phone
            .body
            .contains(&format!("data-code=\"{code}\" data-state=\"expired\""))
    );
    // Typing it again after the restart does not work either.
    let answer = fi.submit_code(&id, &code).await;
    assert!(answer.headers.get(header::LOCATION).is_none());
}

#[tokio::test]
async fn the_demo_phone_lists_the_latest_codes_per_login() {
    let fi = self::fi(FiKind::LaPoste);
    let empty = fi.get(PHONE_PATH, None).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.headers[header::CACHE_CONTROL], "no-store");
    assert!(empty.body.contains("Téléphone de démonstration"));
    assert!(empty.body.contains("Aucun code envoyé"));
    // Two codes for Jeanne (the second replaces the first), one for Carmen.
    let (id, _) = fi.password_step("jeanne-dupont", "eidas2").await;
    let first = fi.latest_code("jeanne.dupont@example.fr").await;
    fi.clock.advance(Duration::seconds(30));
    let again = fi.login(&id, "jeanne.dupont@example.fr", "123456").await;
    assert!(again.body.contains("id=\"otp-form\""));
    let (_, _) = fi.password_step("carmen-garcia", "eidas2").await;
    let phone = fi.get(PHONE_PATH, None).await;
    let b = &phone.body;
    let second = fi.latest_code("jeanne.dupont@example.fr").await;
    assert!(b.contains("Compte jeanne.dupont@example.fr"));
    assert!(b.contains("Compte carmen.garcia@example.com"));
    assert!(b.contains(&format!("data-code=\"{first}\" data-state=\"cancelled\"")));
    assert!(b.contains(&format!("data-code=\"{second}\" data-state=\"valid\"")));
    assert!(b.contains("02&#x2f;05&#x2f;2024 à 09:30:30 UTC"), "{b}");
    // Latest login first, latest code first.
    let carmen = b.find("Compte carmen.garcia").unwrap();
    let jeanne = b.find("Compte jeanne.dupont").unwrap();
    assert!(carmen < jeanne);
    let pos = |code: &str| b.find(&format!("data-code=\"{code}\"")).unwrap();
    if first != second {
        assert!(pos(&second) < pos(&first));
    }
    // Every FI has a phone (any FI can be forced to a higher level).
    let impots = fi_at(FiKind::Impots, "http://127.0.0.1:7101/");
    assert!(
        impots
            .get(PHONE_PATH, None)
            .await
            .body
            .contains("Aucun code envoyé")
    );
    assert_eq!(
        phone_url("http://127.0.0.1:7103/"),
        "http://127.0.0.1:7103/telephone"
    );
    assert_eq!(
        spec_at(FiKind::LaPoste, "http://127.0.0.1:7100/fi/laposte/").phone_url(),
        "http://127.0.0.1:7100/fi/laposte/telephone"
    );
}

#[tokio::test]
async fn abandoning_at_the_code_page_cancels_the_code() {
    let fi = self::fi(FiKind::LaPoste);
    let (id, _) = fi.password_step("carmen-garcia", "eidas2").await;
    let code = fi.latest_code("carmen.garcia@example.com").await;
    let answer = fi.post_form("/abandon", &[("request_id", &id)]).await;
    assert_eq!(answer.status, StatusCode::FOUND);
    assert_eq!(answer.query()["error"], "access_denied");
    let phone = fi.get(PHONE_PATH, None).await;
    assert!(
        phone
            .body
            .contains(&format!("data-code=\"{code}\" data-state=\"cancelled\""))
    );
    assert_eq!(
        fi.submit_code(&id, &code).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn fi_session_gives_sso_only_up_to_its_strength() {
    let fi = self::fi(FiKind::LaPoste);
    // A password-only session does not open an eidas2 login.
    let weak = fi.log_in("carmen-garcia", "openid").await;
    let cookie = weak.session_cookie().unwrap();
    let path = fi.authorize_path(&[("acr_values", Some("eidas2"))]);
    let step_up = fi.get(&path, Some(&cookie)).await;
    assert_eq!(step_up.status, StatusCode::OK);
    assert!(step_up.body.contains("name=\"password\""));
    let none = fi
        .get(
            &fi.authorize_path(&[("acr_values", Some("eidas2")), ("prompt", Some("none"))]),
            Some(&cookie),
        )
        .await;
    assert_eq!(none.query()["error"], "login_required");
    // A session with the code answers eidas2 and eidas1 requests at once.
    let strong = fi.strong_log_in("carmen-garcia", "eidas2").await;
    let cookie = strong.session_cookie().unwrap();
    for acr in ["eidas2", "eidas1"] {
        let sso = fi
            .get(
                &fi.authorize_path(&[("acr_values", Some(acr))]),
                Some(&cookie),
            )
            .await;
        assert_eq!(sso.status, StatusCode::FOUND, "{acr}");
        let claims = fi.claims_of(&sso).await;
        assert_eq!(claims["acr"], acr);
        assert_eq!(claims["amr"], amr(AMR_PASSWORD_AND_CODE));
    }
}

#[tokio::test]
async fn test_provider_asserts_eidas3_after_password_and_code() {
    let fi = self::fi(FiKind::TestHigh);
    // The login page lists every citizen, with their La Poste credentials
    // or their e-mail and the default password.
    let page = fi.authorize(&[("acr_values", Some("eidas3"))]).await;
    assert!(page.body.contains("id=\"second-factor-notice\""));
    assert!(
        page.body
            .contains("Fournisseur d&#x27;identité de test (eidas3)")
    );
    for c in crate::sandbox::citizens::citizens() {
        let l = demo_login(FiKind::TestHigh, c).unwrap();
        assert!(page.body.contains(l.login), "{}", c.key);
    }
    // A La Poste account works and gets eidas3.
    let answer = fi.strong_log_in("carmen-garcia", "eidas3").await;
    let claims = fi.claims_of(&answer).await;
    assert_eq!(claims["acr"], "eidas3");
    assert_eq!(claims["amr"], amr(&["pwd", "otp", "mfa"]));
    let carmen = find_citizen("carmen-garcia").unwrap();
    assert_eq!(claims["sub"], subject(FiKind::TestHigh, carmen));
    assert_ne!(claims["sub"], subject(FiKind::LaPoste, carmen).as_str());
    // A citizen without a La Poste account uses e-mail + default password.
    let eric = find_citizen("eric-mercier").unwrap();
    assert!(eric.account(FiKind::LaPoste).is_none());
    assert_eq!(
        demo_login(FiKind::TestHigh, eric),
        Some(DemoLogin {
            login: "eric.mercier@example.fr",
            password: TEST_HIGH_DEFAULT_PASSWORD,
        })
    );
    let answer = fi.strong_log_in("eric-mercier", "eidas3").await;
    let claims = fi.claims_of(&answer).await;
    assert_eq!(claims["acr"], "eidas3");
    assert_eq!(claims["sub"], subject(FiKind::TestHigh, eric));
    // eidas2 asked: eidas2 asserted, still with the code.
    let claims = fi
        .claims_of(&fi.strong_log_in("eric-mercier", "eidas2").await)
        .await;
    assert_eq!(claims["acr"], "eidas2");
    // Wrong passwords are refused as elsewhere.
    let id = fi.authorize(&[]).await.request_id();
    let answer = fi.login(&id, "eric.mercier@example.fr", "wrong").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let answer = fi.login(&id, "1660375056123", "123456").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

#[test]
fn test_provider_kind_and_logins() {
    let k = FiKind::TestHigh;
    assert!(!FiKind::ALL.contains(&k));
    assert_eq!(FiKind::TEST_ONLY, [k]);
    assert_eq!(k.id(), "test-eidas3");
    assert_eq!(FiKind::from_id("test-eidas3"), Some(k));
    assert_eq!(serde_json::to_value(k).unwrap(), "test-eidas3");
    assert_eq!(
        serde_json::from_value::<FiKind>("test-eidas3".into()).unwrap(),
        k
    );
    assert_eq!(k.display_name(), "Fournisseur d'identité de test (eidas3)");
    assert_eq!(k.default_levels(), &[Eidas::Eidas2, Eidas::Eidas3]);
    assert_eq!(
        FiKind::LaPoste.default_levels(),
        &[Eidas::Eidas1, Eidas::Eidas2]
    );
    for k in [FiKind::Impots, FiKind::Ameli, FiKind::Msa] {
        assert_eq!(k.default_levels(), &[Eidas::Eidas1]);
    }
    // Every citizen can log in at the test provider, each with a distinct
    // login; the other kinds use exactly the citizens' own accounts.
    let citizens = crate::sandbox::citizens::citizens();
    let logins = demo_logins(k);
    assert_eq!(logins.len(), citizens.len());
    let mut seen = std::collections::HashSet::new();
    for (c, l) in &logins {
        assert!(
            seen.insert(k.normalize_login(l.login).unwrap()),
            "{}",
            l.login
        );
        assert_eq!(accounts::find(k, l.login, l.password), Some(*c));
    }
    for kind in FiKind::ALL {
        let own: Vec<_> = crate::sandbox::citizens::accounts_for(kind)
            .map(|(c, a)| (c.key, a.login, a.password))
            .collect();
        let demo: Vec<_> = demo_logins(kind)
            .into_iter()
            .map(|(c, l)| (c.key, l.login, l.password))
            .collect();
        assert_eq!(own, demo, "{kind}");
    }
    // The password never shows in Debug.
    let l = demo_login(k, find_citizen("carmen-garcia").unwrap()).unwrap();
    assert!(!format!("{l:?}").contains(l.password));
}

#[tokio::test]
async fn behaviour_assert_acr() {
    // La Poste made to assert eidas1 to an eidas2 request: password only.
    let fi = self::fi(FiKind::LaPoste);
    fi.control.set(FiBehaviour::AssertAcr(Eidas::Eidas1));
    let (_, answer) = fi.password_step("carmen-garcia", "eidas2").await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
    let claims = fi.claims_of(&answer).await;
    assert_eq!(claims["acr"], "eidas1");
    assert_eq!(claims["amr"], amr(AMR_PASSWORD));
    // Discovery still announces the real levels.
    let d = fi
        .get("/.well-known/openid-configuration", None)
        .await
        .json();
    assert_eq!(
        d["acr_values_supported"],
        serde_json::json!(["eidas1", "eidas2"])
    );

    // impots.gouv made to assert eidas3: it asks for the code first.
    let fi = self::fi(FiKind::Impots);
    fi.control.set(FiBehaviour::AssertAcr(Eidas::Eidas3));
    let (id, page) = fi.password_step("vincent-berdot", "eidas1").await;
    assert!(page.body.contains("id=\"otp-form\""));
    let code = fi.latest_code("3074103114021").await;
    let answer = fi.submit_code(&id, &code).await;
    assert_eq!(answer.status, StatusCode::FOUND, "{}", answer.body);
    let claims = fi.claims_of(&answer).await;
    assert_eq!(claims["acr"], "eidas3");
    assert_eq!(claims["amr"], amr(AMR_PASSWORD_AND_CODE));

    // Switched on between the login and the token request, it still rules
    // the ID token's acr.
    let fi = self::fi(FiKind::TestHigh);
    let answer = fi.strong_log_in("jeanne-dupont", "eidas3").await;
    fi.control.set(FiBehaviour::AssertAcr(Eidas::Eidas2));
    assert_eq!(fi.claims_of(&answer).await["acr"], "eidas2");
    fi.control.set(FiBehaviour::Normal);
    let answer = fi.strong_log_in("jeanne-dupont", "eidas3").await;
    assert_eq!(fi.claims_of(&answer).await["acr"], "eidas3");
}
