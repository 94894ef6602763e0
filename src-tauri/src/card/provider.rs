//! The app's client of a card provider (`pivot_proto::card_auth`): the
//! challenge, then the card's answer. Redirects are never followed (the
//! provider's answer is JSON), and the answer only goes to the provider that
//! issued the challenge.

use std::time::Duration;

use pivot_proto::card_auth::{CardAnswer, CardAuthError, CardChallenge, CardRedirect, JSON};
use url::Url;

use crate::error::AppError;

/// The provider's answer: what was asked for, or its refusal.
pub type FiAnswer<T> = Result<T, CardAuthError>;

/// The client.
#[derive(Clone, Debug)]
pub struct CardProvider {
    http: reqwest::Client,
}

impl CardProvider {
    /// A client with the app's time-outs.
    ///
    /// # Errors
    /// [`AppError::Internal`] if the HTTP client cannot be built.
    pub fn new() -> Result<Self, AppError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(AppError::internal)?;
        Ok(Self { http })
    }

    async fn read<T: serde::de::DeserializeOwned>(
        res: reqwest::Response,
    ) -> Result<FiAnswer<T>, AppError> {
        let status = res.status();
        let body = res.text().await.map_err(offline)?;
        if status.is_success() {
            return serde_json::from_str(&body).map(Ok).map_err(|e| {
                AppError::internal(format!("card provider: {status}, not the contract: {e}"))
            });
        }
        if status.is_server_error() {
            return Err(AppError::Offline);
        }
        serde_json::from_str(&body)
            .map(Err)
            .map_err(|e| AppError::internal(format!("card provider: {status}, not a refusal: {e}")))
    }

    /// `GET <authorization_url>`, asking for JSON.
    ///
    /// # Errors
    /// [`AppError::Offline`] when the provider cannot be reached,
    /// [`AppError::Internal`] for an answer off the contract.
    pub async fn challenge(
        &self,
        authorization_url: &Url,
    ) -> Result<FiAnswer<CardChallenge>, AppError> {
        let res = self
            .http
            .get(authorization_url.clone())
            .header(reqwest::header::ACCEPT, JSON)
            .send()
            .await
            .map_err(offline)?;
        Self::read(res).await
    }

    /// `POST <answer_url>` with the card's answer. `answer_url` must be on
    /// the origin of `authorization_url`: the card's signature goes to no
    /// one else.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for an answer URL elsewhere; otherwise as
    /// [`Self::challenge`].
    pub async fn answer(
        &self,
        authorization_url: &Url,
        answer_url: &str,
        answer: &CardAnswer,
    ) -> Result<FiAnswer<CardRedirect>, AppError> {
        let url = same_origin(authorization_url, answer_url)?;
        let res = self
            .http
            .post(url)
            .header(reqwest::header::ACCEPT, JSON)
            .json(answer)
            .send()
            .await
            .map_err(offline)?;
        Self::read(res).await
    }
}

fn offline(e: reqwest::Error) -> AppError {
    if e.is_connect() || e.is_timeout() {
        AppError::Offline
    } else {
        AppError::internal(e)
    }
}

/// `candidate`, if it is on `origin`'s origin.
///
/// # Errors
/// [`AppError::Invalid`] otherwise.
pub fn same_origin(origin: &Url, candidate: &str) -> Result<Url, AppError> {
    Url::parse(candidate)
        .ok()
        .filter(|u| u.origin() == origin.origin() && u.username().is_empty() && u.password().is_none())
        .ok_or_else(|| {
            AppError::Invalid(
                "le fournisseur d'identité demande d'envoyer la réponse de la carte ailleurs que chez lui : connexion arrêtée".into(),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_card_answer_stays_with_the_provider() {
        let fi = Url::parse("https://fi.example/authorize?x=1").unwrap();
        assert!(same_origin(&fi, "https://fi.example/card/answer/r1").is_ok());
        for no in [
            "https://fi.example.evil.fr/card/answer/r1",
            "http://fi.example/card/answer/r1",
            "https://fi.example:8443/card/answer/r1",
            "https://u@fi.example/card/answer/r1",
            "/card/answer/r1",
            "javascript:alert(1)",
        ] {
            assert!(same_origin(&fi, no).is_err(), "{no}");
        }
    }
}
