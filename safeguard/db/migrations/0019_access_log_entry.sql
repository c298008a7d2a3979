-- Each read in the access log names its entry in the audit log, so an auditor can ask for the
-- proof that this very read is in the signed log (NULL for reads logged before the log).
ALTER TABLE audit.access_log ADD COLUMN log_entry_id bigint;
