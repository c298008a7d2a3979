"""Service identities: which client a service token speaks for, and what it may do.

Each calling service has its own OAuth2 client at the identity provider (client credentials)
and is granted only the permissions it needs; internal routes check the permission, never who
the caller is. The grants below are the development realm's (deploy/keycloak/realm-safeguard.json,
where a test holds them equal) and what development tokens carry.

| client | permissions |
| --- | --- |
| `svc-assessment` | `referral-forms.read` |
| `svc-panel` | `referral-forms.read` |
| `svc-notifications` | `contacts.read`, `consent-links.issue` |
| `svc-statistics` | `referral-facts.read` |
| `svc-admin` (operators' tooling) | `directory.manage` |

A token names its client in `client_id` (RFC 9068; Keycloak's service accounts) or `azp`
(Entra ID v2, Keycloak), and its permissions in `roles` (Keycloak client roles mapped flat,
Entra ID app roles) or in the space-separated `scope`. Values that are no permission of ours
are ignored, so a staff token grants nothing here.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from safeguard.auth.staff import StaffTokenError


class Permission(StrEnum):
    """What a service may do on another service's internal API."""

    REFERRAL_FORMS_READ = "referral-forms.read"
    CONTACTS_READ = "contacts.read"
    CONSENT_LINKS_ISSUE = "consent-links.issue"
    DIRECTORY_MANAGE = "directory.manage"
    # The coarse facts the statistics count by (age at referral, gender code), never the form.
    REFERRAL_FACTS_READ = "referral-facts.read"


class ServiceClient(StrEnum):
    """The OAuth2 clients of the services that call others (and of operators' tooling)."""

    ASSESSMENT = "svc-assessment"
    PANEL = "svc-panel"
    NOTIFICATIONS = "svc-notifications"
    STATISTICS = "svc-statistics"
    ADMIN = "svc-admin"


GRANTS: Mapping[ServiceClient, frozenset[Permission]] = {
    ServiceClient.ASSESSMENT: frozenset({Permission.REFERRAL_FORMS_READ}),
    ServiceClient.PANEL: frozenset({Permission.REFERRAL_FORMS_READ}),
    ServiceClient.NOTIFICATIONS: frozenset(
        {Permission.CONTACTS_READ, Permission.CONSENT_LINKS_ISSUE}
    ),
    ServiceClient.STATISTICS: frozenset({Permission.REFERRAL_FACTS_READ}),
    ServiceClient.ADMIN: frozenset({Permission.DIRECTORY_MANAGE}),
}
# The role of a service in the access log and the audit log (staff have `Role` values).
SERVICE_ROLE = "service"
_KNOWN = frozenset(Permission)


class ServicePrincipal(BaseModel):
    """The calling service's client and the permissions its token carries."""

    model_config = ConfigDict(frozen=True)

    client_id: str
    permissions: frozenset[Permission]


def service_principal_from(claims: Mapping[str, Any]) -> ServicePrincipal:
    """The service verified claims speak for; `StaffTokenError` if they name no client."""
    client = claims.get("client_id") or claims.get("azp")
    if not isinstance(client, str) or not client:
        raise StaffTokenError("token names no client (client_id or azp)")
    granted = (*_strings(claims.get("roles")), *_scopes(claims.get("scope")))
    return ServicePrincipal(
        client_id=client,
        permissions=frozenset(Permission(name) for name in granted if name in _KNOWN),
    )


def _strings(value: object) -> tuple[str, ...]:
    # A one-valued multivalued claim may come as a plain string.
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, str))
    return ()


def _scopes(value: object) -> tuple[str, ...]:
    return tuple(value.split()) if isinstance(value, str) else ()
