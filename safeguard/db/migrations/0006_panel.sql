-- The panel service: a read model of cases (from lifecycle events) and the local authority's
-- own records: panels, meetings, information requests, vulnerability assessments, the steps
-- it submitted to the workflow, and intervention providers' contacts. The referral form
-- stays in intake.
CREATE SCHEMA IF NOT EXISTS panel;

-- One row per case, as the lifecycle events last described it, with its next due date.
CREATE TABLE panel.cases (
    referral_id uuid PRIMARY KEY,
    reference text NOT NULL UNIQUE,
    area text NOT NULL,
    stage text NOT NULL,
    received_at timestamptz,
    consent_route text,
    adopted boolean NOT NULL DEFAULT false,
    plan_revision integer NOT NULL DEFAULT 0,
    -- What is due next (consent answer, reassessment, review) and whether it was escalated.
    due_kind text,
    due_at timestamptz,
    due_months integer,
    escalated_at timestamptz,
    -- Post-exit review dates are kept apart from `due_at`: they must never be lost.
    exited_at timestamptz,
    review_6_months_at timestamptz,
    review_12_months_at timestamptz,
    closure_reason text,
    -- Time of the newest event applied: an older event (a replay) never moves the case back.
    last_event_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_queue ON panel.cases (area, stage, due_at);

-- Every lifecycle event of a case, for its chronology (events carry no personal data).
CREATE TABLE panel.case_events (
    event_id uuid PRIMARY KEY,
    referral_id uuid NOT NULL,
    type text NOT NULL,
    time timestamptz NOT NULL,
    source text NOT NULL,
    schema_version integer NOT NULL,
    data jsonb NOT NULL
);
CREATE INDEX case_events_by_referral ON panel.case_events (referral_id, time);

-- Support plan items as the workflow numbered them (from `support_plan.revised`).
CREATE TABLE panel.plan_items (
    item_id uuid PRIMARY KEY,
    referral_id uuid NOT NULL,
    revision integer NOT NULL,
    position integer NOT NULL,
    intervention text NOT NULL,
    provider_id text NOT NULL,
    agreed_at timestamptz NOT NULL,
    UNIQUE (referral_id, revision, position)
);
CREATE INDEX plan_items_by_provider ON panel.plan_items (provider_id, referral_id);

-- Panels of an area and who sits on them (members by their identity provider subject).
CREATE TABLE panel.panels (
    id uuid PRIMARY KEY,
    area text NOT NULL,
    name text NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX panels_by_area ON panel.panels (area);

CREATE TABLE panel.members (
    panel_id uuid NOT NULL REFERENCES panel.panels (id),
    subject text NOT NULL,
    agency text NOT NULL,
    added_by text NOT NULL,
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (panel_id, subject)
);
CREATE INDEX members_by_subject ON panel.members (subject);

CREATE TABLE panel.meetings (
    id uuid PRIMARY KEY,
    panel_id uuid NOT NULL REFERENCES panel.panels (id),
    scheduled_for timestamptz NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    attendance_recorded_at timestamptz
);
CREATE INDEX meetings_by_panel ON panel.meetings (panel_id, scheduled_for);

-- The agenda: cases a meeting considers. Panel members see exactly these cases.
CREATE TABLE panel.agenda_items (
    meeting_id uuid NOT NULL REFERENCES panel.meetings (id),
    referral_id uuid NOT NULL,
    position integer NOT NULL,
    added_by text NOT NULL,
    PRIMARY KEY (meeting_id, referral_id)
);
CREATE INDEX agenda_by_referral ON panel.agenda_items (referral_id);

CREATE TABLE panel.attendees (
    meeting_id uuid NOT NULL REFERENCES panel.meetings (id),
    attendee_id text NOT NULL,
    agency text NOT NULL,
    PRIMARY KEY (meeting_id, attendee_id)
);

-- Declared conflicts of interest: for one case on the agenda, or (no case) for the meeting.
CREATE TABLE panel.conflicts (
    id bigserial PRIMARY KEY,
    meeting_id uuid NOT NULL REFERENCES panel.meetings (id),
    attendee_id text NOT NULL,
    referral_id uuid,
    description text
);
CREATE INDEX conflicts_by_meeting ON panel.conflicts (meeting_id);

-- Requests for information to partner agencies, and their replies.
CREATE TABLE panel.information_requests (
    id uuid PRIMARY KEY,
    referral_id uuid NOT NULL,
    agency text NOT NULL,
    question text,
    due_by date,
    requested_by text NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    reply text,
    replied_by text,
    replied_at timestamptz
);
CREATE INDEX information_requests_by_referral ON panel.information_requests (referral_id);

-- Vulnerability assessments: 22 factors in 3 dimensions, each rated with notes.
CREATE TABLE panel.vulnerability_assessments (
    id uuid PRIMARY KEY,
    referral_id uuid NOT NULL,
    meeting_id uuid REFERENCES panel.meetings (id),
    summary text,
    assessed_by text NOT NULL,
    assessed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX assessments_by_referral ON panel.vulnerability_assessments (referral_id);

CREATE TABLE panel.factor_ratings (
    assessment_id uuid NOT NULL REFERENCES panel.vulnerability_assessments (id),
    factor text NOT NULL,
    dimension text NOT NULL CHECK (dimension IN ('engagement', 'intent', 'capability')),
    rating text NOT NULL CHECK (rating IN ('none', 'low', 'medium', 'high')),
    notes text,
    PRIMARY KEY (assessment_id, factor)
);

-- Every step this service submitted that the workflow accepted: consent records, decisions,
-- plans and reviews, with who acted. The workflow stays the source of case state.
CREATE TABLE panel.case_actions (
    id bigserial PRIMARY KEY,
    referral_id uuid NOT NULL,
    action text NOT NULL,
    actor text NOT NULL,
    role text NOT NULL,
    at timestamptz NOT NULL DEFAULT now(),
    stage_after text NOT NULL,
    plan_revision integer NOT NULL,
    meeting_id uuid REFERENCES panel.meetings (id),
    detail jsonb NOT NULL
);
CREATE INDEX case_actions_by_referral ON panel.case_actions (referral_id, id);

-- Intervention providers' contacts and attendance against their plan items.
CREATE TABLE panel.item_contacts (
    id uuid PRIMARY KEY,
    item_id uuid NOT NULL REFERENCES panel.plan_items (item_id),
    referral_id uuid NOT NULL,
    provider_id text NOT NULL,
    held_on date NOT NULL,
    kind text NOT NULL CHECK (kind IN ('session', 'contact', 'missed')),
    attended boolean NOT NULL,
    notes text,
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX item_contacts_by_item ON panel.item_contacts (item_id, held_on);
