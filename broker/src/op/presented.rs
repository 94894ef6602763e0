//! The access token a request presents: `Authorization: Bearer <token>`
//! (RFC 6750) for ordinary tokens, `Authorization: DPoP <token>` with a
//! `DPoP` proof (RFC 9449 §7) for tokens bound to a key. A bound token
//! presented as a bearer token is refused, as is a proof for another key.

use axum::http::{HeaderMap, header};
use pivot_proto::oauth::OAuthErrorCode;

use crate::{error::BrokerError, grant::LiveToken, op::dpop, state::AppState};

fn invalid_token(desc: &str) -> BrokerError {
    BrokerError::resource(OAuthErrorCode::InvalidToken, desc)
}

fn invalid_proof(desc: &str) -> BrokerError {
    BrokerError::resource(OAuthErrorCode::InvalidDpopProof, desc)
}

/// The scheme and token of the `Authorization` header.
fn authorization(headers: &HeaderMap) -> Option<(&str, &str)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    let token = token.trim();
    (!token.is_empty()).then_some((scheme, token))
}

impl AppState {
    /// The live token of a request to `path` on this broker with `method`.
    ///
    /// # Errors
    /// `invalid_token` (missing, unknown, expired, revoked, wrong scheme)
    /// or `invalid_dpop_proof`.
    pub async fn presented_token(
        &self,
        headers: &HeaderMap,
        method: &str,
        path: &str,
    ) -> Result<LiveToken, BrokerError> {
        let (scheme, token) =
            authorization(headers).ok_or_else(|| invalid_token("access token missing"))?;
        let dpop_scheme = scheme.eq_ignore_ascii_case("dpop");
        if !dpop_scheme && !scheme.eq_ignore_ascii_case("bearer") {
            return Err(invalid_token("unsupported authorization scheme"));
        }
        let live = self
            .live_token(token)
            .await?
            .ok_or_else(|| invalid_token("token unknown, expired or revoked"))?;
        match (&live.dpop_jkt, dpop_scheme) {
            (None, false) => Ok(live),
            (None, true) => Err(invalid_token("the token is not DPoP-bound")),
            (Some(_), false) => Err(invalid_token(
                "the token is DPoP-bound: present it with the DPoP scheme and a proof",
            )),
            (Some(jkt), true) => {
                let proof = dpop::header(headers)
                    .map_err(|_| invalid_proof("more than one DPoP header"))?
                    .ok_or_else(|| invalid_proof("DPoP proof missing"))?;
                let url = self.cfg.url(path);
                let p = match self.verify_dpop(proof, method, &url, Some(token)).await {
                    Ok(p) => p,
                    Err(BrokerError::OAuth { error, .. }) => {
                        return Err(invalid_proof(
                            error
                                .error_description
                                .as_deref()
                                .unwrap_or("invalid proof"),
                        ));
                    }
                    Err(e) => return Err(e),
                };
                if !crate::crypto::ct_eq(&p.jkt, jkt) {
                    return Err(invalid_proof(
                        "the DPoP proof is made with another key than the token's",
                    ));
                }
                Ok(live)
            }
        }
    }
}
