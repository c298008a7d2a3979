-- Post-exit reviews as many as the case's policy sets (not only at 6 and 12 months): each
-- {"months": n, "due_at": timestamp}, earliest first. The two fixed columns stay for readers
-- that predate this one and are filled when the policy has a review at that month.
ALTER TABLE panel.cases ADD COLUMN post_exit_reviews jsonb;

UPDATE panel.cases c
SET post_exit_reviews = (
    SELECT jsonb_agg(jsonb_build_object('months', r.months, 'due_at', r.due_at) ORDER BY r.months)
    FROM (VALUES (6, c.review_6_months_at), (12, c.review_12_months_at)) AS r (months, due_at)
    WHERE r.due_at IS NOT NULL
)
WHERE c.exited_at IS NOT NULL;
