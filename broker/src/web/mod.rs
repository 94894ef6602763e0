//! Shared web plumbing for every HTTP server in this crate (broker, demo FIs,
//! demo FSs): templates, DSFR static assets and security headers.

pub mod assets;
pub mod headers;
pub mod templates;

pub use templates::Templates;
