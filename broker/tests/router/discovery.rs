//! `/.well-known/openid-configuration` and `/jwks`.

use std::collections::BTreeMap;

use axum::http::{StatusCode, header};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::harness::{Harness, ISSUER};

#[tokio::test]
async fn discovery_document() {
    let h = Harness::new().await;
    let r = h.get("/api/v2/.well-known/openid-configuration").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.header(header::CONTENT_TYPE)
            .unwrap()
            .starts_with("application/json")
    );
    let doc = r.json();
    insta::assert_json_snapshot!("discovery", doc);

    assert_eq!(doc["issuer"], ISSUER);
    for (member, path) in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks"),
        ("end_session_endpoint", "/session/end"),
        ("revocation_endpoint", "/token/revocation"),
    ] {
        assert_eq!(doc[member], format!("{ISSUER}{path}"), "{member}");
    }
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        doc["subject_types_supported"],
        serde_json::json!(["pairwise"])
    );
    assert_eq!(doc["acr_values_supported"], serde_json::json!(["eidas1"]));
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
}

#[tokio::test]
async fn discovery_endpoints_are_served_by_the_router() {
    // Every endpoint the document announces exists (405/400/401, never 404).
    let h = Harness::new().await;
    let doc = h
        .get("/api/v2/.well-known/openid-configuration")
        .await
        .json();
    for member in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
    ] {
        let path = doc[member]
            .as_str()
            .unwrap()
            .strip_prefix("http://127.0.0.1:7000")
            .unwrap()
            .to_owned();
        let r = h.get(&path).await;
        assert_ne!(r.status, StatusCode::NOT_FOUND, "{member} {path}");
    }
}

/// RFC 7638 thumbprint, recomputed independently of the broker.
fn thumbprint(jwk: &Value) -> String {
    let members: &[&str] = match jwk["kty"].as_str().unwrap() {
        "EC" => &["crv", "kty", "x", "y"],
        "RSA" => &["e", "kty", "n"],
        other => panic!("unexpected kty {other}"),
    };
    let canonical: BTreeMap<&str, &str> = members
        .iter()
        .map(|m| (*m, jwk[*m].as_str().unwrap()))
        .collect();
    URL_SAFE_NO_PAD.encode(Sha256::digest(
        serde_json::to_string(&canonical).unwrap().as_bytes(),
    ))
}

#[tokio::test]
async fn jwks_publishes_two_public_signing_keys() {
    let h = Harness::new().await;
    let r = h.get("/api/v2/jwks").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.header(header::CONTENT_TYPE),
        Some("application/jwk-set+json")
    );
    let keys = r.json()["keys"].as_array().unwrap().clone();
    assert_eq!(keys.len(), 2, "{keys:?}");
    let mut algs: Vec<&str> = keys.iter().map(|k| k["alg"].as_str().unwrap()).collect();
    algs.sort_unstable();
    assert_eq!(algs, ["ES256", "RS256"]);
    for k in &keys {
        assert_eq!(k["use"], "sig");
        assert_eq!(
            k["kid"].as_str().unwrap(),
            thumbprint(k),
            "kid is the RFC 7638 thumbprint"
        );
        for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
            assert!(
                k.get(private).is_none(),
                "private member {private} published: {k}"
            );
        }
        match k["alg"].as_str().unwrap() {
            "ES256" => {
                assert_eq!(k["kty"], "EC");
                assert_eq!(k["crv"], "P-256");
            }
            _ => assert_eq!(k["kty"], "RSA"),
        }
    }
}
