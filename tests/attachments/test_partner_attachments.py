"""A partner's documents and follow-up information, through the real intake service."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import httpx

from safeguard.codes import Stage
from safeguard.events.contracts import CaseRedacted
from safeguard.settings import Settings
from tests.attachments.conftest import TEST_MAX_BYTES, stored_objects
from tests.attachments.events import publish
from tests.attachments.files import SECRET_LINE, eicar, executable, form, pdf
from tests.helpers import assert_eventually
from tests.intake.clients import register_client
from tests.intake.conftest import Intake
from tests.intake.forms import school_form


async def _referral(intake: Intake) -> tuple[str, UUID]:
    answer = await intake.http.post("/v1/referrals", json=school_form(), headers=intake.agency_a)
    assert answer.status_code == 201, answer.text
    reference: str = answer.json()["reference"]
    async with intake.pool.acquire() as conn:
        referral_id: UUID = await conn.fetchval(
            "SELECT id FROM intake.referrals WHERE reference = $1", reference
        )
    return reference, referral_id


async def _attach(intake: Intake, reference: str, **upload: Any) -> httpx.Response:
    return await intake.http.post(
        f"/v1/referrals/{reference}/attachments", headers=intake.agency_a, **upload
    )


async def _rows(intake: Intake) -> int:
    return await intake.count("SELECT count(*) FROM attachments.attachments")


async def test_partner_uploads_lists_and_downloads_its_document(intake: Intake) -> None:
    reference, _ = await _referral(intake)
    content = pdf()
    answer = await _attach(intake, reference, **form(content))
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert made["media_type"] == "application/pdf" and made["size_bytes"] == len(content)
    assert made["document_type"] == "chronology" and made["uploaded_by"] == "agency-a"

    listed = await intake.http.get(
        f"/v1/referrals/{reference}/attachments", headers=intake.agency_a
    )
    assert [a["id"] for a in listed.json()] == [made["id"]]
    assert listed.json()[0]["title"] == "Chronology for Jordan Example"

    got = await intake.http.get(made["download_url"], headers=intake.agency_a)
    assert got.status_code == 200 and got.content == content
    assert got.headers["content-disposition"].startswith('attachment; filename="chronology.pdf"')
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-type"] == "application/pdf"
    # Every download is a logged read, naming the file.
    async with intake.pool.acquire() as conn:
        logged = await conn.fetchval(
            "SELECT count(*) FROM audit.access_log WHERE subject = 'agency-a' AND $1 = ANY(fields)",
            f"attachments.{made['id']}",
        )
    assert logged == 1


async def test_another_agency_can_neither_attach_nor_read(intake: Intake) -> None:
    reference, _ = await _referral(intake)
    made = (await _attach(intake, reference, **form(pdf()))).json()
    agency_b = await register_client(intake.pool, "agency-b")
    url = f"/v1/referrals/{reference}/attachments"
    refused = await intake.http.post(url, headers=agency_b, **form(pdf()))
    assert refused.status_code == 404 and refused.json()["title"] == "Unknown referral"
    assert (await intake.http.get(url, headers=agency_b)).status_code == 404
    assert (await intake.http.get(made["download_url"], headers=agency_b)).status_code == 404
    assert await _rows(intake) == 1


async def test_eicar_is_refused_and_never_stored(intake: Intake, objects_dir: Any) -> None:
    reference, _ = await _referral(intake)
    answer = await _attach(
        intake, reference, **form(eicar(), name="notes.txt", declared="text/plain")
    )
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["title"] == "Infected file" and "Eicar-Test-Signature" in problem["detail"]
    assert stored_objects(objects_dir) == [] and await _rows(intake) == 0


async def test_an_executable_named_pdf_is_refused(intake: Intake, objects_dir: Any) -> None:
    reference, _ = await _referral(intake)
    answer = await _attach(intake, reference, **form(executable(), name="report.pdf"))
    assert answer.status_code == 415, answer.text
    assert answer.json()["title"] == "File type not allowed"
    assert stored_objects(objects_dir) == [] and await _rows(intake) == 0


async def test_an_oversized_file_is_refused(intake: Intake, objects_dir: Any) -> None:
    reference, _ = await _referral(intake)
    big = pdf(b"x" * (TEST_MAX_BYTES + 1))
    answer = await _attach(intake, reference, **form(big))
    assert answer.status_code == 413, answer.text
    assert answer.json()["title"] == "Attachment too large"
    assert stored_objects(objects_dir) == [] and await _rows(intake) == 0


async def test_stored_bytes_hold_no_plain_text(intake: Intake, objects_dir: Any) -> None:
    reference, _ = await _referral(intake)
    name = "Jordan Example chronology.pdf"
    answer = await _attach(intake, reference, **form(pdf(), name=name))
    assert answer.status_code == 201
    [stored] = stored_objects(objects_dir)
    sealed = stored.read_bytes()
    assert SECRET_LINE not in sealed and b"Jordan" not in sealed
    assert stored.name == answer.json()["id"]  # the key is a random id, nothing personal
    async with intake.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM attachments.attachments")
    assert row is not None
    at_rest = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row.values())
    assert b"Jordan" not in at_rest and b"Chronology for" not in at_rest


async def test_information_is_idempotent_and_tells_the_case(intake: Intake) -> None:
    reference, referral_id = await _referral(intake)
    made = (await _attach(intake, reference, **form(pdf()))).json()
    body = {"text": "Jordan has since left the school.", "attachment_ids": [made["id"]]}
    headers = intake.agency_a | {"Idempotency-Key": str(uuid.uuid4())}
    url = f"/v1/referrals/{reference}/information"
    first = await intake.http.post(url, json=body, headers=headers)
    again = await intake.http.post(url, json=body, headers=headers)
    assert first.status_code == 201 and again.status_code == 201, first.text
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    other = await intake.http.post(url, json=body | {"text": "Other"}, headers=headers)
    assert other.status_code == 422 and other.json()["title"] == "Idempotency key reused"
    async with intake.pool.acquire() as conn:
        events = await conn.fetch(
            "SELECT payload FROM messaging.outbox"
            " WHERE payload->>'type' = 'referral.information_received'"
        )
        sealed = await conn.fetchval("SELECT text_sealed FROM intake.information")
    assert len(events) == 1 and b"Jordan" not in sealed
    data = events[0]["payload"]["data"]
    assert data["referral_id"] == str(referral_id) and data["attachments"] == 1
    assert "text" not in data  # ids and counts only
    # The partner's view of the case stays its minimal status.
    status = await intake.http.get(f"/v1/referrals/{reference}", headers=intake.agency_a)
    assert set(status.json()) == {"reference", "status", "queued", "received_at"}


async def test_information_names_only_own_uploads(intake: Intake) -> None:
    reference, _ = await _referral(intake)
    body = {"text": "More.", "attachment_ids": [str(uuid.uuid4())]}
    answer = await intake.http.post(
        f"/v1/referrals/{reference}/information", json=body, headers=intake.agency_a
    )
    assert answer.status_code == 422 and answer.json()["title"] == "Unknown attachments"


async def test_erasure_removes_objects_rows_and_key(
    intake: Intake, settings: Settings, objects_dir: Any
) -> None:
    reference, referral_id = await _referral(intake)
    for _ in range(2):
        assert (await _attach(intake, reference, **form(pdf()))).status_code == 201
    assert len(stored_objects(objects_dir)) == 2
    event = CaseRedacted(
        referral_id=referral_id, reference=reference, stage=Stage.REDACTED, area="E08000003"
    )
    await publish(settings, event)

    async def key() -> Any:
        async with intake.pool.acquire() as conn:
            return await conn.fetchrow(
                "SELECT wrapped, destroyed_at FROM keyring.data_keys"
                " WHERE service = 'attachments' AND owner = $1",
                referral_id,
            )

    destroyed = await assert_eventually(key, lambda row: row["wrapped"] is None, within=60)
    assert destroyed["destroyed_at"] is not None
    assert stored_objects(objects_dir) == [] and await _rows(intake) == 0
    erased = await intake.count("SELECT objects FROM attachments.erased")
    assert erased == 2
    # The closed, erased referral takes nothing more.
    assert (await _attach(intake, reference, **form(pdf()))).status_code == 409
