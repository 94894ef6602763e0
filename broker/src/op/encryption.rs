//! Encryption of what the provider hands a service (ID token, userinfo):
//! signed JWTs become nested JWTs (JWE) to the service's public key when the
//! platform requires it or the service registered for it.

use pivot_proto::oauth::OAuthErrorCode;

use crate::{
    config::EncryptionPolicy,
    error::BrokerError,
    state::AppState,
    storage::{ClientRecord, EncryptionAlg},
};

impl AppState {
    /// The key-management algorithm to encrypt to `client` with, or `None`
    /// when its tokens stay signed only.
    ///
    /// # Errors
    /// `unauthorized_client` when the platform requires encryption and the
    /// client registered none, or when the client registered encryption
    /// without a key that fits (no JWKS nor `jwks_uri`, or an inline JWKS
    /// without a key for the algorithm) — found at `/authorize`, before the
    /// citizen logs in for nothing.
    pub fn encryption_for(
        &self,
        client: &ClientRecord,
    ) -> Result<Option<EncryptionAlg>, BrokerError> {
        let no_key = || {
            BrokerError::oauth(
                OAuthErrorCode::UnauthorizedClient,
                "the client registered encryption without a key that fits its algorithm",
            )
        };
        match (client.encryption_alg, self.cfg.encryption) {
            (Some(alg), _) => match (&client.jwks, &client.jwks_uri) {
                (Some(jwks), _) if !crate::jwe::has_key_for(jwks, alg) => Err(no_key()),
                (None, None) => Err(no_key()),
                _ => Ok(Some(alg)),
            },
            (None, EncryptionPolicy::Optional) => Ok(None),
            (None, EncryptionPolicy::Required) => Err(BrokerError::oauth(
                OAuthErrorCode::UnauthorizedClient,
                "this platform encrypts ID tokens and userinfo: the client must register an encryption key",
            )),
        }
    }

    /// `jws` as it must reach `client`: unchanged, or encrypted to its key.
    ///
    /// # Errors
    /// `server_error` when the client's keys cannot be had or used (the
    /// cause is logged); `unauthorized_client` as in
    /// [`AppState::encryption_for`].
    pub async fn protect_for(
        &self,
        client: &ClientRecord,
        jws: String,
    ) -> Result<String, BrokerError> {
        let Some(alg) = self.encryption_for(client)? else {
            return Ok(jws);
        };
        let unusable = |what: String| {
            tracing::warn!(client = %client.client_id, error = %what, "cannot encrypt to the client");
            BrokerError::oauth(
                OAuthErrorCode::ServerError,
                "the client's encryption key could not be obtained or used",
            )
        };
        let jwks = self
            .client_keys
            .jwks(client, self.now())
            .await
            .map_err(|e| unusable(e.to_string()))?;
        crate::jwe::encrypt_jwt(&jws, &jwks, alg).map_err(|e| {
            // The published keys may have changed: fetch them again next time.
            if let Some(uri) = &client.jwks_uri {
                self.client_keys.invalidate(uri);
            }
            unusable(e.to_string())
        })
    }
}
