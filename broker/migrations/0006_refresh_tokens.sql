-- Refresh tokens of the citizen app (a public client): DPoP-bound, rotated
-- at each use; a used one presented again revokes its whole grant.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    grant_id   TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    data       BLOB NOT NULL,
    dpop_jkt   TEXT NOT NULL,
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);
