"""Auditing: the verifiable audit log, archived histories, their replay and decision timelines."""
