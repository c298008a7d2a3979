-- The notifications service's own view of each case: its reference and its current area, from
-- the lifecycle events it already consumes. The delivery log is scoped by area with it (officers
-- and chairs read only their areas' notifications) and looked up by reference. No personal data.
CREATE TABLE notifications.cases (
    referral_id uuid PRIMARY KEY,
    reference text NOT NULL UNIQUE,
    area text NOT NULL,
    stage text NOT NULL,
    -- Time of the newest event applied: an older event (a replay) never moves the case back.
    last_event_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_cases_by_area ON notifications.cases (area);
