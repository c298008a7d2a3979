"""Who may decode payloads, and the cases each reader's token covers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from safeguard.auth.staff import StaffPrincipal
from safeguard.auth.staff_deps import require_roles
from safeguard.codes import Role

SERVICE = "codec"

# Auditors read workflow histories; no other role does (officers and chairs read their cases
# through their own services, operators never read case content).
Reader = Annotated[StaffPrincipal, Depends(require_roles(Role.AUDITOR))]


def sees_area(principal: StaffPrincipal, area: str | None) -> bool:
    """Whether a case in `area` (None: not placed yet) is in the reader's scope.

    An auditor with no areas in their token oversees every area; with areas, only those.
    """
    return not principal.areas or area in principal.areas
