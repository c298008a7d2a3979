-- Case views read a case's stage, due dates and next actions from the read models instead of
-- asking the workflow (issue 17). Events carry a per-case `sequence` and the case's `standing`.

-- The newest event sequence the workflow recorded for each case, written in the transaction
-- that writes the event's outbox row: a read model whose last applied sequence differs is
-- behind the case. Ids and numbers only.
CREATE TABLE messaging.case_sequences (
    referral_id uuid PRIMARY KEY,
    sequence integer NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);

-- Where the case stood after the newest sequenced event applied (codes, counts and dates:
-- the workflow's status without its reference), and that event's sequence.
ALTER TABLE assessment.cases ADD COLUMN standing jsonb, ADD COLUMN standing_sequence integer;
ALTER TABLE panel.cases ADD COLUMN standing jsonb, ADD COLUMN standing_sequence integer;
