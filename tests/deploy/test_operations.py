"""The operations guide names metrics the code exports and commands the CLI has, and makes the
audit log's key as the service reads it."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from prometheus_client import REGISTRY

import safeguard.metrics  # noqa: F401 - registers the metrics
from safeguard.audit.log.checkpoints import (
    Signer,
    VerifierKey,
    load_signing_key,
    verifier_key_text,
)
from safeguard.auth.claims import StaffClaimNames
from safeguard.codes import Role
from tests.deploy.code import check_command, known_variables, routes
from tests.deploy.files import DEPLOY, find, kustomize, load_compose, pod_spec

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


def _shell_block(containing: str) -> str:
    """The guide's one `sh` code block that contains `containing`."""
    blocks: list[str] = re.findall(r"^```sh\n(.*?)^```", GUIDE, re.M | re.S)
    (block,) = [block for block in blocks if containing in block]
    return block


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed here")
def test_the_audit_log_key_made_as_the_guide_says_is_one_the_service_reads(tmp_path: Path) -> None:
    block = _shell_block("openssl genpkey")
    # The guide's commands as an operator runs them: a shell, openssl, the package's CLI.
    path = f"{Path(sys.executable).parent}:/usr/bin:/bin"
    printed = subprocess.run(  # noqa: S603 - the guide's own commands, in a scratch directory
        ["sh", "-e", "-c", block],  # noqa: S607 - the system shell
        cwd=tmp_path,
        env={"PATH": path, "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    made = re.search(r"-out (\S+)", block)
    origin = re.search(r"SAFEGUARD_AUDIT_LOG__ORIGIN=(\S+)", block)
    assert made and origin
    key_file = tmp_path / made.group(1)
    assert key_file.stat().st_mode & 0o077 == 0, "readable by its owner alone"
    signer = Signer(origin.group(1), load_signing_key(key_file, create=False))
    # What it printed is the verifier key of that key and name, which checks what it signs.
    assert printed == verifier_key_text(signer.verifier)
    assert signer.verifier.check(signer.sign(3, bytes(32), datetime.now(UTC))).size == 3


def test_every_verifier_key_the_guide_prints_can_be_configured() -> None:
    # A fixed key whose verifier key's base64 holds a '+'.
    key = Ed25519PrivateKey.from_private_bytes(bytes([8]) * 32)
    signer = Signer("cases.safeguard.example/audit-log", key)
    text = verifier_key_text(signer.verifier)
    assert "+" in text.split("+", 2)[2]
    assert VerifierKey.parse(text) == signer.verifier


def test_the_guide_installs_the_audit_log_key_where_the_deployments_read_it() -> None:
    section = _section("The audit log's keys")
    made = re.search(r"-out (\S+)", _shell_block("openssl genpkey"))
    created = re.search(r"create secret generic (\S+) --from-file=([^=\s]+)=(\S+)`", section)
    assert made and created
    (volume,) = [
        v
        for v in pod_spec(find(kustomize(DEPLOY / "base"), "Deployment", "audit"))["volumes"]
        if v["name"] == "audit-log-signing-key"
    ]
    secret = volume["secret"]
    assert (secret["secretName"], secret["items"][0]["key"]) == created.group(1, 2)
    assert created.group(3) == made.group(1)
    compose_file = load_compose()["secrets"]["audit-log-signing-key"]["file"]
    assert f"`{compose_file.removeprefix('./')}`" in section
