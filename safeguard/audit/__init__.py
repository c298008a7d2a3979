"""Auditing: the tamper-evident chain, archived histories, their replay and decision timelines."""
