-- Data providers (FD) are partners like services, with another role: they
-- authenticate at /checktoken only. Each datum they serve is one scope,
-- owned by exactly one provider (the primary key), with its label.
ALTER TABLE clients ADD COLUMN role TEXT NOT NULL DEFAULT 'service';

CREATE TABLE data_scopes (
    scope       TEXT PRIMARY KEY NOT NULL,
    provider_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    label       TEXT NOT NULL,
    position    INTEGER NOT NULL
);
CREATE INDEX data_scopes_provider ON data_scopes (provider_id);

-- When an access token was issued (the `iat` a data provider is told).
ALTER TABLE access_tokens ADD COLUMN issued_at INTEGER NOT NULL DEFAULT 0;
