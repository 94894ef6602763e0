//! The citizen app's ID-card login, for end-to-end tests: a sandbox test
//! card in an in-process [`VirtualCard`], read through PACE with its card
//! access number, the PIN and INTERNAL AUTHENTICATE (`pivot_card`), and the
//! provider's side of [`pivot_proto::card_auth`] over HTTP.

use std::convert::Infallible;

use anyhow::{Context, Result, anyhow, bail};
use pivot_card::{
    VirtualCard,
    client::{CardAnswer as ReadCard, CardClient, ClientError},
    entropy::OsEntropy,
    pace::terminal::{PaceChannel, PaceError},
    pin::{Can, Pin},
    sandbox::{TestCard, find, sandbox_pki},
};
use pivot_proto::card_auth::{
    CardAnswer, CardAuthError, CardChallenge, CardProblem, CardRedirect, DecodedCardAnswer, JSON,
};
use url::Url;

/// A sandbox test card on the reader.
pub struct Card {
    /// The card itself (its PIN counter lives on between logins).
    pub chip: VirtualCard,
    /// What is printed on it and what its holder knows.
    pub test: &'static TestCard,
}

impl Card {
    /// The test card of `citizen` (`pivot-card list`), as issued by the
    /// sandbox PKI.
    ///
    /// # Errors
    /// When `citizen` has no test card.
    pub fn of(citizen: &str) -> Result<Self> {
        let test = find(citizen).with_context(|| format!("{citizen} has no test card"))?;
        Ok(Self {
            chip: test.issue(&sandbox_pki()?)?,
            test,
        })
    }

    /// What the app reads after PACE with the printed CAN, the PIN `pin`
    /// and the signature of `challenge`; what the app tells the citizen
    /// when the card refuses.
    ///
    /// # Errors
    /// When a PIN or CAN is not in its format.
    pub fn sign(&mut self, pin: &str, challenge: &[u8]) -> Result<Result<ReadCard, CardProblem>> {
        let can = Can::parse(self.test.can.as_bytes()).ok_or_else(|| anyhow!("bad CAN"))?;
        let pin = Pin::parse(pin.as_bytes()).ok_or_else(|| anyhow!("bad PIN format"))?;
        let channel = match PaceChannel::establish(&mut self.chip, &can, &mut OsEntropy) {
            Ok(c) => c,
            Err(PaceError::WrongCan) => return Ok(Err(CardProblem::WrongCan)),
            Err(e) => bail!("PACE: {e}"),
        };
        Ok(CardClient::new(channel)
            .authenticate(&pin, challenge)
            .map_err(problem))
    }
}

fn problem(e: ClientError<PaceError<Infallible>>) -> CardProblem {
    match e {
        ClientError::WrongCode(tries_left) => CardProblem::WrongPin { tries_left },
        ClientError::Blocked => CardProblem::PinBlocked,
        ClientError::NoApplet => CardProblem::NotAnIdCard,
        _ => CardProblem::NoCard,
    }
}

/// The provider's answer: what it asked for, or its refusal.
pub type FiAnswer<T> = std::result::Result<T, CardAuthError>;

/// The app's client of a card provider.
pub struct CardFi {
    http: reqwest::Client,
}

impl CardFi {
    /// A client that, like the app's, never follows redirects.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new() -> Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
        })
    }

    async fn read<T: serde::de::DeserializeOwned>(res: reqwest::Response) -> Result<FiAnswer<T>> {
        let status = res.status();
        let text = res.text().await?;
        if status.is_success() {
            Ok(Ok(
                serde_json::from_str(&text).with_context(|| format!("{status}: {text}"))?
            ))
        } else {
            Ok(Err(serde_json::from_str(&text).with_context(|| {
                format!("{status}: not a refusal: {text}")
            })?))
        }
    }

    /// `GET <authorization_url>` with `Accept: application/json`.
    ///
    /// # Errors
    /// On transport failure or an answer off the contract.
    pub async fn challenge(&self, authorization_url: &str) -> Result<FiAnswer<CardChallenge>> {
        let res = self
            .http
            .get(authorization_url)
            .header("accept", JSON)
            .send()
            .await?;
        Self::read(res).await
    }

    /// `POST <answer_url>` with what the card gave for `challenge`.
    ///
    /// # Errors
    /// On transport failure or an answer off the contract.
    pub async fn answer(
        &self,
        challenge: &CardChallenge,
        read: &ReadCard,
    ) -> Result<FiAnswer<CardRedirect>> {
        let answer = CardAnswer::from_bytes(&DecodedCardAnswer {
            challenge: challenge.challenge_bytes()?,
            signature: read.signature.clone(),
            card_certificate: read.card_certificate.clone(),
            issuer_certificate: read.issuer_certificate.clone(),
            identity: read.identity.clone(),
            identity_signature: read.identity_signature.clone(),
        });
        let res = self
            .http
            .post(&challenge.answer_url)
            .header("content-type", JSON)
            .body(serde_json::to_string(&answer)?)
            .send()
            .await?;
        Self::read(res).await
    }
}

/// How a card login ended for the app.
#[derive(Debug)]
pub enum CardOutcome {
    /// The provider's redirect to the broker's callback, to relay.
    Redirect(Url),
    /// The card refused (the provider was not asked).
    Card(CardProblem, CardChallenge),
    /// The provider refused the card.
    Refused(CardAuthError),
}

/// The whole card login from the twin's `authorization_url`: challenge,
/// card, answer.
///
/// # Errors
/// On transport failure, or when the provider refuses the request itself.
pub async fn login(authorization_url: &str, card: &mut Card, pin: &str) -> Result<CardOutcome> {
    let fi = CardFi::new()?;
    let challenge = fi
        .challenge(authorization_url)
        .await?
        .map_err(|e| anyhow!("the provider refused the request: {e:?}"))?;
    let read = match card.sign(pin, &challenge.challenge_bytes()?)? {
        Ok(r) => r,
        Err(p) => return Ok(CardOutcome::Card(p, challenge)),
    };
    Ok(match fi.answer(&challenge, &read).await? {
        Ok(r) => CardOutcome::Redirect(Url::parse(&r.redirect_url)?),
        Err(e) => CardOutcome::Refused(e),
    })
}
