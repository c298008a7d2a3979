"""Who may see what here: roles, areas and the police-only fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import Depends
from pydantic import ValidationError

from safeguard.auth.staff import StaffPrincipal
from safeguard.auth.staff_deps import require_roles
from safeguard.codes import UNASSIGNED_AREA, Role
from safeguard.errors import ProblemError
from workflows.referral.actions import Actor

SERVICE = "assessment"

# Fields of a gateway assessment that only the police may ever see.

# Prevent officers act; auditors read and never write; operators see counts, never cases.
Officer = Annotated[StaffPrincipal, Depends(require_roles(Role.PREVENT_OFFICER))]
Reader = Annotated[StaffPrincipal, Depends(require_roles(Role.PREVENT_OFFICER, Role.AUDITOR))]
Monitor = Annotated[
    StaffPrincipal,
    Depends(require_roles(Role.PREVENT_OFFICER, Role.AUDITOR, Role.OPERATOR)),
]


def visible_areas(principal: StaffPrincipal) -> tuple[str, ...] | None:
    """The areas whose cases the caller sees; None means all.

    Officers see only their token's areas (none listed: nothing). Auditors and operators with
    no areas in their token oversee every area; with areas, only those.
    """
    if principal.role is Role.PREVENT_OFFICER or principal.areas:
        return principal.areas
    return None


def sees_area(principal: StaffPrincipal, area: str) -> bool:
    """Whether a case in `area` is visible to the caller."""
    areas = visible_areas(principal)
    return areas is None or area in areas


def sees_triage(principal: StaffPrincipal) -> bool:
    """Cases no area owns yet: every officer who has an area may place them, auditors oversee.

    Triage is exactly for the cases no token covers, so the caller's own areas do not matter.
    """
    return principal.role is Role.AUDITOR or bool(principal.areas)


def triage_areas(principal: StaffPrincipal) -> tuple[str, ...]:
    """The areas the triage queue lists: the unassigned one, or none for a token without areas."""
    return (UNASSIGNED_AREA,) if sees_triage(principal) else ()


def sees_case(principal: StaffPrincipal, area: str) -> bool:
    """Whether a case in `area` may be read: the caller's areas, and triage for those who triage."""
    return sees_area(principal, area) or (area == UNASSIGNED_AREA and sees_triage(principal))


def receives(principal: StaffPrincipal, transfer_to: str | None) -> bool:
    """Whether a transfer waits on one of the caller's areas: its officers read the case to
    decide, and answer it, before it is theirs."""
    return transfer_to is not None and sees_area(principal, transfer_to)


def requested_areas(principal: StaffPrincipal, wanted: Sequence[str]) -> tuple[str, ...] | None:
    """The areas to list: the caller's, narrowed to `wanted`; 403 for an area not theirs."""
    areas = visible_areas(principal)
    if not wanted:
        return areas
    outside = sorted(set(wanted) - set(areas)) if areas is not None else []
    if outside:
        raise ProblemError(
            403, "Area not permitted", "Your token does not cover every area asked for."
        )
    return tuple(wanted)


def actor_for(principal: StaffPrincipal) -> Actor:
    """The workflow actor, always from the verified token, never from a request body."""
    try:
        return Actor(id=principal.subject, role=principal.role, areas=principal.areas)
    except ValidationError:
        raise ProblemError(
            403, "Forbidden", "The token's subject cannot be recorded as an actor."
        ) from None
