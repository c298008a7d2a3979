-- Each service owns one schema; `messaging` holds the shared outbox and consumer ledger.
CREATE SCHEMA IF NOT EXISTS intake;
CREATE SCHEMA IF NOT EXISTS assessment;
CREATE SCHEMA IF NOT EXISTS notifications;
CREATE SCHEMA IF NOT EXISTS messaging;

-- References run PRV-<year>-<serial>; one counter row per year keeps serials short and ordered.
CREATE TABLE intake.reference_counters (
    year integer PRIMARY KEY,
    last_serial integer NOT NULL
);

CREATE TABLE intake.referrals (
    id uuid PRIMARY KEY,
    reference text NOT NULL UNIQUE,
    received_at timestamptz NOT NULL,
    sector text NOT NULL,
    concern_type text NOT NULL,
    -- The referral form as submitted: personal data stays here, never in events or Temporal.
    form jsonb NOT NULL,
    workflow_id text NOT NULL UNIQUE,
    workflow_started_at timestamptz
);

CREATE TABLE messaging.outbox (
    id bigserial PRIMARY KEY,
    event_id uuid NOT NULL UNIQUE,
    topic text NOT NULL,
    key text NOT NULL,
    payload jsonb NOT NULL,
    headers jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX outbox_unpublished ON messaging.outbox (id) WHERE published_at IS NULL;

-- Consumers record each handled event id in the same transaction as its effect,
-- so a redelivered message changes nothing.
CREATE TABLE messaging.processed_events (
    consumer text NOT NULL,
    event_id uuid NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE assessment.tasks (
    id uuid PRIMARY KEY,
    referral_id uuid NOT NULL,
    reference text NOT NULL,
    kind text NOT NULL,
    stage text NOT NULL,
    sector text NOT NULL,
    concern_type text NOT NULL,
    due_at timestamptz,
    created_at timestamptz NOT NULL,
    source_event_id uuid NOT NULL UNIQUE
);
CREATE INDEX tasks_by_due ON assessment.tasks (due_at, created_at);

CREATE TABLE notifications.notifications (
    id uuid PRIMARY KEY,
    event_id uuid NOT NULL,
    referral_id uuid NOT NULL,
    recipient_role text NOT NULL,
    template text NOT NULL,
    channel text NOT NULL,
    status text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, template)
);
