//! The discovery document and the published keys.

use anyhow::Result;
use pivot_tests::TestSandbox;
use serde_json::{Value, json};

async fn discovery(sb: &TestSandbox) -> Result<(reqwest::header::HeaderMap, Value)> {
    let res = reqwest::get(sb.endpoint("/.well-known/openid-configuration")).await?;
    assert_eq!(res.status(), 200);
    let headers = res.headers().clone();
    Ok((headers, res.json().await?))
}

#[tokio::test]
async fn the_discovery_document_describes_the_low_platform() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let (headers, d) = discovery(&sb).await?;
    assert!(headers.get("content-type").is_some_and(|c| {
        c.to_str()
            .unwrap_or_default()
            .starts_with("application/json")
    }));
    let iss = sb.issuer();
    assert_eq!(d["issuer"], iss);
    assert!(iss.ends_with("/api/v2"));
    for (k, path) in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("jwks_uri", "/jwks"),
        ("end_session_endpoint", "/session/end"),
        ("revocation_endpoint", "/token/revocation"),
    ] {
        assert_eq!(d[k], format!("{iss}{path}"), "{k}");
    }
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(d["acr_values_supported"], json!(["eidas1"]));
    assert_eq!(d["response_types_supported"], json!(["code"]));
    assert_eq!(
        d["grant_types_supported"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(d["subject_types_supported"], json!(["pairwise"]));
    assert_eq!(d["request_parameter_supported"], false);
    assert_eq!(d["claims_parameter_supported"], true);
    let algs = d["id_token_signing_alg_values_supported"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        algs.contains(&json!("ES256"))
            && algs.contains(&json!("RS256"))
            && !algs.contains(&json!("HS256")),
        "{algs:?}"
    );
    let auth = d["token_endpoint_auth_methods_supported"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for m in [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ] {
        assert!(auth.contains(&json!(m)), "{m}");
    }
    let scopes = d["scopes_supported"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for s in [
        "openid",
        "profile",
        "birth",
        "identite_pivot",
        "email",
        "amr",
        "idp_id",
    ] {
        assert!(scopes.contains(&json!(s)), "scope {s}");
    }
    // Every endpoint it announces answers (not 404).
    for k in [
        "authorization_endpoint",
        "jwks_uri",
        "userinfo_endpoint",
        "end_session_endpoint",
    ] {
        let res = reqwest::get(d[k].as_str().unwrap_or_default()).await?;
        assert_ne!(res.status(), 404, "{k}");
    }
    Ok(())
}

#[tokio::test]
async fn the_jwks_holds_an_es256_and_an_rs256_key() -> Result<()> {
    let sb = TestSandbox::start().await?;
    let res = reqwest::get(sb.endpoint("/jwks")).await?;
    assert_eq!(res.status(), 200);
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        ct.starts_with("application/jwk-set+json") || ct.starts_with("application/json"),
        "{ct}"
    );
    let jwks: Value = res.json().await?;
    let keys = jwks["keys"].as_array().cloned().unwrap_or_default();
    let ec: Vec<&Value> = keys.iter().filter(|k| k["kty"] == "EC").collect();
    let rsa: Vec<&Value> = keys.iter().filter(|k| k["kty"] == "RSA").collect();
    assert_eq!(ec.len(), 1, "{jwks}");
    assert_eq!(rsa.len(), 1, "{jwks}");
    assert_eq!(ec[0]["crv"], "P-256");
    for k in &keys {
        assert!(
            k["kid"].as_str().is_some_and(|kid| !kid.is_empty()),
            "kid on {k}"
        );
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(
                k.get(private).is_none(),
                "private member {private} published"
            );
        }
    }
    assert_ne!(ec[0]["kid"], rsa[0]["kid"]);
    Ok(())
}
