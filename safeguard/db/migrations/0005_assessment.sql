-- The assessment service's read model (cases, their events, officers' tasks) and its own
-- records (who holds a task). Ids, codes and dates only: the referral form stays in intake.

-- One row per case, as the lifecycle events last described it.
CREATE TABLE assessment.cases (
    referral_id uuid PRIMARY KEY,
    reference text NOT NULL UNIQUE,
    area text NOT NULL,
    stage text NOT NULL,
    sector text,
    concern_type text,
    received_at timestamptz,
    linked_referral_ids uuid[] NOT NULL DEFAULT '{}',
    outcome text,
    closure_reason text,
    -- Time of the newest event applied: an older event (a replay) never moves the case back.
    last_event_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_by_area_stage ON assessment.cases (area, stage);

-- Every lifecycle event of a case, for its chronology (events carry no personal data).
CREATE TABLE assessment.case_events (
    event_id uuid PRIMARY KEY,
    referral_id uuid NOT NULL,
    type text NOT NULL,
    time timestamptz NOT NULL,
    source text NOT NULL,
    schema_version integer NOT NULL,
    data jsonb NOT NULL
);
CREATE INDEX case_events_by_referral ON assessment.case_events (referral_id, time);

-- Tasks gain their area (officers see only their areas), a status, and the holder:
-- `version` rises with every change, for optimistic concurrency (ETag / If-Match).
ALTER TABLE assessment.tasks
    ADD COLUMN area text NOT NULL DEFAULT 'unassigned',
    ADD COLUMN status text NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'done', 'cancelled')),
    ADD COLUMN assignee text,
    ADD COLUMN assigned_at timestamptz,
    ADD COLUMN reminded_at timestamptz,
    ADD COLUMN escalated_at timestamptz,
    ADD COLUMN closed_at timestamptz,
    ADD COLUMN version integer NOT NULL DEFAULT 1,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

DROP INDEX assessment.tasks_by_due;
-- The inbox: open tasks of an area, soonest due first.
CREATE INDEX tasks_open_by_area_due ON assessment.tasks (area, due_at, created_at, id)
    WHERE status = 'open';
-- The inbox across areas (auditors), and the overdue count.
CREATE INDEX tasks_open_by_due ON assessment.tasks (due_at, created_at, id) WHERE status = 'open';
CREATE INDEX tasks_by_referral ON assessment.tasks (referral_id);
CREATE INDEX tasks_by_assignee ON assessment.tasks (assignee, due_at) WHERE assignee IS NOT NULL;

-- Who claimed, assigned or released which task, when (the service's own records).
CREATE TABLE assessment.task_history (
    id bigserial PRIMARY KEY,
    task_id uuid NOT NULL REFERENCES assessment.tasks (id),
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    action text NOT NULL CHECK (action IN ('claim', 'assign', 'release')),
    assignee text,
    version integer NOT NULL
);
CREATE INDEX task_history_by_task ON assessment.task_history (task_id, at);
