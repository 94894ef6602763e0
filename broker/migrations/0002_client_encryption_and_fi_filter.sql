-- Encryption of ID tokens and userinfo to the client's keys (JWE), keys
-- published at a URL, and the identity providers a client accepts.
ALTER TABLE clients ADD COLUMN jwks_uri TEXT;
ALTER TABLE clients ADD COLUMN encryption_alg TEXT;
ALTER TABLE clients ADD COLUMN fi_allow TEXT;
ALTER TABLE clients ADD COLUMN fi_deny TEXT NOT NULL DEFAULT '[]';
