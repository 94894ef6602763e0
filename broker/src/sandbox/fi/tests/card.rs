//! The France Identité-style provider: the challenge for the app, the page
//! for a browser, the card's answer verified with `pivot_card`, and every
//! refusal with its French message.

use pivot_card::{
    client::{CardAnswer as ReadCard, CardClient},
    entropy::SeededEntropy,
    issuance::SandboxPki,
    pace::terminal::PaceChannel,
    pin::{Can, Pin},
    sandbox::{TestCard, find, sandbox_pki},
    verify::{Role, VerifyError},
};
use pivot_proto::card_auth::{
    CardAnswer, CardAuthError, CardAuthErrorCode, CardChallenge, CardRedirect, DecodedCardAnswer,
    JSON,
};
use time::OffsetDateTime;

use super::*;
use crate::sandbox::fi::{card::refusal, level::AMR_CARD};

/// A day when Eric Mercier's card is valid and Marie-Hélène's has expired.
const AFTER_2025: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);

fn card_fi() -> Fi {
    fi(FiKind::FranceIdentite)
}

/// Moves the FI's clock (which starts on 2024-05-02) to `at`.
fn set_clock(fi: &Fi, at: OffsetDateTime) {
    fi.clock.advance(at - datetime!(2024-05-02 09:30 UTC));
}

impl Fi {
    /// `GET /authorize` as the app asks it.
    async fn challenge_answer(&self, overrides: &[(&str, Option<&str>)]) -> Answer {
        let req = Request::get(format!("{}{}", self.prefix, self.authorize_path(overrides)))
            .header(header::ACCEPT, JSON)
            .body(Body::empty())
            .unwrap();
        self.send(req).await
    }

    async fn challenge(&self) -> CardChallenge {
        let a = self
            .challenge_answer(&[
                ("acr_values", Some("eidas3")),
                (
                    "scope",
                    Some("openid identite_pivot email preferred_username"),
                ),
            ])
            .await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        assert_eq!(a.headers[header::CACHE_CONTROL], "no-store");
        serde_json::from_str(&a.body).unwrap()
    }

    async fn post_answer(&self, answer_url: &str, body: &str) -> Answer {
        let path = answer_url.strip_prefix(&self.issuer).unwrap();
        let req = Request::post(format!("{}{path}", self.prefix))
            .header(header::CONTENT_TYPE, JSON)
            .body(Body::from(body.to_owned()))
            .unwrap();
        self.send(req).await
    }

    async fn answer(&self, c: &CardChallenge, answer: &CardAnswer) -> Answer {
        self.post_answer(&c.answer_url, &serde_json::to_string(answer).unwrap())
            .await
    }
}

/// The refusal in an answer, checked against its code and status.
fn refused(a: &Answer, code: CardAuthErrorCode) -> CardAuthError {
    assert_eq!(a.status.as_u16(), code.http_status(), "{}", a.body);
    let e: CardAuthError = serde_json::from_str(&a.body).unwrap();
    assert_eq!(e.error, code, "{}", a.body);
    e
}

/// The way back of a refusal: the broker's callback with `access_denied`.
fn assert_returns_access_denied(e: &CardAuthError) {
    let url = url::Url::parse(e.return_url.as_deref().expect("a way back")).unwrap();
    assert!(url.as_str().starts_with(REDIRECT_URI), "{url}");
    let q: HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], STATE);
    assert_eq!(q["iss"], "http://127.0.0.1:7101");
    assert!(!q.contains_key("code"));
}

/// The test card of `citizen`, issued by `pki`, in a virtual card.
fn virtual_card(citizen: &str, pki: &SandboxPki) -> pivot_card::VirtualCard {
    find(citizen).unwrap().issue(pki).unwrap()
}

/// What the app reads from the card after PACE, the PIN and the signature.
fn read_card(
    card: &mut pivot_card::VirtualCard,
    test: &TestCard,
    challenge: &[u8],
) -> Result<ReadCard, String> {
    let mut entropy = SeededEntropy::new(b"fi card tests");
    let can = Can::parse(test.can.as_bytes()).unwrap();
    let channel = PaceChannel::establish(card, &can, &mut entropy).map_err(|e| e.to_string())?;
    CardClient::new(channel)
        .authenticate(&Pin::parse(test.pin.as_bytes()).unwrap(), challenge)
        .map_err(|e| e.to_string())
}

fn to_wire(read: &ReadCard, challenge: &[u8]) -> CardAnswer {
    CardAnswer::from_bytes(&DecodedCardAnswer {
        challenge: challenge.to_vec(),
        signature: read.signature.clone(),
        card_certificate: read.card_certificate.clone(),
        issuer_certificate: read.issuer_certificate.clone(),
        identity: read.identity.clone(),
        identity_signature: read.identity_signature.clone(),
    })
}

/// The answer of `citizen`'s sandbox card to the challenge `c`.
fn card_answer(citizen: &str, c: &CardChallenge) -> CardAnswer {
    let challenge = c.challenge_bytes().unwrap();
    let mut card = virtual_card(citizen, &sandbox_pki().unwrap());
    let read = read_card(&mut card, find(citizen).unwrap(), &challenge).unwrap();
    to_wire(&read, &challenge)
}

#[tokio::test]
async fn the_provider_asserts_eidas3_only() {
    let k = FiKind::FranceIdentite;
    assert_eq!(k.id(), "france-identite");
    assert_eq!(FiKind::from_id("france-identite"), Some(k));
    assert_eq!(k.display_name(), "France Identité");
    assert_eq!(k.default_levels(), &[Eidas::Eidas3]);
    assert_eq!(k.login_method(), LoginMethod::Card);
    assert_eq!(FiKind::CARD, [k]);
    assert!(!FiKind::ALL.contains(&k));
    // No password account anywhere.
    assert!(demo_logins(k).is_empty());
    let fi = card_fi();
    assert_eq!(levels_of(&fi).await, serde_json::json!(["eidas3"]));
    // A card provider cannot start without a trust anchor.
    let spec = FiSpec {
        trusted_card_root: None,
        ..spec_at(k, "http://127.0.0.1:7101/")
    };
    let err = router(
        spec,
        FiControl::new(),
        Arc::new(fi.clock.clone()),
        Templates::new(&[TEMPLATES]).unwrap(),
    )
    .err()
    .unwrap();
    assert!(matches!(err, FiError::NoCardRoot));
}

#[tokio::test]
async fn a_browser_is_told_to_continue_in_the_app() {
    let fi = card_fi();
    let page = fi.authorize(&[("acr_values", Some("eidas3"))]).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"card-app\""), "{}", page.body);
    assert!(page.body.contains("Continuer avec l"), "{}", page.body);
    // No password form.
    assert!(!page.body.contains("name=\"password\""));
    // The test cards with their PIN and CAN.
    assert!(page.body.contains("PV0000001"));
    assert!(page.body.contains("123456"));
    // "Revenir": the broker's callback with access_denied.
    let marker = "id=\"card-return\" href=\"";
    let start = page.body.find(marker).unwrap() + marker.len();
    let end = page.body[start..].find('"').unwrap();
    let href = page.body[start..start + end]
        .replace("&#x2f;", "/")
        .replace("&amp;", "&");
    assert_returns_access_denied(&CardAuthError {
        error: CardAuthErrorCode::InvalidRequest,
        message: String::new(),
        return_url: Some(href),
    });
    // No session at this provider: prompt=none is always login_required.
    let none = fi.authorize(&[("prompt", Some("none"))]).await;
    assert_eq!(none.status, StatusCode::FOUND);
    assert_eq!(none.query()["error"], "login_required");
}

#[tokio::test]
async fn the_app_signs_the_challenge_and_gets_a_code_for_eidas3() {
    let fi = card_fi();
    set_clock(&fi, AFTER_2025);
    let c = fi.challenge().await;
    assert_eq!(c.fi_name, "France Identité");
    assert_eq!(c.expires_in, 300);
    assert_eq!(c.challenge_bytes().unwrap().len(), 32);
    assert!(
        c.answer_url
            .starts_with("http://127.0.0.1:7101/card/answer/")
    );
    assert_returns_access_denied(&CardAuthError {
        error: CardAuthErrorCode::InvalidRequest,
        message: String::new(),
        return_url: Some(c.cancel_url.clone()),
    });
    // Two requests, two challenges.
    assert_ne!(fi.challenge().await.challenge, c.challenge);

    let a = fi.answer(&c, &card_answer("eric-mercier", &c)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let r: CardRedirect = serde_json::from_str(&a.body).unwrap();
    let url = url::Url::parse(&r.redirect_url).unwrap();
    assert!(url.as_str().starts_with(REDIRECT_URI));
    let q: HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["state"], STATE);
    assert_eq!(q["iss"], "http://127.0.0.1:7101");

    // The tokens: eidas3 after the card, and the card's identity.
    let t = fi.exchange(&q["code"], VERIFIER).await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.body);
    let t = t.json();
    let claims = fi.verify(t["id_token"].as_str().unwrap()).await.unwrap();
    assert_eq!(claims["acr"], "eidas3");
    assert_eq!(claims["amr"], amr(AMR_CARD));
    assert_eq!(claims["nonce"], NONCE);
    let eric = find_citizen("eric-mercier").unwrap();
    assert_eq!(claims["sub"], subject(FiKind::FranceIdentite, eric));
    let info = fi
        .userinfo(t["access_token"].as_str().unwrap())
        .await
        .json();
    assert_eq!(info["given_name"], "Eric");
    assert_eq!(info["family_name"], "MERCIER");
    assert_eq!(info["birthdate"], "1966-03-12");
    assert_eq!(info["gender"], "male");
    assert_eq!(info["birthplace"], "75056");
    assert_eq!(info["birthcountry"], "99100");
    assert_eq!(info["email"], "eric.mercier@example.fr");

    // Single use: a second answer finds no request.
    let again = fi.answer(&c, &card_answer("eric-mercier", &c)).await;
    let e = refused(&again, CardAuthErrorCode::UnknownRequest);
    assert!(e.message.contains("déjà reçu une réponse"), "{}", e.message);
    assert_eq!(e.return_url, None);
}

#[tokio::test]
async fn the_usage_name_becomes_preferred_username() {
    // Before 2024-06-09 Marie-Hélène's card is still valid.
    let fi = card_fi();
    let c = fi.challenge().await;
    let a = fi
        .answer(&c, &card_answer("marie-helene-de-la-fontaine-eloise", &c))
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let r: CardRedirect = serde_json::from_str(&a.body).unwrap();
    let code = url::Url::parse(&r.redirect_url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let t = fi.exchange(&code, VERIFIER).await.json();
    let info = fi
        .userinfo(t["access_token"].as_str().unwrap())
        .await
        .json();
    assert_eq!(info["family_name"], "DE LA FONTAINE-ÉLOÏSE");
    assert_eq!(info["given_name"], "Marie-Hélène Élodie");
    assert_eq!(info["preferred_username"], "MARTIN-DUBOIS");
    assert_eq!(info["birthplace"], "69123");
}

#[tokio::test]
async fn an_expired_challenge_is_refused() {
    let fi = card_fi();
    set_clock(&fi, AFTER_2025);
    let c = fi.challenge().await;
    let answer = card_answer("eric-mercier", &c);
    fi.clock.advance(Duration::seconds(301));
    let e = refused(
        &fi.answer(&c, &answer).await,
        CardAuthErrorCode::ChallengeExpired,
    );
    assert!(e.message.contains("5 minutes"), "{}", e.message);
    assert_returns_access_denied(&e);
    // Spent too.
    refused(
        &fi.answer(&c, &answer).await,
        CardAuthErrorCode::UnknownRequest,
    );
}

#[tokio::test]
async fn an_answer_is_bound_to_its_request() {
    let fi = card_fi();
    set_clock(&fi, AFTER_2025);
    let first = fi.challenge().await;
    let second = fi.challenge().await;
    // The card signed the first challenge; the app posts to the second
    // request.
    let signed_first = card_answer("eric-mercier", &first);
    let e = refused(
        &fi.answer(&second, &signed_first).await,
        CardAuthErrorCode::ChallengeMismatch,
    );
    assert!(e.message.contains("autre demande"), "{}", e.message);
    assert_returns_access_denied(&e);
    // Claiming the right challenge with a signature over another one: the
    // signature does not verify.
    let third = fi.challenge().await;
    let forged = CardAnswer {
        challenge: third.challenge.clone(),
        ..signed_first.clone()
    };
    refused(
        &fi.answer(&third, &forged).await,
        CardAuthErrorCode::BadSignature,
    );
    // The first request is still waiting, and accepts its own answer.
    let ok = fi.answer(&first, &signed_first).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    // An answer URL that names nothing.
    let nothing = fi
        .post_answer(
            "http://127.0.0.1:7101/card/answer/inconnu",
            &serde_json::to_string(&signed_first).unwrap(),
        )
        .await;
    refused(&nothing, CardAuthErrorCode::UnknownRequest);
}

#[tokio::test]
async fn a_malformed_answer_is_refused_and_spends_the_challenge() {
    let fi = card_fi();
    let c = fi.challenge().await;
    let e = refused(
        &fi.post_answer(&c.answer_url, "{\"signature\": 1}").await,
        CardAuthErrorCode::InvalidRequest,
    );
    assert_returns_access_denied(&e);
    refused(
        &fi.answer(&c, &card_answer("eric-mercier", &c)).await,
        CardAuthErrorCode::UnknownRequest,
    );
}

#[tokio::test]
async fn every_card_refusal_has_its_french_message() {
    let fi = card_fi();
    set_clock(&fi, AFTER_2025);

    // Expired card (and certificate).
    let c = fi.challenge().await;
    let e = refused(
        &fi.answer(&c, &card_answer("marie-helene-de-la-fontaine-eloise", &c))
            .await,
        CardAuthErrorCode::CertificateExpired,
    );
    assert!(
        e.message.contains("a expiré le 09/06/2024"),
        "{}",
        e.message
    );
    assert_returns_access_denied(&e);

    // A card of another PKI (same names, other keys).
    let other = SandboxPki::new(
        b"another state, another CA",
        find("eric-mercier").unwrap().period(),
        find("eric-mercier").unwrap().period(),
    )
    .unwrap();
    let c = fi.challenge().await;
    let challenge = c.challenge_bytes().unwrap();
    let mut forged_card = virtual_card("eric-mercier", &other);
    let read = read_card(&mut forged_card, find("eric-mercier").unwrap(), &challenge).unwrap();
    let e = refused(
        &fi.answer(&c, &to_wire(&read, &challenge)).await,
        CardAuthErrorCode::UnknownIssuer,
    );
    assert!(e.message.contains("autorité reconnue"), "{}", e.message);

    // Another card signed the challenge; Eric's chain and identity are
    // presented.
    let c = fi.challenge().await;
    let challenge = c.challenge_bytes().unwrap();
    let pki = sandbox_pki().unwrap();
    let mut marie = virtual_card("marie-helene-de-la-fontaine-eloise", &pki);
    let marie_read = read_card(
        &mut marie,
        find("marie-helene-de-la-fontaine-eloise").unwrap(),
        &challenge,
    )
    .unwrap();
    let mut eric = virtual_card("eric-mercier", &pki);
    let eric_read = read_card(&mut eric, find("eric-mercier").unwrap(), &challenge).unwrap();
    let swapped = ReadCard {
        signature: marie_read.signature.clone(),
        ..eric_read.clone()
    };
    let e = refused(
        &fi.answer(&c, &to_wire(&swapped, &challenge)).await,
        CardAuthErrorCode::BadSignature,
    );
    assert!(
        e.message.contains("ne vient pas de la carte"),
        "{}",
        e.message
    );

    // Eric's card presenting Marie-Hélène's identity.
    let c = fi.challenge().await;
    let challenge = c.challenge_bytes().unwrap();
    let eric_read = read_card(&mut eric, find("eric-mercier").unwrap(), &challenge).unwrap();
    let stolen_identity = ReadCard {
        identity: marie_read.identity.clone(),
        identity_signature: marie_read.identity_signature.clone(),
        ..eric_read.clone()
    };
    let e = refused(
        &fi.answer(&c, &to_wire(&stolen_identity, &challenge)).await,
        CardAuthErrorCode::InvalidIdentity,
    );
    assert!(
        e.message.contains("identité lue sur la carte"),
        "{}",
        e.message
    );

    // A card declared lost or stolen.
    fi.control
        .set(FiBehaviour::RevokedCard("PV0000001".to_owned()));
    let c = fi.challenge().await;
    let e = refused(
        &fi.answer(&c, &card_answer("eric-mercier", &c)).await,
        CardAuthErrorCode::CardRevoked,
    );
    assert!(e.message.contains("perdue ou volée"), "{}", e.message);
    fi.control.set(FiBehaviour::Normal);

    // A card not valid yet.
    let fi = card_fi();
    let c = fi.challenge().await;
    let e = refused(
        &fi.answer(&c, &card_answer("eric-mercier", &c)).await,
        CardAuthErrorCode::CertificateNotYetValid,
    );
    assert!(e.message.contains("01/03/2025"), "{}", e.message);
}

#[test]
fn every_verifier_error_maps_to_a_code() {
    use CardAuthErrorCode as C;
    let t = datetime!(2024-06-09 23:59:59 UTC);
    let cases = [
        (VerifyError::Malformed(Role::Card), C::UnknownIssuer),
        (
            VerifyError::UnsupportedAlgorithm(Role::Issuer),
            C::UnknownIssuer,
        ),
        (VerifyError::UnknownIssuer(Role::Issuer), C::UnknownIssuer),
        (
            VerifyError::BadCertificateSignature(Role::Card),
            C::UnknownIssuer,
        ),
        (VerifyError::KeyUsage(Role::Card), C::UnknownIssuer),
        (
            VerifyError::Expired {
                role: Role::Card,
                not_after: t,
            },
            C::CertificateExpired,
        ),
        (
            VerifyError::Expired {
                role: Role::Root,
                not_after: t,
            },
            C::CertificateExpired,
        ),
        (
            VerifyError::NotYetValid {
                role: Role::Card,
                not_before: t,
            },
            C::CertificateNotYetValid,
        ),
        (VerifyError::ChallengeLength, C::BadSignature),
        (VerifyError::BadSignature, C::BadSignature),
        (VerifyError::BadIdentitySignature, C::InvalidIdentity),
        (
            VerifyError::CardNumberMismatch {
                identity: "A".into(),
                certificate: "B".into(),
            },
            C::InvalidIdentity,
        ),
    ];
    for (error, code) in cases {
        let (got, message) = refusal(&error);
        assert_eq!(got, code, "{error:?}");
        assert!(message.ends_with('.'), "{message}");
    }
    assert!(
        refusal(&VerifyError::Expired {
            role: Role::Card,
            not_after: t
        })
        .1
        .contains("09/06/2024")
    );
}

#[tokio::test]
async fn the_app_gets_json_errors() {
    let fi = card_fi();
    // Before the redirect URI is trusted: no way back.
    let a = fi.challenge_answer(&[("client_id", Some("inconnu"))]).await;
    let e = refused(&a, CardAuthErrorCode::InvalidRequest);
    assert!(e.message.contains("pas enregistré"), "{}", e.message);
    assert_eq!(e.return_url, None);
    // After: the OAuth error for the broker is the way back.
    let a = fi.challenge_answer(&[("nonce", None)]).await;
    let e = refused(&a, CardAuthErrorCode::InvalidRequest);
    let back = url::Url::parse(e.return_url.as_deref().unwrap()).unwrap();
    let q: HashMap<_, _> = back.query_pairs().into_owned().collect();
    assert_eq!(q["error"], "invalid_request");
    assert_eq!(q["state"], STATE);
    let a = fi.challenge_answer(&[("prompt", Some("none"))]).await;
    let e = refused(&a, CardAuthErrorCode::InvalidRequest);
    assert!(e.return_url.unwrap().contains("error=login_required"));
    // A password provider ignores the JSON wish: its form it is.
    let laposte = fi_at(FiKind::LaPoste, "http://127.0.0.1:7101/");
    let page = laposte.challenge_answer(&[]).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("name=\"password\""));
}

#[test]
fn json_is_recognised_in_accept() {
    let with = |v: &str| {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, v.parse().unwrap());
        super::super::card::wants_json(&h)
    };
    assert!(with("application/json"));
    assert!(with("text/html;q=0.5, application/json; q=1"));
    assert!(!with("text/html,application/xhtml+xml,*/*;q=0.8"));
    assert!(!with("application/jsonx"));
    assert!(!super::super::card::wants_json(&HeaderMap::new()));
}

#[test]
fn every_test_card_is_its_citizens_identity() {
    // The registry check passes for a card login exactly when it does for
    // the citizen's other accounts: the card holds the same identity.
    for card in pivot_card::sandbox::TEST_CARDS {
        let citizen = find_citizen(card.citizen).unwrap();
        let holder = card.holder();
        assert_eq!(holder.given_names, citizen.given_name, "{}", card.citizen);
        assert_eq!(holder.family_name, citizen.family_name);
        assert_eq!(holder.usage_name.as_deref(), citizen.preferred_username);
        assert_eq!(holder.birth_date, citizen.birthdate);
        assert_eq!(holder.gender.as_pivot(), citizen.gender);
        assert_eq!(
            holder.birthplace.as_deref().unwrap_or_default(),
            citizen.birthplace
        );
        assert_eq!(holder.birth_country, citizen.birthcountry);
    }
}
