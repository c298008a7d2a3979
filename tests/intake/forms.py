"""Referral forms for the intake tests."""

from __future__ import annotations

import copy
from typing import Any

from services.intake.openapi import PUBLIC_REFERRAL, SCHOOL_REFERRAL


def school_form(**person: Any) -> dict[str, Any]:
    """A complete school referral; `person` overrides fields of the person."""
    form = copy.deepcopy(SCHOOL_REFERRAL)
    form["person"].update(person)
    return form


def public_form() -> dict[str, Any]:
    """The least a member of the public must give."""
    return copy.deepcopy(PUBLIC_REFERRAL)
