"""Tests of the assessment service (Prevent police officers)."""
