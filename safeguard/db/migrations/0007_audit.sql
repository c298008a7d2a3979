-- Auditing: a tamper-evident chain of every action and read, archived workflow histories,
-- and the cases the auditors replay.

-- Each row's hash is an HMAC (key: SAFEGUARD_AUDIT_CHAIN_KEY) over the previous row's hash and
-- this row's content, so an edited, inserted or deleted row breaks the chain where it happened.
CREATE TABLE audit.chain (
    seq bigint PRIMARY KEY,
    at timestamptz NOT NULL,
    kind text NOT NULL CHECK (kind IN ('action', 'read', 'audit')),
    action text NOT NULL,
    actor text NOT NULL,
    role text NOT NULL,
    referral_id uuid,
    -- Ids, codes and stated purposes only: the chain outlives every erasure.
    detail jsonb NOT NULL,
    prev_hash bytea NOT NULL,
    hash bytea NOT NULL
);
CREATE INDEX chain_by_referral ON audit.chain (referral_id, seq);

-- The newest row, with its own HMAC: deleting the chain's tail leaves the head pointing past it.
CREATE TABLE audit.chain_head (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    seq bigint NOT NULL,
    hash bytea NOT NULL,
    mac bytea NOT NULL
);

-- Cases as the auditors know them, from lifecycle events; the archiver's work list.
CREATE TABLE audit.cases (
    referral_id uuid PRIMARY KEY,
    reference text NOT NULL UNIQUE,
    workflow_id text NOT NULL,
    opened_at timestamptz NOT NULL,
    closed_at timestamptz,
    closure_reason text,
    -- Set when the case closes or is redacted; cleared once the archiver has done its part.
    archive_due timestamptz,
    redacted_at timestamptz,
    -- After erasure: the decision timeline without free text (actors, roles, codes, times).
    erased_timeline jsonb
);
CREATE INDEX cases_closed ON audit.cases (closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX cases_archive_due ON audit.cases (archive_due) WHERE archive_due IS NOT NULL;

-- Workflow histories kept past Temporal's retention: the History protobuf exactly as Temporal
-- served it, payloads still encrypted. One row per run (continue-as-new makes several).
CREATE TABLE audit.history_archive (
    workflow_id text NOT NULL,
    run_id text NOT NULL,
    referral_id uuid NOT NULL REFERENCES audit.cases (referral_id),
    run_started_at timestamptz NOT NULL,
    -- NULL: the run was still open (a closed case waits for its retention to end).
    run_closed_at timestamptz,
    event_count integer NOT NULL,
    history bytea NOT NULL,
    sha256 bytea NOT NULL,
    archived_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workflow_id, run_id)
);
CREATE INDEX history_archive_by_referral ON audit.history_archive (referral_id, run_started_at);

-- A notification carries on the trace of the event that caused it: the consumer sets
-- `safeguard.trace_context` for its transaction, and the dispatcher continues from it.
ALTER TABLE notifications.notifications
    ADD COLUMN trace_context jsonb
        DEFAULT (NULLIF(current_setting('safeguard.trace_context', true), ''))::jsonb;
