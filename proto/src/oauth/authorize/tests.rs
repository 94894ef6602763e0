use std::collections::BTreeSet;

use super::*;
use crate::eidas::Eidas;
use crate::oauth::claims_request::REQUESTABLE_CLAIMS;
use proptest::prelude::*;

const STATE: &str = "state-0123456789abcdefghij";
const NONCE: &str = "nonce-0123456789abcdefghij";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn base() -> Vec<(String, String)> {
    [
        ("client_id", "211286433e39cce01db448d80181bdfd"),
        ("response_type", "code"),
        ("redirect_uri", "https://fs.example.fr/login-callback"),
        ("scope", "openid profile email"),
        ("state", STATE),
        ("nonce", NONCE),
        ("acr_values", "eidas1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The base request with `name` set to `value` (replacing or adding it).
fn with(name: &str, value: &str) -> Vec<(String, String)> {
    let mut pairs: Vec<_> = base().into_iter().filter(|(k, _)| k != name).collect();
    pairs.push((name.to_owned(), value.to_owned()));
    pairs
}

fn without(name: &str) -> Vec<(String, String)> {
    base().into_iter().filter(|(k, _)| k != name).collect()
}

fn validate(pairs: Vec<(String, String)>) -> Result<AuthorizeRequest, OAuthError> {
    AuthorizeParams::from_pairs(pairs).validate(&AuthorizeRules::low())
}

fn code(pairs: Vec<(String, String)>) -> OAuthErrorCode {
    validate(pairs).unwrap_err().error
}

fn description(pairs: Vec<(String, String)>) -> String {
    validate(pairs)
        .unwrap_err()
        .error_description
        .unwrap_or_default()
}

#[test]
fn valid_minimal_request() {
    let r = validate(base()).unwrap();
    assert_eq!(r.client_id, "211286433e39cce01db448d80181bdfd");
    assert_eq!(r.redirect_uri, "https://fs.example.fr/login-callback");
    assert_eq!(r.scope.to_string_sorted(), "email openid profile");
    assert_eq!(r.acr, Eidas::Eidas1);
    assert!(!r.prompt_login && !r.prompt_consent);
    assert!(r.claims.is_empty());
    assert_eq!(r.code_challenge, None);
}

#[test]
fn from_pairs_records_unknown_and_duplicated() {
    let mut pairs = base();
    pairs.push(("foo".into(), "1".into()));
    pairs.push(("foo".into(), "2".into()));
    pairs.push(("state".into(), "other-state-0123456789abcdef".into()));
    pairs.push(("nonce".into(), String::new()));
    let p = AuthorizeParams::from_pairs(pairs);
    assert_eq!(p.unknown, ["foo"]);
    assert_eq!(p.duplicated, ["state"]);
    assert_eq!(p.state.as_deref(), Some(STATE));
    assert_eq!(p.nonce.as_deref(), Some(NONCE));
}

#[test]
fn empty_values_count_as_absent() {
    let p = AuthorizeParams::from_pairs(with("prompt", ""));
    assert_eq!(p.prompt, None);
    assert!(p.duplicated.is_empty());
    assert_eq!(code(with("state", "")), OAuthErrorCode::InvalidRequest);
}

#[test]
fn client_id_missing_or_duplicated() {
    let p = AuthorizeParams::from_pairs(without("client_id"));
    assert_eq!(
        p.client_id(),
        Err(AuthorizeParamError::Missing("client_id"))
    );
    let mut pairs = base();
    pairs.push(("client_id".into(), "other".into()));
    let p = AuthorizeParams::from_pairs(pairs);
    assert_eq!(
        p.client_id(),
        Err(AuthorizeParamError::Duplicated("client_id"))
    );
    assert_eq!(
        p.validate(&AuthorizeRules::low()).unwrap_err().error,
        OAuthErrorCode::InvalidRequest
    );
}

#[test]
fn redirect_uri_checks() {
    let p = AuthorizeParams::from_pairs(without("redirect_uri"));
    assert_eq!(
        p.redirect_uri(),
        Err(AuthorizeParamError::Missing("redirect_uri"))
    );
    let mut pairs = base();
    pairs.push(("redirect_uri".into(), "https://evil.example/cb".into()));
    let p = AuthorizeParams::from_pairs(pairs);
    assert_eq!(
        p.redirect_uri(),
        Err(AuthorizeParamError::Duplicated("redirect_uri"))
    );
    for bad in [
        "/login-callback",
        "fs.example.fr/cb",
        "ftp://fs.example.fr/cb",
        "javascript:alert(1)",
        "https://fs.example.fr/cb#frag",
        "https://fs.example.fr/cb#",
        "https://user:pw@fs.example.fr/cb",
        " https://fs.example.fr/cb",
        "https://fs.example.fr/c\tb",
        "https://",
    ] {
        let p = AuthorizeParams::from_pairs(with("redirect_uri", bad));
        assert_eq!(
            p.redirect_uri(),
            Err(AuthorizeParamError::InvalidRedirectUri),
            "{bad}"
        );
    }
    for good in [
        "http://localhost:8080/cb",
        "https://fs.example.fr/cb?x=1",
        "https://[::1]/cb",
    ] {
        let p = AuthorizeParams::from_pairs(with("redirect_uri", good));
        assert_eq!(p.redirect_uri(), Ok(good));
    }
}

#[test]
fn param_errors_speak_french() {
    assert!(
        AuthorizeParamError::Missing("client_id")
            .message_fr()
            .contains("client_id")
    );
    assert!(
        AuthorizeParamError::InvalidRedirectUri
            .message_fr()
            .contains("redirect_uri")
    );
}

#[test]
fn unknown_parameter_is_named() {
    let e = validate(with("login_hint", "x")).unwrap_err();
    assert_eq!(e.error, OAuthErrorCode::InvalidRequest);
    assert!(e.error_description.unwrap().contains("login_hint"));
}

#[test]
fn request_objects_are_not_supported() {
    assert_eq!(
        code(with("request", "eyJ")),
        OAuthErrorCode::RequestNotSupported
    );
    assert_eq!(
        code(with("request_uri", "urn:x")),
        OAuthErrorCode::RequestUriNotSupported
    );
}

#[test]
fn duplicated_parameter_is_named() {
    let mut pairs = base();
    pairs.push(("scope".into(), "openid".into()));
    let e = validate(pairs).unwrap_err();
    assert_eq!(e.error, OAuthErrorCode::InvalidRequest);
    assert!(e.error_description.unwrap().contains("scope"));
}

#[test]
fn response_type() {
    assert_eq!(
        code(without("response_type")),
        OAuthErrorCode::InvalidRequest
    );
    assert_eq!(
        code(with("response_type", "token")),
        OAuthErrorCode::UnsupportedResponseType
    );
    assert_eq!(
        code(with("response_type", "code id_token")),
        OAuthErrorCode::UnsupportedResponseType
    );
}

#[test]
fn scope_needs_openid() {
    assert_eq!(code(without("scope")), OAuthErrorCode::InvalidScope);
    assert_eq!(
        code(with("scope", "profile email")),
        OAuthErrorCode::InvalidScope
    );
    assert_eq!(code(with("scope", "   ")), OAuthErrorCode::InvalidScope);
}

#[test]
fn state_rules() {
    assert!(description(without("state")).contains("state"));
    assert!(description(with("state", &"s".repeat(21))).contains("state"));
    assert!(description(with("state", &"s".repeat(513))).contains("state"));
    assert!(description(with("state", &format!("{}é", "s".repeat(22)))).contains("state"));
    assert!(description(with("state", &format!("{}\n", "s".repeat(22)))).contains("state"));
    assert!(validate(with("state", &"s".repeat(22))).is_ok());
    assert!(validate(with("state", &"s".repeat(512))).is_ok());
}

#[test]
fn nonce_rules() {
    assert!(description(without("nonce")).contains("nonce"));
    assert!(description(with("nonce", &"n".repeat(21))).contains("nonce"));
    assert!(description(with("nonce", &"n".repeat(513))).contains("nonce"));
    assert!(description(with("nonce", &format!("{}\u{7f}", "n".repeat(22)))).contains("nonce"));
}

#[test]
fn high_platform_lengths_and_levels() {
    let high = AuthorizeRules::high();
    let p = AuthorizeParams::from_pairs(with("acr_values", "eidas2"));
    assert!(
        p.validate(&high)
            .unwrap_err()
            .error_description
            .unwrap()
            .contains("state")
    );
    let mut pairs = with("acr_values", "eidas3 eidas2");
    pairs.retain(|(k, _)| k != "state" && k != "nonce");
    pairs.push(("state".into(), "s".repeat(32)));
    pairs.push(("nonce".into(), "n".repeat(32)));
    let r = AuthorizeParams::from_pairs(pairs.clone())
        .validate(&high)
        .unwrap();
    assert_eq!(r.acr, Eidas::Eidas2);

    // No acr_values on the high platform: the highest level.
    pairs.retain(|(k, _)| k != "acr_values");
    let r = AuthorizeParams::from_pairs(pairs.clone())
        .validate(&high)
        .unwrap();
    assert_eq!(r.acr, Eidas::Eidas3);

    // A level the platform does not serve.
    pairs.push(("acr_values".into(), "eidas1 eidas3".into()));
    let e = AuthorizeParams::from_pairs(pairs)
        .validate(&high)
        .unwrap_err();
    assert_eq!(e.error, OAuthErrorCode::InvalidAcr);
}

#[test]
fn acr_values_rules() {
    assert_eq!(code(without("acr_values")), OAuthErrorCode::InvalidRequest);
    assert_eq!(
        code(with("acr_values", "eidas2")),
        OAuthErrorCode::InvalidAcr
    );
    assert_eq!(code(with("acr_values", "loa3")), OAuthErrorCode::InvalidAcr);
    assert_eq!(
        validate(with("acr_values", "foo eidas1")).unwrap().acr,
        Eidas::Eidas1
    );
    let rules = AuthorizeRules {
        allowed_acr: vec![],
        ..AuthorizeRules::low()
    };
    let e = AuthorizeParams::from_pairs(base())
        .validate(&rules)
        .unwrap_err();
    assert_eq!(e.error, OAuthErrorCode::InvalidAcr);
}

#[test]
fn prompt_rules() {
    let r = validate(with("prompt", "consent login")).unwrap();
    assert!(r.prompt_login && r.prompt_consent);
    let r = validate(with("prompt", "login")).unwrap();
    assert!(r.prompt_login && !r.prompt_consent);
    assert!(description(with("prompt", "none")).contains("prompt"));
    assert!(description(with("prompt", "login select_account")).contains("select_account"));
}

#[test]
fn claims_parameter() {
    let r = validate(with("claims", r#"{"id_token":{"amr":{"essential":true}}}"#)).unwrap();
    assert!(r.claims.id_token.contains("amr"));
    assert!(description(with("claims", "{")).contains("claims"));
    assert!(description(with("claims", r#"{"userinfo":{"iban":null}}"#)).contains("iban"));
}

#[test]
fn hints() {
    let mut pairs = with("idp_hint", "fia1v2");
    pairs.push(("ui_locales".into(), "fr-FR en".into()));
    let r = validate(pairs).unwrap();
    assert_eq!(r.idp_hint.as_deref(), Some("fia1v2"));
    assert_eq!(r.ui_locales.as_deref(), Some("fr-FR en"));
    assert!(description(with("idp_hint", &"x".repeat(257))).contains("idp_hint"));
    assert!(description(with("ui_locales", "fr\u{0}")).contains("ui_locales"));
}

#[test]
fn pkce_rules() {
    let mut pairs = with("code_challenge", CHALLENGE);
    pairs.push(("code_challenge_method".into(), "S256".into()));
    assert_eq!(
        validate(pairs).unwrap().code_challenge.as_deref(),
        Some(CHALLENGE)
    );

    let mut plain = with("code_challenge", CHALLENGE);
    plain.push(("code_challenge_method".into(), "plain".into()));
    assert!(description(plain).contains("plain"));

    assert!(description(with("code_challenge", CHALLENGE)).contains("code_challenge_method"));
    assert!(description(with("code_challenge_method", "S256")).contains("without code_challenge"));

    let mut short = with("code_challenge", &CHALLENGE[..42]);
    short.push(("code_challenge_method".into(), "S256".into()));
    assert!(description(short).contains("code_challenge"));

    let rules = AuthorizeRules {
        require_pkce: true,
        ..AuthorizeRules::low()
    };
    let e = AuthorizeParams::from_pairs(base())
        .validate(&rules)
        .unwrap_err();
    assert!(e.error_description.unwrap().contains("code_challenge"));
}

#[test]
fn oauth_error_from_param_error() {
    let e = OAuthError::from(AuthorizeParamError::Missing("client_id"));
    assert_eq!(e.error, OAuthErrorCode::InvalidRequest);
    assert!(e.error_description.unwrap().contains("client_id"));
}

fn any_rules() -> AuthorizeRules {
    AuthorizeRules {
        allowed_acr: Eidas::ALL.to_vec(),
        ..AuthorizeRules::high()
    }
}

fn param_name() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(AUTHORIZE_PARAMS).prop_map(str::to_owned),
        "[a-z_]{1,12}",
        ".{0,8}",
    ]
}

fn claim_names() -> impl Strategy<Value = BTreeSet<String>> {
    proptest::collection::btree_set(
        proptest::sample::select(REQUESTABLE_CLAIMS).prop_map(str::to_owned),
        0..4,
    )
}

fn valid_request() -> impl Strategy<Value = AuthorizeRequest> {
    (
        "[A-Za-z0-9]{1,64}",
        "https://[a-z]{1,10}\\.example\\.fr/[a-z0-9/]{0,20}",
        proptest::collection::btree_set("[a-z_]{1,12}", 0..5),
        "[ -~]{32,512}",
        "[ -~]{32,512}",
        proptest::sample::select(Eidas::ALL.to_vec()),
        (any::<bool>(), any::<bool>()),
        (claim_names(), claim_names()),
        proptest::option::of("[!-~]{1,64}"),
        proptest::option::of("[!-~]{1,64}"),
        proptest::option::of(proptest::array::uniform32(any::<u8>())),
    )
        .prop_map(
            |(
                client_id,
                redirect_uri,
                scopes,
                state,
                nonce,
                acr,
                prompt,
                claims,
                hint,
                loc,
                pk,
            )| {
                let mut scope: ScopeSet = scopes.into_iter().collect();
                scope.insert("openid");
                AuthorizeRequest {
                    client_id,
                    redirect_uri,
                    scope,
                    state,
                    nonce,
                    acr,
                    prompt_login: prompt.0,
                    prompt_consent: prompt.1,
                    claims: ClaimsRequest {
                        id_token: claims.0,
                        userinfo: claims.1,
                    },
                    idp_hint: hint,
                    ui_locales: loc,
                    code_challenge: pk.map(|digest| {
                        use base64::Engine as _;
                        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
                    }),
                }
            },
        )
}

proptest! {
    #[test]
    fn never_panics(pairs in proptest::collection::vec((param_name(), ".{0,40}"), 0..20)) {
        let params = AuthorizeParams::from_pairs(pairs);
        let _ = params.client_id();
        let _ = params.redirect_uri();
        let _ = params.validate(&AuthorizeRules::low());
        let _ = params.validate(&AuthorizeRules::high());
    }

    #[test]
    fn never_panics_near_valid(name in param_name(), value in ".{0,600}") {
        let params = AuthorizeParams::from_pairs(with(&name, &value));
        let _ = params.validate(&AuthorizeRules::low());
    }

    #[test]
    fn valid_request_round_trips(request in valid_request()) {
        let params = AuthorizeParams::from_pairs(request.to_pairs());
        prop_assert_eq!(params.validate(&any_rules()), Ok(request));
    }
}
