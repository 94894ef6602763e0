//! The card login through the commands, on Tauri's mock runtime: sandbox
//! virtual cards on in-process readers, against a fake broker twin and a
//! fake card provider that verifies the card's answer with the real
//! verifier (`pivot_card::verify`) and the sandbox state CA.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, State as AxumState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use pivot_card::sandbox::sandbox_pki;
use pivot_card::verify::{CardEvidence, VerifyError, verify};
use pivot_proto::card_auth::{CardAnswer, CardAuthError, CardAuthErrorCode, CardChallenge, encode};
use serde_json::{Value, json};
use tauri::Manager as _;
use tauri::test::{MockRuntime, mock_builder, mock_context, noop_assets};
use time::macros::datetime;
use url::Url;

use crate::card::virtual_readers::{VirtualReaders, card_of};
use crate::clock::FixedClock;
use crate::command_tests::{NOW, invoke};
use crate::secret_store::MemoryStore;
use crate::{AppConfig, AppState};

const REDIRECT_URI: &str = "https://fs.example/login/callback";
const READER: &str = "Lecteur test 00 00";

#[derive(Default)]
struct Fake {
    origin: String,
    /// Challenges issued, by answer number.
    challenges: Mutex<Vec<Vec<u8>>>,
    /// Answers received.
    answers: AtomicUsize,
    /// What the twin's callback received.
    callbacks: Mutex<Vec<Value>>,
    /// The first answer finds its challenge expired.
    expire_first: AtomicBool,
    /// The challenge names an answer URL on another origin.
    answer_elsewhere: AtomicBool,
}

fn view(step: Value) -> Value {
    let mut v = json!({
        "id": "int-c",
        "service": {"client_id": "fs-procuration", "name": "Procurations", "public_service": true},
        "level": "eidas3",
        "identity_items": ["Prénoms", "Nom de naissance"],
        "data": [],
    });
    for (k, val) in step.as_object().unwrap() {
        v[k] = val.clone();
    }
    v
}

fn providers() -> Value {
    view(json!({
        "step": "choose_fi",
        "identity_providers": [
            {"id": "france-identite", "name": "France Identité", "available": true}
        ]
    }))
}

async fn start() -> Response {
    (StatusCode::CREATED, Json(providers())).into_response()
}

async fn step(
    AxumState(f): AxumState<Arc<Fake>>,
    Path((_id, action)): Path<(String, String)>,
    body: String,
) -> Response {
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let o = &f.origin;
    match action.as_str() {
        "fi" => Json(view(json!({
            "step": "fi_login", "fi_id": "france-identite", "fi_name": "France Identité",
            "authorization_url": format!("{o}fi/authorize?state=st"),
            "callback_url": format!("{o}api/v2/fi/callback"),
            "method": "card"
        })))
        .into_response(),
        "fi/callback" => {
            f.callbacks.lock().unwrap().push(body.clone());
            if body["code"] == "card-ok" {
                Json(view(json!({
                    "step": "confirm", "fi_name": "France Identité", "agreement_required": false,
                    "identity": {"given_name": "Eric", "family_name": "MERCIER", "female": false,
                                 "birthdate": "16 juin 1962", "birthplace": "Paris"}
                })))
                .into_response()
            } else {
                Json(providers()).into_response()
            }
        }
        other => panic!("unexpected step {other}"),
    }
}

async fn authorize(AxumState(f): AxumState<Arc<Fake>>, h: HeaderMap) -> Response {
    assert_eq!(h["accept"], "application/json");
    let mut challenges = f.challenges.lock().unwrap();
    let n = challenges.len();
    let challenge = vec![u8::try_from(n).unwrap() + 1; 32];
    challenges.push(challenge.clone());
    let answer_origin = if f.answer_elsewhere.load(Ordering::SeqCst) {
        "http://127.0.0.2:9/".to_owned()
    } else {
        f.origin.clone()
    };
    Json(CardChallenge {
        fi_name: "France Identité".into(),
        challenge: encode(&challenge),
        answer_url: format!("{answer_origin}fi/answer/{n}"),
        expires_in: 300,
        cancel_url: format!(
            "{}api/v2/fi/callback?error=access_denied&state=st",
            f.origin
        ),
    })
    .into_response()
}

fn refusal(f: &Fake, error: CardAuthErrorCode, message: &str) -> Response {
    let status = StatusCode::from_u16(error.http_status()).unwrap();
    let body = CardAuthError {
        error,
        message: message.into(),
        return_url: Some(format!(
            "{}api/v2/fi/callback?error=access_denied&state=st",
            f.origin
        )),
    };
    (status, Json(body)).into_response()
}

async fn answer(
    AxumState(f): AxumState<Arc<Fake>>,
    Path(n): Path<usize>,
    Json(answer): Json<CardAnswer>,
) -> Response {
    let first = f.answers.fetch_add(1, Ordering::SeqCst) == 0;
    let a = answer.decode().unwrap();
    assert_eq!(
        a.challenge,
        f.challenges.lock().unwrap()[n],
        "the challenge issued"
    );
    if first && f.expire_first.load(Ordering::SeqCst) {
        return refusal(&f, CardAuthErrorCode::ChallengeExpired, "Délai dépassé.");
    }
    let pki = sandbox_pki().unwrap();
    let evidence = CardEvidence {
        challenge: &a.challenge,
        signature: &a.signature,
        card_certificate: &a.card_certificate,
        issuer_certificate: &a.issuer_certificate,
        identity: &a.identity,
        identity_signature: &a.identity_signature,
    };
    match verify(
        &evidence,
        pki.root().certificate_der(),
        datetime!(2026-11-23 12:00 UTC),
    ) {
        Ok(_) => Json(json!({"redirect_url": format!(
            "{}api/v2/fi/callback?code=card-ok&state=st&iss=https%3A%2F%2Ffi.example",
            f.origin
        )}))
        .into_response(),
        Err(VerifyError::Expired { .. }) => refusal(
            &f,
            CardAuthErrorCode::CertificateExpired,
            "Votre carte d'identité a expiré.",
        ),
        Err(e) => refusal(&f, CardAuthErrorCode::BadSignature, &e.to_string()),
    }
}

struct Server {
    fake: Arc<Fake>,
    origin: Url,
    _runtime: tokio::runtime::Runtime,
}

fn server() -> Server {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let origin = format!("http://{}/", listener.local_addr().unwrap());
    let fake = Arc::new(Fake {
        origin: origin.clone(),
        ..Fake::default()
    });
    let router = axum::Router::new()
        .route("/api/v2/app/interactions", post(start))
        .route("/api/v2/app/interactions/{id}/{*action}", post(step))
        .route("/fi/authorize", get(authorize))
        .route("/fi/answer/{n}", post(answer))
        .with_state(Arc::clone(&fake));
    runtime.spawn(async move { axum::serve(listener, router).await });
    Server {
        fake,
        origin: Url::parse(&origin).unwrap(),
        _runtime: runtime,
    }
}

fn app(server: &Server, readers: Arc<VirtualReaders>) -> tauri::App<MockRuntime> {
    let config = AppConfig {
        broker: server.origin.clone(),
        high_broker: None,
        client_id: crate::state::SANDBOX_CLIENT_ID.into(),
    };
    let state = AppState::new(
        &config,
        Arc::new(MemoryStore::default()),
        Arc::new(FixedClock(NOW)),
    )
    .unwrap()
    .with_opener(Arc::new(|_: &Url| Ok(())))
    .with_card_readers(readers);
    crate::run(mock_builder(), state)
        .build(mock_context(noop_assets()))
        .unwrap()
}

/// A login at the card provider's step.
fn at_card_step(app: &tauri::App<MockRuntime>) {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", "fs-procuration")
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", "openid given_name")
        .append_pair("state", "s1")
        .append_pair("nonce", "n1")
        .append_pair("acr_values", "eidas3")
        .finish();
    app.state::<AppState>()
        .links()
        .receive(&format!("pivot://authorize?{query}"))
        .unwrap();
    invoke(app, "pending_request", json!({})).unwrap();
    let v = invoke(
        app,
        "choose_fi",
        json!({"interactionId": "int-c", "fiId": "france-identite"}),
    )
    .unwrap();
    assert_eq!(v["step"], "fi_login");
    assert_eq!(v["method"], "card");
}

fn login(app: &tauri::App<MockRuntime>, can: &str, pin: &str) -> Result<Value, Value> {
    invoke(
        app,
        "card_login",
        json!({"request": {"interaction_id": "int-c", "reader": READER, "can": can, "pin": pin}}),
    )
}

#[test]
fn the_card_logs_the_citizen_in_without_any_window() {
    let s = server();
    let app = app(
        &s,
        Arc::new(VirtualReaders::with_card(READER, "eric-mercier")),
    );
    at_card_step(&app);
    // No provider window: the card login runs in the app.
    assert!(app.get_webview_window(crate::fi_window::LABEL).is_none());
    let readers = invoke(&app, "card_readers", json!({})).unwrap();
    assert_eq!(
        readers,
        json!({"service": "ready", "readers": [{"name": READER, "card": "present"}]})
    );

    let v = login(&app, "123456", "1234").unwrap();
    assert_eq!(v["step"], "confirm");
    assert_eq!(v["identity"]["family_name"], "MERCIER");
    // The provider's redirect was relayed to the broker's callback.
    assert_eq!(
        s.fake.callbacks.lock().unwrap().as_slice(),
        [json!({"code": "card-ok", "state": "st", "iss": "https://fi.example"})]
    );
}

#[test]
fn a_wrong_pin_never_reaches_the_provider_and_says_how_many_tries_are_left() {
    let s = server();
    let app = app(
        &s,
        Arc::new(VirtualReaders::with_card(READER, "eric-mercier")),
    );
    at_card_step(&app);
    let e = login(&app, "123456", "9999").unwrap_err();
    assert_eq!(e["code"], "card");
    assert_eq!(e["card"], json!({"problem": "wrong_pin", "tries_left": 2}));
    assert!(e["message"].as_str().unwrap().contains("2 essais"), "{e}");
    let e = login(&app, "654321", "1234").unwrap_err();
    assert_eq!(e["card"], json!({"problem": "wrong_can"}));
    assert_eq!(s.fake.answers.load(Ordering::SeqCst), 0);
    // Still at the card step: the right codes go through.
    assert_eq!(login(&app, "123456", "1234").unwrap()["step"], "confirm");
}

#[test]
fn badly_typed_codes_are_refused_before_the_card_is_touched() {
    let s = server();
    let app = app(
        &s,
        Arc::new(VirtualReaders::with_card(READER, "eric-mercier")),
    );
    at_card_step(&app);
    for (can, pin) in [("12345", "1234"), ("123456", "12a4"), ("123456", "12345")] {
        let e = login(&app, can, pin).unwrap_err();
        assert_eq!(e["code"], "invalid", "{can} {pin}");
    }
    assert!(s.fake.challenges.lock().unwrap().is_empty());
    // The PIN's counter was not touched: three wrong tries still to go.
    let e = login(&app, "123456", "9999").unwrap_err();
    assert_eq!(e["card"]["tries_left"], 2);
}

#[test]
fn no_card_and_no_reader_are_told_apart() {
    let s = server();
    let readers = Arc::new(VirtualReaders::default());
    readers.plug(READER);
    let app = app(&s, Arc::clone(&readers));
    at_card_step(&app);
    let e = login(&app, "123456", "1234").unwrap_err();
    assert_eq!(e["card"], json!({"problem": "no_card"}));
    let e = invoke(
        &app,
        "card_login",
        json!({"request": {"interaction_id": "int-c", "reader": "Débranché", "can": "123456", "pin": "1234"}}),
    )
    .unwrap_err();
    assert_eq!(e["card"], json!({"problem": "no_reader"}));
    // The card is put on the reader: it works.
    readers.insert(READER, card_of("eric-mercier"));
    assert_eq!(login(&app, "123456", "1234").unwrap()["step"], "confirm");
}

#[test]
fn an_expired_card_is_refused_by_the_provider_and_the_citizen_can_leave_it() {
    let s = server();
    let app = app(
        &s,
        Arc::new(VirtualReaders::with_card(
            READER,
            "marie-helene-de-la-fontaine-eloise",
        )),
    );
    at_card_step(&app);
    let e = login(&app, "345678", "1234").unwrap_err();
    assert_eq!(e["code"], "card_refused");
    assert_eq!(e["message"], "Votre carte d'identité a expiré.");
    // Leaving the provider: the broker hears access_denied, shows the list.
    let v = invoke(&app, "card_cancel", json!({"interactionId": "int-c"})).unwrap();
    assert_eq!(v["step"], "choose_fi");
    assert_eq!(
        s.fake.callbacks.lock().unwrap().as_slice(),
        [json!({"error": "access_denied", "state": "st"})]
    );
}

#[test]
fn an_expired_challenge_is_asked_again_once() {
    let s = server();
    s.fake.expire_first.store(true, Ordering::SeqCst);
    let app = app(
        &s,
        Arc::new(VirtualReaders::with_card(READER, "eric-mercier")),
    );
    at_card_step(&app);
    assert_eq!(login(&app, "123456", "1234").unwrap()["step"], "confirm");
    assert_eq!(s.fake.challenges.lock().unwrap().len(), 2);
    assert_eq!(s.fake.answers.load(Ordering::SeqCst), 2);
}

#[test]
fn the_card_answer_goes_nowhere_but_to_the_provider() {
    let s = server();
    s.fake.answer_elsewhere.store(true, Ordering::SeqCst);
    let app = app(
        &s,
        Arc::new(VirtualReaders::with_card(READER, "eric-mercier")),
    );
    at_card_step(&app);
    let e = login(&app, "123456", "1234").unwrap_err();
    assert_eq!(e["code"], "invalid");
    assert!(e["message"].as_str().unwrap().contains("ailleurs"), "{e}");
    assert_eq!(s.fake.answers.load(Ordering::SeqCst), 0);
}

#[test]
fn a_blocked_pin_is_unblocked_with_the_puk() {
    let s = server();
    let app = app(
        &s,
        Arc::new(VirtualReaders::with_card(READER, "carmen-garcia")),
    );
    at_card_step(&app);
    let e = login(&app, "234567", "1234").unwrap_err();
    assert_eq!(e["card"], json!({"problem": "pin_blocked"}));
    let unblock = |puk: &str| {
        invoke(
            &app,
            "card_unblock",
            json!({"request": {"reader": READER, "can": "234567", "puk": puk, "new_pin": "2468"}}),
        )
    };
    let e = unblock("00000000").unwrap_err();
    assert_eq!(e["card"], json!({"problem": "wrong_puk", "tries_left": 9}));
    assert_eq!(unblock("87654321").unwrap(), Value::Null);
    // The login goes on with the new PIN (the card's identity is Carmen's:
    // the fake provider accepts any valid card).
    assert_eq!(login(&app, "234567", "2468").unwrap()["step"], "confirm");
}

#[test]
fn a_card_login_needs_a_card_step() {
    let s = server();
    let app = app(
        &s,
        Arc::new(VirtualReaders::with_card(READER, "eric-mercier")),
    );
    // No login at all.
    let e = login(&app, "123456", "1234").unwrap_err();
    assert_eq!(e["code"], "invalid");
    let e = invoke(&app, "card_cancel", json!({"interactionId": "int-c"})).unwrap_err();
    assert_eq!(e["code"], "invalid");
}
