-- The staff web front end's server-side sessions. The browser holds only a random id; the
-- table keys rows by its SHA-256, so a copy of the table cannot be replayed as cookies, and
-- each row's content (the user's tokens) is sealed with AES-GCM (SAFEGUARD_WEB__SESSION_KEY).
-- No case data is kept here.
CREATE SCHEMA IF NOT EXISTS web;

CREATE TABLE web.sessions (
    id_hash bytea PRIMARY KEY,
    sealed bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_by_expiry ON web.sessions (expires_at);
