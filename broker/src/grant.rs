//! A grant: what a finished login gives one FS, sealed into its code and
//! access tokens (it holds the identity, so it is never stored in clear).

use pivot_proto::{
    eidas::Eidas,
    identity::{FiIdentity, PivotIdentity},
    oauth::{AuthorizeRequest, ClaimsRequest},
    scope::ScopeSet,
    sub::{identity_hash, pairwise_sub},
};
use serde::{Deserialize, Serialize};

use crate::{
    config::IdentitySource,
    crypto::{random_token, sha256_hex},
    error::BrokerError,
    session::SsoLogin,
    state::AppState,
    storage::{ClientRecord, CodeRow, TokenRow},
};

/// The sealed content of a code and its tokens.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Grant {
    /// Random id (links a code to its tokens for replay revocation).
    pub grant_id: String,
    /// The FS client.
    pub client_id: String,
    /// The redirect URI of the request (checked again at the token endpoint).
    pub redirect_uri: String,
    /// Granted scopes: the identity asked, and the data the citizen
    /// accepted (never data they refused).
    pub scope: ScopeSet,
    /// The FS's nonce.
    pub nonce: String,
    /// Level delivered.
    pub acr: Eidas,
    /// Methods.
    pub amr: Vec<String>,
    /// Authentication time.
    pub auth_time: i64,
    /// The identity given to the FS (the registry's on the low platform,
    /// the FI's on the high platform).
    pub identity: FiIdentity,
    /// The registry's identity, for `rnipp_*` claims (high platform).
    pub rnipp: Option<PivotIdentity>,
    /// The birth date as the FI sent it (`idp_birthdate`).
    pub idp_birthdate: String,
    /// The FS's pairwise sub.
    pub sub: String,
    /// The FI used.
    pub idp_id: String,
    /// PKCE challenge of the request.
    pub code_challenge: Option<String>,
    /// Claims requested with the `claims` parameter.
    pub claims: ClaimsRequest,
}

/// A live access token.
#[derive(Debug)]
pub struct LiveToken {
    /// What it grants.
    pub grant: Grant,
    /// When it was issued.
    pub issued_at: i64,
    /// When it expires.
    pub expires_at: i64,
    /// DPoP: the thumbprint of the key it is bound to.
    pub dpop_jkt: Option<String>,
}

impl Grant {
    /// The identity the civil registry checked (the FI's when no registry
    /// is configured): the basis of every pairwise sub.
    #[must_use]
    pub fn checked_identity(&self) -> &PivotIdentity {
        self.rnipp.as_ref().unwrap_or(&self.identity.pivot)
    }
}

impl AppState {
    /// The citizen's pairwise sub for `entity_id` (a service's entity or a
    /// data provider's id), from the checked identity: the one stored for
    /// the account if any, else computed and stored.
    ///
    /// # Errors
    /// On storage failure.
    pub async fn sub_for(
        &self,
        entity_id: &str,
        checked: &PivotIdentity,
    ) -> Result<String, BrokerError> {
        let hash = identity_hash(checked);
        let candidate = pairwise_sub(entity_id, &hash, self.cfg.sub_secret.expose());
        Ok(self
            .store
            .stored_sub(hash.as_str(), entity_id, candidate.as_str(), self.now())
            .await?)
    }

    /// Issues a code for a finished interaction; returns the code and the
    /// grant id.
    ///
    /// # Errors
    /// On storage or sealing failure.
    pub async fn issue_code(
        &self,
        client: &ClientRecord,
        req: &AuthorizeRequest,
        login: &SsoLogin,
        scope: ScopeSet,
    ) -> Result<(String, String), BrokerError> {
        let now = self.now();
        // The sub is computed from the registry's identity when there is one.
        let checked = login.registry.as_ref().unwrap_or(&login.identity.pivot);
        let (identity, rnipp) = match self.cfg.identity_source {
            IdentitySource::Registry => (
                FiIdentity {
                    pivot: checked.clone(),
                    ..login.identity.clone()
                },
                None,
            ),
            IdentitySource::Provider => (login.identity.clone(), login.registry.clone()),
        };
        let sub = self.sub_for(&client.entity_id, checked).await?;
        // Deliver the FI's level, capped to what this platform delivers.
        let acr = self
            .cfg
            .acr_values
            .iter()
            .copied()
            .filter(|a| *a <= login.acr)
            .max()
            .unwrap_or(req.acr);
        let grant = Grant {
            grant_id: random_token(16),
            client_id: client.client_id.clone(),
            redirect_uri: req.redirect_uri.clone(),
            scope,
            nonce: req.nonce.clone(),
            acr,
            amr: login.amr.clone(),
            auth_time: login.auth_time,
            identity,
            rnipp,
            idp_birthdate: login.identity.pivot.birthdate.clone(),
            sub,
            idp_id: login.fi_id.clone(),
            code_challenge: req.code_challenge.clone(),
            claims: req.claims.clone(),
        };
        let code = random_token(32);
        let code_hash = sha256_hex(&code);
        let data = self.sealer.seal_json(&grant, code_hash.as_bytes())?;
        let grant_id = grant.grant_id.clone();
        self.store
            .put_code(&CodeRow {
                code_hash,
                grant_id: grant.grant_id.clone(),
                client_id: client.client_id.clone(),
                data,
                expires_at: now + self.cfg.code_ttl_secs,
            })
            .await?;
        Ok((code, grant_id))
    }

    /// Issues an access token for a grant; returns the token.
    ///
    /// # Errors
    /// On storage or sealing failure.
    pub async fn issue_access_token(
        &self,
        grant: &Grant,
        dpop_jkt: Option<String>,
    ) -> Result<String, BrokerError> {
        let token = random_token(32);
        let token_hash = sha256_hex(&token);
        let data = self.sealer.seal_json(grant, token_hash.as_bytes())?;
        let now = self.now();
        self.store
            .put_token(&TokenRow {
                token_hash,
                grant_id: grant.grant_id.clone(),
                client_id: grant.client_id.clone(),
                data,
                issued_at: now,
                expires_at: now + self.cfg.access_token_ttl_secs,
                revoked: false,
                dpop_jkt,
            })
            .await?;
        Ok(token)
    }

    /// Issues a refresh token for a grant, bound to the key `jkt`.
    ///
    /// # Errors
    /// On storage or sealing failure.
    pub async fn issue_refresh_token(
        &self,
        grant: &Grant,
        jkt: &str,
    ) -> Result<String, BrokerError> {
        let token = random_token(32);
        let token_hash = sha256_hex(&token);
        let data = self.sealer.seal_json(grant, token_hash.as_bytes())?;
        let now = self.now();
        self.store
            .put_refresh(&crate::storage::RefreshRow {
                token_hash,
                grant_id: grant.grant_id.clone(),
                client_id: grant.client_id.clone(),
                data,
                dpop_jkt: jkt.to_owned(),
                issued_at: now,
                expires_at: now + self.cfg.refresh_token_ttl_secs,
            })
            .await?;
        Ok(token)
    }

    /// The live grant behind an access token, or `None` when the token is
    /// unknown, expired or revoked.
    ///
    /// # Errors
    /// On storage failure or a blob that does not open.
    pub async fn grant_for_token(&self, token: &str) -> Result<Option<Grant>, BrokerError> {
        Ok(self.live_token(token).await?.map(|t| t.grant))
    }

    /// The live token `token` with its grant and times, or `None` when it
    /// is unknown, expired or revoked.
    ///
    /// # Errors
    /// On storage failure or a blob that does not open.
    pub async fn live_token(&self, token: &str) -> Result<Option<LiveToken>, BrokerError> {
        let token_hash = sha256_hex(token);
        let Some(row) = self.store.token(&token_hash).await? else {
            return Ok(None);
        };
        if row.revoked || row.expires_at <= self.now() {
            return Ok(None);
        }
        Ok(Some(LiveToken {
            grant: self.sealer.open_json(&row.data, token_hash.as_bytes())?,
            issued_at: row.issued_at,
            expires_at: row.expires_at,
            dpop_jkt: row.dpop_jkt,
        }))
    }
}
