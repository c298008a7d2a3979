-- Each delivery attempt is logged when it is claimed, before anything is sent, so a crash
-- mid-send leaves an attempt without an outcome instead of a gap in the log. When its
-- notification is taken back, the attempt is marked `interrupted` (it may have gone out).
ALTER TABLE notifications.delivery_attempts
    ADD COLUMN started_at timestamptz,
    ALTER COLUMN outcome DROP NOT NULL,
    -- `at` is when the outcome became known; NULL while the attempt is under way.
    ALTER COLUMN at DROP NOT NULL,
    DROP CONSTRAINT delivery_attempts_outcome_check,
    ADD CONSTRAINT delivery_attempts_outcome CHECK (
        outcome IN ('delivered', 'retry', 'failed', 'interrupted')
    ),
    ADD CONSTRAINT delivery_attempts_outcome_at CHECK ((outcome IS NULL) = (at IS NULL));

UPDATE notifications.delivery_attempts SET started_at = at;

ALTER TABLE notifications.delivery_attempts
    ALTER COLUMN started_at SET NOT NULL,
    ALTER COLUMN started_at SET DEFAULT now();

-- The dispatcher process holding a `sending` row's lease (an id each process picks at start):
-- it renews only its own leases, and records an outcome only while the lease is still its own.
ALTER TABLE notifications.notifications ADD COLUMN lease_holder uuid;
