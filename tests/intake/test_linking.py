"""A re-referral of the same person is linked to the earlier one, and the workflow carries it."""

from __future__ import annotations

import datetime as dt
import hashlib
import os

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from safeguard.fieldcrypt.blind_index import BlindIndex
from services.intake.linking import match_text, normalise_name, person_key
from tests.intake.clients import register_client
from tests.intake.conftest import Intake
from tests.intake.forms import school_form
from workflows.referral.models import ReferralWorkflowInput
from workflows.referral.workflows import workflow_id_for


def test_names_are_normalised() -> None:
    assert normalise_name("  O'Brien-Smith ") == normalise_name("obrien smith")
    assert normalise_name("Zoë") == normalise_name("ZOE")
    born = dt.date(2010, 3, 14)
    index = BlindIndex(os.urandom(32))
    same = person_key(index, given_names="Sam James", family_name="Whitfield", date_of_birth=born)
    assert same == person_key(index, given_names="sam", family_name="WHITFIELD", date_of_birth=born)
    assert same != person_key(
        index, given_names="Sam", family_name="Whitfield", date_of_birth=born.replace(day=15)
    )


def test_the_person_key_is_keyed() -> None:
    """Whoever holds the database but not the blind-index key cannot recompute the key."""
    born = dt.date(2010, 3, 14)

    def key(index: BlindIndex) -> bytes:
        return person_key(index, given_names="Sam", family_name="Whitfield", date_of_birth=born)

    index = BlindIndex(os.urandom(32))
    assert key(index) == key(index) != key(BlindIndex(os.urandom(32)))
    plain = match_text(given_names="Sam", family_name="Whitfield", date_of_birth=born)
    assert key(index) != hashlib.sha256(plain.encode()).digest()


async def _input_of(client: Client, reference: str) -> ReferralWorkflowInput:
    history = await client.get_workflow_handle(workflow_id_for(reference)).fetch_history()
    started = next(
        e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED
    )
    payloads = started.workflow_execution_started_event_attributes.input.payloads
    [decoded] = await client.data_converter.decode(payloads, [ReferralWorkflowInput])
    assert isinstance(decoded, ReferralWorkflowInput)
    return decoded


async def _submit(intake: Intake, headers: dict[str, str], **person: str) -> str:
    answer = await intake.http.post("/v1/referrals", json=school_form(**person), headers=headers)
    assert answer.status_code == 201, answer.text
    reference: str = answer.json()["reference"]
    await intake.started(reference)
    return reference


async def test_re_referrals_are_linked_across_agencies(
    intake: Intake, temporal_client: Client
) -> None:
    agency_b = await register_client(intake.pool, "agency-b", area="E08000025")
    first = await _submit(intake, intake.agency_a, given_names="Sam", family_name="Whitfield")
    second = await _submit(intake, agency_b, given_names="SAM Lee", family_name="whitfield ")
    stranger = await _submit(intake, agency_b, given_names="Sam", family_name="Whitfield-Jones")

    first_input = await _input_of(temporal_client, first)
    second_input = await _input_of(temporal_client, second)
    assert first_input.linked_referral_ids == []
    assert second_input.linked_referral_ids == [first_input.referral_id]
    assert (await _input_of(temporal_client, stranger)).linked_referral_ids == []
    # The area is the form's if given, else the submitting agency's.
    assert first_input.area == "E08000003"
    assert (await _input_of(temporal_client, stranger)).area == "E08000003"
    assert second_input.date_of_birth == dt.date(2010, 3, 14)
    assert second_input.sector == "education" and second_input.concern_type


async def test_area_falls_back_to_the_agency(intake: Intake, temporal_client: Client) -> None:
    agency_b = await register_client(intake.pool, "agency-b", area="E08000025")
    form = school_form()
    del form["area"]
    answer = await intake.http.post("/v1/referrals", json=form, headers=agency_b)
    await intake.started(answer.json()["reference"])
    assert (await _input_of(temporal_client, answer.json()["reference"])).area == "E08000025"


async def test_the_millionth_referral_of_a_year_keeps_every_digit(
    intake: Intake, temporal_client: Client
) -> None:
    """References are made in SQL (migration 0034): past six digits the serial grows rather
    than being cut to six, and the workflow's id still follows the reference."""
    year = dt.datetime.now(dt.UTC).year
    async with intake.pool.acquire() as conn:
        await conn.execute(
            "INSERT INTO intake.reference_counters (year, last_serial) VALUES ($1, 999999)"
            " ON CONFLICT (year) DO UPDATE SET last_serial = 999999",
            year,
        )
    reference = await _submit(intake, intake.agency_a)
    assert reference == f"PRV-{year}-1000000"
    assert (await _input_of(temporal_client, reference)).reference == reference
