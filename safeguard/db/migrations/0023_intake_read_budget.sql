-- Status reads get a rate budget of their own: polling statuses spent the budget submissions
-- need (2,001 reads refused while 300 referrals were submitted), and a submission refused is
-- a referral delayed. Existing clients get their kind's default read limit.
ALTER TABLE intake.agencies
    ADD COLUMN read_rate_per_minute integer CHECK (read_rate_per_minute > 0),
    ADD COLUMN read_burst integer CHECK (read_burst > 0);
UPDATE intake.agencies
    SET read_rate_per_minute = CASE kind WHEN 'public' THEN 60 ELSE 600 END,
        read_burst = CASE kind WHEN 'public' THEN 20 ELSE 100 END;
ALTER TABLE intake.agencies
    ALTER COLUMN read_rate_per_minute SET NOT NULL,
    ALTER COLUMN read_burst SET NOT NULL;

-- The reads' theoretical arrival time (GCRA), beside the submissions' `tat`.
ALTER TABLE intake.rate_limits ADD COLUMN read_tat timestamptz NOT NULL DEFAULT now();
