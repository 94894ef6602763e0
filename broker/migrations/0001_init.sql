-- Pivot broker schema. No pivot identity is ever stored in clear: sessions,
-- codes and tokens that carry one hold it sealed (AES-256-GCM), and rows
-- expire quickly.

CREATE TABLE clients (
    client_id                 TEXT PRIMARY KEY NOT NULL,
    entity_id                 TEXT NOT NULL,
    name                      TEXT NOT NULL,
    secret_hash               TEXT,
    auth_method               TEXT NOT NULL,
    jwks                      TEXT,
    redirect_uris             TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    scopes                    TEXT NOT NULL,
    id_token_alg              TEXT NOT NULL,
    userinfo_alg              TEXT,
    public_service            INTEGER NOT NULL,
    created_at                INTEGER NOT NULL
);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY NOT NULL,
    data       BLOB NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE codes (
    code_hash  TEXT PRIMARY KEY NOT NULL,
    grant_id   TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    data       BLOB NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX codes_expiry ON codes (expires_at);

CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    grant_id   TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    data       BLOB NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX access_tokens_grant ON access_tokens (grant_id);
CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);

-- Client-assertion identifiers already seen (private_key_jwt replay defence).
CREATE TABLE assertion_jtis (
    jti        TEXT PRIMARY KEY NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE accounts (
    identity_hash   TEXT PRIMARY KEY NOT NULL,
    created_at      INTEGER NOT NULL,
    last_connection INTEGER NOT NULL
);

CREATE TABLE account_subs (
    identity_hash TEXT NOT NULL REFERENCES accounts (identity_hash) ON DELETE CASCADE,
    entity_id     TEXT NOT NULL,
    sub           TEXT NOT NULL,
    PRIMARY KEY (identity_hash, entity_id)
);
