-- The area each case is in now, from the lifecycle events the audit store already consumes
-- (newest event wins), so the codec service can hold Temporal payloads to the reader's areas.
-- Cases known before this column existed take it from the assessment read model.
ALTER TABLE audit.cases
    ADD COLUMN area text,
    ADD COLUMN area_at timestamptz;
UPDATE audit.cases AS audited
    SET area = assessed.area, area_at = assessed.last_event_at
    FROM assessment.cases AS assessed
    WHERE assessed.referral_id = audited.referral_id;
-- The codec service finds a payload's case by the workflow it is bound to.
CREATE UNIQUE INDEX cases_by_workflow ON audit.cases (workflow_id);
