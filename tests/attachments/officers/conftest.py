"""The assessment tests' fixtures, on this directory's settings (with clamd)."""

from tests.assessment.conftest import read_model, staff

__all__ = ["read_model", "staff"]
