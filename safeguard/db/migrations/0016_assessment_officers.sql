-- Prevent officers the assessment service has seen (subject and areas from their verified
-- token), so a task is only ever given to a known officer of its area; and take-overs of a
-- task another officer held, recorded with whom it was taken from.
CREATE TABLE assessment.officers (
    subject text PRIMARY KEY,
    areas text[] NOT NULL,
    seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX officers_by_area ON assessment.officers USING gin (areas);

ALTER TABLE assessment.task_history DROP CONSTRAINT task_history_action_check;
ALTER TABLE assessment.task_history ADD CONSTRAINT task_history_action_check
    CHECK (action IN ('claim', 'assign', 'release', 'take_over'));
ALTER TABLE assessment.task_history ADD COLUMN previous text;
