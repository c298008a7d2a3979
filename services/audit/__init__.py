"""The auditor-only API: case histories, replays, decision timelines, who read a case, the audit
log and its proofs."""
