-- Partner agencies, and the public web form's client, registered to submit referrals.
CREATE TABLE intake.agencies (
    client_id text PRIMARY KEY,
    name text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('partner', 'public')),
    -- The local authority area a referral belongs to when its form names none.
    area text,
    rate_per_minute integer NOT NULL CHECK (rate_per_minute > 0),
    burst integer NOT NULL CHECK (burst > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

-- API keys: only a SHA-256 of the secret is kept; the key id is what logs may show.
CREATE TABLE intake.agency_keys (
    key_id text PRIMARY KEY,
    client_id text NOT NULL REFERENCES intake.agencies,
    secret_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX agency_keys_by_client ON intake.agency_keys (client_id);

-- GCRA rate limiting: one "theoretical arrival time" per client, in its own table so the
-- frequent updates never touch the agency row.
CREATE TABLE intake.rate_limits (
    client_id text PRIMARY KEY REFERENCES intake.agencies,
    tat timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE intake.referrals
    -- Erased when the case is redacted; the row stays as the audit trail.
    ALTER COLUMN form DROP NOT NULL,
    ADD COLUMN form_version integer NOT NULL DEFAULT 1,
    ADD COLUMN client_id text REFERENCES intake.agencies,
    ADD COLUMN area text NOT NULL DEFAULT 'unassigned',
    ADD COLUMN age_at_referral integer,
    -- SHA-256 of normalised names and date of birth, to link re-referrals of a person.
    ADD COLUMN person_key bytea,
    ADD COLUMN start_attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN next_start_at timestamptz,
    ADD COLUMN closed_at timestamptz,
    ADD COLUMN redacted_at timestamptz;
CREATE INDEX referrals_by_person ON intake.referrals (person_key) WHERE person_key IS NOT NULL;
CREATE INDEX referrals_to_start ON intake.referrals (next_start_at)
    WHERE workflow_started_at IS NULL;

-- Earlier referrals of the same person, found at intake (ids only).
CREATE TABLE intake.referral_links (
    referral_id uuid NOT NULL REFERENCES intake.referrals,
    linked_referral_id uuid NOT NULL REFERENCES intake.referrals,
    PRIMARY KEY (referral_id, linked_referral_id)
);

-- One row per (client, Idempotency-Key). Inserted first in the accepting transaction, so a
-- concurrent duplicate waits on the primary key and then finds the first answer.
CREATE TABLE intake.idempotency_keys (
    client_id text NOT NULL REFERENCES intake.agencies,
    key text NOT NULL,
    request_hash bytea NOT NULL,
    referral_id uuid NOT NULL REFERENCES intake.referrals DEFERRABLE INITIALLY DEFERRED,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client_id, key)
);
CREATE INDEX idempotency_keys_by_referral ON intake.idempotency_keys (referral_id);
