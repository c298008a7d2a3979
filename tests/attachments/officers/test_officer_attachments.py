"""Officers attach to the cases of their areas, police-only if they choose; auditors read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx

from safeguard.codes import Role, Stage
from safeguard.events.contracts import InformationReceived, ReferralSubmitted
from tests.assessment.conftest import AREA, OTHER_AREA, ReadModel, project
from tests.attachments.files import form, pdf


async def _case(read_model: ReadModel) -> tuple[str, UUID]:
    referral_id = uuid4()
    reference = f"PRV-2026-{referral_id.int % 1_000_000:06d}"
    submitted = ReferralSubmitted(
        referral_id=referral_id,
        reference=reference,
        stage=Stage.GATEWAY_ASSESSMENT,
        area=AREA,
        sector="education",
        concern_type="extreme_right_wing",
        assessment_due_at=datetime.now(UTC) + timedelta(days=5),
    )
    await project(read_model.pool, submitted)
    return reference, referral_id


async def _upload(
    read_model: ReadModel, reference: str, headers: dict[str, str], **extra: Any
) -> httpx.Response:
    return await read_model.http.post(
        f"/v1/cases/{reference}/attachments", headers=headers, **form(pdf(), **extra)
    )


async def _listed(read_model: ReadModel, reference: str, headers: dict[str, str]) -> list[str]:
    answer = await read_model.http.get(f"/v1/cases/{reference}/attachments", headers=headers)
    assert answer.status_code == 200, answer.text
    return [a["id"] for a in answer.json()]


async def test_officers_attach_and_auditors_read(read_model: ReadModel) -> None:
    reference, referral_id = await _case(read_model)
    staff = read_model.staff
    officer = staff.officer()
    shared = await _upload(read_model, reference, officer)
    police = await _upload(read_model, reference, officer, police_only=True)
    assert shared.status_code == 201 and police.status_code == 201, police.text
    ids = [shared.json()["id"], police.json()["id"]]
    assert police.json()["police_only"] is True

    police_auditor = staff.headers(Role.AUDITOR, "auditor-2", areas=(), agency="police")
    assert await _listed(read_model, reference, officer) == ids
    assert await _listed(read_model, reference, police_auditor) == ids
    assert await _listed(read_model, reference, staff.headers(Role.AUDITOR, areas=())) == ids[:1]
    url = f"/v1/cases/{reference}/attachments"
    got = await read_model.http.get(f"{url}/{ids[1]}", headers=officer)
    assert got.status_code == 200 and got.content == pdf()
    assert got.headers["content-disposition"].startswith("attachment;")
    hidden = await read_model.http.get(f"{url}/{ids[1]}", headers=staff.headers(Role.AUDITOR))
    assert hidden.status_code == 404

    # Another area's officer, and the roles that never read cases here.
    elsewhere = staff.officer(areas=(OTHER_AREA,))
    assert (await _upload(read_model, reference, elsewhere)).status_code == 404
    assert (await read_model.http.get(url, headers=elsewhere)).status_code == 404
    assert (await read_model.http.get(f"{url}/{ids[0]}", headers=elsewhere)).status_code == 404
    for role in (Role.CHANNEL_CHAIR, Role.PANEL_MEMBER, Role.INTERVENTION_PROVIDER):
        headers = staff.headers(role)
        assert (await _upload(read_model, reference, headers)).status_code == 403
        assert (await read_model.http.get(url, headers=headers)).status_code == 403
    auditor = staff.headers(Role.AUDITOR)
    assert (await _upload(read_model, reference, auditor)).status_code == 403

    # Every list and download was logged with its purpose.
    async with read_model.pool.acquire() as conn:
        reads = await conn.fetch(
            "SELECT subject, fields FROM audit.access_log WHERE referral_id = $1", referral_id
        )
    assert ("officer-17", [f"attachments.{ids[1]}"]) in [(r[0], r[1]) for r in reads]


async def test_new_information_puts_a_task_in_the_officers_inbox(read_model: ReadModel) -> None:
    reference, referral_id = await _case(read_model)
    told = InformationReceived(
        referral_id=referral_id,
        reference=reference,
        stage=Stage.SUBMITTED,
        area=AREA,
        information_id=uuid4(),
        attachments=1,
    )
    await project(read_model.pool, told)
    answer = await read_model.http.get(
        "/v1/tasks", params={"kind": "new_information"}, headers=read_model.staff.officer()
    )
    assert answer.status_code == 200, answer.text
    [task] = answer.json()["items"]
    assert task["reference"] == reference and task["stage"] == "GATEWAY_ASSESSMENT"
