-- Every read of case data: who, when, which case, which fields, and the purpose they stated.
CREATE SCHEMA IF NOT EXISTS audit;

CREATE TABLE audit.access_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    service text NOT NULL,
    subject text NOT NULL,
    role text NOT NULL,
    referral_id uuid,
    fields text[] NOT NULL,
    purpose text NOT NULL,
    action text NOT NULL DEFAULT 'read'
);
CREATE INDEX access_log_by_referral ON audit.access_log (referral_id, at);
CREATE INDEX access_log_by_subject ON audit.access_log (subject, at);
