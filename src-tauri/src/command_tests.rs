//! The commands on Tauri's mock runtime, against a fake broker (a small axum
//! server in the test) that checks the DPoP-bound request.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State as AxumState};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use pivot_proto::citizen::{
    DeviceView, FraudReportAck, FraudReportRequest, HistoryKind, HistoryPage, PreferencesUpdate,
    PreferencesView,
};
use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use serde_json::{Value, json};
use tauri::Manager as _;
use tauri::test::{
    INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder, mock_context, noop_assets,
};
use url::Url;

use crate::clock::FixedClock;
use crate::device_key::ath;
use crate::secret_store::{MemoryStore, SecretStore};
use crate::state::REFRESH_TOKEN;
use crate::{AppConfig, AppState, Tokens, commands};

pub(crate) const NOW: i64 = 1_750_000_000;
const GOOD: &str = "good-token";

/// The fake broker: its origin, and the runtime serving it.
struct FakeBroker {
    origin: Url,
    _runtime: tokio::runtime::Runtime,
}

fn history_page() -> HistoryPage {
    serde_json::from_value(json!({
        "since": NOW - 100,
        "entries": [{
            "reference": "r-1", "kind": "connection", "at": NOW - 50,
            "service": "Démo FS", "identity_provider": "impots", "acr": null,
            "data": [], "data_provider": null
        }]
    }))
    .unwrap()
}

/// Checks the DPoP proof of a request as RFC 9449 asks (`ath` for `token`).
pub(crate) fn proof_is_valid(
    origin: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    token: Option<&str>,
) -> bool {
    let Some(proof) = headers.get("dpop").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let parts: Vec<&str> = proof.split('.').collect();
    assert_eq!(parts.len(), 3);
    let decode = |p: &str| serde_json::from_slice::<Value>(&B64.decode(p).unwrap()).unwrap();
    let (h, c) = (decode(parts[0]), decode(parts[1]));
    assert_eq!(h["typ"], "dpop+jwt");
    assert_eq!(h["alg"], "ES256");
    assert_eq!(c["htm"], method.as_str());
    assert_eq!(
        c["htu"],
        format!("{origin}{}", uri.path().trim_start_matches('/'))
    );
    assert_eq!(c["iat"], NOW);
    assert_eq!(
        c.get("ath").and_then(Value::as_str),
        token.map(ath).as_deref()
    );
    assert!(c["jti"].as_str().is_some_and(|j| j.len() >= 16));
    let coord = |k: &str| B64.decode(h["jwk"][k].as_str().unwrap()).unwrap();
    let point = [vec![4u8], coord("x"), coord("y")].concat();
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
        .verify(
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &B64.decode(parts[2]).unwrap(),
        )
        .is_ok()
}

/// Checks `Authorization: DPoP <token>` and its proof.
#[allow(clippy::result_large_err)] // An axum response, as handlers return it.
fn check_dpop(
    origin: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<(), Response> {
    let unauthorized = |why: &str| {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_token", "error_description": why})),
        )
            .into_response()
    };
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.strip_prefix("DPoP "))
        .ok_or_else(|| unauthorized("no DPoP token"))?;
    if token != GOOD {
        return Err(unauthorized("expired"));
    }
    if !proof_is_valid(origin, method, uri, headers, Some(token)) {
        return Err(unauthorized("bad proof"));
    }
    Ok(())
}

/// The refresh tokens revoked at the fake broker.
static REVOKED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// The revocation endpoint (RFC 7009).
async fn revocation_endpoint(
    axum::Form(form): axum::Form<std::collections::BTreeMap<String, String>>,
) -> StatusCode {
    assert_eq!(form["client_id"], "sandbox-app");
    assert_eq!(form["token_type_hint"], "refresh_token");
    REVOKED.lock().unwrap().push(form["token"].clone());
    StatusCode::OK
}

/// The token endpoint: `refresh-1` is good once and becomes `refresh-2`.
async fn token_endpoint(
    AxumState(o): AxumState<Arc<String>>,
    m: Method,
    u: Uri,
    h: HeaderMap,
    axum::Form(form): axum::Form<std::collections::BTreeMap<String, String>>,
) -> Response {
    assert!(proof_is_valid(&o, &m, &u, &h, None));
    assert_eq!(form["client_id"], "sandbox-app");
    if form["grant_type"] == "authorization_code" {
        assert!(form["redirect_uri"].starts_with("http://127.0.0.1:"));
        assert!(pivot_proto::oauth::pkce::is_valid_verifier(
            &form["code_verifier"]
        ));
        return if form["code"] == "c1" {
            Json(json!({"access_token": GOOD, "token_type": "DPoP", "expires_in": 300, "refresh_token": "refresh-1", "id_token": "x.y.z"})).into_response()
        } else {
            (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "invalid_grant"})),
            )
                .into_response()
        };
    }
    assert_eq!(form["grant_type"], "refresh_token");
    if form["refresh_token"] == "refresh-1" {
        Json(json!({"access_token": GOOD, "token_type": "DPoP", "expires_in": 300, "refresh_token": "refresh-2"})).into_response()
    } else {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response()
    }
}

fn fake_broker() -> FakeBroker {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let origin = format!("http://{}/", listener.local_addr().unwrap());
    let o = Arc::new(origin.clone());
    let router = axum::Router::new()
        .route("/api/v2/token", axum::routing::post(token_endpoint))
        .route(
            "/api/v2/token/revocation",
            axum::routing::post(revocation_endpoint),
        )
        .route(
            "/api/v2/userinfo",
            get(|AxumState(o): AxumState<Arc<String>>, m: Method, u: Uri, h: HeaderMap| async move {
                check_dpop(&o, &m, &u, &h)
                    .map(|()| Json(json!({"sub": "s-1", "given_name": "Angela Claire"})))
            }),
        )
        .route(
            "/api/v2/citizen/history",
            get(|AxumState(o): AxumState<Arc<String>>, m: Method, u: Uri, h: HeaderMap| async move {
                check_dpop(&o, &m, &u, &h).map(|()| Json(history_page()))
            }),
        )
        .route(
            "/api/v2/citizen/preferences",
            get(|AxumState(o): AxumState<Arc<String>>, m: Method, u: Uri, h: HeaderMap| async move {
                check_dpop(&o, &m, &u, &h).map(|()| {
                    Json(json!({"identity_providers": [], "connection_alerts": true}))
                })
            })
            .patch(
                |AxumState(o): AxumState<Arc<String>>, m: Method, u: Uri, h: HeaderMap, Json(up): Json<PreferencesUpdate>| async move {
                    check_dpop(&o, &m, &u, &h).map(|()| {
                        Json(json!({"identity_providers": [], "connection_alerts": up.connection_alerts.unwrap_or(true)}))
                    })
                },
            ),
        )
        .route(
            "/api/v2/citizen/devices/{id}",
            delete(|AxumState(o): AxumState<Arc<String>>, Path(id): Path<String>, m: Method, u: Uri, h: HeaderMap| async move {
                check_dpop(&o, &m, &u, &h)?;
                if id == "d-1" {
                    Ok(StatusCode::NO_CONTENT)
                } else {
                    Err((StatusCode::NOT_FOUND, Json(json!({"error": "not_found", "error_description": "Appareil inconnu"}))).into_response())
                }
            }),
        )
        .route(
            "/api/v2/citizen/devices/current/trust",
            axum::routing::post(|AxumState(o): AxumState<Arc<String>>, m: Method, u: Uri, h: HeaderMap| async move {
                check_dpop(&o, &m, &u, &h).map(|()| {
                    Json(json!({"id": "app-1", "label": "Application Pivot", "first_seen": NOW, "last_seen": NOW, "trusted_until": NOW + 90 * 86_400, "current": true}))
                })
            }),
        )
        .route(
            "/api/v2/citizen/reports",
            axum::routing::post(|AxumState(o): AxumState<Arc<String>>, m: Method, u: Uri, h: HeaderMap, Json(r): Json<FraudReportRequest>| async move {
                check_dpop(&o, &m, &u, &h).map(|()| {
                    Json(FraudReportAck { reference: r.reference.unwrap_or_else(|| "rep-1".into()), received_at: NOW })
                })
            }),
        )
        .with_state(o);
    runtime.spawn(async move { axum::serve(listener, router).await });
    FakeBroker {
        origin: Url::parse(&origin).unwrap(),
        _runtime: runtime,
    }
}

fn app(
    broker: &Url,
    token: Option<&str>,
    refresh: Option<&str>,
) -> (tauri::App<MockRuntime>, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::default());
    let config = AppConfig {
        broker: broker.clone(),
        high_broker: None,
        client_id: crate::state::SANDBOX_CLIENT_ID.into(),
    };
    let state = AppState::new(&config, store.clone(), Arc::new(FixedClock(NOW))).unwrap();
    if let Some(token) = token {
        state
            .set_session(Tokens {
                access_token: token.into(),
                refresh_token: refresh.map(Into::into),
            })
            .unwrap();
    } else if let Some(refresh) = refresh {
        store.set(REFRESH_TOKEN, refresh.as_bytes()).unwrap();
    }
    let app = crate::run(mock_builder(), state)
        .build(mock_context(noop_assets()))
        .unwrap();
    (app, store)
}

/// Invokes `cmd` through the IPC as the interface does.
pub(crate) fn invoke(
    app: &tauri::App<MockRuntime>,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    let webview = match app.get_webview_window("main") {
        Some(w) => w,
        None => tauri::WebviewWindowBuilder::new(app, "main", Default::default())
            .build()
            .unwrap(),
    };
    get_ipc_response(
        &webview,
        tauri::webview::InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: tauri::ipc::InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().unwrap())
}

#[test]
fn history_reaches_the_broker_with_a_dpop_proof() {
    let broker = fake_broker();
    let (app, _) = app(&broker.origin, Some(GOOD), Some("refresh-1"));
    let page = invoke(&app, "history", json!({})).unwrap();
    let page: HistoryPage = serde_json::from_value(page).unwrap();
    assert_eq!(page, history_page());
    assert_eq!(page.entries[0].kind, HistoryKind::Connection);
}

#[test]
fn a_refused_token_is_session_expired_and_ends_the_session() {
    let broker = fake_broker();
    let (app, store) = app(&broker.origin, Some("old-token"), Some("spent"));
    let err = invoke(&app, "history", json!({})).unwrap_err();
    // The refresh token was refused too: it is forgotten.
    assert_eq!(store.get(REFRESH_TOKEN).unwrap(), None);
    assert_eq!(err["code"], "session_expired");
    assert!(err["message"].as_str().unwrap().contains("session"));
    assert!(!app.state::<AppState>().signed_in().unwrap());
    // Without a session nothing is sent.
    let err = invoke(&app, "devices", json!({})).unwrap_err();
    assert_eq!(err["code"], "session_expired");
}

#[test]
fn an_unreachable_broker_is_offline() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let origin = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    let (app, _) = app(&origin, Some(GOOD), None);
    let err = invoke(&app, "history", json!({})).unwrap_err();
    assert_eq!(err["code"], "offline");
}

#[test]
fn preferences_devices_and_reports_go_through() {
    let broker = fake_broker();
    let (app, _) = app(&broker.origin, Some(GOOD), Some("refresh-1"));
    let view: PreferencesView =
        serde_json::from_value(invoke(&app, "preferences", json!({})).unwrap()).unwrap();
    assert!(view.connection_alerts);
    let view = invoke(
        &app,
        "update_preferences",
        json!({"update": {"blocked_fis": null, "connection_alerts": false}}),
    )
    .unwrap();
    assert_eq!(view["connection_alerts"], false);

    assert_eq!(
        invoke(&app, "forget_device", json!({"deviceId": "d-1"})).unwrap(),
        Value::Null
    );
    let err = invoke(&app, "forget_device", json!({"deviceId": "d-2"})).unwrap_err();
    assert_eq!(
        err,
        json!({"code": "refused", "message": "Appareil inconnu"})
    );
    let err = invoke(&app, "forget_device", json!({"deviceId": "../preferences"})).unwrap_err();
    assert_eq!(err["code"], "invalid");
    let trusted: DeviceView =
        serde_json::from_value(invoke(&app, "trust_device", json!({})).unwrap()).unwrap();
    assert!(trusted.current);
    assert_eq!(trusted.trusted_until, Some(NOW + 90 * 86_400));

    let report = json!({"report": {"reference": "r-1", "contact_email": "angela@example.fr", "message": "Ce n'était pas moi."}});
    let ack: FraudReportAck =
        serde_json::from_value(invoke(&app, "report", report).unwrap()).unwrap();
    assert_eq!(ack.reference, "r-1");
    let bad = json!({"report": {"contact_email": "nope", "message": "x"}});
    assert_eq!(invoke(&app, "report", bad).unwrap_err()["code"], "invalid");
}

#[test]
fn sign_out_forgets_the_tokens() {
    let broker = fake_broker();
    let (app, store) = app(&broker.origin, Some(GOOD), Some("refresh-to-revoke"));
    assert!(store.get(REFRESH_TOKEN).unwrap().is_some());
    assert_eq!(invoke(&app, "sign_out", json!({})).unwrap(), Value::Null);
    assert_eq!(store.get(REFRESH_TOKEN).unwrap(), None);
    assert!(
        REVOKED
            .lock()
            .unwrap()
            .contains(&"refresh-to-revoke".to_owned())
    );
    assert_eq!(
        invoke(&app, "history", json!({})).unwrap_err()["code"],
        "session_expired"
    );
}

#[test]
fn commands_without_a_session_or_a_login_say_so() {
    let broker = fake_broker();
    let (app, _) = app(&broker.origin, None, None);
    assert_eq!(
        invoke(&app, "pending_request", json!({})).unwrap(),
        Value::Null
    );
    // Trusting this app needs the citizen signed in.
    let err = invoke(&app, "trust_device", json!({})).unwrap_err();
    assert_eq!(err["code"], "session_expired");
    // Without a login in progress, its steps say so.
    let err = invoke(
        &app,
        "choose_fi",
        json!({"interactionId": "i", "fiId": "impots"}),
    )
    .unwrap_err();
    assert_eq!(err["code"], "invalid");
    assert!(err["message"].as_str().unwrap().contains("plus en cours"));
}

#[test]
fn commands_can_be_called_with_the_managed_state() {
    let broker = fake_broker();
    let (app, _) = app(&broker.origin, Some(GOOD), Some("refresh-1"));
    let page = tauri::async_runtime::block_on(commands::history(app.state::<AppState>())).unwrap();
    assert_eq!(page, history_page());
}

#[test]
fn a_refused_access_token_is_renewed_once_with_the_refresh_token() {
    let broker = fake_broker();
    let (app, store) = app(&broker.origin, Some("old-token"), Some("refresh-1"));
    let page = invoke(&app, "history", json!({})).unwrap();
    assert_eq!(
        serde_json::from_value::<HistoryPage>(page).unwrap(),
        history_page()
    );
    // The rotated refresh token replaced the spent one.
    assert_eq!(
        store.get(REFRESH_TOKEN).unwrap().as_deref(),
        Some(b"refresh-2".as_slice())
    );
    // The renewed access token serves the next calls.
    invoke(&app, "preferences", json!({})).unwrap();
    assert_eq!(
        store.get(REFRESH_TOKEN).unwrap().as_deref(),
        Some(b"refresh-2".as_slice())
    );
}

#[test]
fn after_a_restart_the_stored_refresh_token_opens_the_session() {
    let broker = fake_broker();
    let (app, store) = app(&broker.origin, None, Some("refresh-1"));
    assert!(!app.state::<AppState>().signed_in().unwrap());
    invoke(&app, "preferences", json!({})).unwrap();
    assert!(app.state::<AppState>().signed_in().unwrap());
    assert_eq!(
        store.get(REFRESH_TOKEN).unwrap().as_deref(),
        Some(b"refresh-2".as_slice())
    );
}

/// Plays the browser: answers the authorization request at its loopback
/// redirect with `code`.
fn browser(code: &'static str, origin: Url) -> impl FnOnce(&Url) -> Result<(), crate::AppError> {
    move |authorize: &Url| {
        let q: std::collections::BTreeMap<String, String> =
            authorize.query_pairs().into_owned().collect();
        let redirect = Url::parse(&q["redirect_uri"]).unwrap();
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("code", code)
            .append_pair("state", &q["state"])
            .append_pair("iss", origin.as_str().trim_end_matches('/'))
            .finish();
        std::thread::spawn(move || {
            use std::io::{Read as _, Write as _};
            let addr = (redirect.host_str().unwrap(), redirect.port().unwrap());
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            write!(s, "GET /callback?{query} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut answer = String::new();
            s.read_to_string(&mut answer).unwrap();
            assert!(answer.contains("revenir dans l'application"));
        });
        Ok(())
    }
}

#[test]
fn sign_in_redeems_the_loopback_code_for_bound_tokens() {
    let broker = fake_broker();
    let (app, store) = app(&broker.origin, None, None);
    let state = app.state::<AppState>();
    let listener =
        tauri::async_runtime::block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    tauri::async_runtime::block_on(state.sign_in(listener, browser("c1", broker.origin.clone())))
        .unwrap();
    assert!(state.signed_in().unwrap());
    assert_eq!(
        store.get(REFRESH_TOKEN).unwrap().as_deref(),
        Some(b"refresh-1".as_slice())
    );
    invoke(&app, "history", json!({})).unwrap();
    // The greeting comes from userinfo, with the bound token (`ath`).
    assert_eq!(
        tauri::async_runtime::block_on(state.given_name()).unwrap(),
        Some("Angela Claire".to_owned())
    );
}

#[test]
fn a_refused_code_does_not_sign_in() {
    let broker = fake_broker();
    let (app, store) = app(&broker.origin, None, None);
    let state = app.state::<AppState>();
    let listener =
        tauri::async_runtime::block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let err = tauri::async_runtime::block_on(
        state.sign_in(listener, browser("stolen", broker.origin.clone())),
    )
    .unwrap_err();
    assert_eq!(err.code(), "refused");
    assert!(!state.signed_in().unwrap());
    assert_eq!(store.get(REFRESH_TOKEN).unwrap(), None);
}

#[test]
fn signing_out_works_offline() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let origin = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
    let (app, store) = app(&origin, Some(GOOD), Some("refresh-1"));
    assert_eq!(invoke(&app, "sign_out", json!({})).unwrap(), Value::Null);
    assert_eq!(store.get(REFRESH_TOKEN).unwrap(), None);
    assert!(!app.state::<AppState>().signed_in().unwrap());
}
