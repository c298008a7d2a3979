"""A NUL (or another control character) is a 422 problem in every service, wherever it enters.

PostgreSQL refuses NUL in text: before the guard, such strings reached the database and the
request failed with a 500. The requests go through the ASGI interface, as a server would pass
them on, so a header can hold what an HTTP client library would refuse to send.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from safeguard.settings import Settings
from services.intake.openapi import SCHOOL_REFERRAL
from tests.openapi.apps import AREA, served_in_process

CASE = "PRV-2026-000001"
# (where, method, path, extra headers, JSON body): each holds one control character.
Probe = tuple[str, str, str, dict[str, str], Any]
HEADER = ("header.x-purpose", "GET", "/health/live", {"X-Purpose": "audit\x00"}, None)
PROBES: dict[str, list[Probe]] = {
    "assessment": [
        ("path", "GET", "/v1/cases/PRV%00", {}, None),
        ("query.assignee", "GET", "/v1/tasks?assignee=officer%00", {}, None),
        ("header.x-purpose", "GET", "/v1/tasks", {"X-Purpose": "triage\x00"}, None),
        ("body.summary", "POST", f"/v1/cases/{CASE}/information", {}, {"summary": "a\u0000b"}),
    ],
    "panel": [
        ("path", "GET", "/v1/cases/%00", {}, None),
        ("query.area", "GET", "/v1/queue?area=E0%00", {}, None),
        ("header.x-purpose", "GET", "/v1/queue", {"X-Purpose": "panel\x01"}, None),
        ("body.name", "POST", "/v1/panels", {}, {"area": AREA, "name": "North\u0000"}),
    ],
    "audit": [
        ("path", "GET", "/v1/cases/PRV%00/timeline", {}, None),
        ("query.offset", "GET", f"/v1/cases/{CASE}/reads?offset=%00", {}, None),
        ("header.x-purpose", "GET", f"/v1/cases/{CASE}/reads", {"X-Purpose": "audit\x00"}, None),
    ],
    "notifications": [
        ("path", "GET", "/v1/notifications/%00", {}, None),
        ("query.template", "GET", "/v1/notifications?template=case%00", {}, None),
        ("header.x-purpose", "GET", "/v1/notifications", {"X-Purpose": "told\x00"}, None),
        (
            "body.address",
            "PUT",
            "/v1/directory/prevent_officers/s/email",
            {},
            {"address": "a\u0000@b.c"},
        ),
    ],
    "codec": [
        ("header.x-namespace", "POST", "/codec/decode", {"X-Namespace": "d\x00"}, {}),
        (
            "body.payloads.0.metadata.k",
            "POST",
            "/codec/decode",
            {},
            {"payloads": [{"metadata": {"k": "\u0000"}, "data": ""}]},
        ),
    ],
    "intake": [
        ("path", "GET", "/v1/referrals/PRV%00", {}, None),
        ("query.q", "GET", f"/v1/referrals/{CASE}?q=%1f", {}, None),
        ("header.idempotency-key", "POST", "/v1/referrals", {"Idempotency-Key": "k\x7f"}, {}),
        ("body.concern.description", "POST", "/v1/referrals", {}, "nul-in-description"),
    ],
}


def _body(body: Any) -> Any:
    if body != "nul-in-description":
        return body
    form = json.loads(json.dumps(SCHOOL_REFERRAL))
    form["concern"]["description"] = "Worrying posts\u0000 online."
    return form


@pytest.mark.parametrize("service", sorted(PROBES))
async def test_a_control_character_anywhere_is_a_422_problem(
    service: str, settings: Settings, temporal_client: Client, tmp_path: Path
) -> None:
    async with served_in_process(service, settings, temporal_client, tmp_path) as (http, caller):
        for where, method, path, headers, body in [*PROBES[service], HEADER]:
            answer = await http.request(method, path, headers=caller | headers, json=_body(body))
            assert answer.status_code == 422, (where, answer.status_code, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
            problem = answer.json()
            assert [e["field"] for e in problem["errors"]] == [where], problem
            assert "\x00" not in answer.text and "\\u0000" not in answer.text
