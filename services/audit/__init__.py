"""The auditor-only API: case histories, replays, decision timelines, the audit chain."""
