//! The card login of a provider whose method is `card`
//! (`pivot_proto::card_auth`), run by the app at [`Step::FiLogin`] instead
//! of a web view: the provider's challenge, the card's answer (PACE with
//! the card access number, the PIN, the signature), the provider's verdict,
//! and its redirect relayed to the broker exactly as a web view's would be
//! ([`AppState::fi_callback`]).
//!
//! A challenge that expired or was spent is asked again once. A refusal
//! keeps the login at the provider: the citizen may try another card, or
//! leave the provider ([`AppState::card_cancel`] relays the provider's
//! exit, an `access_denied` for the broker, which shows the providers
//! again).

use std::sync::Arc;
use std::time::Duration;

use pivot_card::pin::{Can, Pin, Puk};
use pivot_proto::card_auth::{CardAnswer, CardAuthError, CardProblem, DecodedCardAnswer};
use pivot_proto::card_reader::{CardLoginRequest, CardUnblockRequest, ReaderList};
use pivot_proto::interaction::{InteractionView, LoginMethod, Step};
use url::Url;

use super::operations::{self, CardFailure};
use super::readers::{CardLink, CardReaders};
use crate::error::AppError;
use crate::state::AppState;

/// Longest a whole card operation may take by default (PACE, PIN,
/// signature, four files): a card that hangs is given up, with a message.
/// [`AppState::with_card_timeout`] changes it (`PIVOT_CARD_TIMEOUT_SECS` on
/// the desktop), for slow readers.
pub const CARD_TIMEOUT: Duration = Duration::from_secs(45);

fn can_of(value: &str) -> Result<Can, AppError> {
    Can::parse(value.as_bytes()).ok_or_else(|| {
        AppError::Invalid(
            "Le numéro d'accès à la carte compte 6 chiffres, imprimés au recto de la carte.".into(),
        )
    })
}

fn pin_of(value: &str) -> Result<Pin, AppError> {
    Pin::parse(value.as_bytes())
        .ok_or_else(|| AppError::Invalid("Le code PIN compte 4 chiffres.".into()))
}

/// Runs `op` on the card of `reader`, off the async runtime, for at most
/// `timeout`.
///
/// # Errors
/// [`AppError::Card`] with what went wrong on the card.
pub async fn with_card<T: Send + 'static>(
    readers: Arc<dyn CardReaders>,
    timeout: Duration,
    reader: &str,
    op: impl FnOnce(&mut CardLink) -> Result<T, CardFailure> + Send + 'static,
) -> Result<T, AppError> {
    let reader = reader.to_owned();
    let task = tokio::task::spawn_blocking(move || {
        let mut link = readers.connect(&reader)?;
        op(&mut link)
    });
    match tokio::time::timeout(timeout, task).await {
        Err(_) => Err(AppError::Card(CardProblem::Timeout)),
        Ok(Err(join)) => Err(AppError::internal(join)),
        Ok(Ok(Err(CardFailure::Problem(p)))) => Err(AppError::Card(p)),
        Ok(Ok(Err(CardFailure::Internal(detail)))) => Err(AppError::internal(detail)),
        Ok(Ok(Ok(value))) => Ok(value),
    }
}

impl AppState {
    /// The readers and their cards, now.
    ///
    /// # Errors
    /// [`AppError::Internal`] if the blocking task fails.
    pub async fn card_readers(&self) -> Result<ReaderList, AppError> {
        let readers = self.card_readers.clone();
        tokio::task::spawn_blocking(move || readers.list())
            .await
            .map_err(AppError::internal)
    }

    /// The provider's authorization URL, if the login is at a card
    /// provider's step.
    fn card_step(&self, interaction_id: &str) -> Result<Url, AppError> {
        let view = self.login_last_view(interaction_id)?;
        match view.step {
            Step::FiLogin {
                authorization_url,
                method: LoginMethod::Card,
                ..
            } => Url::parse(&authorization_url).map_err(AppError::internal),
            _ => Err(AppError::Invalid(
                "la connexion n'attend pas de carte d'identité".into(),
            )),
        }
    }

    fn set_card_exit(&self, interaction_id: &str, exit: String) -> Result<(), AppError> {
        if let Some(current) = self
            .login_lock()?
            .as_mut()
            .filter(|c| c.at.id == interaction_id)
        {
            current.card_exit = Some(exit);
        }
        Ok(())
    }

    fn card_exit(&self, interaction_id: &str) -> Result<Option<String>, AppError> {
        Ok(self
            .login_lock()?
            .as_ref()
            .filter(|c| c.at.id == interaction_id)
            .and_then(|c| c.card_exit.clone()))
    }

    /// Keeps the refusal's way out, and says why.
    fn refused(&self, interaction_id: &str, refusal: CardAuthError) -> AppError {
        if let Some(exit) = refusal.return_url
            && let Err(e) = self.set_card_exit(interaction_id, exit)
        {
            return e;
        }
        AppError::CardRefused(refusal.message)
    }

    /// Logs in at the card provider with the card on `request.reader`;
    /// the next step of the login once the provider accepted it.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a badly typed number or a login not at a
    /// card step, [`AppError::Card`] for the card's problem,
    /// [`AppError::CardRefused`] for the provider's refusal; otherwise see
    /// [`AppError`].
    pub async fn card_login(&self, request: CardLoginRequest) -> Result<InteractionView, AppError> {
        let can = can_of(&request.can)?;
        let pin = pin_of(&request.pin)?;
        let id = request.interaction_id.as_str();
        let authorization_url = self.card_step(id)?;
        let mut fresh_challenges = 1;
        loop {
            let challenge = match self.card_provider.challenge(&authorization_url).await? {
                Ok(challenge) => challenge,
                Err(refusal) => return Err(self.refused(id, refusal)),
            };
            self.set_card_exit(id, challenge.cancel_url.clone())?;
            let bytes = challenge.challenge_bytes().map_err(AppError::internal)?;
            let (can, pin, signed) = (can.clone(), pin.clone(), bytes.clone());
            let read = with_card(
                self.card_readers.clone(),
                self.card_timeout,
                &request.reader,
                move |link| operations::sign(link, &can, &pin, &signed),
            )
            .await?;
            let answer = CardAnswer::from_bytes(&DecodedCardAnswer {
                challenge: bytes,
                signature: read.signature,
                card_certificate: read.card_certificate,
                issuer_certificate: read.issuer_certificate,
                identity: read.identity,
                identity_signature: read.identity_signature,
            });
            match self
                .card_provider
                .answer(&authorization_url, &challenge.answer_url, &answer)
                .await?
            {
                Ok(redirect) => {
                    let url = Url::parse(&redirect.redirect_url).map_err(AppError::internal)?;
                    return self.fi_callback(id, &url).await;
                }
                Err(refusal)
                    if refusal.error.retry_with_new_challenge() && fresh_challenges > 0 =>
                {
                    fresh_challenges -= 1;
                }
                Err(refusal) => return Err(self.refused(id, refusal)),
            }
        }
    }

    /// Leaves the card provider: the broker hears `access_denied` and shows
    /// the providers again.
    ///
    /// # Errors
    /// See [`AppError`].
    pub async fn card_cancel(&self, interaction_id: &str) -> Result<InteractionView, AppError> {
        let authorization_url = self.card_step(interaction_id)?;
        let exit = match self.card_exit(interaction_id)? {
            Some(exit) => exit,
            // No challenge asked yet: ask one, for its way out.
            None => match self.card_provider.challenge(&authorization_url).await? {
                Ok(challenge) => challenge.cancel_url,
                Err(CardAuthError {
                    return_url: Some(exit),
                    ..
                }) => exit,
                Err(refusal) => return Err(AppError::CardRefused(refusal.message)),
            },
        };
        let url = Url::parse(&exit).map_err(AppError::internal)?;
        self.fi_callback(interaction_id, &url).await
    }

    /// A new PIN for the card on `request.reader`, with its PUK.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for a badly typed number,
    /// [`AppError::Card`] for the card's answer (wrong PUK, blocked PUK…).
    pub async fn card_unblock(&self, request: CardUnblockRequest) -> Result<(), AppError> {
        let can = can_of(&request.can)?;
        let puk = Puk::parse(request.puk.as_bytes())
            .ok_or_else(|| AppError::Invalid("Le code PUK compte 8 chiffres.".into()))?;
        let new_pin = pin_of(&request.new_pin)?;
        with_card(
            self.card_readers.clone(),
            self.card_timeout,
            &request.reader,
            move |link| operations::unblock(link, &can, &puk, &new_pin),
        )
        .await
    }
}
