-- The person's gender code, kept beside `age_at_referral` so the statistics service can count
-- by it without the sealed form being opened for every referral. Cleared at redaction with
-- the age. Referrals from before this column keep NULL; intake reads their gender from the
-- sealed form the first time the statistics ask (services/intake/facts.py).
ALTER TABLE intake.referrals ADD COLUMN gender text;
