-- The notifications service's delivery log and recipient directory.
-- Nothing here holds personal data: recipients are named by role and scope (an area, a provider
-- id, "referrer"); the referral's own contacts are fetched from intake at send time, used, and
-- not stored.

-- One notification per event, template and recipient (a plan revision tells each provider).
ALTER TABLE notifications.notifications
    DROP CONSTRAINT notifications_event_id_template_key,
    ADD COLUMN recipient text NOT NULL DEFAULT '',
    -- Template parameters taken from the event: ids, codes and dates only.
    ADD COLUMN params jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- A dispatcher owns a row it is sending until then; after a crash another takes it over.
    ADD COLUMN lease_until timestamptz,
    ADD COLUMN delivered_at timestamptz,
    ADD COLUMN last_error text,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
    ADD CONSTRAINT notifications_once UNIQUE (event_id, template, recipient),
    ADD CONSTRAINT notifications_status CHECK (
        status IN ('pending', 'sending', 'retrying', 'delivered', 'failed')
    );

CREATE INDEX notifications_due ON notifications.notifications (next_attempt_at)
    WHERE status IN ('pending', 'sending', 'retrying');
CREATE INDEX notifications_by_referral ON notifications.notifications (referral_id, created_at);

CREATE TABLE notifications.delivery_attempts (
    notification_id uuid NOT NULL REFERENCES notifications.notifications (id) ON DELETE CASCADE,
    attempt integer NOT NULL,
    channel text NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
    -- Error class and status only: never an address or a message body.
    error text,
    at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (notification_id, attempt)
);

-- Where area teams, panels, intervention providers and partner systems are reached.
CREATE TABLE notifications.directory (
    role text NOT NULL,
    -- An area code, a provider id or an agency client id; '*' is the fallback for a role.
    scope text NOT NULL,
    channel text NOT NULL CHECK (channel IN ('email', 'webhook')),
    address text NOT NULL,
    -- HMAC-SHA256 key a webhook receiver verifies signatures with.
    webhook_secret text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (role, scope, channel),
    CHECK (channel = 'email' OR webhook_secret IS NOT NULL)
);
