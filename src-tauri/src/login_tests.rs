//! A service's login through the commands, on Tauri's mock runtime, against
//! a fake broker implementing the JSON twin (`pivot_proto::interaction`):
//! every request must carry a DPoP proof of the app's key, without `ath`
//! and without `Authorization`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State as AxumState};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use pivot_proto::interaction::{InteractionError, InteractionView};
use serde_json::{Value, json};
use tauri::test::{MockRuntime, mock_builder, mock_context, noop_assets};
use tauri::{Listener as _, Manager as _};
use url::Url;

use crate::clock::FixedClock;
use crate::command_tests::{NOW, invoke, proof_is_valid};
use crate::login::{EVENT_UPDATED, FiWatch};
use crate::secret_store::MemoryStore;
use crate::{AppConfig, AppState};

const REDIRECT_URI: &str = "https://fs.example/login/callback";

/// What the fake broker saw.
#[derive(Default)]
struct Seen {
    /// The `jwk` of every proof.
    keys: Vec<Value>,
    /// Requests with an `Authorization` header (none expected).
    with_authorization: usize,
    /// The bodies of the steps, by path suffix.
    bodies: Vec<(String, Value)>,
}

struct Twin {
    origin: String,
    seen: Mutex<Seen>,
}

struct FakeTwin {
    origin: Url,
    twin: Arc<Twin>,
    _runtime: tokio::runtime::Runtime,
}

fn view(id: &str, public: bool, step: Value) -> Value {
    let mut v = json!({
        "id": id,
        "service": {"client_id": "fs-lyon", "name": "Mairie de Lyon", "public_service": public},
        "level": "eidas2",
        "identity_items": ["Prénoms", "Nom de naissance"],
        "data": [
            {"scope": "dgfip_rfr", "label": "revenu fiscal de référence", "provider_id": "dgfip", "provider_name": "DGFIP"},
            {"scope": "cnaf_qf", "label": "quotient familial", "provider_id": "cnaf", "provider_name": "CNAF"}
        ],
    });
    for (k, val) in step.as_object().unwrap() {
        v[k] = val.clone();
    }
    v
}

fn error(status: StatusCode, code: &str, message: &str, return_url: Option<String>) -> Response {
    let body = InteractionError {
        error: code.into(),
        message: message.into(),
        return_url,
    };
    (status, Json(body)).into_response()
}

/// Checks the proof (bound to no token) and records its key.
#[allow(clippy::result_large_err)] // An axum response, as handlers return it.
fn check(t: &Twin, m: &Method, u: &Uri, h: &HeaderMap) -> Result<(), Response> {
    let mut seen = t.seen.lock().unwrap();
    if h.contains_key("authorization") {
        seen.with_authorization += 1;
    }
    if !proof_is_valid(&t.origin, m, u, h, None) {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "invalid_dpop_proof",
            "preuve DPoP invalide",
            None,
        ));
    }
    let proof = h["dpop"].to_str().unwrap();
    let header: Value =
        serde_json::from_slice(&B64.decode(proof.split('.').next().unwrap()).unwrap()).unwrap();
    seen.keys.push(header["jwk"].clone());
    Ok(())
}

async fn start(
    AxumState(t): AxumState<Arc<Twin>>,
    m: Method,
    u: Uri,
    h: HeaderMap,
    body: String,
) -> Response {
    if let Err(r) = check(&t, &m, &u, &h) {
        return r;
    }
    assert_eq!(h["content-type"], "application/x-www-form-urlencoded");
    let form: std::collections::BTreeMap<String, String> =
        url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(form["response_type"], "code");
    assert_eq!(form["redirect_uri"], REDIRECT_URI);
    match form["client_id"].as_str() {
        "fs-blocked" => error(
            StatusCode::FORBIDDEN,
            "access_denied",
            "Votre compte est bloqué : le service en est informé.",
            Some(format!(
                "{REDIRECT_URI}?error=access_denied&state={}",
                form["state"]
            )),
        ),
        "fs-unknown" => error(
            StatusCode::BAD_REQUEST,
            "unknown_client",
            "Ce service n'est pas connu de Pivot.",
            None,
        ),
        "fs-evil" => error(
            StatusCode::FORBIDDEN,
            "access_denied",
            "Refusé.",
            Some("https://evil.example/steal?code=x".into()),
        ),
        _ => (
            StatusCode::CREATED,
            Json(view(
                "int-1",
                false,
                json!({
                    "step": "choose_fi",
                    "identity_providers": [
                        {"id": "impots", "name": "impots.gouv.fr", "available": true},
                        {"id": "eidas3", "name": "Carte d'identité", "available": false}
                    ]
                }),
            )),
        )
            .into_response(),
    }
}

async fn get_view(
    AxumState(t): AxumState<Arc<Twin>>,
    Path(id): Path<String>,
    m: Method,
    u: Uri,
    h: HeaderMap,
) -> Response {
    if let Err(r) = check(&t, &m, &u, &h) {
        return r;
    }
    if id == "int-1" {
        error(
            StatusCode::NOT_FOUND,
            "interaction_expired",
            "Cette connexion a expiré : recommencez depuis le service.",
            None,
        )
    } else {
        error(StatusCode::NOT_FOUND, "not_found", "Inconnue.", None)
    }
}

async fn step(
    AxumState(t): AxumState<Arc<Twin>>,
    Path((id, action)): Path<(String, String)>,
    m: Method,
    u: Uri,
    h: HeaderMap,
    body: String,
) -> Response {
    if let Err(r) = check(&t, &m, &u, &h) {
        return r;
    }
    assert_eq!(id, "int-1");
    let body: Value = if body.is_empty() {
        Value::Null
    } else {
        assert_eq!(h["content-type"], "application/json");
        serde_json::from_str(&body).unwrap()
    };
    t.seen
        .lock()
        .unwrap()
        .bodies
        .push((action.clone(), body.clone()));
    let o = &t.origin;
    let v = |step: Value| Json(view(&id, false, step)).into_response();
    match action.as_str() {
        "fi" => {
            assert_eq!(body, json!({"fi": "impots"}));
            v(json!({
                "step": "fi_login", "fi_id": "impots", "fi_name": "impots.gouv.fr",
                "authorization_url": format!("{o}fi/authorize?client_id=x"),
                "callback_url": format!("{o}api/v2/fi/callback")
            }))
        }
        "fi/callback" => {
            assert_eq!(
                body,
                json!({"code": "fi-code", "state": "fi-state", "iss": "https://fi.example"})
            );
            v(
                json!({"step": "registry_unavailable", "fi_name": "impots.gouv.fr", "retry_after_secs": 5}),
            )
        }
        "registry/retry" => v(json!({
            "step": "confirm", "fi_name": "impots.gouv.fr", "agreement_required": true,
            "identity": {"given_name": "Angela Claire", "family_name": "DUBOIS", "female": true,
                         "birthdate": "24 août 1962", "birthplace": "Paris 14e Arrondissement, FRANCE"}
        })),
        "confirm" => {
            if body["identity_agreement"] != true {
                return error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "Cochez la case pour accepter de transmettre votre identité.",
                    None,
                );
            }
            v(json!({"step": "consent"}))
        }
        "consent" => v(json!({
            "step": "return", "success": true,
            "redirect_url": format!("{REDIRECT_URI}?code=fs-code&state=s1")
        })),
        "cancel" => v(json!({
            "step": "return", "success": false,
            "redirect_url": format!("{REDIRECT_URI}?error=access_denied&state=s1")
        })),
        other => panic!("unexpected step {other}"),
    }
}

fn fake_twin() -> FakeTwin {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let origin = format!("http://{}/", listener.local_addr().unwrap());
    let twin = Arc::new(Twin {
        origin: origin.clone(),
        seen: Mutex::default(),
    });
    let router = axum::Router::new()
        .route("/api/v2/app/interactions", post(start))
        .route("/api/v2/app/interactions/{id}", get(get_view))
        .route("/api/v2/app/interactions/{id}/{*action}", post(step))
        .with_state(Arc::clone(&twin));
    runtime.spawn(async move { axum::serve(listener, router).await });
    FakeTwin {
        origin: Url::parse(&origin).unwrap(),
        twin,
        _runtime: runtime,
    }
}

type Opened = Arc<Mutex<Vec<String>>>;

fn app(broker: &Url) -> (tauri::App<MockRuntime>, Opened) {
    let config = AppConfig {
        broker: broker.clone(),
        high_broker: None,
        client_id: crate::state::SANDBOX_CLIENT_ID.into(),
    };
    let opened: Opened = Arc::default();
    let seen = Arc::clone(&opened);
    let state = AppState::new(
        &config,
        Arc::new(MemoryStore::default()),
        Arc::new(FixedClock(NOW)),
    )
    .unwrap()
    .with_opener(Arc::new(move |url: &Url| {
        seen.lock().unwrap().push(url.to_string());
        Ok(())
    }));
    let app = crate::run(mock_builder(), state)
        .build(mock_context(noop_assets()))
        .unwrap();
    (app, opened)
}

fn link(client_id: &str) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", "openid given_name dgfip_rfr cnaf_qf")
        .append_pair("state", "s1")
        .append_pair("nonce", "n1")
        .finish();
    format!("pivot://authorize?{query}")
}

fn start_login(app: &tauri::App<MockRuntime>, client_id: &str) -> Result<Value, Value> {
    app.state::<AppState>()
        .links()
        .receive(&link(client_id))
        .unwrap();
    invoke(app, "pending_request", json!({}))
}

#[test]
fn a_login_walks_every_step_and_hands_the_code_back_to_the_browser() {
    let broker = fake_twin();
    let (app, opened) = app(&broker.origin);

    // Given a service's link, when the interface asks for it, the login
    // starts at the broker, and the link is consumed.
    let v = start_login(&app, "fs-lyon").unwrap();
    let v: InteractionView = serde_json::from_value(v).unwrap();
    assert_eq!(v.service.name, "Mairie de Lyon");
    assert_eq!(v.id, "int-1");
    assert!(app.state::<AppState>().links().pending().unwrap().is_none());
    // Asked again, the login in progress is given, not a new one.
    assert_eq!(
        invoke(&app, "pending_request", json!({})).unwrap()["id"],
        "int-1"
    );

    // When the citizen chooses a provider, its window opens on its page.
    let v = invoke(
        &app,
        "choose_fi",
        json!({"interactionId": "int-1", "fiId": "impots"}),
    )
    .unwrap();
    assert_eq!(v["step"], "fi_login");
    let window = app.get_webview_window(crate::fi_window::LABEL).unwrap();
    assert!(
        window
            .url()
            .unwrap()
            .as_str()
            .ends_with("/fi/authorize?client_id=x")
    );

    // The provider's pages load; its redirect to the callback is stopped,
    // sent to the broker, and the next view reaches the main window.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    app.listen_any(EVENT_UPDATED, move |event| {
        tx.send(event.payload().to_owned()).unwrap();
    });
    let view: InteractionView = serde_json::from_value(v).unwrap();
    let watch = FiWatch::for_view(&view).unwrap();
    let handle = app.handle();
    let page = Url::parse(&format!("{}fi/login", broker.origin)).unwrap();
    assert!(crate::fi_window::navigation(handle, &watch, &page));
    let lookalike = Url::parse(&format!("{}api/v2/fi/callbackx?code=x", broker.origin)).unwrap();
    assert!(crate::fi_window::navigation(handle, &watch, &lookalike));
    let callback = Url::parse(&format!(
        "{}api/v2/fi/callback?code=fi-code&state=fi-state&iss=https%3A%2F%2Ffi.example&x=1",
        broker.origin
    ))
    .unwrap();
    assert!(!crate::fi_window::navigation(handle, &watch, &callback));
    // A second time is stopped too, but not sent again.
    assert!(!crate::fi_window::navigation(handle, &watch, &callback));
    let payload = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    let updated: Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(updated["step"], "registry_unavailable");

    // The registry answers on retry; the confirmation needs the agreement.
    let v = invoke(&app, "retry_registry", json!({"interactionId": "int-1"})).unwrap();
    assert_eq!(v["step"], "confirm");
    assert_eq!(v["identity"]["birthdate"], "24 août 1962");
    let err = invoke(
        &app,
        "confirm",
        json!({"interactionId": "int-1", "identityAgreement": false, "trustDevice": true}),
    )
    .unwrap_err();
    assert_eq!(
        err,
        json!({"code": "refused", "message": "Cochez la case pour accepter de transmettre votre identité."})
    );
    let v = invoke(
        &app,
        "confirm",
        json!({"interactionId": "int-1", "identityAgreement": true, "trustDevice": true}),
    )
    .unwrap();
    assert_eq!(v["step"], "consent");
    assert!(opened.lock().unwrap().is_empty(), "nothing handed back yet");

    // The consent ends the login: the code goes to the browser.
    let v = invoke(
        &app,
        "consent",
        json!({"interactionId": "int-1", "accepted": ["dgfip_rfr"]}),
    )
    .unwrap();
    assert_eq!(v["step"], "return");
    assert_eq!(
        *opened.lock().unwrap(),
        vec![format!("{REDIRECT_URI}?code=fs-code&state=s1")]
    );
    // The login is over.
    assert_eq!(
        invoke(&app, "pending_request", json!({})).unwrap(),
        Value::Null
    );

    let seen = broker.twin.seen.lock().unwrap();
    let bodies: Vec<(&str, &Value)> = seen.bodies.iter().map(|(a, b)| (a.as_str(), b)).collect();
    assert_eq!(bodies.len(), 6, "{bodies:?}");
    assert_eq!(
        bodies[1],
        (
            "fi/callback",
            &json!({"code": "fi-code", "state": "fi-state", "iss": "https://fi.example"})
        )
    );
    assert_eq!(
        bodies[3].1,
        &json!({"identity_agreement": false, "trust_device": true})
    );
    assert_eq!(bodies[5], ("consent", &json!({"accepted": ["dgfip_rfr"]})));
    // Every request carried a proof of the app's own key, and no token.
    let key = app.state::<AppState>().device_key().public_jwk();
    assert_eq!(seen.keys.len(), 7);
    assert!(seen.keys.iter().all(|k| *k == key));
    assert_eq!(seen.with_authorization, 0);
}

#[test]
fn cancelling_hands_the_error_back_and_closes_the_provider_window() {
    let broker = fake_twin();
    let (app, opened) = app(&broker.origin);
    start_login(&app, "fs-lyon").unwrap();
    invoke(
        &app,
        "choose_fi",
        json!({"interactionId": "int-1", "fiId": "impots"}),
    )
    .unwrap();
    let v = invoke(&app, "cancel", json!({"interactionId": "int-1"})).unwrap();
    assert_eq!(v["step"], "return");
    assert_eq!(v["success"], false);
    assert_eq!(
        *opened.lock().unwrap(),
        vec![format!("{REDIRECT_URI}?error=access_denied&state=s1")]
    );
    let err = invoke(&app, "interaction", json!({"interactionId": "int-1"})).unwrap_err();
    assert_eq!(err["code"], "invalid");
}

#[test]
fn an_error_with_a_return_url_goes_back_to_the_service() {
    let broker = fake_twin();
    let (app, opened) = app(&broker.origin);
    let err = start_login(&app, "fs-blocked").unwrap_err();
    assert_eq!(
        err,
        json!({"code": "returned_to_service", "message": "Votre compte est bloqué : le service en est informé."})
    );
    assert_eq!(
        *opened.lock().unwrap(),
        vec![format!("{REDIRECT_URI}?error=access_denied&state=s1")]
    );
    // The link was consumed.
    assert_eq!(
        invoke(&app, "pending_request", json!({})).unwrap(),
        Value::Null
    );
}

#[test]
fn the_browser_is_never_sent_anywhere_but_the_service() {
    let broker = fake_twin();
    let (app, opened) = app(&broker.origin);
    let err = start_login(&app, "fs-evil").unwrap_err();
    assert_eq!(err["code"], "internal");
    assert!(opened.lock().unwrap().is_empty());
}

#[test]
fn broker_errors_keep_their_message() {
    let broker = fake_twin();
    let (app, opened) = app(&broker.origin);
    let err = start_login(&app, "fs-unknown").unwrap_err();
    assert_eq!(
        err,
        json!({"code": "refused", "message": "Ce service n'est pas connu de Pivot."})
    );
    assert!(opened.lock().unwrap().is_empty());
}

#[test]
fn an_expired_login_is_over() {
    let broker = fake_twin();
    let (app, _) = app(&broker.origin);
    start_login(&app, "fs-lyon").unwrap();
    let err = invoke(&app, "interaction", json!({"interactionId": "int-1"})).unwrap_err();
    assert_eq!(err["code"], "interaction_expired");
    assert_eq!(
        err["message"],
        "Cette connexion a expiré : recommencez depuis le service."
    );
    assert_eq!(
        invoke(&app, "pending_request", json!({})).unwrap(),
        Value::Null
    );
}

#[test]
fn an_unreachable_broker_is_offline_and_keeps_the_link() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let origin = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    let (app, _) = app(&origin);
    let err = start_login(&app, "fs-lyon").unwrap_err();
    assert_eq!(err["code"], "offline");
    assert!(app.state::<AppState>().links().pending().unwrap().is_some());
}

#[test]
fn the_provider_window_cannot_call_the_app() {
    let broker = fake_twin();
    let (app, _) = app(&broker.origin);
    start_login(&app, "fs-lyon").unwrap();
    invoke(
        &app,
        "choose_fi",
        json!({"interactionId": "int-1", "fiId": "impots"}),
    )
    .unwrap();
    let window = app.get_webview_window(crate::fi_window::LABEL).unwrap();
    let answer = tauri::test::get_ipc_response(
        &window,
        tauri::webview::InvokeRequest {
            cmd: "interaction".into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: format!("{}fi/login", broker.origin).parse().unwrap(),
            body: tauri::ipc::InvokeBody::Json(json!({"interactionId": "int-1"})),
            headers: HeaderMap::default(),
            invoke_key: tauri::test::INVOKE_KEY.to_string(),
        },
    );
    let err = answer.unwrap_err();
    assert!(err.to_string().contains("not allowed"), "{err}");
}
