"""Who may read the delivery log, and which areas' notifications each reader sees."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from safeguard.auth.staff import StaffPrincipal
from safeguard.auth.staff_deps import require_roles
from safeguard.codes import UNASSIGNED_AREA, Role

SERVICE = "notifications"

# Operators watch delivery (the log holds ids, codes and states, never case content); officers
# and chairs check that their cases' people were told; auditors oversee. Nobody else reads it.
Reader = Annotated[
    StaffPrincipal,
    Depends(require_roles(Role.OPERATOR, Role.AUDITOR, Role.PREVENT_OFFICER, Role.CHANNEL_CHAIR)),
]


# Only operators send failed notifications again: the fix (a directory entry, a partner's
# endpoint) is theirs, and a resend reads nothing of a case.
Operator = Annotated[StaffPrincipal, Depends(require_roles(Role.OPERATOR))]


def visible_areas(principal: StaffPrincipal) -> tuple[str, ...] | None:
    """The areas whose cases' notifications the caller sees; None means every area.

    Operators and auditors with no areas in their token see every area, with areas only those.
    Officers and chairs see their token's areas (none listed: nothing); officers also see the
    cases not yet placed in an area, which they triage.
    """
    if principal.role in (Role.OPERATOR, Role.AUDITOR) and not principal.areas:
        return None
    if principal.role is Role.PREVENT_OFFICER and principal.areas:
        return (*principal.areas, UNASSIGNED_AREA)
    return principal.areas


def sees_area(principal: StaffPrincipal, area: str | None) -> bool:
    """Whether a notification of a case in `area` (None: not known here yet) is visible."""
    areas = visible_areas(principal)
    return areas is None or area in areas
