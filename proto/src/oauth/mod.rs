//! OAuth 2.0 / OpenID Connect messages: error codes, authorization request
//! parameters, PKCE and the `claims` request parameter.

pub mod authorize;
pub mod claims_request;
pub mod error;
pub mod pkce;
pub mod redirect;

pub use authorize::{
    AUTHORIZE_PARAMS, AuthorizeParamError, AuthorizeParams, AuthorizeRequest, AuthorizeRules,
};
pub use claims_request::{ClaimsRequest, ClaimsRequestError};
pub use error::{OAuthError, OAuthErrorCode};
