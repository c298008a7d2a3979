"""FastAPI dependencies for staff routes: who is calling, and may they."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Request

from safeguard.auth.staff import IssuerUnavailableError, StaffPrincipal, StaffTokenError
from safeguard.auth.staff_verifier import StaffVerifier
from safeguard.codes import Role
from safeguard.errors import ProblemError, documented_problem
from safeguard.openapi import may_answer

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="safeguard"'}
_STAFF_PROBLEMS = {
    401: documented_problem(
        "No staff bearer token, or one that is invalid or expired.",
        {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer`"}},
    ),
    503: documented_problem(
        "The token's issuer cannot be asked for its keys right now; try again shortly.",
        {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
    ),
}


def _verifier(request: Request) -> StaffVerifier:
    verifier: StaffVerifier = request.app.state.staff_verifier
    return verifier


@may_answer(_STAFF_PROBLEMS)
async def current_staff(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> StaffPrincipal:
    """The verified caller; 401 with a reason, or 503 while its issuer cannot be asked."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ProblemError(
            401, "Unauthenticated", "A staff bearer token is required.", headers=_CHALLENGE
        )
    try:
        return await _verifier(request).verify(token.strip())
    except IssuerUnavailableError as error:
        raise ProblemError(
            503,
            "Identity provider unavailable",
            "The token's issuer cannot be asked for its keys right now; try again shortly.",
            headers={"Retry-After": str(error.retry_after)},
        ) from error
    except StaffTokenError as error:
        raise ProblemError(401, "Unauthenticated", str(error), headers=_CHALLENGE) from error


StaffDep = Annotated[StaffPrincipal, Depends(current_staff)]


def require_roles(*roles: Role) -> Callable[[StaffPrincipal], Awaitable[StaffPrincipal]]:
    """A dependency admitting only the given roles (403 for the others)."""
    allowed = frozenset(roles)
    names = ", ".join(f"`{role.value}`" for role in roles)

    @may_answer({403: documented_problem(f"The token's role is not one of {names}.")})
    async def check(principal: StaffDep) -> StaffPrincipal:  # no thread needed: a coroutine
        if principal.role not in allowed:
            raise ProblemError(
                403, "Forbidden", f"Role {principal.role} may not do this.", role=principal.role
            )
        return principal

    return check
