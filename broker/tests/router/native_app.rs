//! What the citizen app needs from the broker as a native client: its
//! redirect URIs (custom scheme, loopback on any port, RFC 8252) and the
//! app-link files of the mobile platforms.

use axum::http::{StatusCode, header};
use pivot_broker::storage::ClientAuthMethod;

use crate::harness::{Harness, authorize_params, client, form};

const APP: &str = "native-app";

async fn harness() -> Harness {
    let h = Harness::new().await;
    let mut app = client(APP, ClientAuthMethod::None);
    app.redirect_uris = vec![
        "pivot://callback".into(),
        "http://127.0.0.1/callback".into(),
    ];
    h.state.store.put_client(&app).await.unwrap();
    h
}

async fn authorize_to(h: &Harness, redirect_uri: &str) -> crate::harness::Reply {
    let challenge = pivot_proto::oauth::pkce::s256_challenge(&"v".repeat(50));
    let mut params = authorize_params(APP);
    params.retain(|(k, _)| *k != "redirect_uri");
    params.push(("redirect_uri", redirect_uri));
    params.push(("code_challenge", &challenge));
    params.push(("code_challenge_method", "S256"));
    h.get(&format!("/api/v2/authorize?{}", form(&params))).await
}

#[tokio::test]
async fn a_native_app_gets_its_custom_scheme_and_any_loopback_port() {
    let h = harness().await;
    for ok in [
        "pivot://callback",
        "http://127.0.0.1/callback",
        "http://127.0.0.1:49152/callback",
    ] {
        let r = authorize_to(&h, ok).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{ok}: {}", r.text());
        assert!(r.location().starts_with("/interaction/"), "{ok}");
    }
    for bad in [
        "http://127.0.0.1:49152/other",
        "http://localhost:49152/callback",
        "pivot://callback/extra",
        "evil://callback",
    ] {
        let r = authorize_to(&h, bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    // A confidential web service gets no port leeway.
    let mut params = authorize_params(crate::harness::BASIC);
    params.retain(|(k, _)| *k != "redirect_uri");
    params.push(("redirect_uri", "https://fs.example:8443/callback"));
    let r = h.get(&format!("/api/v2/authorize?{}", form(&params))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn app_link_files_name_the_app() {
    let h = harness().await;
    let r = h.get("/.well-known/assetlinks.json").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.header(header::CONTENT_TYPE)
            .unwrap()
            .starts_with("application/json")
    );
    let v = r.json();
    assert_eq!(v[0]["target"]["package_name"], "fr.gouv.pivot.test");
    assert_eq!(v[0]["target"]["sha256_cert_fingerprints"][0], "AB:CD");
    assert_eq!(
        v[0]["relation"][0],
        "delegate_permission/common.handle_all_urls"
    );
    let r = h.get("/.well-known/apple-app-site-association").await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(
        v["applinks"]["details"][0]["appIDs"][0],
        "TEAM123.fr.gouv.pivot.test"
    );
    assert_eq!(
        v["applinks"]["details"][0]["components"][0]["/"],
        "/api/v2/authorize"
    );
    // Without [app_links], there is nothing to associate.
    let bare = Harness::with(|c| c.app_links = None).await;
    assert_eq!(
        bare.get("/.well-known/assetlinks.json").await.status,
        StatusCode::NOT_FOUND
    );
}
