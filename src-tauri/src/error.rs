//! The one error type of the shell's commands. It crosses to the interface as
//! `{ "code": "...", "message": "..." }` (see `ui/src/bridge.rs`), plus
//! `card` (a `CardProblem`) for the code `card`: `offline`
//! and `session_expired` have their own screens there, `interaction_expired`
//! and `returned_to_service` end a service's login, the message of the
//! others is shown as is, in French. Internal details never cross.

use pivot_proto::card_auth::CardProblem;
use serde::ser::SerializeStruct as _;
use serde::{Serialize, Serializer};

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The broker cannot be reached (connection refused, timeout, no network).
    #[error("le service est injoignable : vérifiez votre connexion puis réessayez")]
    Offline,
    /// The access token was refused: the citizen must sign in again.
    #[error("votre session a expiré : connectez-vous à nouveau")]
    SessionExpired,
    /// The broker refused the operation, with its message.
    #[error("{0}")]
    Refused(String),
    /// The service's login no longer exists at the broker (too old, or
    /// already over), with the broker's message.
    #[error("{0}")]
    InteractionExpired(String),
    /// The broker ended the service's login with an error and the browser
    /// was sent back to the service with it; the broker's message.
    #[error("{0}")]
    ReturnedToService(String),
    /// The ID card could not be used: what to tell the citizen.
    #[error("{}", .0.message_fr())]
    Card(CardProblem),
    /// The identity provider refused the card, with its message (French).
    #[error("{0}")]
    CardRefused(String),
    /// The request itself is wrong (bad argument, hostile link, missing feature).
    #[error("{0}")]
    Invalid(String),
    /// Anything else; the detail is kept for the logs, never shown.
    #[error("une erreur interne est survenue, réessayez plus tard")]
    Internal(String),
}

impl AppError {
    /// The machine-readable code sent to the interface.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Offline => "offline",
            Self::SessionExpired => "session_expired",
            Self::Refused(_) => "refused",
            Self::InteractionExpired(_) => "interaction_expired",
            Self::ReturnedToService(_) => "returned_to_service",
            Self::Card(_) => "card",
            Self::CardRefused(_) => "card_refused",
            Self::Invalid(_) => "invalid",
            Self::Internal(_) => "internal",
        }
    }

    /// A feature the shell does not offer yet.
    #[must_use]
    pub fn not_yet_available(what: &str) -> Self {
        Self::Invalid(format!("{what} : pas encore disponible dans l'application"))
    }

    /// An internal failure, with its detail for the logs.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::Internal(detail.to_string())
    }
}

impl Serialize for AppError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let card = match self {
            Self::Card(problem) => Some(problem),
            _ => None,
        };
        let mut s = serializer.serialize_struct("AppError", 2 + usize::from(card.is_some()))?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("message", &self.to_string())?;
        if let Some(problem) = card {
            s.serialize_field("card", problem)?;
        }
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serializes_to_code_and_french_message() {
        assert_eq!(
            serde_json::to_value(AppError::Offline).unwrap(),
            json!({"code": "offline", "message": AppError::Offline.to_string()})
        );
        assert_eq!(
            serde_json::to_value(AppError::SessionExpired).unwrap()["code"],
            "session_expired"
        );
        assert_eq!(
            serde_json::to_value(AppError::Refused("Compte bloqué".into())).unwrap(),
            json!({"code": "refused", "message": "Compte bloqué"})
        );
        assert!(AppError::Offline.to_string().contains("injoignable"));
    }

    #[test]
    fn card_problems_carry_their_detail() {
        let v =
            serde_json::to_value(AppError::Card(CardProblem::WrongPin { tries_left: 2 })).unwrap();
        assert_eq!(v["code"], "card");
        assert_eq!(v["card"], json!({"problem": "wrong_pin", "tries_left": 2}));
        assert!(v["message"].as_str().unwrap().contains("2 essais"));
        let v = serde_json::to_value(AppError::CardRefused("Carte expirée".into())).unwrap();
        assert_eq!(
            v,
            json!({"code": "card_refused", "message": "Carte expirée"})
        );
    }

    #[test]
    fn internal_details_stay_inside() {
        let v = serde_json::to_value(AppError::internal("sqlite: disk I/O error")).unwrap();
        assert_eq!(v["code"], "internal");
        assert!(!v["message"].as_str().unwrap().contains("sqlite"));
    }

    #[test]
    fn missing_features_are_invalid_with_a_message() {
        let e = AppError::not_yet_available("La connexion à un service");
        assert_eq!(e.code(), "invalid");
        assert!(e.to_string().contains("pas encore disponible"));
    }
}
