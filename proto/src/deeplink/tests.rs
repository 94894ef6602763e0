use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;
use crate::oauth::claims_request::REQUESTABLE_CLAIMS;
use crate::oauth::{ClaimsRequest, OAuthErrorCode};

const BROKER: &str = "https://fc.example.gouv.fr";
const SANDBOX: &str = "http://127.0.0.1:7000";
const STATE: &str = "state-0123456789abcdefghij";
const NONCE: &str = "nonce-0123456789abcdefghij";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn origins() -> Vec<Url> {
    vec![Url::parse(BROKER).unwrap(), Url::parse(SANDBOX).unwrap()]
}

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

fn encode(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// `prefix?<pairs>`.
fn link(prefix: &str, pairs: &[(String, String)]) -> String {
    format!("{prefix}?{}", encode(pairs))
}

fn custom(pairs: &[(String, String)]) -> String {
    link("pivot://authorize", pairs)
}

fn app(pairs: &[(String, String)]) -> String {
    link(&format!("{BROKER}{AUTHORIZE_PATH}"), pairs)
}

fn ok(link: &str) -> DeepLink {
    parse(link, &origins()).unwrap()
}

fn authorize_ok(link: &str) -> AppAuthorize {
    match ok(link) {
        DeepLink::Authorize(a) => *a,
        other => panic!("not an authorize link: {other:?}"),
    }
}

fn callback_ok(link: &str) -> AppCallback {
    match ok(link) {
        DeepLink::Callback(c) => c,
        other => panic!("not a callback: {other:?}"),
    }
}

fn err(link: &str) -> DeepLinkError {
    parse(link, &origins()).unwrap_err()
}

fn callback_query(pairs: &[(&str, &str)]) -> String {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    link("pivot://callback", &pairs)
}

const ISS: &str = "https://fc.example.gouv.fr/api/v2";

// --- Accepted forms ---------------------------------------------------------

#[test]
fn custom_scheme_authorize_goes_to_home_broker() {
    let a = authorize_ok(&custom(&base()));
    assert_eq!(a.broker_origin.as_str(), "https://fc.example.gouv.fr/");
    assert_eq!(a.client_id, "211286433e39cce01db448d80181bdfd");
    assert_eq!(a.redirect_uri, "https://fs.example.fr/login-callback");
    assert_eq!(a.scope, "openid profile email");
    assert_eq!(a.state, STATE);
    assert_eq!(a.nonce, NONCE);
    assert_eq!(a.acr_values.as_deref(), Some("eidas1"));
    assert_eq!(a.code_challenge, None);
}

#[test]
fn custom_scheme_accepts_root_path_and_uppercase_scheme() {
    let expected = authorize_ok(&custom(&base()));
    assert_eq!(authorize_ok(&link("pivot://authorize/", &base())), expected);
    // Schemes are case-insensitive in URLs; the opaque host is not.
    assert_eq!(authorize_ok(&link("PIVOT://authorize", &base())), expected);
    assert_eq!(
        err(&link("pivot://AUTHORIZE", &base())),
        DeepLinkError::UnknownTarget("AUTHORIZE".into())
    );
}

#[test]
fn app_link_authorize() {
    let a = authorize_ok(&app(&base()));
    assert_eq!(a.broker_origin.as_str(), "https://fc.example.gouv.fr/");
    assert_eq!(a, authorize_ok(&custom(&base())));
    // Hosts of special URLs are case-insensitive.
    let upper = link("HTTPS://FC.EXAMPLE.GOUV.FR/api/v2/authorize", &base());
    assert_eq!(authorize_ok(&upper), a);
}

#[test]
fn app_link_to_sandbox_on_loopback() {
    let a = authorize_ok(&link(&format!("{SANDBOX}{AUTHORIZE_PATH}"), &base()));
    assert_eq!(a.broker_origin.as_str(), "http://127.0.0.1:7000/");
    assert_eq!(
        a.authorize_url().as_str(),
        format!("{SANDBOX}{AUTHORIZE_PATH}?{}", encode(&base()))
    );
}

#[test]
fn home_broker_is_first_usable_origin() {
    let allowed = [
        Url::parse("http://fc.example.gouv.fr").unwrap(),
        Url::parse("ftp://fc.example.gouv.fr").unwrap(),
        Url::parse(SANDBOX).unwrap(),
    ];
    let Ok(DeepLink::Authorize(a)) = parse(&custom(&base()), &allowed) else {
        panic!("refused");
    };
    assert_eq!(a.broker_origin.as_str(), "http://127.0.0.1:7000/");
    assert_eq!(parse(&custom(&base()), &[]), Err(DeepLinkError::NoBroker));
    assert_eq!(
        parse(&custom(&base()), &allowed[..2]),
        Err(DeepLinkError::NoBroker)
    );
}

#[test]
fn custom_scheme_authorize_goes_to_the_broker_it_names() {
    // The sandbox's FranceConnect+ is another origin than the home broker.
    let high = "http://127.0.0.1:7001";
    let allowed = [
        Url::parse(BROKER).unwrap(),
        Url::parse(SANDBOX).unwrap(),
        Url::parse(high).unwrap(),
    ];
    let named = |iss: &str| parse(&custom(&with("iss", iss)), &allowed);
    let Ok(DeepLink::Authorize(a)) = named(&format!("{high}/api/v2")) else {
        panic!("refused");
    };
    assert_eq!(a.broker_origin.as_str(), "http://127.0.0.1:7001/");
    // The rest of the request is the same as without `iss`.
    let home = authorize_ok(&custom(&base()));
    assert_eq!(
        AppAuthorize {
            broker_origin: home.broker_origin.clone(),
            ..*a
        },
        home
    );
    // Naming the home broker is the same as naming none.
    assert_eq!(named(ISS), Ok(DeepLink::Authorize(Box::new(home.clone()))));
    // A broker the app does not trust, or not an issuer URL, is refused.
    for (iss, error) in [
        (
            "http://127.0.0.1:7002/api/v2",
            DeepLinkError::UntrustedIssuer("http://127.0.0.1:7002/api/v2".into()),
        ),
        (
            "https://evil.example.fr/api/v2",
            DeepLinkError::UntrustedIssuer("https://evil.example.fr/api/v2".into()),
        ),
        (
            "http://fc.example.gouv.fr/api/v2",
            DeepLinkError::InsecureHttp("fc.example.gouv.fr".into()),
        ),
        ("not a url", DeepLinkError::InvalidValue("iss")),
        (
            "https://fc.example.gouv.fr/api/v2?x=1",
            DeepLinkError::InvalidValue("iss"),
        ),
    ] {
        assert_eq!(named(iss), Err(error), "{iss}");
    }
    assert_eq!(
        parse(&custom(&with("iss", ISS)), &[]),
        Err(DeepLinkError::UntrustedIssuer(ISS.into()))
    );
    // An app link is at its broker already: no `iss` there.
    assert_eq!(
        err(&app(&with("iss", ISS))),
        DeepLinkError::UnknownParameter("iss".into())
    );
}

#[test]
fn custom_authorize_params_are_the_requests_and_iss() {
    let mut expected = AUTHORIZE_PARAMS.to_vec();
    expected.push("iss");
    assert_eq!(CUSTOM_AUTHORIZE_PARAMS, expected);
}

#[test]
fn optional_parameters_are_kept_raw() {
    let claims = r#"{"id_token":{"birthdate":null}}"#;
    let mut pairs = base();
    for (k, v) in [
        ("prompt", "login consent"),
        ("claims", claims),
        ("idp_hint", "impots"),
        ("ui_locales", "fr-FR en"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ] {
        pairs.push((k.to_owned(), v.to_owned()));
    }
    let a = authorize_ok(&custom(&pairs));
    assert_eq!(a.prompt.as_deref(), Some("login consent"));
    assert_eq!(a.claims.as_deref(), Some(claims));
    assert_eq!(a.idp_hint.as_deref(), Some("impots"));
    assert_eq!(a.ui_locales.as_deref(), Some("fr-FR en"));
    assert_eq!(a.code_challenge.as_deref(), Some(CHALLENGE));
    // Re-encoding gives back the same request.
    let again: Vec<(String, String)> = a
        .to_pairs()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(again, pairs);
    assert_eq!(a.to_custom_link(), custom(&pairs));
    assert_eq!(authorize_ok(&a.to_custom_link()), a);
    assert_eq!(authorize_ok(a.authorize_url().as_str()), a);
}

#[test]
fn acr_values_is_optional() {
    let pairs: Vec<_> = base()
        .into_iter()
        .filter(|(k, _)| k != "acr_values")
        .collect();
    assert_eq!(authorize_ok(&custom(&pairs)).acr_values, None);
}

#[test]
fn loopback_redirect_uri() {
    let a = authorize_ok(&custom(&with("redirect_uri", "http://127.0.0.1:3000/cb")));
    assert_eq!(a.redirect_uri, "http://127.0.0.1:3000/cb");
    authorize_ok(&custom(&with("redirect_uri", "http://[::1]:3000/cb")));
}

#[test]
fn callback_code() {
    let c = callback_ok(&callback_query(&[
        ("code", "SplxlOBeZQQYbYS6WxSbIA"),
        ("state", STATE),
        ("iss", ISS),
    ]));
    assert_eq!(
        c,
        AppCallback::Code {
            code: "SplxlOBeZQQYbYS6WxSbIA".into(),
            state: STATE.into(),
            iss: ISS.into(),
        }
    );
    // The sandbox issuer is on an allowed loopback origin.
    callback_ok(&callback_query(&[
        ("code", "abc"),
        ("state", STATE),
        ("iss", "http://127.0.0.1:7000/api/v2"),
    ]));
}

#[test]
fn callback_error() {
    let c = callback_ok(&callback_query(&[
        ("error", "access_denied"),
        ("error_description", "the citizen cancelled"),
        ("state", STATE),
        ("iss", ISS),
    ]));
    assert_eq!(
        c,
        AppCallback::Error {
            error: "access_denied".into(),
            description: Some("the citizen cancelled".into()),
            state: STATE.into(),
            iss: Some(ISS.into()),
        }
    );
    let bare = callback_ok(&callback_query(&[
        ("error", "server_error"),
        ("state", STATE),
    ]));
    assert_eq!(
        bare,
        AppCallback::Error {
            error: "server_error".into(),
            description: None,
            state: STATE.into(),
            iss: None,
        }
    );
}

#[test]
fn snapshot_authorize() {
    let mut pairs = base();
    pairs.push(("code_challenge".into(), CHALLENGE.into()));
    pairs.push(("code_challenge_method".into(), "S256".into()));
    pairs.push(("prompt".into(), "login".into()));
    insta::assert_json_snapshot!("authorize_link", ok(&app(&pairs)));
}

#[test]
fn snapshot_callback() {
    let link = callback_query(&[
        ("code", "SplxlOBeZQQYbYS6WxSbIA"),
        ("state", STATE),
        ("iss", ISS),
    ]);
    insta::assert_json_snapshot!("callback_code", ok(&link));
    let link = callback_query(&[
        ("error", "access_denied"),
        ("error_description", "the citizen cancelled"),
        ("state", STATE),
        ("iss", ISS),
    ]);
    insta::assert_json_snapshot!("callback_error", ok(&link));
}

// --- Refused links ----------------------------------------------------------

#[test]
fn wrong_scheme() {
    let query = encode(&base());
    for (link, scheme) in [
        (format!("javascript:alert(1)//?{query}"), "javascript"),
        (format!("data:text/html,x?{query}"), "data"),
        (format!("file:///etc/passwd?{query}"), "file"),
        (
            format!("ftp://fc.example.gouv.fr/api/v2/authorize?{query}"),
            "ftp",
        ),
        (format!("pivots://authorize?{query}"), "pivots"),
        (format!("intent://authorize?{query}"), "intent"),
    ] {
        assert_eq!(
            err(&link),
            DeepLinkError::UnsupportedScheme(scheme.into()),
            "{link}"
        );
    }
    assert_eq!(err("authorize?x=1"), DeepLinkError::NotAUrl);
    assert_eq!(err(""), DeepLinkError::NotAUrl);
}

#[test]
fn wrong_host() {
    assert_eq!(
        err(&link("pivot://login", &base())),
        DeepLinkError::UnknownTarget("login".into())
    );
    assert_eq!(
        err(&link("pivot://authorize.evil.fr", &base())),
        DeepLinkError::UnknownTarget("authorize.evil.fr".into())
    );
    // No authority at all.
    assert_eq!(
        err(&link("pivot:authorize", &base())),
        DeepLinkError::UnknownTarget(String::new())
    );
    assert_eq!(
        err(&link("pivot:///authorize", &base())),
        DeepLinkError::UnknownTarget(String::new())
    );
}

#[test]
fn extra_path() {
    assert_eq!(
        err(&link("pivot://authorize/x", &base())),
        DeepLinkError::UnexpectedPath("/x".into())
    );
    assert_eq!(
        err(&link("pivot://callback/", &base())),
        DeepLinkError::UnknownParameter("client_id".into())
    );
    for path in ["/api/v2/authorize/", "/api/v2/token", "/authorize", "/"] {
        assert_eq!(
            err(&link(&format!("{BROKER}{path}"), &base())),
            DeepLinkError::UnexpectedPath(path.into()),
            "{path}"
        );
    }
}

#[test]
fn userinfo() {
    assert_eq!(
        err(&link("pivot://evil@authorize", &base())),
        DeepLinkError::UserInfo
    );
    assert_eq!(
        err(&link("pivot://:pw@authorize", &base())),
        DeepLinkError::UserInfo
    );
    assert_eq!(
        err(&link(
            "https://fc.example.gouv.fr@evil.fr/api/v2/authorize",
            &base()
        )),
        DeepLinkError::UserInfo
    );
}

#[test]
fn port() {
    assert_eq!(
        err(&link("pivot://authorize:443", &base())),
        DeepLinkError::Port
    );
    // Another port than the allowed origin's is another origin.
    assert_eq!(
        err(&link(
            "https://fc.example.gouv.fr:8443/api/v2/authorize",
            &base()
        )),
        DeepLinkError::UntrustedOrigin("https://fc.example.gouv.fr:8443".into())
    );
}

#[test]
fn fragment() {
    for suffix in ["#x", "#", "#state=other"] {
        assert_eq!(
            err(&format!("{}{suffix}", custom(&base()))),
            DeepLinkError::Fragment
        );
        assert_eq!(
            err(&format!("{}{suffix}", app(&base()))),
            DeepLinkError::Fragment
        );
    }
}

#[test]
fn not_canonical() {
    let query = encode(&base());
    for prefix in [
        "https://fc.example.gouv.fr:443/api/v2/authorize",
        "https://fc.example.gouv.fr/api/v2/x/../authorize",
        "https://fc.example.gouv.fr/api/v2/./authorize",
        "https:fc.example.gouv.fr/api/v2/authorize",
        "https:/fc.example.gouv.fr/api/v2/authorize",
        "https:\\\\fc.example.gouv.fr\\api\\v2\\authorize",
        "https://%66c.example.gouv.fr/api/v2/authorize",
        "https://fc.example.gouv.fr/api/v2/authorize/..",
        "pivot://authorize/.",
        "pivot://authorize/x/..",
        "http://0x7f.1:7000/api/v2/authorize",
        "http://127.1:7000/api/v2/authorize",
    ] {
        assert_eq!(
            err(&format!("{prefix}?{query}")),
            DeepLinkError::NotCanonical,
            "{prefix}"
        );
    }
}

#[test]
fn unknown_parameter_is_named() {
    let e = err(&custom(&with("foo", "bar")));
    assert_eq!(e, DeepLinkError::UnknownParameter("foo".into()));
    assert_eq!(e.to_string(), "unknown parameter \"foo\"");
    for name in ["request", "request_uri", "response_mode", "Client_id", ""] {
        assert_eq!(
            err(&app(&with(name, "x"))),
            DeepLinkError::UnknownParameter(name.into()),
            "{name}"
        );
    }
    // Control characters in a name are escaped in the message.
    let e = err(&format!("{}&a%0Ab=1", custom(&base())));
    assert_eq!(e.to_string(), "unknown parameter \"a\\nb\"");
    // Very long names are shortened.
    let long = "x".repeat(300);
    let DeepLinkError::UnknownParameter(shown) = err(&custom(&with(&long, "1"))) else {
        panic!("not an unknown parameter");
    };
    assert_eq!(shown.chars().count(), 65);
}

#[test]
fn duplicated_parameter() {
    let mut pairs = base();
    pairs.push(("state".into(), "other-state-0123456789abc".into()));
    assert_eq!(
        err(&custom(&pairs)),
        DeepLinkError::DuplicatedParameter("state")
    );
    // Even when a copy is empty.
    let mut pairs = base();
    pairs.insert(0, ("nonce".into(), String::new()));
    assert_eq!(err(&custom(&pairs)), DeepLinkError::EmptyValue("nonce"));
    let mut pairs = base();
    pairs.push(("nonce".into(), String::new()));
    assert_eq!(
        err(&custom(&pairs)),
        DeepLinkError::DuplicatedParameter("nonce")
    );
    // A name written with escapes is the same name.
    assert_eq!(
        err(&format!("{}&st%61te=x", custom(&base()))),
        DeepLinkError::DuplicatedParameter("state")
    );
}

#[test]
fn empty_and_missing_values() {
    assert_eq!(
        err(&custom(&with("idp_hint", ""))),
        DeepLinkError::EmptyValue("idp_hint")
    );
    assert_eq!(
        err(&format!("{}&prompt", custom(&base()))),
        DeepLinkError::EmptyValue("prompt")
    );
    assert_eq!(
        err("pivot://authorize"),
        DeepLinkError::MissingParameter("client_id")
    );
    let pairs: Vec<_> = base()
        .into_iter()
        .filter(|(k, _)| k != "redirect_uri")
        .collect();
    assert_eq!(
        err(&custom(&pairs)),
        DeepLinkError::MissingParameter("redirect_uri")
    );
    for name in ["response_type", "scope", "state", "nonce"] {
        let pairs: Vec<_> = base().into_iter().filter(|(k, _)| k != name).collect();
        assert!(
            matches!(err(&custom(&pairs)), DeepLinkError::InvalidAuthorize(_)),
            "{name}"
        );
    }
}

#[test]
fn over_long_link() {
    let long = custom(&with("claims", &"x".repeat(MAX_LINK_LEN)));
    assert_eq!(err(&long), DeepLinkError::TooLong);
    // Just at the limit, the link is read (and fails on its own merits).
    let pad = MAX_LINK_LEN - custom(&with("idp_hint", "")).len();
    let at_limit = custom(&with("idp_hint", &"x".repeat(pad)));
    assert_eq!(at_limit.len(), MAX_LINK_LEN);
    assert_eq!(
        err(&at_limit),
        DeepLinkError::ValueTooLong {
            name: "idp_hint",
            max: 256
        }
    );
}

#[test]
fn over_long_values() {
    assert_eq!(
        err(&custom(&with("state", &"s".repeat(513)))),
        DeepLinkError::ValueTooLong {
            name: "state",
            max: 512
        }
    );
    authorize_ok(&custom(&with("state", &"s".repeat(512))));
    assert_eq!(
        err(&custom(&with("nonce", &"n".repeat(513)))),
        DeepLinkError::ValueTooLong {
            name: "nonce",
            max: 512
        }
    );
    assert_eq!(
        err(&callback_query(&[
            ("code", &"c".repeat(CODE_MAX_LEN + 1)),
            ("state", STATE),
            ("iss", ISS)
        ])),
        DeepLinkError::ValueTooLong {
            name: "code",
            max: CODE_MAX_LEN
        }
    );
}

#[test]
fn raw_control_characters_spaces_and_non_ascii() {
    let good = custom(&base());
    for bad in ["\n", "\r", "\t", "\0", " ", "\u{7f}", "é", "\u{85}"] {
        let at_end = format!("{good}{bad}");
        assert_eq!(err(&at_end), DeepLinkError::InvalidCharacter, "{bad:?}");
        let at_start = format!("{bad}{good}");
        assert_eq!(err(&at_start), DeepLinkError::InvalidCharacter, "{bad:?}");
        let inside = good.replacen("authorize", &format!("autho{bad}rize"), 1);
        assert_eq!(err(&inside), DeepLinkError::InvalidCharacter, "{bad:?}");
    }
}

#[test]
fn encoded_control_characters() {
    for encoded in ["%0A", "%0D%0A", "%00", "%09", "%1B", "%7F", "%C2%85"] {
        let link = format!("{}&idp_hint=a{encoded}b", custom(&base()));
        assert_eq!(
            err(&link),
            DeepLinkError::ControlCharacter("idp_hint"),
            "{encoded}"
        );
    }
    assert_eq!(
        err(&custom(&with("state", "abc\ndef"))),
        DeepLinkError::ControlCharacter("state")
    );
}

#[test]
fn invalid_utf8() {
    let link = format!("{}&idp_hint=a%FFb", custom(&base()));
    assert_eq!(err(&link), DeepLinkError::InvalidEncoding("idp_hint"));
}

#[test]
fn double_encoded_values_are_decoded_once() {
    // `%250A` is the text `%0A`, not a newline.
    let link = custom(&base()).replace(STATE, "abc%250Adef0123456789");
    assert_eq!(authorize_ok(&link).state, "abc%0Adef0123456789");
    let link = format!(
        "pivot://authorize?{}",
        encode(&with("redirect_uri", "https://fs.example.fr/cb%23frag"))
    );
    assert_eq!(
        authorize_ok(&link).redirect_uri,
        "https://fs.example.fr/cb%23frag"
    );
    // `+` is a space, `%2B` a plus sign.
    let link = custom(&base()).replace(STATE, "a+b%2Bc0123456789012345");
    assert_eq!(authorize_ok(&link).state, "a b+c0123456789012345");
}

#[test]
fn untrusted_origin() {
    for origin in [
        "https://evil.example.fr",
        "https://fc.example.gouv.fr.evil.fr",
        "https://example.gouv.fr",
        "https://127.0.0.1:7000",
        "http://127.0.0.1:7001",
        "http://127.0.0.2:7000",
    ] {
        assert_eq!(
            err(&link(&format!("{origin}{AUTHORIZE_PATH}"), &base())),
            DeepLinkError::UntrustedOrigin(origin.into()),
            "{origin}"
        );
    }
}

#[test]
fn http_to_non_loopback_host() {
    let allowed = [
        Url::parse("http://fc.example.gouv.fr").unwrap(),
        Url::parse("http://localhost:7000").unwrap(),
    ];
    for (origin, host) in [
        ("http://fc.example.gouv.fr", "fc.example.gouv.fr"),
        ("http://localhost:7000", "localhost"),
        ("http://10.0.0.1:7000", "10.0.0.1"),
    ] {
        let link = link(&format!("{origin}{AUTHORIZE_PATH}"), &base());
        assert_eq!(
            parse(&link, &allowed),
            Err(DeepLinkError::InsecureHttp(host.into())),
            "{origin}"
        );
    }
}

#[test]
fn response_type_must_be_code() {
    for response_type in ["token", "id_token", "code id_token", "CODE"] {
        let DeepLinkError::InvalidAuthorize(e) =
            err(&custom(&with("response_type", response_type)))
        else {
            panic!("{response_type} accepted");
        };
        assert_eq!(e.error, OAuthErrorCode::UnsupportedResponseType);
    }
}

#[test]
fn pkce_rules() {
    let mut pairs = with("code_challenge", CHALLENGE);
    pairs.push(("code_challenge_method".into(), "plain".into()));
    assert!(matches!(
        err(&custom(&pairs)),
        DeepLinkError::InvalidAuthorize(_)
    ));
    assert!(matches!(
        err(&custom(&with("code_challenge", CHALLENGE))),
        DeepLinkError::InvalidAuthorize(_)
    ));
    assert!(matches!(
        err(&custom(&with("code_challenge_method", "S256"))),
        DeepLinkError::InvalidAuthorize(_)
    ));
    let mut pairs = with("code_challenge", &CHALLENGE[..42]);
    pairs.push(("code_challenge_method".into(), "S256".into()));
    assert!(matches!(
        err(&custom(&pairs)),
        DeepLinkError::InvalidAuthorize(_)
    ));
}

#[test]
fn other_authorize_rules_are_the_brokers() {
    for (name, value) in [
        ("scope", "profile email"),
        ("acr_values", "eidas9"),
        ("prompt", "none"),
        ("claims", "{"),
        ("state", "état-0123456789abcdefghij"),
    ] {
        assert!(
            matches!(
                err(&custom(&with(name, value))),
                DeepLinkError::InvalidAuthorize(_)
            ),
            "{name}"
        );
    }
}

#[test]
fn invalid_redirect_uri() {
    for uri in [
        "http://fs.example.fr/cb",
        "http://localhost:3000/cb",
        "https://fs.example.fr/cb#frag",
        "https://user@fs.example.fr/cb",
        "javascript:alert(1)",
        "data:text/html,x",
        "file:///etc/passwd",
        "pivot://callback",
        "/relative/cb",
        "fs.example.fr/cb",
        "https://fs.example.fr/c b",
    ] {
        assert_eq!(
            err(&custom(&with("redirect_uri", uri))),
            DeepLinkError::InvalidRedirectUri,
            "{uri}"
        );
    }
}

#[test]
fn callback_rejections() {
    let cases: Vec<(Vec<(&str, &str)>, DeepLinkError)> = vec![
        (
            vec![("code", "c"), ("error", "access_denied"), ("state", STATE)],
            DeepLinkError::AmbiguousCallback,
        ),
        (
            vec![("code", "c"), ("error_description", "x"), ("state", STATE)],
            DeepLinkError::AmbiguousCallback,
        ),
        (
            vec![("code", "c"), ("iss", ISS)],
            DeepLinkError::MissingParameter("state"),
        ),
        (
            vec![("code", "c"), ("state", STATE)],
            DeepLinkError::MissingParameter("iss"),
        ),
        (
            vec![("state", STATE), ("iss", ISS)],
            DeepLinkError::MissingParameter("code"),
        ),
        (
            vec![("code", "c"), ("state", STATE), ("iss", "https://evil.fr")],
            DeepLinkError::UntrustedIssuer("https://evil.fr".into()),
        ),
        (
            vec![
                ("code", "c"),
                ("state", STATE),
                ("iss", "http://fc.example.gouv.fr/api/v2"),
            ],
            DeepLinkError::InsecureHttp("fc.example.gouv.fr".into()),
        ),
        (
            vec![("code", "c"), ("state", STATE), ("iss", "not a url")],
            DeepLinkError::InvalidValue("iss"),
        ),
        (
            vec![
                ("code", "c"),
                ("state", STATE),
                ("iss", "https://fc.example.gouv.fr/?x=1"),
            ],
            DeepLinkError::InvalidValue("iss"),
        ),
        (
            vec![
                ("code", "c"),
                ("state", STATE),
                ("iss", "https://fc.example.gouv.fr/#x"),
            ],
            DeepLinkError::InvalidValue("iss"),
        ),
        (
            vec![
                ("code", "c"),
                ("state", STATE),
                ("iss", "javascript:alert(1)"),
            ],
            DeepLinkError::InvalidValue("iss"),
        ),
        (
            vec![("code", "cödé"), ("state", STATE), ("iss", ISS)],
            DeepLinkError::InvalidValue("code"),
        ),
        (
            vec![("code", "c"), ("state", "étät"), ("iss", ISS)],
            DeepLinkError::InvalidValue("state"),
        ),
        (
            vec![("error", "access\"denied"), ("state", STATE)],
            DeepLinkError::InvalidValue("error"),
        ),
        (
            vec![
                ("code", "c"),
                ("state", STATE),
                ("iss", ISS),
                ("client_id", "x"),
            ],
            DeepLinkError::UnknownParameter("client_id".into()),
        ),
        (
            vec![
                ("code", "c"),
                ("state", STATE),
                ("iss", ISS),
                ("error_uri", "x"),
            ],
            DeepLinkError::UnknownParameter("error_uri".into()),
        ),
        (
            vec![("code", "c"), ("code", "d"), ("state", STATE), ("iss", ISS)],
            DeepLinkError::DuplicatedParameter("code"),
        ),
        (
            vec![("code", "a\nb"), ("state", STATE), ("iss", ISS)],
            DeepLinkError::ControlCharacter("code"),
        ),
    ];
    for (pairs, expected) in cases {
        assert_eq!(err(&callback_query(&pairs)), expected, "{pairs:?}");
    }
    let good = callback_query(&[("code", "c"), ("state", STATE), ("iss", ISS)]);
    let with_path = good.replacen("callback", "callback/x", 1);
    assert_eq!(err(&with_path), DeepLinkError::UnexpectedPath("/x".into()));
    let with_user = good.replacen("callback", "evil@callback", 1);
    assert_eq!(err(&with_user), DeepLinkError::UserInfo);
    assert_eq!(err(&format!("{good}#")), DeepLinkError::Fragment);
}

#[test]
fn every_error_has_a_french_message() {
    let errors = [
        DeepLinkError::TooLong,
        DeepLinkError::InvalidCharacter,
        DeepLinkError::NotAUrl,
        DeepLinkError::UnsupportedScheme("data".into()),
        DeepLinkError::UnknownTarget("x".into()),
        DeepLinkError::UserInfo,
        DeepLinkError::Port,
        DeepLinkError::Fragment,
        DeepLinkError::UnexpectedPath("/x".into()),
        DeepLinkError::NotCanonical,
        DeepLinkError::UntrustedOrigin("https://evil.fr".into()),
        DeepLinkError::InsecureHttp("evil.fr".into()),
        DeepLinkError::NoBroker,
        DeepLinkError::UnknownParameter("x".into()),
        DeepLinkError::DuplicatedParameter("state"),
        DeepLinkError::MissingParameter("state"),
        DeepLinkError::EmptyValue("state"),
        DeepLinkError::ControlCharacter("state"),
        DeepLinkError::InvalidEncoding("state"),
        DeepLinkError::ValueTooLong {
            name: "state",
            max: 512,
        },
        DeepLinkError::InvalidValue("state"),
        DeepLinkError::InvalidRedirectUri,
        DeepLinkError::InvalidAuthorize(crate::oauth::OAuthError::invalid_request("x")),
        DeepLinkError::AmbiguousCallback,
        DeepLinkError::UntrustedIssuer("https://evil.fr".into()),
    ];
    for e in errors {
        let fr = e.message_fr();
        assert!(fr.ends_with('.') && fr.contains("ignoré"), "{e:?}: {fr}");
        assert!(!e.to_string().is_empty());
    }
    assert_eq!(
        err(&link(&format!("https://evil.fr{AUTHORIZE_PATH}"), &base())).message_fr(),
        "Ce lien ne vient pas d'un service reconnu : il a été ignoré."
    );
}

// --- Properties -------------------------------------------------------------

fn claims_json() -> impl Strategy<Value = Option<String>> {
    let names = || {
        proptest::collection::btree_set(
            proptest::sample::select(REQUESTABLE_CLAIMS).prop_map(str::to_owned),
            0..4,
        )
    };
    proptest::option::of(
        (names(), names())
            .prop_map(|(id_token, userinfo)| ClaimsRequest { id_token, userinfo }.to_json()),
    )
}

fn valid_authorize() -> impl Strategy<Value = AppAuthorize> {
    (
        (
            proptest::sample::select(vec![BROKER, SANDBOX]),
            "[A-Za-z0-9]{1,64}",
            prop_oneof![
                "https://[a-z]{1,10}\\.example\\.fr/[a-z0-9/]{0,20}",
                "http://127\\.0\\.0\\.1:[1-9][0-9]{0,3}/[a-z0-9/]{0,20}",
            ],
            proptest::collection::btree_set("[a-z_]{1,12}", 0..5),
            "[ -~]{1,512}",
            "[ -~]{1,512}",
        ),
        (
            proptest::option::of(proptest::sample::select(vec![
                "eidas1",
                "eidas2",
                "eidas3",
                "eidas2 eidas3",
            ])),
            proptest::option::of(proptest::sample::select(vec![
                "login",
                "consent",
                "login consent",
            ])),
            claims_json(),
            proptest::option::of("[!-~]{1,64}"),
            proptest::option::of("[!-~]{1,64}"),
            proptest::option::of(proptest::array::uniform32(any::<u8>())),
        ),
    )
        .prop_map(
            |(
                (broker, client_id, redirect_uri, scopes, state, nonce),
                (acr, prompt, claims, idp_hint, ui_locales, pkce),
            )| {
                let mut scope: BTreeSet<String> = scopes;
                scope.insert("openid".to_owned());
                AppAuthorize {
                    broker_origin: origin_url(&Url::parse(broker).unwrap()),
                    client_id,
                    redirect_uri,
                    scope: scope.into_iter().collect::<Vec<_>>().join(" "),
                    state,
                    nonce,
                    acr_values: acr.map(str::to_owned),
                    prompt: prompt.map(str::to_owned),
                    claims,
                    idp_hint,
                    ui_locales,
                    code_challenge: pkce.map(|digest| {
                        use base64::Engine as _;
                        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
                    }),
                }
            },
        )
}

/// A parameter name that no authorization link takes.
fn unknown_name() -> impl Strategy<Value = String> {
    prop_oneof![".{0,16}", "[a-z_]{1,20}", "[a-z_]{1,12}%[0-9A-F]{2}"]
        .prop_filter("known name", |n| !AUTHORIZE_PARAMS.contains(&n.as_str()))
}

fn any_link() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,300}",
        "(pivot|PIVOT|https|http|javascript|data|file)://[a-zA-Z0-9.@:/\\\\%\\[\\]-]{0,40}(\\?[ -~]{0,200})?",
        "pivot://(authorize|callback)[/.:@%]{0,3}\\?([a-z_]{1,12}=[a-zA-Z0-9%+&=]{0,20}&?){0,10}",
        "https://fc\\.example\\.gouv\\.fr/api/v2/authorize\\?[!-~]{0,300}",
    ]
}

proptest! {
    #[test]
    fn parse_never_panics(link in any_link()) {
        let _ = parse(&link, &origins());
        let _ = parse(&link, &[]);
    }

    #[test]
    fn valid_authorize_round_trips(a in valid_authorize()) {
        // The home broker for custom-scheme links is the first allowed origin.
        let home = [a.broker_origin.clone()];
        prop_assert_eq!(
            parse(&a.to_custom_link(), &home),
            Ok(DeepLink::Authorize(Box::new(a.clone())))
        );
        prop_assert_eq!(
            parse(a.authorize_url().as_str(), &origins()),
            Ok(DeepLink::Authorize(Box::new(a)))
        );
    }

    #[test]
    fn appending_an_unknown_parameter_fails(
        a in valid_authorize(),
        name in unknown_name(),
        value in ".{0,16}",
    ) {
        let extra = form_urlencoded::Serializer::new(String::new())
            .append_pair(&name, &value)
            .finish();
        for link in [a.to_custom_link(), a.authorize_url().to_string()] {
            let link = format!("{link}&{extra}");
            prop_assert!(
                matches!(
                    parse(&link, &origins()),
                    Err(DeepLinkError::UnknownParameter(_))
                ),
                "{}", link
            );
        }
    }

    #[test]
    fn repeating_a_parameter_fails(
        a in valid_authorize(),
        index in any::<proptest::sample::Index>(),
        value in "[!-~]{1,16}",
    ) {
        let pairs = a.to_pairs();
        let (name, _) = pairs[index.index(pairs.len())];
        let extra = form_urlencoded::Serializer::new(String::new())
            .append_pair(name, &value)
            .finish();
        let link = format!("{}&{extra}", a.to_custom_link());
        prop_assert_eq!(
            parse(&link, &origins()),
            Err(DeepLinkError::DuplicatedParameter(name))
        );
    }
}
