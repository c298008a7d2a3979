-- Single-use, expiring consent links: the person or guardian's way into the public consent
-- pages. Only the SHA-256 of a link's token is kept; the token itself is never stored.
CREATE TABLE panel.consent_links (
    id uuid PRIMARY KEY,
    referral_id uuid NOT NULL,
    token_hash bytea NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    -- A newer link for the case replaced this one before it was answered.
    superseded_at timestamptz,
    answered_at timestamptz,
    answer text CHECK (answer IN ('given', 'refused')),
    withdrawn_at timestamptz,
    failed_attempts integer NOT NULL DEFAULT 0,
    locked_at timestamptz,
    CHECK ((answered_at IS NULL) = (answer IS NULL))
);
CREATE INDEX consent_links_by_referral ON panel.consent_links (referral_id, created_at);
