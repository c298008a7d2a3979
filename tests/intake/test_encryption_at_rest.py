"""Personal data at rest: nothing readable in PostgreSQL's files, erasure by key, rotation.

The scan writes referrals whose every personal field carries a unique marker, forces the data
out of memory into the table files and the WAL (CHECKPOINT, pg_switch_wal) and reads every file
of the cluster's data directory: no marker may appear in any of them.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from temporalio.client import Client

from safeguard.auth.service_identity import ServiceClient
from safeguard.codes import Stage
from safeguard.db.pool import Pool
from safeguard.events.contracts import CaseRedacted
from safeguard.fieldcrypt.keyring import context_of
from safeguard.fieldcrypt.keys import KeyDestroyedError
from safeguard.fieldcrypt.setup import field_crypto
from safeguard.settings import Settings
from safeguard.stack import Stack
from services.intake import store
from services.intake.app import create_app
from services.intake.events import handle_event
from services.intake.form import ReferralCreate
from services.intake.linking import match_text
from services.intake.sealed import open_form
from services.intake.starter import StartTiming
from tests.at_rest import files_holding, flush_to_disk, marker
from tests.intake.clients import register_client
from tests.intake.conftest import Intake
from tests.intake.forms import school_form
from tests.servers import serve
from tests.service_auth import service_headers


def _marked_form() -> tuple[dict[str, Any], list[str]]:
    """A school referral whose every personal field holds a marker of its own."""
    marks = [marker() for _ in range(11)]
    form = school_form(given_names=marks[0], family_name=marks[1])
    form["person"]["address"] = {"line_1": f"1 {marks[2]} Street", "town": marks[3]}
    form["person"]["school_or_occupation"] = f"{marks[4]} Academy"
    form["referrer"] |= {"name": f"Alex {marks[5]}", "email": f"{marks[6]}@school.example.org"}
    form["household_members"][0] |= {"given_names": marks[7], "family_name": marks[8]}
    form["concern"] |= {"description": f"Said {marks[9]} in class.", "online_activity": marks[10]}
    return form, marks


async def _submit(http: httpx.AsyncClient, headers: dict[str, str], form: dict[str, Any]) -> str:
    answer = await http.post("/v1/referrals", json=form, headers=headers)
    assert answer.status_code == 201, answer.text
    reference: str = answer.json()["reference"]
    return reference


async def _id_of(pool: Pool, reference: str) -> UUID:
    async with pool.acquire() as conn:
        referral_id: UUID = await conn.fetchval(
            "SELECT id FROM intake.referrals WHERE reference = $1", reference
        )
    return referral_id


async def test_no_marker_is_found_in_the_database_files(
    intake: Intake, stack: Stack, settings: Settings
) -> None:
    agency_b = await register_client(intake.pool, "agency-b", area="E08000025")
    first, marks = _marked_form()
    second, more = _marked_form()
    again = copy.deepcopy(first)  # the same person, the name written differently
    again["person"]["given_names"] = f"{marks[0].upper()} Lee"
    references = [
        await _submit(intake.http, intake.agency_a, first),
        await _submit(intake.http, intake.agency_a, second),
        await _submit(intake.http, agency_b, again),
    ]
    ids = [await _id_of(intake.pool, reference) for reference in references]
    # The service still reads every field, and still links the re-referral.
    async with field_crypto(settings, service=store.SERVICE) as fields:
        async with intake.pool.acquire() as conn:
            row = await store.referral_row(conn, referral_id=ids[0])
            assert row is not None
            assert await open_form(conn, fields.keyring, row) == _as_stored(first)
            linked = await store.linked_rows(conn, referral_id=ids[2])
    assert [link["referral_id"] for link in linked] == [ids[0]]
    # A marker written in plain text on purpose shows that the scan sees this test's data.
    control = marker()
    async with intake.pool.acquire() as conn:
        await conn.execute(
            "UPDATE intake.agencies SET name = $1 WHERE client_id = 'agency-b'", control
        )
    await flush_to_disk(intake.pool)
    needles = [*marks, *more, control]
    needles += [m.lower() for m in marks[:2]]  # as the old person key normalised them
    found = await files_holding(stack, needles)
    assert control in found, "the scan did not see the data this test wrote"
    assert set(found) == {control}, f"personal data in plain text: {found}"


def _as_stored(form: dict[str, Any]) -> dict[str, Any]:
    """The form as intake keeps it: every field of the model, defaults included."""
    stored: dict[str, Any] = ReferralCreate.model_validate(form).model_dump(mode="json")
    return stored


@pytest.fixture
def own_settings(settings: Settings, tmp_path: Path) -> Settings:
    """This test's settings with a data dir of its own, so its key file is its own to rotate."""
    return settings.model_copy(update={"data_dir": tmp_path / "data"})


@asynccontextmanager
async def _intake(settings: Settings, temporal: Client, pool: Pool) -> AsyncIterator[Intake]:
    app = create_app(settings, temporal=temporal, timing=StartTiming(poll_seconds=0.2))
    headers = await register_client(pool, f"agency-{uuid.uuid4().hex[:6]}")
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        yield Intake(url=url, http=http, pool=pool, agency_a=headers)


async def test_erasure_destroys_the_data_key(
    own_settings: Settings, temporal_client: Client, pool: Pool
) -> None:
    async with _intake(own_settings, temporal_client, pool) as intake:
        reference = await _submit(intake.http, intake.agency_a, school_form())
    referral_id = await _id_of(pool, reference)
    async with pool.acquire() as conn:
        # What a backup taken now would hold: the sealed form and its wrapped key.
        sealed = await conn.fetchval(
            "SELECT form_sealed FROM intake.referrals WHERE id = $1", referral_id
        )
        wrapped = await conn.fetchval(
            "SELECT wrapped FROM keyring.data_keys WHERE owner = $1", referral_id
        )
        redacted = CaseRedacted(
            referral_id=referral_id, reference=reference, stage=Stage.CLOSED, area="E08000003"
        )
        envelope = redacted.envelope(event_id=uuid.uuid4(), source="/tests", time=datetime.now(UTC))
        async with conn.transaction():
            await handle_event(conn, envelope)
        row = await conn.fetchrow("SELECT * FROM intake.referrals WHERE id = $1", referral_id)
        key_row = await conn.fetchrow(
            "SELECT * FROM keyring.data_keys WHERE owner = $1", referral_id
        )
    assert row is not None and row["form_sealed"] is None and row["person_key"] is None
    assert key_row is not None and key_row["wrapped"] is None and key_row["destroyed_at"]
    # The next rotation retires the KEK version that wrapped it: the backup opens no more.
    code, out = await _safeguard(own_settings, "keys", "rotate", "--retire")
    assert code == 0, out
    async with field_crypto(own_settings, service=store.SERVICE) as fields:
        with pytest.raises(KeyDestroyedError):
            await fields.keyring.provider.unwrap(
                wrapped, context=context_of(store.SERVICE, referral_id)
            )
    assert sealed and wrapped.startswith("local:v1:")


async def test_rotation_rewraps_keys_and_leaves_the_forms_alone(
    own_settings: Settings, temporal_client: Client, pool: Pool
) -> None:
    async with _intake(own_settings, temporal_client, pool) as intake:
        references = [
            await _submit(intake.http, intake.agency_a, school_form(given_names=name))
            for name in ("Sam", "Ali")
        ]
        before = await _sealed_and_wrapped(pool)
        code, out = await _safeguard(own_settings, "keys", "rotate", "--retire")
        assert code == 0, out
        assert "KEK version 2: 2 data key(s) re-wrapped" in out
        assert "KEK versions below 2 destroyed" in out
        after = await _sealed_and_wrapped(pool)
        # The running service opens the forms through the re-wrapped keys.
        ids = [await _id_of(pool, reference) for reference in references]
        notifications = service_headers(own_settings, ServiceClient.NOTIFICATIONS)
        contacts = [
            await intake.http.get(f"/internal/v1/referrals/{i}/contacts", headers=notifications)
            for i in ids
        ]
    assert [a.status_code for a in contacts] == [200, 200], contacts[0].text
    assert [s for s, _ in after] == [s for s, _ in before], "no form was re-encrypted"
    assert all(w.startswith("local:v2:") for _, w in after)
    code, out = await _safeguard(own_settings, "keys", "status")
    assert "newest KEK version: 2" in out and "v2: 2 data key(s)" in out


async def test_forms_stored_before_encryption_are_sealed_and_still_linked(
    own_settings: Settings, temporal_client: Client, pool: Pool
) -> None:
    """A referral written in plain text by the previous version, as the migration left it."""
    legacy_id = uuid.uuid4()
    form = _as_stored(school_form(given_names="Robin", family_name="Hale"))
    plain_key = hashlib.sha256(
        match_text(
            given_names="Robin", family_name="Hale", date_of_birth=date(2010, 3, 14)
        ).encode()
    ).digest()
    async with pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO intake.referrals (id, reference, received_at, sector, concern_type,"
            " form, workflow_id, workflow_started_at, person_key)"
            " VALUES ($1, 'PRV-2020-000001', now(), 'education', 'other', $2, 'legacy', now(), $3)",
            legacy_id,
            form,
            plain_key,
        )
    async with _intake(own_settings, temporal_client, pool) as intake:
        reference = await _submit(
            intake.http, intake.agency_a, school_form(given_names="Robin", family_name="Hale")
        )
        async with pool.acquire() as conn:
            row = await conn.fetchrow("SELECT * FROM intake.referrals WHERE id = $1", legacy_id)
            linked = await store.linked_rows(conn, referral_id=await _id_of(pool, reference))
    assert row is not None and row["form"] is None and row["form_sealed"] is not None
    assert row["person_key"] != plain_key
    assert [link["referral_id"] for link in linked] == [legacy_id]


async def _sealed_and_wrapped(pool: Pool) -> list[tuple[bytes, str]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT r.form_sealed, k.wrapped FROM intake.referrals r"
            " JOIN keyring.data_keys k ON k.owner = r.id ORDER BY r.reference"
        )
    return [(row["form_sealed"], row["wrapped"]) for row in rows]


async def _safeguard(settings: Settings, *args: str) -> tuple[int, str]:
    """The CLI as an operator runs it, against this test's database and key file."""
    process = await asyncio.create_subprocess_exec(
        os.path.join(os.path.dirname(sys.executable), "safeguard"),
        *args,
        env=os.environ
        | {
            "SAFEGUARD_DATABASE_URL": str(settings.database_url),
            "SAFEGUARD_DATA_DIR": str(settings.data_dir),
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode()
