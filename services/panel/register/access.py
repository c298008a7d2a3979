"""Who keeps the approved-provider register, and who reads it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from safeguard.auth.staff import StaffPrincipal
from safeguard.auth.staff_deps import StaffDep
from safeguard.codes import Role
from safeguard.errors import ProblemError, documented_problem
from safeguard.openapi import may_answer
from safeguard.web import SettingsDep

# Those who choose providers for plans, and oversee them, read the register.
READERS = frozenset({Role.CHANNEL_CHAIR, Role.PANEL_MEMBER, Role.AUDITOR})


def _refused(principal: StaffPrincipal) -> ProblemError:
    return ProblemError(
        403, "Forbidden", f"Role {principal.role} may not do this.", role=principal.role
    )


@may_answer(
    {
        403: documented_problem(
            "The token's role does not keep the provider register (the deployment's"
            " `panel.provider_register_roles`; `channel_chair` by default)."
        )
    }
)
def register_keeper(principal: StaffDep, settings: SettingsDep) -> StaffPrincipal:
    """A role the deployment lets keep the register."""
    if principal.role not in settings.panel.provider_register_roles:
        raise _refused(principal)
    return principal


@may_answer(
    {
        403: documented_problem(
            "The token's role is not one of `channel_chair`, `panel_member`, `auditor`, nor one"
            " that keeps the provider register."
        )
    }
)
def register_reader(principal: StaffDep, settings: SettingsDep) -> StaffPrincipal:
    """A role that reads the register."""
    if principal.role not in READERS | set(settings.panel.provider_register_roles):
        raise _refused(principal)
    return principal


Keeper = Annotated[StaffPrincipal, Depends(register_keeper)]
RegisterReader = Annotated[StaffPrincipal, Depends(register_reader)]
