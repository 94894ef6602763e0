//! The ID-card login of the France Identité-style provider
//! ([`FiKind::FranceIdentite`](super::FiKind::FranceIdentite)), on the
//! wire of [`pivot_proto::card_auth`].
//!
//! `GET /authorize` asked with `Accept: application/json` (the citizen
//! app) answers a [`CardChallenge`]: 32 random bytes, bound to this
//! authorization request, good for one answer within
//! [`CARD_CHALLENGE_TTL`] on the provider's clock. Asked by a browser, it
//! answers a page explaining that this login takes the app and the card.
//!
//! `POST /card/answer/{request}` takes the [`CardAnswer`], spends the
//! request, checks that the signed challenge is the one issued for it,
//! runs [`pivot_card::verify::verify`] against the trusted state CA at the
//! provider's time, then ties the card to its account (the sandbox's test
//! cards, `pivot_card::sandbox::TEST_CARDS`, each belong to a sandbox
//! citizen) and answers the broker's callback with a code. The identity
//! released is the card's, as its issuer signed it. Every refusal is a
//! [`CardAuthError`] with a French message and the way back to the broker.
//!
//! No session is opened at the provider: every login proves the card
//! again (`prompt=none` always answers `login_required`).

use std::sync::Arc;

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use pivot_card::{
    holder::Holder,
    sandbox::TEST_CARDS,
    verify::{CardEvidence, Role, VerifyError, verify},
};
use pivot_proto::card_auth::{
    CardAnswer, CardAuthError, CardAuthErrorCode, CardChallenge, CardRedirect, JSON, encode,
};
use serde_json::json;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use super::{
    FiBehaviour, FiState,
    authorize::{client_url, code_url},
    error::{HttpError, OAuthCode},
    store::{AuthRequest, CARD_CHALLENGE_TTL, CardTake},
};
use crate::sandbox::citizens::{Citizen, find_citizen};

/// Path of the answer endpoint, under the issuer (`/{request id}` follows).
pub(super) const ANSWER_PATH: &str = "/card/answer";

/// Whether the request asks for JSON (the app) rather than a page.
pub(super) fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.split(';').next().is_some_and(|m| m.trim() == JSON))
}

/// A refusal, as JSON.
pub(super) fn refuse(
    error: CardAuthErrorCode,
    message: impl Into<String>,
    return_url: Option<String>,
) -> Response {
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(CardAuthError {
            error,
            message: message.into(),
            return_url,
        }),
    )
        .into_response()
}

/// The broker's callback telling it the citizen left this provider.
fn cancel_url(st: &FiState, request: &AuthRequest, reason: &str) -> Result<String, HttpError> {
    client_url(
        st,
        &request.redirect_uri,
        &[
            ("error", OAuthCode::AccessDenied.as_str()),
            ("error_description", reason),
            ("state", &request.state),
        ],
    )
}

/// A validated authorization request at the card provider: a challenge
/// for the app, a page for a browser.
pub(super) fn start(st: &FiState, request: AuthRequest, json: bool) -> Result<Response, HttpError> {
    let now = st.now();
    if !json {
        return page(st, &request);
    }
    let cancel = cancel_url(st, &request, "the citizen cancelled the card login")?;
    let (id, challenge) = st.store.new_card_request(request, now);
    let body = CardChallenge {
        fi_name: st.kind().display_name().to_owned(),
        challenge: encode(&challenge),
        answer_url: st.endpoint(&format!("{ANSWER_PATH}/{id}")),
        expires_in: u32::try_from(CARD_CHALLENGE_TTL.whole_seconds()).unwrap_or(300),
        cancel_url: cancel,
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response())
}

/// The page a browser gets: this login takes the app and the card.
fn page(st: &FiState, request: &AuthRequest) -> Result<Response, HttpError> {
    let back = cancel_url(st, request, "the card login needs the app")?;
    let now = st.now();
    let cards: Vec<_> = TEST_CARDS
        .iter()
        .map(|c| {
            let state = if c.pin_blocked {
                "PIN bloqué (le PUK le débloque)".to_owned()
            } else if c.is_expired(now) {
                format!("expirée le {}", french_date(c.expiry))
            } else {
                format!("valable jusqu'au {}", french_date(c.expiry))
            };
            json!({
                "name": format!("{} {}", c.given_names, c.family_name),
                "number": c.card_number,
                "pin": c.pin,
                "can": c.can,
                "state": state,
            })
        })
        .collect();
    st.page(
        StatusCode::OK,
        "fi/card.html",
        json!({ "return_url": back, "cards": cards }),
    )
}

fn french_date(d: time::Date) -> String {
    format!("{:02}/{:02}/{}", d.day(), u8::from(d.month()), d.year())
}

/// `POST /card/answer/{request}`.
pub(super) async fn answer(
    State(st): State<Arc<FiState>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, HttpError> {
    let now = st.now();
    let pending = match st.store.take_card_request(&id, now) {
        CardTake::Live(p) => p,
        CardTake::Expired(p) => {
            let back = cancel_url(&st, &p.request, "the card challenge expired")?;
            return Ok(refuse(
                CardAuthErrorCode::ChallengeExpired,
                format!(
                    "Le délai de {} minutes pour présenter votre carte est dépassé. Recommencez : une nouvelle demande sera faite à votre carte.",
                    CARD_CHALLENGE_TTL.whole_minutes()
                ),
                Some(back),
            ));
        }
        CardTake::Unknown => {
            return Ok(refuse(
                CardAuthErrorCode::UnknownRequest,
                "Cette demande de connexion a déjà reçu une réponse ou n'existe pas. Recommencez depuis le service en ligne.",
                None,
            ));
        }
    };
    let request = pending.request;
    let back = cancel_url(&st, &request, "the card was refused")?;
    let Some(answer) = serde_json::from_slice::<CardAnswer>(&body)
        .ok()
        .and_then(|a| a.decode().ok())
    else {
        return Ok(refuse(
            CardAuthErrorCode::InvalidRequest,
            "La réponse de votre application est illisible. Mettez l'application à jour puis recommencez.",
            Some(back),
        ));
    };
    if !bool::from(answer.challenge.ct_eq(&pending.challenge)) {
        return Ok(refuse(
            CardAuthErrorCode::ChallengeMismatch,
            "Votre carte a signé une autre demande que celle de cette connexion. Recommencez : une nouvelle demande sera faite à votre carte.",
            Some(back),
        ));
    }
    let evidence = CardEvidence {
        challenge: &pending.challenge,
        signature: &answer.signature,
        card_certificate: &answer.card_certificate,
        issuer_certificate: &answer.issuer_certificate,
        identity: &answer.identity,
        identity_signature: &answer.identity_signature,
    };
    let verified = match verify(&evidence, &st.card_root, now) {
        Ok(v) => v,
        Err(e) => {
            tracing::info!(fi = st.kind().id(), error = %e, "demo FI: card refused");
            let (code, message) = refusal(&e);
            return Ok(refuse(code, message, Some(back)));
        }
    };
    let holder = verified.holder;
    if st.control.get() == FiBehaviour::RevokedCard(holder.card_number.clone()) {
        return Ok(refuse(
            CardAuthErrorCode::CardRevoked,
            "Cette carte a été déclarée perdue ou volée : elle ne permet plus de vous identifier. Si vous l'avez retrouvée, levez l'opposition en mairie.",
            Some(back),
        ));
    }
    let Some(account) = account(&holder) else {
        return Ok(refuse(
            CardAuthErrorCode::NoAccount,
            "Aucun compte France Identité n'est associé à cette carte. Activez d'abord votre identité numérique dans l'application France Identité.",
            Some(back),
        ));
    };
    let redirect_url = code_url(st.as_ref(), request, account, Arc::new(holder), now)?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(CardRedirect { redirect_url }),
    )
        .into_response())
}

/// The provider's account tied to a card: in the sandbox, the citizen each
/// test card was issued to.
fn account(holder: &Holder) -> Option<&'static Citizen> {
    TEST_CARDS
        .iter()
        .find(|c| c.card_number == holder.card_number)
        .and_then(|c| find_citizen(c.citizen))
}

/// The code and French message of a card the verifier refused.
pub(super) fn refusal(e: &VerifyError) -> (CardAuthErrorCode, String) {
    let date = |t: &OffsetDateTime| french_date(t.date());
    match e {
        VerifyError::Expired {
            role: Role::Card,
            not_after,
        } => (
            CardAuthErrorCode::CertificateExpired,
            format!(
                "Votre carte d'identité a expiré le {} : elle ne permet plus de vous identifier en ligne. Demandez-en une nouvelle en mairie, ou choisissez un autre moyen de connexion.",
                date(not_after)
            ),
        ),
        VerifyError::Expired { .. } => (
            CardAuthErrorCode::CertificateExpired,
            "L'autorité qui a émis votre carte n'est plus valable : votre carte ne permet plus de vous identifier en ligne. Choisissez un autre moyen de connexion.".to_owned(),
        ),
        VerifyError::NotYetValid { not_before, .. } => (
            CardAuthErrorCode::CertificateNotYetValid,
            format!(
                "Votre carte d'identité ne pourra servir en ligne qu'à partir du {}. Réessayez à cette date, ou choisissez un autre moyen de connexion.",
                date(not_before)
            ),
        ),
        VerifyError::Malformed(_)
        | VerifyError::UnsupportedAlgorithm(_)
        | VerifyError::UnknownIssuer(_)
        | VerifyError::BadCertificateSignature(_)
        | VerifyError::KeyUsage(_) => (
            CardAuthErrorCode::UnknownIssuer,
            "Cette carte n'a pas été émise par l'autorité reconnue par France Identité : elle ne peut pas servir à vous identifier. Utilisez votre carte d'identité française.".to_owned(),
        ),
        VerifyError::BadSignature | VerifyError::ChallengeLength => (
            CardAuthErrorCode::BadSignature,
            "La signature ne vient pas de la carte présentée. Gardez la même carte contre le lecteur pendant toute l'opération, puis recommencez.".to_owned(),
        ),
        VerifyError::BadIdentitySignature
        | VerifyError::Identity(_)
        | VerifyError::CardNumberMismatch { .. } => (
            CardAuthErrorCode::InvalidIdentity,
            "L'identité lue sur la carte n'est pas celle que l'État a inscrite sur cette carte. Par sécurité, la connexion est refusée.".to_owned(),
        ),
        _ => (
            CardAuthErrorCode::UnknownIssuer,
            "Votre carte n'a pas pu être vérifiée. Par sécurité, la connexion est refusée.".to_owned(),
        ),
    }
}
