-- The citizen space: account state and preferences, the event log behind
-- the connection history, devices, the e-mail outbox and fraud reports.
-- Still no pivot identity: everything is keyed by the identity hash.

-- An operator's reason when the account is disabled (NULL: enabled), and
-- the citizen's preferences (JSON, pivot_proto::citizen::Preferences).
ALTER TABLE accounts ADD COLUMN disabled_reason TEXT;
ALTER TABLE accounts ADD COLUMN preferences TEXT NOT NULL DEFAULT '{}';
CREATE INDEX accounts_last_connection ON accounts (last_connection);

-- Every step of a login and of the use of its tokens. Steps before the
-- citizen is identified have no identity_hash; session_ref (a hash of the
-- browser session) ties the steps of one login together for operators.
CREATE TABLE events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    reference     TEXT NOT NULL UNIQUE,
    at            INTEGER NOT NULL,
    code          TEXT NOT NULL,
    identity_hash TEXT,
    session_ref   TEXT,
    client_id     TEXT,
    client_name   TEXT,
    fi_id         TEXT,
    acr           TEXT,
    data          TEXT NOT NULL DEFAULT '[]',
    details       TEXT
);
CREATE INDEX events_identity ON events (identity_hash, at);
CREATE INDEX events_at ON events (at);
CREATE INDEX events_code ON events (code, at);

-- Devices a citizen logged in from. trusted_until set: no connection alert
-- from this device until then.
CREATE TABLE devices (
    device_id     TEXT NOT NULL,
    identity_hash TEXT NOT NULL REFERENCES accounts (identity_hash) ON DELETE CASCADE,
    label         TEXT NOT NULL,
    first_seen    INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL,
    trusted_until INTEGER,
    PRIMARY KEY (device_id, identity_hash)
);
CREATE INDEX devices_identity ON devices (identity_hash);

-- Mails waiting to be sent. Once sent (or given up), the recipient and the
-- bodies are erased: only the kind and the times remain.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,
    recipient       TEXT,
    subject         TEXT NOT NULL,
    body_text       TEXT,
    body_html       TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    failed_at       INTEGER,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL AND failed_at IS NULL;

-- "Ce n'est pas vous ?" / "Signaler".
CREATE TABLE fraud_reports (
    reference       TEXT PRIMARY KEY NOT NULL,
    created_at      INTEGER NOT NULL,
    identity_hash   TEXT,
    event_reference TEXT,
    source          TEXT NOT NULL,
    contact_email   TEXT NOT NULL,
    message         TEXT NOT NULL
);
CREATE INDEX fraud_reports_created ON fraud_reports (created_at);
