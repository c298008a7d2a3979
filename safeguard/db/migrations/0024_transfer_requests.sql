-- A transfer waits for the receiving area to accept it (issue 16). Until then the case stays
-- in its area, and the receiving area's officers and chairs may read it to decide and find it
-- in their list of incoming transfers. Set by `case.transfer_requested`; cleared when it is
-- accepted (`case.transferred`), declined, withdrawn, or the case closes.
ALTER TABLE assessment.cases
    ADD COLUMN transfer_to text,
    ADD COLUMN transfer_requested_at timestamptz;
CREATE INDEX cases_by_transfer_to ON assessment.cases (transfer_to)
    WHERE transfer_to IS NOT NULL;

ALTER TABLE panel.cases
    ADD COLUMN transfer_to text,
    ADD COLUMN transfer_requested_at timestamptz;
