-- An operator sends again a notification that failed for good, once its cause is fixed (a
-- directory entry added, a partner's webhook mended). Its attempts go on being numbered from
-- where they stopped; `attempts_before_resend` is where the latest resend found them, so the
-- new run has the whole retry budget. Each resend is kept: who asked, when, after which attempt.
ALTER TABLE notifications.notifications
    ADD COLUMN attempts_before_resend integer NOT NULL DEFAULT 0;

CREATE TABLE notifications.resends (
    notification_id uuid NOT NULL REFERENCES notifications.notifications (id) ON DELETE CASCADE,
    after_attempt integer NOT NULL,
    -- The operator's subject from their verified token: an identifier, never a name.
    resent_by text NOT NULL,
    resent_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (notification_id, after_attempt)
);
