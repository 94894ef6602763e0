use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use http_body_util::BodyExt;
use pivot_proto::{
    identity::{FiIdentity, Gender, PivotIdentity, RawIdentityClaims},
    rnipp::{API_KEY_HEADER, RnippOutcome, RnippQuery, RnippResponse, SEARCH_PATH},
};
use serde_json::Value;
use time::macros::{date, datetime};
use tower::ServiceExt;

use super::{
    RegistryBehaviour, RegistryControl, RegistrySpec,
    data::{self, Lookup, RECORDS, Record, refusal, search},
    router, router_with_records,
};
use crate::{
    clock::FixedClock,
    sandbox::citizens::{Citizen, RegistryCase, citizens, citizens_with, find_citizen},
    secret::Secret,
};

const KEY: &str = "registry-test-key";
const TODAY: time::Date = date!(2025 - 06 - 01);

/// The pivot identity the broker gets from `citizen`'s FIs, validated as
/// the broker validates it (presumed dates completed).
fn fi_identity(citizen: &Citizen) -> PivotIdentity {
    let raw = RawIdentityClaims {
        given_name: Some(citizen.given_name.into()),
        family_name: Some(citizen.family_name.into()),
        birthdate: Some(citizen.birthdate.into()),
        gender: Some(citizen.gender.into()),
        birthplace: Some(citizen.birthplace.into()),
        birthcountry: Some(citizen.birthcountry.into()),
        email: Some(citizen.email.into()),
        preferred_username: citizen.preferred_username.map(Into::into),
    };
    FiIdentity::validate(raw, TODAY)
        .unwrap_or_else(|e| panic!("{}: {e}", citizen.key))
        .pivot
}

fn query_of(key: &str) -> RnippQuery {
    RnippQuery::from_identity(&fi_identity(find_citizen(key).unwrap()))
}

fn lookup(key: &str) -> Lookup {
    search(RECORDS, &query_of(key), TODAY)
}

fn identity(g: &str, f: &str, b: &str, gender: Gender, bp: &str, bc: &str) -> PivotIdentity {
    PivotIdentity {
        given_name: g.into(),
        family_name: f.into(),
        birthdate: b.into(),
        gender,
        birthplace: bp.into(),
        birthcountry: bc.into(),
    }
}

#[test]
fn every_citizen_gets_the_documented_answer() {
    for citizen in citizens() {
        let fi = fi_identity(citizen);
        let found = search(RECORDS, &RnippQuery::from_identity(&fi), TODAY);
        assert_eq!(
            found.outcome.as_str(),
            citizen.registry.outcome_code(),
            "{}: {:?}",
            citizen.key,
            found.outcome
        );
        assert_eq!(found.slow, citizen.registry.is_slow(), "{}", citizen.key);
        match citizen.registry {
            RegistryCase::Found | RegistryCase::SlowFound => {
                assert_eq!(found.outcome, RnippOutcome::Found(fi), "{}", citizen.key);
            }
            RegistryCase::Corrected => {
                let registry = found.outcome.identity().unwrap();
                assert_ne!(registry, &fi, "{}", citizen.key);
            }
            _ => assert!(found.outcome.identity().is_none(), "{}", citizen.key),
        }
    }
}

#[test]
fn every_outcome_is_reachable_by_a_citizen_with_an_account() {
    for case in RegistryCase::ALL {
        assert!(
            citizens_with(case).any(|c| !c.accounts.is_empty()),
            "{case:?}"
        );
    }
    // The login tests rely on Eric MERCIER being found as his FIs know him.
    assert_eq!(
        find_citizen("eric-mercier").unwrap().registry,
        RegistryCase::Found
    );
}

#[test]
fn corrections_of_the_corrected_citizens() {
    assert_eq!(
        lookup("sophie-lefebvre").outcome,
        RnippOutcome::Corrected {
            identity: identity(
                "Sophie Anne Claire",
                "LEFEBVRE",
                "1985-04-17",
                Gender::Female,
                "59350",
                "99100"
            ),
            corrected: vec!["given_name".into()],
        }
    );
    assert_eq!(
        lookup("francoise-le-goff").outcome,
        RnippOutcome::Corrected {
            identity: identity(
                "Françoise",
                "LE GOFF",
                "1958-09-02",
                Gender::Female,
                "29019",
                "99100"
            ),
            corrected: vec!["given_name".into(), "family_name".into()],
        }
    );
}

#[test]
fn presumed_birthdate_is_matched_once_completed() {
    // Ahmed BENALI's FI sends 1950-06; the broker asks for 1950-06-01.
    let q = query_of("ahmed-benali");
    assert_eq!(q.birthdate, "1950-06-01");
    assert!(matches!(
        search(RECORDS, &q, TODAY).outcome,
        RnippOutcome::Found(_)
    ));
}

#[test]
fn the_other_outcomes_of_the_new_citizens() {
    assert_eq!(lookup("julien-rousseau").outcome, RnippOutcome::NotFound);
    // With the right birth date he is found.
    let mut q = query_of("julien-rousseau");
    q.birthdate = "1979-01-15".into();
    assert!(matches!(
        search(RECORDS, &q, TODAY).outcome,
        RnippOutcome::Found(_)
    ));

    assert_eq!(
        lookup("nathalie-petit").outcome,
        RnippOutcome::MarriedNameOnly
    );
    // Under her birth name she is found.
    let mut q = query_of("nathalie-petit");
    q.family_name = "Moreau".into();
    assert!(matches!(
        search(RECORDS, &q, TODAY).outcome,
        RnippOutcome::Corrected { .. }
    ));

    assert_eq!(lookup("robert-girard").outcome, RnippOutcome::Deceased);
    let rejected = lookup("lea-roux").outcome;
    assert!(
        matches!(&rejected, RnippOutcome::Rejected { reason } if reason.contains("1900-01-01")),
        "{rejected:?}"
    );
    let slow = lookup("yasmine-el-amrani");
    assert!(slow.slow);
    assert!(matches!(slow.outcome, RnippOutcome::Found(_)));
}

#[test]
fn homonyms_are_told_apart_by_birth() {
    let mut q = query_of("eric-mercier");
    q.birthdate = "1971-09-25".into();
    assert_eq!(search(RECORDS, &q, TODAY).outcome, RnippOutcome::NotFound);
    q.birthplace = "69123".into();
    assert!(matches!(
        search(RECORDS, &q, TODAY).outcome,
        RnippOutcome::Found(_)
    ));
    // Sophie LEFEBVRE of Roubaix is another person than the one of Lille.
    let mut q = query_of("sophie-lefebvre");
    q.birthplace = "59512".into();
    assert_eq!(
        search(RECORDS, &q, TODAY)
            .outcome
            .identity()
            .unwrap()
            .given_name,
        "Sophie Marie"
    );
    q.gender = Gender::Male;
    assert_eq!(search(RECORDS, &q, TODAY).outcome, RnippOutcome::NotFound);
}

/// A small data set for the matching rules.
static RULES: &[Record] = &[
    Record {
        given_name: "Jean-Pierre Paul",
        family_name: "DURAND",
        usage_name: None,
        birthdate: "1960-01-01",
        gender: Gender::Male,
        birthplace: "13055",
        birthcountry: "99100",
        death_date: None,
        slow: false,
    },
    // Two people who only differ by their second given name.
    Record {
        given_name: "Anne Marie",
        family_name: "LEROY",
        usage_name: Some("BLANC"),
        birthdate: "1970-05-05",
        gender: Gender::Female,
        birthplace: "",
        birthcountry: "99134",
        death_date: None,
        slow: false,
    },
    Record {
        given_name: "Anne Sophie",
        family_name: "LEROY",
        usage_name: None,
        birthdate: "1970-05-05",
        gender: Gender::Female,
        birthplace: "",
        birthcountry: "99134",
        death_date: None,
        slow: true,
    },
    Record {
        given_name: "Paul",
        family_name: "NOIR",
        usage_name: Some("BLANC"),
        birthdate: "1940-02-02",
        gender: Gender::Male,
        birthplace: "69123",
        birthcountry: "99100",
        death_date: Some("2020-01-01"),
        slow: false,
    },
];

fn rule_query(g: &str, f: &str) -> RnippQuery {
    RnippQuery::from_identity(&identity(
        g,
        f,
        "1960-01-01",
        Gender::Male,
        "13055",
        "99100",
    ))
}

fn leroy(g: &str, f: &str) -> RnippQuery {
    RnippQuery::from_identity(&identity(g, f, "1970-05-05", Gender::Female, "", "99134"))
}

#[test]
fn given_names_match_equal_or_by_strict_word_prefix() {
    let code = |q: RnippQuery| search(RULES, &q, TODAY).outcome.as_str();
    assert_eq!(code(rule_query("Jean-Pierre Paul", "DURAND")), "found");
    assert_eq!(
        code(rule_query("jean - pierre  paul", "Durand")),
        "corrected"
    );
    assert_eq!(code(rule_query("Jean-Pierre", "DURAND")), "corrected");
    // Not a word prefix, not the same compound name, too many names, wrong order.
    assert_eq!(code(rule_query("Jean", "DURAND")), "not_found");
    assert_eq!(code(rule_query("Jean Pierre Paul", "DURAND")), "not_found");
    assert_eq!(
        code(rule_query("Jean-Pierre Paul Louis", "DURAND")),
        "not_found"
    );
    assert_eq!(code(rule_query("Paul Jean-Pierre", "DURAND")), "not_found");
    assert_eq!(code(rule_query("Jean-Pierre Paul", "DURANT")), "not_found");
}

#[test]
fn an_ambiguous_query_is_not_found() {
    // "Anne" is a prefix of both Anne Marie and Anne Sophie LEROY.
    assert_eq!(
        search(RULES, &leroy("Anne", "LEROY"), TODAY).outcome,
        RnippOutcome::NotFound
    );
    let sophie = search(RULES, &leroy("Anne Sophie", "LEROY"), TODAY);
    assert_eq!(sophie.outcome.identity().unwrap().given_name, "Anne Sophie");
    assert!(sophie.slow);
    // Abroad, the birth place is not compared.
    let mut q = leroy("Anne Marie", "LEROY");
    q.birthplace = String::new();
    assert!(!search(RULES, &q, TODAY).slow);
}

#[test]
fn usage_names_and_deaths() {
    assert_eq!(
        search(RULES, &leroy("Anne", "BLANC"), TODAY).outcome,
        RnippOutcome::MarriedNameOnly
    );
    assert_eq!(
        search(RULES, &leroy("Anne Marie", "blanc"), TODAY).outcome,
        RnippOutcome::MarriedNameOnly
    );
    let paul = |f: &str| {
        RnippQuery::from_identity(&identity(
            "Paul",
            f,
            "1940-02-02",
            Gender::Male,
            "69123",
            "99100",
        ))
    };
    assert_eq!(
        search(RULES, &paul("NOIR"), TODAY).outcome,
        RnippOutcome::Deceased
    );
    assert_eq!(
        search(RULES, &paul("BLANC"), TODAY).outcome,
        RnippOutcome::Deceased
    );
}

/// A change made to a query.
type Change = fn(&mut RnippQuery);

#[test]
fn refused_queries() {
    let ok = rule_query("Jean-Pierre Paul", "DURAND");
    assert_eq!(refusal(&ok, TODAY), None);
    let cases: Vec<(Change, &str)> = vec![
        (|q| q.birthdate = "1960-1-01".into(), "YYYY-MM-DD"),
        (|q| q.birthdate = "1960-02-30".into(), "YYYY-MM-DD"),
        (|q| q.birthdate = "1899-12-31".into(), "1900-01-01"),
        (|q| q.birthdate = "2025-06-02".into(), "future"),
        (|q| q.birthcountry = "100".into(), "country code"),
        (|q| q.birthplace = String::new(), "commune code"),
        (
            |q| q.birthcountry = "99134".into(),
            "empty for a birth abroad",
        ),
        (|q| q.given_name = " - ".into(), "given_name is empty"),
        (|q| q.family_name = "Durand 2".into(), "family_name holds"),
        (|q| q.given_name = "Ιωάννης".into(), "given_name holds"),
        (
            |q| q.family_name = "DURAND (dit Jojo)".into(),
            "family_name holds",
        ),
    ];
    for (change, reason) in cases {
        let mut q = ok.clone();
        change(&mut q);
        let refused = refusal(&q, TODAY).unwrap_or_default();
        assert!(refused.contains(reason), "{q:?}: {refused:?}");
        assert!(matches!(
            search(RULES, &q, TODAY).outcome,
            RnippOutcome::Rejected { .. }
        ));
    }
    // Born today, an apostrophe, a 1900-01-01 birth: accepted.
    for change in [
        (|q: &mut RnippQuery| q.birthdate = "2025-06-01".into()) as Change,
        |q| q.family_name = "D’Artagnan".into(),
        |q| q.birthdate = data::FIRST_BIRTHDATE.into(),
    ] {
        let mut q = ok.clone();
        change(&mut q);
        assert_eq!(refusal(&q, TODAY), None, "{q:?}");
    }
}

// ---- HTTP ----

fn service(slow_delay: Duration) -> (Router, RegistryControl) {
    let control = RegistryControl::new();
    let clock = Arc::new(FixedClock::new(datetime!(2025-06-01 10:00 UTC)));
    let spec = RegistrySpec {
        api_key: Secret::new(KEY),
        slow_delay,
    };
    (router(spec, control.clone(), clock), control)
}

fn post(body: &str, key: Option<&str>) -> Request<Body> {
    let mut req = Request::post(SEARCH_PATH).header(header::CONTENT_TYPE, "application/json");
    if let Some(key) = key {
        req = req.header(API_KEY_HEADER, key);
    }
    req.body(Body::from(body.to_owned())).unwrap()
}

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, Value) {
    let response = app.clone().oneshot(req).await.unwrap();
    let status = response.status();
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/json",
        "{status}"
    );
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap())
}

fn body_of(key: &str) -> String {
    serde_json::to_string(&query_of(key)).unwrap()
}

#[tokio::test]
async fn search_answers_json_outcomes() {
    let (app, _) = service(Duration::from_secs(1));
    for citizen in citizens().iter().filter(|c| !c.registry.is_slow()) {
        let (status, json) = send(&app, post(&body_of(citizen.key), Some(KEY))).await;
        assert_eq!(status, StatusCode::OK, "{}", citizen.key);
        assert_eq!(
            json["outcome"],
            citizen.registry.outcome_code(),
            "{}",
            citizen.key
        );
        let response: RnippResponse = serde_json::from_value(json).unwrap();
        assert_eq!(
            RnippOutcome::from(response),
            search(RECORDS, &query_of(citizen.key), TODAY).outcome
        );
    }
    let response = app
        .clone()
        .oneshot(post(&body_of("eric-mercier"), Some(KEY)))
        .await
        .unwrap();
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
}

#[tokio::test]
async fn the_api_key_is_required() {
    let (app, _) = service(Duration::from_secs(1));
    for key in [None, Some("wrong"), Some(""), Some("registry-test-key ")] {
        let (status, json) = send(&app, post(&body_of("eric-mercier"), key)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{key:?}");
        assert_eq!(json["error"], "unauthorized");
    }
    // Checked before the body is read.
    let (status, _) = send(&app, post("not json", Some("wrong"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_malformed_body_is_a_400() {
    let (app, _) = service(Duration::from_secs(1));
    let mut unknown_field: Value = serde_json::from_str(&body_of("eric-mercier")).unwrap();
    unknown_field["nir"] = "1660375056123".into();
    for body in [
        "not json".to_owned(),
        "{}".to_owned(),
        r#"{"given_name":"Eric"}"#.to_owned(),
        body_of("eric-mercier").replace("male", "other"),
        unknown_field.to_string(),
    ] {
        let (status, json) = send(&app, post(&body, Some(KEY))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(json["error"], "invalid_request");
        assert!(
            json["error_description"]
                .as_str()
                .is_some_and(|d| !d.is_empty())
        );
    }
    let req = Request::post(SEARCH_PATH)
        .header(API_KEY_HEADER, KEY)
        .body(Body::from(body_of("eric-mercier")))
        .unwrap();
    let (status, _) = send(&app, req).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no JSON content type");
    let (status, json) = send(&app, Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(
        (status, json["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

#[tokio::test]
async fn a_slow_record_answers_after_the_slow_delay() {
    let (app, _) = service(Duration::from_millis(400));
    let start = tokio::time::Instant::now();
    let (status, json) = send(&app, post(&body_of("yasmine-el-amrani"), Some(KEY))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["outcome"], "found");
    assert!(start.elapsed() >= Duration::from_millis(400));
    let start = tokio::time::Instant::now();
    send(&app, post(&body_of("eric-mercier"), Some(KEY))).await;
    assert!(start.elapsed() < Duration::from_millis(400));
}

#[tokio::test]
async fn the_control_switches_behaviour() {
    let (app, control) = service(Duration::from_secs(1));
    control.set(RegistryBehaviour::Unavailable);
    let response = app
        .clone()
        .oneshot(post(&body_of("eric-mercier"), Some(KEY)))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()[header::RETRY_AFTER], "60");

    let delay = Duration::from_millis(400);
    control.set(RegistryBehaviour::Slow(delay));
    assert_eq!(control.get(), RegistryBehaviour::Slow(delay));
    let start = tokio::time::Instant::now();
    let (status, _) = send(&app, post(&body_of("eric-mercier"), Some(KEY))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(start.elapsed() >= delay);

    control.set(RegistryBehaviour::Normal);
    let start = tokio::time::Instant::now();
    let (status, _) = send(&app, post(&body_of("eric-mercier"), Some(KEY))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(start.elapsed() < delay);
}

#[tokio::test]
async fn custom_records_are_served() {
    let control = RegistryControl::new();
    let clock = Arc::new(FixedClock::new(datetime!(2025-06-01 10:00 UTC)));
    let app = router_with_records(RegistrySpec::new(Secret::new(KEY)), control, clock, RULES);
    let body = serde_json::to_string(&rule_query("Jean-Pierre Paul", "DURAND")).unwrap();
    let (_, json) = send(&app, post(&body, Some(KEY))).await;
    assert_eq!(json["outcome"], "found");
    let (_, json) = send(&app, post(&body_of("eric-mercier"), Some(KEY))).await;
    assert_eq!(json["outcome"], "not_found");
}

#[test]
fn spec_debug_hides_the_key() {
    let spec = RegistrySpec::new(Secret::new(KEY));
    assert!(!format!("{spec:?}").contains(KEY));
    assert_eq!(spec.slow_delay, super::DEFAULT_SLOW_DELAY);
}
