"""Chairs, panel members and providers attach and read within what they may see."""

from __future__ import annotations

from typing import Any

import httpx

from safeguard.codes import Role
from tests.attachments.files import form, pdf
from tests.panel.conftest import Pipeline
from tests.panel.driver import OTHER_AREA


async def _in_support(system: Pipeline) -> str:
    """A case on a meeting's agenda whose plan gives mentor-a an item."""
    d = system.driver
    reference = await system.refer()
    await d.wait_for_stage(reference, "CONSENT_PENDING")
    await d.request_consent(reference)
    await d.give_consent(reference, headers=system.staff.guardian(reference))
    await d.wait_for_stage(reference, "PANEL_CONSIDERATION")
    meeting = await d.meeting(reference)
    await d.adopt(reference, meeting, "mentor-a")
    await d.wait_for_stage(reference, "SUPPORT_ACTIVE")
    return reference


async def _upload(
    system: Pipeline, reference: str, headers: dict[str, str], **extra: Any
) -> httpx.Response:
    return await system.driver.call(
        "POST", f"/v1/cases/{reference}/attachments", headers=headers, **form(pdf(), **extra)
    )


async def _listed(system: Pipeline, reference: str, headers: dict[str, str]) -> list[str]:
    answer = await system.driver.call("GET", f"/v1/cases/{reference}/attachments", headers=headers)
    assert answer.status_code == 200, answer.text
    return [a["id"] for a in answer.json()]


async def test_panel_roles_attach_and_read_within_what_they_see(system: Pipeline) -> None:
    reference = await _in_support(system)
    staff = system.staff
    chair, member, mentor = staff.chair(), staff.member("school-9"), staff.provider("mentor-a")
    made = {}
    for name, headers in {"chair": chair, "member": member, "provider": mentor}.items():
        answer = await _upload(system, reference, headers, document_type="minutes")
        assert answer.status_code == 201, f"{name}: {answer.text}"
        made[name] = answer.json()["id"]

    # Chairs and members see every document of the case; a provider only its own.
    assert await _listed(system, reference, chair) == list(made.values())
    assert await _listed(system, reference, member) == list(made.values())
    assert await _listed(system, reference, staff.auditor()) == list(made.values())
    assert await _listed(system, reference, mentor) == [made["provider"]]
    url = f"/v1/cases/{reference}/attachments"
    for headers in (chair, member, mentor):
        got = await system.driver.call("GET", f"{url}/{made['provider']}", headers=headers)
        assert got.status_code == 200 and got.content == pdf()
        assert got.headers["x-content-type-options"] == "nosniff"
    hidden = await system.driver.call("GET", f"{url}/{made['chair']}", headers=mentor)
    assert hidden.status_code == 404

    # Whoever may not see the case: another area's chair, a member not on its panel, a provider
    # without an item in its plan; and the roles refused outright.
    unseen = (
        staff.chair(areas=(OTHER_AREA,)),
        staff.member("outsider-1"),
        staff.provider("mentor-z"),
    )
    for headers in unseen:
        assert (await _upload(system, reference, headers)).status_code == 404
        listed = await system.driver.call("GET", url, headers=headers)
        assert listed.status_code == 404
        got = await system.driver.call("GET", f"{url}/{made['chair']}", headers=headers)
        assert got.status_code == 404
    refused = (staff.officer(), staff.guardian(reference), staff.headers(Role.OPERATOR))
    for headers in refused:
        assert (await _upload(system, reference, headers)).status_code == 403
        assert (await system.driver.call("GET", url, headers=headers)).status_code == 403
    assert (await _upload(system, reference, staff.auditor())).status_code == 403


async def test_police_only_documents_stay_with_the_police(system: Pipeline) -> None:
    reference = await _in_support(system)
    staff = system.staff
    answer = await _upload(system, reference, staff.chair())
    made = answer.json()["id"]
    # Chairs may not mark a document police-only: only the police may (through assessment).
    marked = await _upload(system, reference, staff.chair(), police_only=True)
    assert marked.status_code == 403
    async with system.pool.acquire() as conn:
        await conn.execute("UPDATE attachments.attachments SET police_only = true")
    police_auditor = staff.headers(Role.AUDITOR, "auditor-2", areas=(), agency="police")
    assert await _listed(system, reference, staff.chair()) == []
    assert await _listed(system, reference, staff.member("school-9")) == []
    assert await _listed(system, reference, staff.auditor()) == []
    assert await _listed(system, reference, police_auditor) == [made]
    url = f"/v1/cases/{reference}/attachments/{made}"
    assert (await system.driver.call("GET", url, headers=staff.chair())).status_code == 404
    assert (await system.driver.call("GET", url, headers=police_auditor)).status_code == 200
