"""The one place a verified token's claims become a `StaffPrincipal`.

`StaffClaimNames` (`SAFEGUARD_STAFF_CLAIMS__*`) names the top-level claim that holds each part
of the identity; tokens from `safeguard tokens mint` use the defaults.

| part | setting | default | shape |
| --- | --- | --- | --- |
| subject | `SUBJECT` | `sub` | a non-empty string |
| role | `ROLES` | `roles` | a list of strings, or one string |
| areas | `AREAS` | `areas` | a list of area codes (or one), absent for none |
| agency | `AGENCY` | `agency` | a string, optional |
| provider id | `PROVIDER_ID` | `provider_id` | a string, optional |

Exactly one distinct value of the roles claim must be a `safeguard.codes.Role`; values that are
no role of ours (Keycloak's `default-roles-<realm>`, `offline_access`, ...) are ignored. No
known role, or several different ones, is refused: a person acts in one role per token.

**Keycloak.** On the API's client (or a client scope every staff client gets): a "User Realm
Role" mapper with token claim name `roles`, multivalued, added to the access token (Keycloak
otherwise nests realm roles under `realm_access.roles`); "User Attribute" mappers for the
`areas` (multivalued), `agency` and `provider_id` attributes; an "Audience" mapper adding
`safeguard`. The realm roles are named as the `Role` values (`prevent_officer`, ...).

**Entra ID.** App roles defined on the API's app registration arrive in `roles`, named with
the `Role` values. The subject is best the stable object id: `SAFEGUARD_STAFF_CLAIMS__SUBJECT=oid`.
Areas, agency and provider id come from optional claims or directory extension attributes,
which Entra names `extn.<name>` (optional claims) or `extension_<appid>_<name>`; point
`AREAS`, `AGENCY` and `PROVIDER_ID` at those names. The audience is the API's application ID
URI or client id (`SAFEGUARD_STAFF_TOKEN_AUDIENCE`), and the issuer
`https://login.microsoftonline.com/<tenant>/v2.0` (`SAFEGUARD_STAFF_OIDC_ISSUER`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from safeguard.auth.staff import StaffPrincipal, StaffTokenError
from safeguard.codes import Role

_ROLES = frozenset(Role)


class StaffClaimNames(BaseModel):
    """Which claim holds each part of a staff identity (`SAFEGUARD_STAFF_CLAIMS__*`)."""

    subject: str = "sub"
    roles: str = "roles"
    areas: str = "areas"
    agency: str = "agency"
    provider_id: str = "provider_id"


def principal_from(claims: Mapping[str, Any], names: StaffClaimNames) -> StaffPrincipal:
    """The principal verified claims speak for; `StaffTokenError` if they name none."""
    subject = claims.get(names.subject)
    if not isinstance(subject, str) or not subject:
        raise StaffTokenError(f"token has no subject in claim {names.subject!r}")
    try:
        return StaffPrincipal(
            subject=subject,
            role=_one_role(claims.get(names.roles), names.roles),
            areas=_strings(claims.get(names.areas)),
            agency=claims.get(names.agency),
            provider_id=claims.get(names.provider_id),
        )
    except (ValidationError, TypeError) as error:
        raise StaffTokenError("token claims are not a known role and identity") from error


def _one_role(value: object, claim: str) -> Role:
    known = {Role(name) for name in _strings(value) if name in _ROLES}
    if len(known) != 1:
        found = "no" if not known else f"{len(known)}"
        raise StaffTokenError(
            f"token names {found} safeguard roles in claim {claim!r}; exactly one is required"
        )
    return known.pop()


def _strings(value: object) -> tuple[str, ...]:
    # Identity providers send a one-valued multivalued claim as a plain string, or omit it.
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise TypeError("expected a string or a list of strings")
