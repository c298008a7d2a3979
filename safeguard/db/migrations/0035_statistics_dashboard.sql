-- The Prevent lead's figures (services/statistics, `GET /v1/dashboard`): what the release's
-- fact rows lacked. Still nothing that names a person: ids, codes and dates.

-- When the gateway assessment was due (the workflow's working-day date, from
-- referral.submitted) and first recorded, and whether the referral was linked to an earlier
-- referral of the same person (a re-referral).
ALTER TABLE statistics.referrals
    ADD COLUMN assessment_due_at timestamptz,
    ADD COLUMN first_assessed_at timestamptz,
    ADD COLUMN re_referral boolean NOT NULL DEFAULT false;

-- Work with a due date, one row each: gateway assessments and reassessments, police reviews,
-- consent requests (due: when they expire), consent reassessments, support reviews and
-- post-exit reviews (`months` after exit). Open until done or cancelled (the case closed, or
-- moved on without it). A referral has many, so they are a second fact table.
CREATE TABLE statistics.tasks (
    referral_id uuid NOT NULL,
    kind text NOT NULL,
    due_at timestamptz NOT NULL,
    months integer,
    opened_at timestamptz NOT NULL,
    done_at timestamptz,
    -- What became of it, where that has codes (a consent request's decision).
    outcome text,
    cancelled_at timestamptz,
    PRIMARY KEY (referral_id, kind, due_at)
);

CREATE INDEX statistics_tasks_due ON statistics.tasks (kind, due_at);
CREATE INDEX statistics_tasks_opened ON statistics.tasks (kind, opened_at);

-- Each stage a case was in, from when to when (left_at NULL: it is there now), from the
-- `stage` every lifecycle event carries: time in each stage.
CREATE TABLE statistics.stages (
    referral_id uuid NOT NULL,
    entered_at timestamptz NOT NULL,
    stage text NOT NULL,
    left_at timestamptz,
    PRIMARY KEY (referral_id, entered_at)
);

CREATE INDEX statistics_stages_left ON statistics.stages (left_at);
CREATE UNIQUE INDEX statistics_stages_current ON statistics.stages (referral_id)
    WHERE left_at IS NULL;
