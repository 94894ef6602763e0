//! The OpenID provider toward service providers, under `/api/v2`.

pub mod authorize;
pub mod checktoken;
pub mod client_auth;
pub mod discovery;
pub mod dpop;
pub mod encryption;
pub mod form;
pub mod presented;
pub mod revocation;
pub mod session_end;
pub mod token;
pub mod userinfo;

use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

/// Path prefix of the provider; the issuer is the public URL plus this.
pub const PREFIX: &str = "/api/v2";

/// The provider's routes (relative to [`PREFIX`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(discovery::discovery),
        )
        .route("/jwks", get(discovery::jwks))
        .route(
            "/authorize",
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route("/token", post(token::token))
        .route(
            "/userinfo",
            get(userinfo::userinfo).post(userinfo::userinfo),
        )
        .route(
            "/session/end",
            get(session_end::session_end_get).post(session_end::session_end_post),
        )
        .route("/token/revocation", post(revocation::revoke))
        .route(
            pivot_proto::checktoken::CHECKTOKEN_PATH,
            post(checktoken::checktoken),
        )
        .merge(crate::citizen::api::routes())
}
