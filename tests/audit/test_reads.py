"""Who read a case: the access log of one case, for auditors, newest first and paged."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from typer.testing import CliRunner

from safeguard.access_log import record_read
from safeguard.audit.log import proofcheck
from safeguard.auth.staff import StaffPrincipal, public_key_set
from safeguard.cli.main import app
from safeguard.codes import Role
from safeguard.settings import Settings, get_settings
from tests.audit.conftest import Audit
from tests.helpers import assert_eventually


async def _known(audit: Audit, reference: str) -> bool:
    async with audit.pool.acquire() as conn:
        found: bool = await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM audit.cases WHERE reference = $1)", reference
        )
    return found


async def _officer_reads(audit: Audit, reference: str, purposes: list[str]) -> None:
    """The assessment service's reads of the case, as its routes log them."""
    officer = StaffPrincipal(subject="officer-17", role=Role.PREVENT_OFFICER, areas=("E09000033",))
    async with audit.pool.acquire() as conn:
        referral_id = await conn.fetchval(
            "SELECT referral_id FROM audit.cases WHERE reference = $1", reference
        )
        for purpose in purposes:
            async with conn.transaction():
                await record_read(
                    conn,
                    service="assessment",
                    principal=officer,
                    referral_id=referral_id,
                    fields=["case", "police_only"],
                    purpose=purpose,
                )


async def test_an_auditor_sees_who_read_a_case_newest_first(audit: Audit) -> None:
    reference, _ = await audit.open_case()
    other, _ = await audit.open_case()
    await assert_eventually(lambda: _known(audit, reference))
    await assert_eventually(lambda: _known(audit, other))
    await _officer_reads(audit, reference, ["gateway assessment", "reassessment"])
    await _officer_reads(audit, other, ["triage"])

    reads = f"{audit.url}/v1/cases/{reference}/reads"
    answer = await audit.http.get(reads, headers=audit.headers())
    assert answer.status_code == 200, answer.text
    page: dict[str, Any] = answer.json()
    assert (page["total"], page["offset"], page["next_offset"]) == (2, 0, None)
    assert [(r["subject"], r["role"], r["service"], r["purpose"]) for r in page["items"]] == [
        ("officer-17", "prevent_officer", "assessment", "reassessment"),
        ("officer-17", "prevent_officer", "assessment", "gateway assessment"),
    ]
    assert page["items"][0]["fields"] == ["case", "police_only"]
    # Each purpose shown is the one the signed log committed to.
    assert [r["purpose_matches_log"] for r in page["items"]] == [True, True]

    # The auditor's read was logged too, and shows (first) from the next read on, paged.
    second = (await audit.http.get(f"{reads}?limit=1", headers=audit.headers())).json()
    assert (second["total"], second["limit"], second["next_offset"]) == (3, 1, 1)
    [newest] = second["items"]
    assert (newest["subject"], newest["role"], newest["service"], newest["fields"]) == (
        "auditor-1",
        "auditor",
        "audit",
        ["reads"],
    )
    assert newest["purpose"] == "annual audit of closed cases"
    last = (await audit.http.get(f"{reads}?limit=2&offset=3", headers=audit.headers())).json()
    assert [r["purpose"] for r in last["items"]] == ["gateway assessment"]
    assert last["next_offset"] is None


async def test_only_auditors_with_a_purpose_see_reads(audit: Audit) -> None:
    reference, _ = await audit.open_case()
    await assert_eventually(lambda: _known(audit, reference))
    reads = f"{audit.url}/v1/cases/{reference}/reads"
    for role in (Role.PREVENT_OFFICER, Role.CHANNEL_CHAIR, Role.OPERATOR):
        answer = await audit.http.get(reads, headers=audit.headers(role, subject="someone"))
        assert answer.status_code == 403, role
    assert (await audit.http.get(reads)).status_code == 401
    no_purpose = {"Authorization": audit.headers()["Authorization"]}
    assert (await audit.http.get(reads, headers=no_purpose)).status_code == 400
    unknown = f"{audit.url}/v1/cases/PRV-2000-999999/reads"
    assert (await audit.http.get(unknown, headers=audit.headers())).status_code == 404
    bad = await audit.http.get(f"{reads}?limit=0", headers=audit.headers())
    assert bad.status_code == 422
    async with audit.pool.acquire() as conn:
        logged = await conn.fetchval(
            "SELECT count(*) FROM audit.access_log WHERE service = 'audit' AND fields = '{reads}'"
        )
    assert logged == 0  # nothing refused was read, so nothing was logged


async def test_the_reads_route_is_documented(audit: Audit) -> None:
    schema = (await audit.http.get(f"{audit.url}/openapi.json")).json()
    route = schema["paths"]["/v1/cases/{reference}/reads"]["get"]
    assert {"200", "400", "401", "403", "404", "422"} <= set(route["responses"])
    names = {p["name"] for p in route["parameters"]}
    assert {"reference", "limit", "offset", "x-purpose"} <= names
    item = schema["components"]["schemas"]["CaseRead"]["properties"]
    assert {"at", "subject", "role", "service", "fields", "purpose"} <= set(item)


async def test_each_read_is_provably_in_the_signed_log(audit: Audit) -> None:
    """The reads list names each read's entry in the audit log; the log proves that entry is
    in the tree a signed checkpoint commits to, checkable with the verifier key alone."""
    reference, _ = await audit.open_case()
    await assert_eventually(lambda: _known(audit, reference))
    await _officer_reads(audit, reference, ["gateway assessment"])
    reads = f"{audit.url}/v1/cases/{reference}/reads"

    async def numbered() -> dict[str, Any] | None:
        items = (await audit.http.get(reads, headers=audit.headers())).json()["items"]
        officer = [r for r in items if r["subject"] == "officer-17"][0]
        return officer if officer["entry"] is not None else None

    read = await assert_eventually(numbered)
    assert read is not None

    async def proof() -> dict[str, Any] | None:
        answer = await audit.http.get(
            f"{audit.url}/v1/log/entries/{read['entry']}/proof", headers=audit.headers()
        )
        if answer.status_code == 409:
            assert answer.headers["retry-after"]
            return None
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    proven = await assert_eventually(proof)
    assert proven is not None
    # The entry holds a digest of the purpose, never its text (it outlives the case).
    assert proven["entry"]["actor"] == "officer-17"
    assert set(proven["entry"]["detail"]) == {"fields", "purpose_digest"}
    key = (await audit.http.get(f"{audit.url}/v1/log/key", headers=audit.headers())).json()
    said = proofcheck.check_inclusion(proven, proofcheck.VerifierKey.parse(key["key"]))
    assert said.startswith(f"entry {read['entry']} is in the log")

    unknown = await audit.http.get(
        f"{audit.url}/v1/log/entries/999999/proof", headers=audit.headers()
    )
    assert unknown.status_code == 404
    officer = audit.headers(role=Role.PREVENT_OFFICER, subject="officer-17")
    refused = await audit.http.get(f"{audit.url}/v1/log/entries/0/proof", headers=officer)
    assert refused.status_code == 403


async def test_the_reads_command_lists_who_read_a_case(
    audit: Audit, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference, _ = await audit.open_case()
    await assert_eventually(lambda: _known(audit, reference))
    await _officer_reads(audit, reference, ["gateway assessment"])
    monkeypatch.setenv("SAFEGUARD_DATABASE_URL", settings.database_dsn())
    monkeypatch.setenv("SAFEGUARD_STAFF_JWKS", json.dumps(public_key_set(audit.key)))
    get_settings.cache_clear()
    try:
        token = audit.headers()["Authorization"].removeprefix("Bearer ")
        args = ["audit", "reads", reference.lower(), "--token", token, "--purpose", "oversight"]
        result = await asyncio.to_thread(CliRunner().invoke, app, args)
        again = await asyncio.to_thread(CliRunner().invoke, app, args)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert (
        "officer-17 (prevent_officer) via assessment: case, police_only \u2014 gateway assessment"
        in result.output
    )
    # The command's own read is logged, and shows from the next read on.
    assert "auditor-1 (auditor) via audit-cli: reads \u2014 oversight" in again.output
