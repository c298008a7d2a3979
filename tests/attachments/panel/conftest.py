"""The panel tests' fixtures, on this directory's settings (with clamd)."""

from tests.panel.conftest import pipeline, staff, system

__all__ = ["pipeline", "staff", "system"]
