"""Police-only fields: the deconfliction result and database checks of a gateway assessment.

One rule for every path (case views, the audit timeline and export, the codec, the web pages):
Prevent officers see them, and so do police auditors (role `auditor` whose `agency` claim is
`police`, such as a force's professional standards or an inspectorate working with the police).
Every other reader gets what they read with these fields left out, wherever in a document they
sit (an update's input, a decision's detail, a carried-over state).
"""

from __future__ import annotations

from typing import Any

from safeguard.auth.staff import StaffPrincipal
from safeguard.codes import Role

POLICE_ONLY_FIELDS = frozenset({"deconfliction", "database_checks"})
POLICE_ROLES = frozenset({Role.PREVENT_OFFICER})
# The agency claim that makes an auditor a police auditor.
POLICE_AGENCY = "police"


def sees_police_only(principal: StaffPrincipal) -> bool:
    """Whether the caller may see police-only fields: police roles and police auditors."""
    if principal.role in POLICE_ROLES:
        return True
    return principal.role is Role.AUDITOR and principal.agency == POLICE_AGENCY


def without_police_only(value: Any) -> tuple[Any, bool]:
    """`value` (JSON values) with every police-only field dropped, and whether any was."""
    if isinstance(value, dict):
        kept: dict[str, Any] = {}
        dropped = False
        for key, item in value.items():
            if key in POLICE_ONLY_FIELDS:
                dropped = True
                continue
            kept[key], inner = without_police_only(item)
            dropped = dropped or inner
        return kept, dropped
    if isinstance(value, list):
        pairs = [without_police_only(item) for item in value]
        return [item for item, _ in pairs], any(inner for _, inner in pairs)
    return value, False
