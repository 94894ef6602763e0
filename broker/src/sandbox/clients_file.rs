//! Extra service providers for the sandbox, from a TOML file given on the
//! command line, so that third-party test clients can use it:
//!
//! ```toml
//! [[clients]]
//! client_id = "my-app"
//! client_secret = "a-long-random-secret"   # omit for a public client (PKCE)
//! name = "Mon application"
//! redirect_uris = ["http://127.0.0.1:8080/callback"]
//! post_logout_redirect_uris = ["http://127.0.0.1:8080/"]
//! # optional: scopes (default: every identity scope), auth_method
//! # (client_secret_basic | client_secret_post | private_key_jwt | none),
//! # jwks (inline JSON string: keys for private_key_jwt and/or encryption),
//! # jwks_uri (where the keys are published instead), encryption_alg
//! # (ECDH-ES | RSA-OAEP-256: ID token and userinfo encrypted with A256GCM),
//! # id_token_alg (ES256|RS256), userinfo_alg (ES256|RS256 for signed
//! # userinfo), entity_id, fi_allow / fi_deny (identity provider ids).
//! ```

use std::path::Path;

use serde::Deserialize;

use super::SandboxError;
use crate::{
    crypto::sha256_hex,
    storage::{ClientAuthMethod, ClientRecord, EncryptionAlg, SigningAlg},
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    clients: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    client_id: String,
    client_secret: Option<String>,
    name: String,
    redirect_uris: Vec<String>,
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    scopes: Option<Vec<String>>,
    auth_method: Option<String>,
    jwks: Option<String>,
    id_token_alg: Option<String>,
    userinfo_alg: Option<String>,
    entity_id: Option<String>,
    jwks_uri: Option<String>,
    encryption_alg: Option<String>,
    fi_allow: Option<Vec<String>>,
    #[serde(default)]
    fi_deny: Vec<String>,
}

/// Reads the clients of a file.
///
/// # Errors
/// When the file is unreadable or an entry is inconsistent.
pub fn load(path: &Path, now: i64) -> Result<Vec<ClientRecord>, SandboxError> {
    let err = |m: String| SandboxError::ClientsFile(format!("{}: {m}", path.display()));
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    parse(&text, now).map_err(err)
}

fn parse(text: &str, now: i64) -> Result<Vec<ClientRecord>, String> {
    let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
    file.clients
        .into_iter()
        .map(|e| {
            let default = if e.client_secret.is_some() {
                "client_secret_basic"
            } else {
                "none"
            };
            let method_name = e.auth_method.as_deref().unwrap_or(default);
            let auth_method = ClientAuthMethod::parse(method_name)
                .ok_or_else(|| format!("unknown auth_method {method_name}"))?;
            let needs_secret = matches!(
                auth_method,
                ClientAuthMethod::ClientSecretBasic | ClientAuthMethod::ClientSecretPost
            );
            if needs_secret != e.client_secret.is_some() {
                return Err(format!(
                    "client {}: client_secret goes with client_secret_* methods only",
                    e.client_id
                ));
            }
            let jwks = e
                .jwks
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|x| x.to_string())?;
            let has_keys = jwks.is_some() || e.jwks_uri.is_some();
            if auth_method == ClientAuthMethod::PrivateKeyJwt && !has_keys {
                return Err(format!(
                    "client {}: private_key_jwt needs jwks or jwks_uri",
                    e.client_id
                ));
            }
            let encryption_alg = e
                .encryption_alg
                .as_deref()
                .map(|a| {
                    EncryptionAlg::parse(a).ok_or_else(|| format!("unknown encryption_alg {a}"))
                })
                .transpose()?;
            if encryption_alg.is_some() && !has_keys {
                return Err(format!(
                    "client {}: encryption_alg needs jwks or jwks_uri",
                    e.client_id
                ));
            }
            let alg = |a: Option<&str>| {
                a.map(|x| SigningAlg::parse(x).ok_or_else(|| format!("unknown alg {x}")))
                    .transpose()
            };
            Ok(ClientRecord {
                entity_id: e.entity_id.unwrap_or_else(|| e.client_id.clone()),
                client_id: e.client_id,
                name: e.name,
                secret_hash: e.client_secret.as_deref().map(sha256_hex),
                auth_method,
                jwks,
                redirect_uris: e.redirect_uris,
                post_logout_redirect_uris: e.post_logout_redirect_uris,
                scopes: e.scopes.unwrap_or_else(super::all_scopes),
                id_token_alg: alg(e.id_token_alg.as_deref())?.unwrap_or(SigningAlg::ES256),
                userinfo_alg: alg(e.userinfo_alg.as_deref())?,
                public_service: true,
                created_at: now,
                jwks_uri: e.jwks_uri,
                encryption_alg,
                fi_allow: e.fi_allow,
                fi_deny: e.fi_deny,
                role: crate::storage::ClientRole::Service,
                provided: Vec::new(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_confidential_and_a_public_client() {
        let t = r#"
[[clients]]
client_id = "a"
client_secret = "s3cret"
name = "A"
redirect_uris = ["http://127.0.0.1:9/cb"]
[[clients]]
client_id = "b"
name = "B"
redirect_uris = ["http://127.0.0.1:9/cb"]
userinfo_alg = "RS256"
"#;
        let c = parse(t, 1).unwrap();
        assert_eq!(c[0].auth_method, ClientAuthMethod::ClientSecretBasic);
        assert_eq!(
            c[0].secret_hash.as_deref(),
            Some(sha256_hex("s3cret").as_str())
        );
        assert_eq!(c[1].auth_method, ClientAuthMethod::None);
        assert_eq!(c[1].userinfo_alg, Some(SigningAlg::RS256));
    }

    #[test]
    fn inconsistent_entries_are_refused() {
        let t = "[[clients]]\nclient_id = \"a\"\nname = \"A\"\nredirect_uris = []\nauth_method = \"client_secret_post\"\n";
        assert!(parse(t, 1).is_err());
        assert!(parse("[[clients]]\nbogus = 1\n", 1).is_err());
    }
}
