"""Claims to principal: the one mapping every token source goes through (pure logic)."""

from __future__ import annotations

from typing import Any

import pytest

from safeguard.auth.claims import StaffClaimNames, principal_from
from safeguard.auth.staff import StaffPrincipal, StaffTokenError
from safeguard.codes import Role

DEFAULTS = StaffClaimNames()


@pytest.mark.parametrize(
    "roles",
    [
        ["prevent_officer"],
        "prevent_officer",
        ["default-roles-safeguard", "prevent_officer", "offline_access", "uma_authorization"],
        ["prevent_officer", "prevent_officer"],
    ],
    ids=["list", "string", "among-idp-roles", "repeated"],
)
def test_exactly_one_known_role_is_the_role(roles: object) -> None:
    claims = {"sub": "officer-17", "roles": roles, "areas": ["E08000003"], "agency": "police"}
    assert principal_from(claims, DEFAULTS) == StaffPrincipal(
        subject="officer-17", role=Role.PREVENT_OFFICER, areas=("E08000003",), agency="police"
    )


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"sub": "x", "roles": ["offline_access"]}, "names no safeguard roles"),
        ({"sub": "x"}, "names no safeguard roles"),
        ({"sub": "x", "roles": []}, "names no safeguard roles"),
        ({"sub": "x", "roles": ["auditor", "operator"]}, "names 2 safeguard roles"),
        ({"sub": "x", "roles": [{"name": "auditor"}]}, "not a known role and identity"),
        ({"sub": "x", "roles": "auditor", "areas": [3]}, "not a known role and identity"),
        ({"sub": "x", "roles": "auditor", "agency": ["police"]}, "not a known role"),
        ({"roles": "auditor"}, "no subject in claim 'sub'"),
        ({"sub": "", "roles": "auditor"}, "no subject in claim 'sub'"),
        ({"sub": "x", "role": "auditor"}, "names no safeguard roles"),
    ],
)
def test_claims_naming_no_single_role_or_identity_are_refused(
    claims: dict[str, Any], reason: str
) -> None:
    with pytest.raises(StaffTokenError, match=reason):
        principal_from(claims, DEFAULTS)


def test_claim_names_are_configurable() -> None:
    names = StaffClaimNames(
        subject="oid", roles="app_roles", areas="extn.areas", agency="org", provider_id="pid"
    )
    claims = {
        "sub": "pairwise",
        "oid": "5f0c",
        "roles": ["auditor"],
        "app_roles": ["intervention_provider", "Directory.Read"],
        "extn.areas": "E09000033",
        "org": "council",
        "pid": "provider-7",
    }
    assert principal_from(claims, names) == StaffPrincipal(
        subject="5f0c",
        role=Role.INTERVENTION_PROVIDER,
        areas=("E09000033",),
        agency="council",
        provider_id="provider-7",
    )
