-- The purpose a reader states may name the person, so it lives no longer than the case's other
-- personal data. The audit log's entry of a read holds only a salted digest of it (an
-- HMAC-SHA256 keyed by `purpose_salt`), so the signed log never holds the text; the text and
-- its salt stay here, beside each other, until the case is erased (`case.redacted`), when
-- both go and the digest alone remains, proving nothing about what was written. Reads logged
-- before this migration keep their purpose in their log entry (docs/auditors.md).
ALTER TABLE audit.access_log
    ALTER COLUMN purpose DROP NOT NULL,
    ADD COLUMN purpose_salt bytea,
    ADD COLUMN purpose_erased_at timestamptz;
