"""FastAPI dependencies for staff routes: who is calling, and may they."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request

from safeguard.auth.staff import IssuerUnavailableError, StaffPrincipal, StaffTokenError
from safeguard.auth.staff_verifier import StaffVerifier
from safeguard.codes import Role
from safeguard.errors import ProblemError

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="safeguard"'}


def _verifier(request: Request) -> StaffVerifier:
    verifier: StaffVerifier = request.app.state.staff_verifier
    return verifier


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


def require_roles(*roles: Role) -> Callable[[StaffPrincipal], StaffPrincipal]:
    """A dependency admitting only the given roles (403 for the others)."""
    allowed = frozenset(roles)

    def check(principal: StaffDep) -> StaffPrincipal:
        if principal.role not in allowed:
            raise ProblemError(
                403, "Forbidden", f"Role {principal.role} may not do this.", role=principal.role
            )
        return principal

    return check
