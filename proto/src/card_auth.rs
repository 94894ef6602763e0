//! The ID-card login at an identity provider in the style of France
//! Identité, as the citizen app runs it.
//!
//! Such a provider asserts `eidas3` only after the citizen's ID card has
//! signed a challenge (`card/SPEC.md`): it has no password form. When the
//! broker's twin ([`crate::interaction`]) answers [`Step::FiLogin`] for one
//! of them, the app opens no web view:
//!
//! 1. it requests the step's `authorization_url` itself, with
//!    `Accept: application/json` ([`JSON`]), and gets a [`CardChallenge`];
//! 2. the card signs the challenge: PACE with the card access number, the
//!    PIN, INTERNAL AUTHENTICATE, then the certificates and the signed
//!    identity are read (`pivot_card::client::CardClient::authenticate`);
//! 3. it posts a [`CardAnswer`] (JSON) to the challenge's `answer_url`;
//! 4. the provider verifies it and answers a [`CardRedirect`]: the broker's
//!    callback with `code`, `state` and `iss`, which the app relays to the
//!    twin as [`FiCallback::from_url`], exactly as it relays what a web
//!    view stopped at.
//!
//! | Request | Body | Success | Failure |
//! |---|---|---|---|
//! | `GET <authorization_url>`, `Accept: application/json` | | [`CardChallenge`] (200) | [`CardAuthError`] (400) |
//! | `POST <answer_url>`, `Content-Type: application/json` | [`CardAnswer`] | [`CardRedirect`] (200) | [`CardAuthError`] (400, 403, 404, 410) |
//!
//! A challenge is 32 random bytes, bound to one authorization request and
//! good for one answer within [`CardChallenge::expires_in`] seconds: the
//! answer spends it, accepted or not. To try again (another card, the same
//! one once renewed), the app requests `authorization_url` again and gets a
//! fresh challenge. To give up, it relays [`CardChallenge::cancel_url`] or
//! [`CardAuthError::return_url`] to the twin (an OAuth error for the
//! broker, which shows the provider list again).
//!
//! Binary values travel as base64url without padding (RFC 4648 §5).
//!
//! What goes wrong on the card itself (wrong card access number, wrong or
//! blocked PIN, card removed) never reaches the provider: the app explains
//! it with [`CardProblem`].
//!
//! [`Step::FiLogin`]: crate::interaction::Step::FiLogin
//! [`FiCallback::from_url`]: crate::interaction::FiCallback::from_url

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};

/// The media type the app asks for, and sends its answer in.
pub const JSON: &str = "application/json";

/// Size of a challenge, in bytes.
pub const CHALLENGE_LEN: usize = 32;

/// What the provider answers the app's request of the authorization URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardChallenge {
    /// The provider's name, to show ("France Identité").
    pub fi_name: String,
    /// [`CHALLENGE_LEN`] random bytes, base64url: what the card signs.
    pub challenge: String,
    /// Where to post the [`CardAnswer`]; it names this authorization
    /// request.
    pub answer_url: String,
    /// Seconds the challenge stays valid.
    pub expires_in: u32,
    /// The broker's callback with `error=access_denied`: relay it to the
    /// twin when the citizen gives up before the card has signed.
    pub cancel_url: String,
}

impl CardChallenge {
    /// The challenge's bytes, for the card.
    ///
    /// # Errors
    /// When it is not base64url or not [`CHALLENGE_LEN`] bytes long.
    pub fn challenge_bytes(&self) -> Result<Vec<u8>, CardAnswerError> {
        decode(&self.challenge, "challenge").and_then(|b| {
            (b.len() == CHALLENGE_LEN)
                .then_some(b)
                .ok_or(CardAnswerError("challenge"))
        })
    }
}

/// Body of the `POST` to [`CardChallenge::answer_url`]: what the card gave,
/// each value base64url. These are the fields of
/// `pivot_card::verify::CardEvidence`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardAnswer {
    /// The challenge signed, as received ([`CardChallenge::challenge`]).
    pub challenge: String,
    /// INTERNAL AUTHENTICATE's answer, `r || s` (64 bytes).
    pub signature: String,
    /// `EF.CardCert`: the card certificate, X.509 DER.
    pub card_certificate: String,
    /// `EF.IssuerCert`: the issuing CA's certificate, X.509 DER.
    pub issuer_certificate: String,
    /// `EF.Identity`: the holder's identity, TLV.
    pub identity: String,
    /// `EF.IdentitySig`: the issuing CA's `r || s` over `EF.Identity`.
    pub identity_signature: String,
}

/// A [`CardAnswer`] field that is not base64url (or, for a challenge, not
/// the right size); the field's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the field `{0}` is not valid base64url")]
pub struct CardAnswerError(pub &'static str);

/// A [`CardAnswer`]'s values as bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedCardAnswer {
    /// The challenge signed.
    pub challenge: Vec<u8>,
    /// `r || s`.
    pub signature: Vec<u8>,
    /// Card certificate, DER.
    pub card_certificate: Vec<u8>,
    /// Issuing CA certificate, DER.
    pub issuer_certificate: Vec<u8>,
    /// `EF.Identity`.
    pub identity: Vec<u8>,
    /// `EF.IdentitySig`.
    pub identity_signature: Vec<u8>,
}

fn decode(value: &str, field: &'static str) -> Result<Vec<u8>, CardAnswerError> {
    URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|_| CardAnswerError(field))
}

/// Encodes bytes as the contract does (base64url, no padding).
#[must_use]
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl CardAnswer {
    /// The answer of a card, from the bytes it gave and the challenge it
    /// signed.
    #[must_use]
    pub fn from_bytes(answer: &DecodedCardAnswer) -> Self {
        Self {
            challenge: encode(&answer.challenge),
            signature: encode(&answer.signature),
            card_certificate: encode(&answer.card_certificate),
            issuer_certificate: encode(&answer.issuer_certificate),
            identity: encode(&answer.identity),
            identity_signature: encode(&answer.identity_signature),
        }
    }

    /// Every value as bytes.
    ///
    /// # Errors
    /// The first field that is not base64url.
    pub fn decode(&self) -> Result<DecodedCardAnswer, CardAnswerError> {
        Ok(DecodedCardAnswer {
            challenge: decode(&self.challenge, "challenge")?,
            signature: decode(&self.signature, "signature")?,
            card_certificate: decode(&self.card_certificate, "card_certificate")?,
            issuer_certificate: decode(&self.issuer_certificate, "issuer_certificate")?,
            identity: decode(&self.identity, "identity")?,
            identity_signature: decode(&self.identity_signature, "identity_signature")?,
        })
    }
}

/// The provider accepted the card: relay `redirect_url` to the twin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardRedirect {
    /// The broker's callback with `code`, `state` and `iss`.
    pub redirect_url: String,
}

/// Why the provider refuses a request or an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CardAuthErrorCode {
    /// The authorization request or the answer is malformed (400). With a
    /// `return_url` when the provider could tell the broker.
    InvalidRequest,
    /// The answer URL names no live request: answered already, or never
    /// issued (404). Request `authorization_url` again.
    UnknownRequest,
    /// The challenge expired before the answer came (410). Request
    /// `authorization_url` again.
    ChallengeExpired,
    /// The answer signs another challenge than the one issued for this
    /// request (403).
    ChallengeMismatch,
    /// The card's certificate (or its issuer's) has expired (403).
    CertificateExpired,
    /// The card's certificate is not valid yet (403).
    CertificateNotYetValid,
    /// The certificates do not lead to the state authority the provider
    /// trusts: another issuer, a forged or damaged certificate (403).
    UnknownIssuer,
    /// The challenge's signature is not made by the key of the card whose
    /// certificate is presented: another card signed it (403).
    BadSignature,
    /// The identity read from the card is not the one its issuer signed
    /// for this card (403).
    InvalidIdentity,
    /// The card has been declared lost or stolen (403).
    CardRevoked,
    /// No account of the provider is tied to this card (403).
    NoAccount,
}

impl CardAuthErrorCode {
    /// The wire value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::UnknownRequest => "unknown_request",
            Self::ChallengeExpired => "challenge_expired",
            Self::ChallengeMismatch => "challenge_mismatch",
            Self::CertificateExpired => "certificate_expired",
            Self::CertificateNotYetValid => "certificate_not_yet_valid",
            Self::UnknownIssuer => "unknown_issuer",
            Self::BadSignature => "bad_signature",
            Self::InvalidIdentity => "invalid_identity",
            Self::CardRevoked => "card_revoked",
            Self::NoAccount => "no_account",
        }
    }

    /// The HTTP status the provider answers with.
    #[must_use]
    pub const fn http_status(self) -> u16 {
        match self {
            Self::InvalidRequest => 400,
            Self::UnknownRequest => 404,
            Self::ChallengeExpired => 410,
            _ => 403,
        }
    }

    /// Whether requesting `authorization_url` again (a fresh challenge)
    /// can help without changing anything on the card's side.
    #[must_use]
    pub const fn retry_with_new_challenge(self) -> bool {
        matches!(
            self,
            Self::UnknownRequest | Self::ChallengeExpired | Self::ChallengeMismatch
        )
    }
}

/// The provider's refusal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardAuthError {
    /// What went wrong.
    pub error: CardAuthErrorCode,
    /// What happened and what to do, in French, to show as is.
    pub message: String,
    /// The broker's callback with an OAuth error for this request
    /// (`access_denied` after a refused card): relay it to the twin to
    /// leave this provider. Absent when the provider no longer knows the
    /// request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
}

/// What can go wrong between the app and the card, before the provider is
/// asked anything, with what the app tells the citizen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
#[non_exhaustive]
pub enum CardProblem {
    /// The system's smart-card service (PC/SC) is not running.
    NoService,
    /// No card reader is connected (or the one chosen was unplugged).
    NoReader,
    /// No card on the reader, or it was moved away mid-exchange.
    NoCard,
    /// Another program holds the card.
    CardBusy,
    /// The card stopped answering.
    Timeout,
    /// The card is not an ID card with the Pivot eID application.
    NotAnIdCard,
    /// PACE failed: the card access number typed is not this card's.
    WrongCan,
    /// Wrong PIN; this many tries left.
    WrongPin {
        /// Tries left before the PIN blocks.
        tries_left: u8,
    },
    /// The PIN is blocked: only the PUK unblocks it.
    PinBlocked,
    /// Wrong PUK; this many tries left.
    WrongPuk {
        /// Tries left before the PUK blocks for good.
        tries_left: u8,
    },
    /// The PUK is blocked too: the card must be renewed.
    PukBlocked,
}

impl CardProblem {
    /// The French message to show.
    #[must_use]
    pub fn message_fr(self) -> String {
        match self {
            Self::NoService => "Le service de lecture des cartes à puce de votre ordinateur ne répond pas. Sous Linux, installez et démarrez pcscd ; ailleurs, redémarrez l'ordinateur.".to_owned(),
            Self::NoReader => "Aucun lecteur de carte n'est branché. Branchez votre lecteur (ou utilisez le NFC de votre téléphone), puis réessayez.".to_owned(),
            Self::CardBusy => "Un autre programme utilise la carte. Fermez-le, puis réessayez.".to_owned(),
            Self::Timeout => "La carte ne répond plus. Retirez-la, reposez-la sur le lecteur, puis réessayez.".to_owned(),
            Self::WrongPuk { tries_left: 1 } => "Code PUK incorrect. Il vous reste 1 essai : au prochain code faux, la carte devra être renouvelée.".to_owned(),
            Self::WrongPuk { tries_left } => format!("Code PUK incorrect. Il vous reste {tries_left} essais."),
            Self::PukBlocked => "Le code PUK est bloqué : la carte ne peut plus être débloquée. Demandez une nouvelle carte en mairie.".to_owned(),
            Self::NoCard => "La carte n'a pas été détectée ou a été retirée pendant la lecture. Posez-la à plat contre le lecteur (ou au dos du téléphone) et ne la bougez plus jusqu'à la fin.".to_owned(),
            Self::NotAnIdCard => "Cette carte n'est pas une carte d'identité compatible. Utilisez votre carte d'identité au format carte bancaire.".to_owned(),
            Self::WrongCan => "Le numéro d'accès à la carte (les 6 chiffres imprimés au recto, en bas à droite) ne correspond pas à cette carte. Vérifiez-le et réessayez.".to_owned(),
            Self::WrongPin { tries_left: 1 } => "Code PIN incorrect. Il vous reste 1 essai : au prochain code faux, votre carte sera bloquée.".to_owned(),
            Self::WrongPin { tries_left } => format!("Code PIN incorrect. Il vous reste {tries_left} essais."),
            Self::PinBlocked => "Le code PIN de votre carte est bloqué après trop d'essais. Débloquez-le avec le code PUK reçu avec votre carte, ou rendez-vous en mairie.".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_shape_and_bytes() {
        let c = CardChallenge {
            fi_name: "France Identité".into(),
            challenge: encode(&[7; CHALLENGE_LEN]),
            answer_url: "http://fi.example/card/answer/r1".into(),
            expires_in: 300,
            cancel_url:
                "http://broker.example/api/v2/fi/callback?error=access_denied&state=s&iss=i".into(),
        };
        let json = serde_json::to_value(&c).unwrap();
        let mut keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "answer_url",
                "cancel_url",
                "challenge",
                "expires_in",
                "fi_name"
            ]
        );
        assert_eq!(c.challenge_bytes().unwrap(), vec![7; CHALLENGE_LEN]);
        let short = CardChallenge {
            challenge: encode(&[7; 16]),
            ..c.clone()
        };
        assert_eq!(short.challenge_bytes(), Err(CardAnswerError("challenge")));
        let bad = CardChallenge {
            challenge: "pas du base64 !".into(),
            ..c
        };
        assert!(bad.challenge_bytes().is_err());
    }

    #[test]
    fn answer_round_trip() {
        let bytes = DecodedCardAnswer {
            challenge: vec![1; 32],
            signature: vec![2; 64],
            card_certificate: vec![3, 4],
            issuer_certificate: vec![5],
            identity: vec![0x70, 0],
            identity_signature: vec![6; 64],
        };
        let answer = CardAnswer::from_bytes(&bytes);
        assert!(!answer.signature.contains('='));
        assert_eq!(answer.decode().unwrap(), bytes);
        let json = serde_json::to_string(&answer).unwrap();
        let back: CardAnswer = serde_json::from_str(&json).unwrap();
        assert_eq!(back, answer);
        let broken = CardAnswer {
            identity: "+/=".into(),
            ..answer
        };
        assert_eq!(broken.decode(), Err(CardAnswerError("identity")));
    }

    #[test]
    fn errors_on_the_wire() {
        let e = CardAuthError {
            error: CardAuthErrorCode::CertificateExpired,
            message: "Votre carte a expiré.".into(),
            return_url: None,
        };
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"error": "certificate_expired", "message": "Votre carte a expiré."})
        );
        for code in [
            CardAuthErrorCode::InvalidRequest,
            CardAuthErrorCode::UnknownRequest,
            CardAuthErrorCode::ChallengeExpired,
            CardAuthErrorCode::ChallengeMismatch,
            CardAuthErrorCode::CertificateExpired,
            CardAuthErrorCode::CertificateNotYetValid,
            CardAuthErrorCode::UnknownIssuer,
            CardAuthErrorCode::BadSignature,
            CardAuthErrorCode::InvalidIdentity,
            CardAuthErrorCode::CardRevoked,
            CardAuthErrorCode::NoAccount,
        ] {
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
            assert!(matches!(code.http_status(), 400 | 403 | 404 | 410));
        }
        assert!(CardAuthErrorCode::ChallengeExpired.retry_with_new_challenge());
        assert!(!CardAuthErrorCode::CertificateExpired.retry_with_new_challenge());
    }

    #[test]
    fn card_problems_speak_french() {
        assert!(
            CardProblem::WrongPin { tries_left: 2 }
                .message_fr()
                .contains("2 essais")
        );
        assert!(
            CardProblem::WrongPin { tries_left: 1 }
                .message_fr()
                .contains("1 essai ")
        );
        assert!(CardProblem::PinBlocked.message_fr().contains("PUK"));
        assert_eq!(
            serde_json::to_value(CardProblem::WrongPin { tries_left: 2 }).unwrap(),
            serde_json::json!({"problem": "wrong_pin", "tries_left": 2})
        );
    }
}
