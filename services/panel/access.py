"""Who may do and see what in the panel service: roles, areas, agendas, providers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from pydantic import ValidationError

from safeguard.auth.staff import StaffPrincipal
from safeguard.auth.staff_deps import require_roles
from safeguard.codes import Role
from safeguard.errors import ProblemError
from workflows.referral.actions import Actor

SERVICE = "panel"

# A person or guardian acts through a consent link (consent_links.py), as a principal bound to
# the one case: subject `consent:<reference>`. A bearer token with that subject and role is
# accepted too, but nothing in the system issues one to the public; tests and operators'
# tooling mint one to act as the link's holder would.
CONSENT_SUBJECT_PREFIX = "consent:"

# The chair acts; panel members and auditors read; auditors and operators never write.
Chair = Annotated[StaffPrincipal, Depends(require_roles(Role.CHANNEL_CHAIR))]
Reader = Annotated[
    StaffPrincipal,
    Depends(require_roles(Role.CHANNEL_CHAIR, Role.PANEL_MEMBER, Role.AUDITOR)),
]
# Whoever the plan names asks for consent (usually the chair or a police officer).
ConsentAsker = Annotated[
    StaffPrincipal, Depends(require_roles(Role.CHANNEL_CHAIR, Role.PREVENT_OFFICER))
]
# Answers are recorded on the person's behalf by chair or officer, or by the person or guardian.
ConsentTaker = Annotated[
    StaffPrincipal,
    Depends(require_roles(Role.CHANNEL_CHAIR, Role.PREVENT_OFFICER, Role.PERSON_OR_GUARDIAN)),
]
Replier = Annotated[StaffPrincipal, Depends(require_roles(Role.CHANNEL_CHAIR, Role.PANEL_MEMBER))]
Provider = Annotated[StaffPrincipal, Depends(require_roles(Role.INTERVENTION_PROVIDER))]
Monitor = Annotated[
    StaffPrincipal,
    Depends(require_roles(Role.CHANNEL_CHAIR, Role.AUDITOR, Role.OPERATOR)),
]


def visible_areas(principal: StaffPrincipal) -> tuple[str, ...] | None:
    """Areas whose cases the caller sees by area; None means every area.

    Chairs and officers see their token's areas (none listed: nothing). Auditors and operators
    with no areas oversee every area. Panel members see by agenda, never by area.
    """
    if principal.role in (Role.AUDITOR, Role.OPERATOR) and not principal.areas:
        return None
    if principal.role in (Role.CHANNEL_CHAIR, Role.PREVENT_OFFICER, Role.AUDITOR, Role.OPERATOR):
        return principal.areas
    return ()


def sees_area(principal: StaffPrincipal, area: str) -> bool:
    """Whether the caller's areas cover `area`."""
    areas = visible_areas(principal)
    return areas is None or area in areas


def bound_to_case(principal: StaffPrincipal, reference: str) -> bool:
    """Whether a person or guardian's token is for this case."""
    return principal.subject == f"{CONSENT_SUBJECT_PREFIX}{reference}"


def actor_for(principal: StaffPrincipal) -> Actor:
    """The workflow actor, always from the verified token, never from a request body."""
    try:
        return Actor(id=principal.subject, role=principal.role, areas=principal.areas)
    except ValidationError:
        raise ProblemError(
            403, "Forbidden", "The token's subject cannot be recorded as an actor."
        ) from None


def unknown_case(reference: str) -> ProblemError:
    """A case the caller may not see is answered exactly like one that does not exist."""
    return ProblemError(404, "Unknown case", "No case with that reference that you may see.")
