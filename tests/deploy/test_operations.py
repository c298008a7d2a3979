"""The operations guide names metrics the code exports and commands the CLI has."""

from __future__ import annotations

import re
import shlex

from prometheus_client import REGISTRY

import safeguard.metrics  # noqa: F401 - registers the metrics
from safeguard.auth.claims import StaffClaimNames
from safeguard.codes import Role
from tests.deploy.code import check_command, known_variables, routes
from tests.deploy.files import DEPLOY

GUIDE = (DEPLOY / "OPERATIONS.md").read_text()


def _exported() -> set[str]:
    return {
        sample
        for metric in REGISTRY.collect()
        for sample in (metric.name, f"{metric.name}_total", *(s.name for s in metric.samples))
    }


def test_every_metric_named_is_one_the_code_exports() -> None:
    named = set(re.findall(r"`(safeguard_\w+)`", GUIDE))
    assert named
    assert named <= _exported(), named - _exported()


def test_every_metric_the_code_exports_is_in_the_guide() -> None:
    ours = {m.name for m in REGISTRY.collect() if m.name.startswith("safeguard_")}
    assert all(re.search(rf"`{name}(_total)?`", GUIDE) for name in ours), ours


def test_every_safeguard_command_named_parses() -> None:
    commands = set(re.findall(r"`(safeguard [^`]+)`", GUIDE))
    assert len(commands) >= 4
    for command in commands:
        check_command(shlex.split(command))


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", GUIDE, re.M | re.S)
    assert match, f"the guide has no section {title!r}"
    return match.group(1)


def test_the_sign_in_section_names_real_settings_routes_claims_and_roles() -> None:
    section = _section("Staff sign-in: your organisation's identity provider")
    # Whole names (a `SAFEGUARD_STAFF_CLAIMS__*` family is none).
    named = set(re.findall(r"\bSAFEGUARD_\w*[A-Z0-9]\b", section))
    assert named <= set(known_variables()), named - set(known_variables())
    # Shorthands: `__ROLES` for a claim setting, `__PANEL_URL` for one of the web front end's.
    shorthand = {
        f"SAFEGUARD_WEB{s}" if s.endswith("_URL") else f"SAFEGUARD_STAFF_CLAIMS{s}"
        for s in re.findall(r"`(__[A-Z_]+)`", section)
    }
    assert shorthand <= set(known_variables()), shorthand - set(known_variables())
    needed = {"OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "PUBLIC_URL", "SESSION_KEY"}
    assert {f"SAFEGUARD_WEB__{name}" for name in needed} <= named
    assert {"SAFEGUARD_STAFF_OIDC_ISSUER", "SAFEGUARD_STAFF_CLAIMS__SUBJECT"} <= named
    # The client's redirect URIs are pages the web front end serves.
    for path in re.findall(r"`<public url>(/[\w/-]+)`", section):
        assert path in routes("web"), path
    assert {"/auth/callback", "/signed-out"} <= set(
        re.findall(r"`<public url>(/[\w/-]+)`", section)
    )
    # Default claim names and role values are the code's.
    assert all(f"`{claim}`" in section for claim in StaffClaimNames().model_dump().values())
    roles = set(re.findall(r"`([a-z]+_[a-z_]+)`", section)) - {"client_secret_basic", "provider_id"}
    assert roles and roles <= {role.value for role in Role}, roles - {r.value for r in Role}
