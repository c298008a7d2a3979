"""Internal routes: only a service token granting the route's permission gets through.

Service tokens are verified like staff tokens (same trusted issuers, signatures, times), but
must name the service audience (`service_auth.audience`), which no staff token does; outside
production the development key also signs them, as `DEV_SERVICE_ISSUER`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Header, Request

from safeguard.auth.service_identity import Permission, ServicePrincipal, service_principal_from
from safeguard.auth.service_tokens import DEV_SERVICE_ISSUER
from safeguard.auth.staff import (
    IssuerUnavailableError,
    StaffTokenError,
    development_signing_key,
    public_key_set,
)
from safeguard.auth.staff_keys import StaticKeys
from safeguard.auth.staff_verifier import StaffVerifier, verifier_for
from safeguard.errors import ProblemError, documented_problem
from safeguard.settings import Settings

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="safeguard-internal"'}
# For routes in an OpenAPI document: what `require_permission` answers with.
SERVICE_TOKEN_PROBLEMS: dict[int | str, dict[str, Any]] = {
    401: documented_problem(
        "No service bearer token, or one that is invalid or expired (a staff token is none).",
        {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "`Bearer`"}},
    ),
    403: documented_problem("The service token does not grant this route's permission."),
    503: documented_problem(
        "The token's issuer cannot be asked for its keys right now; try again shortly.",
        {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
    ),
}


def service_verifier_for(settings: Settings) -> StaffVerifier:
    """The staff issuers' trusts with the service audience, and outside production the
    development key for development service tokens."""
    trusts = dict(verifier_for(settings).trusts)
    if settings.environment != "production":
        key = development_signing_key(settings.data_dir)
        trusts[DEV_SERVICE_ISSUER] = StaticKeys(public_key_set(key))
    return StaffVerifier(trusts, audience=settings.service_auth.audience)


def _verifier(request: Request) -> StaffVerifier:
    # Built on first use and kept, so the issuer's keys are fetched once, not per request.
    state = request.app.state
    verifier: StaffVerifier | None = getattr(state, "service_verifier", None)
    if verifier is None:
        settings: Settings = state.settings
        verifier = state.service_verifier = service_verifier_for(settings)
    return verifier


async def service_caller(request: Request, authorization: str | None) -> ServicePrincipal:
    """The verified calling service: 401 without a valid service token, 503 if its issuer
    cannot be asked for its keys."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ProblemError(
            401, "Unauthenticated", "A service bearer token is required.", headers=_CHALLENGE
        )
    try:
        claims = await _verifier(request).verified_claims(token.strip())
        return service_principal_from(claims)
    except IssuerUnavailableError as error:
        raise ProblemError(
            503,
            "Identity provider unavailable",
            "The token's issuer cannot be asked for its keys right now; try again shortly.",
            headers={"Retry-After": str(error.retry_after)},
        ) from error
    except StaffTokenError as error:
        raise ProblemError(401, "Unauthenticated", str(error), headers=_CHALLENGE) from error


def require_permission(
    permission: Permission,
) -> Callable[[Request, str | None], Awaitable[ServicePrincipal]]:
    """A dependency admitting service tokens that grant `permission` (403 for the others)."""

    async def check(
        request: Request, authorization: Annotated[str | None, Header()] = None
    ) -> ServicePrincipal:
        caller = await service_caller(request, authorization)
        if permission not in caller.permissions:
            raise ProblemError(
                403,
                "Forbidden",
                f"Client {caller.client_id} is not granted {permission.value}.",
                client_id=caller.client_id,
            )
        return caller

    return check
