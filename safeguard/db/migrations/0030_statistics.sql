-- The statistics service's read model: one fact row per referral, projected from the lifecycle
-- events, for the Home Office style release (services/statistics).
--
-- Nothing here names a person. Age and gender are quasi-identifiers: the events do not carry
-- them, so the service asks intake for them once per referral (`demographics` says how far it
-- got) and keeps only the coarse facts: the age group in each of the release's age schemes
-- (never the age or the date of birth) and the gender code. Both are cleared when the case is
-- redacted, as intake clears its own copy.
CREATE SCHEMA IF NOT EXISTS statistics;

CREATE TABLE statistics.referrals (
    referral_id uuid PRIMARY KEY,
    reference text NOT NULL,
    -- From referral.submitted; NULL while only later events of the referral have arrived.
    received_at timestamptz,
    -- The financial quarter received (2024-25-Q1: April to June 2024).
    quarter text,
    -- The local authority area the referral was received for (ONS code, or `unassigned`
    -- until triage placed it); force and region come from the area table when counting.
    area text NOT NULL,
    sector text,
    concern_type text,
    -- safeguard.statistics.categories: scheme code -> age group label.
    age_groups jsonb NOT NULL DEFAULT '{}'::jsonb,
    gender text,
    demographics text NOT NULL DEFAULT 'pending'
        CHECK (demographics IN ('pending', 'known', 'erased')),
    demographics_tries integer NOT NULL DEFAULT 0,
    demographics_after timestamptz NOT NULL DEFAULT now(),
    -- Outcomes, each with when it happened (the latest gateway assessment's outcome).
    gateway_outcome text,
    gateway_outcome_at timestamptz,
    referred_to_channel_at timestamptz,
    discussed_at timestamptz,
    adopted_at timestamptz,
    not_adopted_at timestamptz,
    exited_at timestamptz,
    closed_at timestamptz,
    closure_reason text,
    redacted_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX statistics_referrals_received ON statistics.referrals (received_at);
CREATE INDEX statistics_referrals_area ON statistics.referrals (area, received_at);
CREATE INDEX statistics_referrals_demographics_due ON statistics.referrals (demographics_after)
    WHERE demographics = 'pending';
