//! The app's JSON twin of the login pages, in-process: the DPoP key as the
//! session, each step's view, errors with the service's return URL, and the
//! same code, events and device rules as the pages. (The login at a real
//! provider is walked end to end in `tests/e2e/app_login.rs`.)

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use pivot_broker::citizen::device::app_device_id;
use pivot_proto::interaction::APP_INTERACTIONS_PATH;
use serde_json::{Value, json};

use crate::{
    citizen::DeviceKey,
    harness::{
        BASIC, CLOSED_FI, CLOSED_FI_NAME, Harness, ISSUER, REDIRECT_URI, Reply, STATE,
        authorize_params, form, login, query_of, secret_of,
    },
};

const ORIGIN: &str = "http://127.0.0.1:7000";

/// A request of the app: a fresh proof of `key` for `method` on `path`.
async fn call(h: &Harness, key: &DeviceKey, method: Method, path: &str, body: Body) -> Reply {
    let proof = key.proof(method.as_str(), &format!("{ORIGIN}{path}"), None, h.now());
    call_with(h, method, path, body, Some(&proof)).await
}

async fn call_with(
    h: &Harness,
    method: Method,
    path: &str,
    body: Body,
    proof: Option<&str>,
) -> Reply {
    let mut b = Request::builder().method(method).uri(path);
    b = b.header(
        header::CONTENT_TYPE,
        if path == APP_INTERACTIONS_PATH {
            "application/x-www-form-urlencoded"
        } else {
            "application/json"
        },
    );
    if let Some(p) = proof {
        b = b.header("dpop", p);
    }
    h.send(b.body(body).unwrap()).await
}

async fn start_with(h: &Harness, key: &DeviceKey, pairs: &[(&str, &str)]) -> Reply {
    call(
        h,
        key,
        Method::POST,
        APP_INTERACTIONS_PATH,
        Body::from(form(pairs)),
    )
    .await
}

async fn step(h: &Harness, key: &DeviceKey, id: &str, what: &str, body: Value) -> Reply {
    call(
        h,
        key,
        Method::POST,
        &format!("{APP_INTERACTIONS_PATH}/{id}/{what}"),
        Body::from(body.to_string()),
    )
    .await
}

/// Gives the app session of `key` a finished FI login (as the callback
/// leaves it).
async fn logged_in(h: &Harness, key: &DeviceKey) {
    let mut session = h.state.load_app_session(&key.jkt()).await.unwrap();
    session.data.sso = Some(login(h.now()));
    h.state.store_session(&session).await.unwrap();
}

#[tokio::test]
async fn every_request_needs_a_proof_of_the_device_key() {
    let h = Harness::new().await;
    let body = || Body::from(form(&authorize_params(BASIC)));
    let r = call_with(&h, Method::POST, APP_INTERACTIONS_PATH, body(), None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text());
    assert_eq!(r.json()["error"], "invalid_dpop_proof");
    assert!(r.json()["message"].as_str().unwrap().contains("clé"));
    let key = DeviceKey::new();
    // A proof for another address.
    let proof = key.proof("POST", &format!("{ORIGIN}/api/v2/app/other"), None, h.now());
    let r = call_with(
        &h,
        Method::POST,
        APP_INTERACTIONS_PATH,
        body(),
        Some(&proof),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A good proof, once.
    let proof = key.proof(
        "POST",
        &format!("{ORIGIN}{APP_INTERACTIONS_PATH}"),
        None,
        h.now(),
    );
    let r = call_with(
        &h,
        Method::POST,
        APP_INTERACTIONS_PATH,
        body(),
        Some(&proof),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = call_with(
        &h,
        Method::POST,
        APP_INTERACTIONS_PATH,
        body(),
        Some(&proof),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "a proof is single-use");
}

#[tokio::test]
async fn start_shows_who_asks_what_and_the_providers() {
    let h = Harness::new().await;
    let key = DeviceKey::new();
    let r = start_with(&h, &key, &authorize_params(BASIC)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.header(header::CACHE_CONTROL), Some("no-store"));
    let v = r.json();
    assert_eq!(v["step"], "choose_fi");
    assert_eq!(v["service"]["client_id"], BASIC);
    assert_eq!(v["service"]["name"], "Service fs-basic");
    assert_eq!(v["level"], "eidas1");
    let items: Vec<&str> = v["identity_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap())
        .collect();
    assert!(items.contains(&"nom de naissance"), "{items:?}");
    assert_eq!(v["data"], json!([]));
    let fis = v["identity_providers"].as_array().unwrap();
    assert_eq!(fis.len(), 1, "{fis:?}");
    assert_eq!(fis[0]["id"], CLOSED_FI);
    assert_eq!(fis[0]["name"], CLOSED_FI_NAME);
    assert_eq!(fis[0]["available"], true);
    // The same view on request, for the same key only.
    let id = v["id"].as_str().unwrap();
    let path = format!("{APP_INTERACTIONS_PATH}/{id}");
    let r = call(&h, &key, Method::GET, &path, Body::empty()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json(), v);
    let r = call(&h, &DeviceKey::new(), Method::GET, &path, Body::empty()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(
        r.json()["error"],
        "Y000410",
        "an interaction belongs to one key"
    );
}

#[tokio::test]
async fn a_bad_request_is_refused_with_the_services_return_url_once_trusted() {
    let h = Harness::new().await;
    let key = DeviceKey::new();
    // Unknown service: nowhere to return to.
    let mut params = authorize_params(BASIC);
    params[0].1 = "nobody";
    let r = start_with(&h, &key, &params).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.json()["error"], "Y000400");
    assert!(r.json().get("return_url").is_none());
    // Known service, scope it may not ask: back to it with the error.
    let mut params = authorize_params(BASIC);
    params[3].1 = "openid dgfip_rfr";
    let r = start_with(&h, &key, &params).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.json()["error"], "invalid_scope");
    let back = r.json()["return_url"].as_str().unwrap().to_owned();
    assert!(back.starts_with(REDIRECT_URI), "{back}");
    let q = query_of(&back);
    assert_eq!(q["error"], "invalid_scope");
    assert_eq!(q["state"], STATE);
    assert!(q.contains_key("iss"));
    // A body that is not JSON.
    let r = start_with(&h, &key, &authorize_params(BASIC)).await;
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let r = call(
        &h,
        &key,
        Method::POST,
        &format!("{APP_INTERACTIONS_PATH}/{id}/fi"),
        Body::from("fi=x"),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"], "invalid_request");
}

#[tokio::test]
async fn a_provider_that_does_not_answer_brings_the_chooser_back_with_a_notice() {
    let h = Harness::new().await;
    let key = DeviceKey::new();
    let v = start_with(&h, &key, &authorize_params(BASIC)).await.json();
    let id = v["id"].as_str().unwrap();
    let r = step(&h, &key, id, "fi", json!({"fi": CLOSED_FI})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["step"], "choose_fi");
    let notice = r.json()["notice"].as_str().unwrap().to_owned();
    assert!(notice.contains(CLOSED_FI_NAME), "{notice}");
    // An unknown provider: the chooser, no notice.
    let r = step(&h, &key, id, "fi", json!({"fi": "nobody"})).await;
    assert_eq!(r.json()["step"], "choose_fi");
    assert!(r.json().get("notice").is_none());
    // A callback nobody waits for.
    let r = step(
        &h,
        &key,
        id,
        "fi/callback",
        json!({"code": "c", "state": "forged"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.json()["error"], "Y000410");
}

#[tokio::test]
async fn with_a_login_the_app_confirms_and_returns_a_code_the_service_redeems() {
    let h = Harness::new().await;
    let key = DeviceKey::new();
    logged_in(&h, &key).await;
    let v = start_with(&h, &key, &authorize_params(BASIC)).await.json();
    assert_eq!(v["step"], "confirm", "{v}");
    assert_eq!(v["identity"]["given_name"], "Angela Claire Louise");
    assert_eq!(v["identity"]["family_name"], "DUBOIS");
    assert_eq!(v["identity"]["female"], true);
    assert_eq!(v["identity"]["birthdate"], "24/08/1962");
    assert!(
        v["identity"]["birthplace"]
            .as_str()
            .unwrap()
            .contains("Paris 7e")
    );
    assert_eq!(v["fi_name"], CLOSED_FI_NAME);
    assert_eq!(v["agreement_required"], false);
    let id = v["id"].as_str().unwrap().to_owned();
    let r = step(&h, &key, &id, "confirm", json!({"trust_device": true})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let v = r.json();
    assert_eq!(v["step"], "return", "{v}");
    assert_eq!(v["success"], true);
    let url = v["redirect_url"].as_str().unwrap();
    assert!(url.starts_with(REDIRECT_URI), "{url}");
    let q = query_of(url);
    assert_eq!(q["state"], STATE);
    assert_eq!(q["iss"], crate::harness::ISSUER);
    // The service redeems the code as any other.
    let r = h
        .token_basic(
            BASIC,
            &[
                ("grant_type", "authorization_code"),
                ("code", &q["code"]),
                ("redirect_uri", REDIRECT_URI),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let _ = secret_of(BASIC);
    // The app is one of the citizen's devices, trusted as asked.
    let hash = pivot_broker::citizen::events::login_hash(&login(h.now()));
    let devices = h.state.store.devices(&hash).await.unwrap();
    let app = devices
        .iter()
        .find(|d| d.device_id == app_device_id(&key.jkt()))
        .expect("the app's device row");
    assert_eq!(app.label, "Application Pivot");
    assert!(app.trusted_until.is_some());
    // The interaction is over.
    let r = call(
        &h,
        &key,
        Method::GET,
        &format!("{APP_INTERACTIONS_PATH}/{id}"),
        Body::empty(),
    )
    .await;
    assert_eq!(r.json()["error"], "Y000410");
}

#[tokio::test]
async fn a_private_service_needs_the_identity_agreement() {
    let h = Harness::new().await;
    let mut c = h.client(BASIC).await;
    c.public_service = false;
    h.state.store.put_client(&c).await.unwrap();
    let key = DeviceKey::new();
    logged_in(&h, &key).await;
    let v = start_with(&h, &key, &authorize_params(BASIC)).await.json();
    assert_eq!(v["agreement_required"], true, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let r = step(&h, &key, &id, "confirm", json!({})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert_eq!(r.json()["error"], "identity_agreement_required");
    assert!(r.json()["message"].as_str().unwrap().contains("fs-basic"));
    let r = step(
        &h,
        &key,
        &id,
        "confirm",
        json!({"identity_agreement": true}),
    )
    .await;
    assert_eq!(r.json()["step"], "return", "{}", r.text());
}

#[tokio::test]
async fn data_are_granted_datum_by_datum() {
    let h = crate::data::harness().await;
    let key = DeviceKey::new();
    logged_in(&h, &key).await;
    let mut params = authorize_params(BASIC);
    params[3].1 = "openid identite_pivot dgfip_rfr dgfip_nbpart cnam_medecin_traitant";
    let v = start_with(&h, &key, &params).await.json();
    let data = v["data"].as_array().unwrap();
    assert_eq!(data.len(), 3, "{v}");
    assert!(
        data.iter()
            .any(|d| d["scope"] == "dgfip_rfr" && d["provider_name"] == "DGFIP")
    );
    let id = v["id"].as_str().unwrap().to_owned();
    let r = step(&h, &key, &id, "confirm", json!({})).await;
    assert_eq!(r.json()["step"], "consent", "{}", r.text());
    // Asking the current step again gives the consent.
    let r = call(
        &h,
        &key,
        Method::GET,
        &format!("{APP_INTERACTIONS_PATH}/{id}"),
        Body::empty(),
    )
    .await;
    assert_eq!(r.json()["step"], "consent");
    // A scope that was never asked is ignored.
    let r = step(
        &h,
        &key,
        &id,
        "consent",
        json!({"accepted": ["dgfip_rfr", "openid_admin"]}),
    )
    .await;
    let v = r.json();
    assert_eq!(v["step"], "return", "{v}");
    let code = query_of(v["redirect_url"].as_str().unwrap())["code"].clone();
    let r = h
        .token_basic(
            BASIC,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
            ],
        )
        .await;
    let scope = r.json()["scope"].as_str().unwrap().to_owned();
    assert!(scope.contains("dgfip_rfr"), "{scope}");
    assert!(!scope.contains("dgfip_nbpart"), "{scope}");
    assert!(!scope.contains("cnam"), "{scope}");
}

#[tokio::test]
async fn cancel_returns_access_denied_and_ends_the_interaction() {
    let h = Harness::new().await;
    let key = DeviceKey::new();
    let v = start_with(&h, &key, &authorize_params(BASIC)).await.json();
    let id = v["id"].as_str().unwrap().to_owned();
    let r = step(&h, &key, &id, "cancel", json!(null)).await;
    let v = r.json();
    assert_eq!(v["step"], "return", "{v}");
    assert_eq!(v["success"], false);
    let q = query_of(v["redirect_url"].as_str().unwrap());
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], STATE);
    let r = step(&h, &key, &id, "cancel", json!(null)).await;
    assert_eq!(r.json()["error"], "Y000410");
}

#[tokio::test]
async fn a_blocked_account_is_refused_then_returned_with_access_denied() {
    let h = Harness::new().await;
    let key = DeviceKey::new();
    logged_in(&h, &key).await;
    let hash = pivot_broker::citizen::events::login_hash(&login(h.now()));
    h.state.store.touch_account(&hash, h.now()).await.unwrap();
    h.state
        .store
        .set_disabled(&hash, Some("compte suspendu pour vérification"))
        .await
        .unwrap();
    let v = start_with(&h, &key, &authorize_params(BASIC)).await.json();
    let id = v["id"].as_str().unwrap().to_owned();
    let r = step(&h, &key, &id, "confirm", json!({})).await;
    let v = r.json();
    assert_eq!(v["step"], "refused", "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("compte suspendu pour vérification"),
        "{v}"
    );
    let r = step(&h, &key, &id, "cancel", json!(null)).await;
    let q = query_of(r.json()["redirect_url"].as_str().unwrap());
    assert_eq!(q["error"], "access_denied");
}

#[tokio::test]
async fn the_chooser_offers_the_same_request_to_the_desktop_app() {
    let h = Harness::new().await;
    let r = h.authorize(&authorize_params(BASIC)).await;
    let cookie = r.session_cookie();
    let page = h
        .get_with(r.location(), &[(header::COOKIE, &cookie)])
        .await
        .text();
    let marker = "id=\"app-link\" href=\"";
    let start = page.find(marker).expect("the app link") + marker.len();
    let end = start + page[start..].find('"').unwrap();
    let link = page[start..end]
        .replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&amp;", "&");
    // It names this broker, so that an app whose home is another broker
    // (FranceConnect beside FranceConnect+) sends it here, and one that
    // does not trust this broker refuses it.
    assert!(
        link.starts_with("pivot://authorize?")
            && link.ends_with(&format!("&iss={}", urlencode(ISSUER))),
        "{link}"
    );
    let home = url::Url::parse("http://127.0.0.1:7100").unwrap();
    let origin = url::Url::parse(ORIGIN).unwrap();
    assert_eq!(
        pivot_proto::deeplink::parse(&link, std::slice::from_ref(&home)),
        Err(pivot_proto::deeplink::DeepLinkError::UntrustedIssuer(
            ISSUER.into()
        ))
    );
    // The app accepts it and asks this broker for the same thing.
    let pivot_proto::deeplink::DeepLink::Authorize(req) =
        pivot_proto::deeplink::parse(&link, &[home, origin]).unwrap()
    else {
        panic!("not an authorization link: {link}")
    };
    assert_eq!(req.broker_origin.as_str(), format!("{ORIGIN}/"));
    assert_eq!(req.client_id, BASIC);
    assert_eq!(req.redirect_uri, REDIRECT_URI);
    assert_eq!(req.state, STATE);
    let key = DeviceKey::new();
    let pairs = req.to_pairs();
    let r = start_with(&h, &key, &pairs).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
}

fn urlencode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
