"""A retried POST returns the first answer; concurrent duplicates make one referral and one case."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
from temporalio.client import Client

from tests.intake.clients import register_client
from tests.intake.conftest import Intake
from tests.intake.forms import school_form
from workflows.referral.workflows import workflow_id_for


async def _post(
    intake: Intake, form: dict[str, Any], *, key: str | None, headers: dict[str, str]
) -> httpx.Response:
    extra = {"Idempotency-Key": key} if key else {}
    return await intake.http.post("/v1/referrals", json=form, headers=headers | extra)


async def _workflow_count(client: Client, reference: str) -> int:
    found = [w async for w in client.list_workflows(f"WorkflowId = '{workflow_id_for(reference)}'")]
    return len(found)


async def test_same_key_and_body_returns_the_first_answer(
    intake: Intake, temporal_client: Client
) -> None:
    key = str(uuid.uuid4())
    first = await _post(intake, school_form(), key=key, headers=intake.agency_a)
    again = await _post(intake, school_form(), key=key, headers=intake.agency_a)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.headers["location"] == first.headers["location"]
    assert await intake.count() == 1
    await intake.started(first.json()["reference"])
    assert await _workflow_count(temporal_client, first.json()["reference"]) == 1


async def test_same_key_with_another_body_is_refused(intake: Intake) -> None:
    key = str(uuid.uuid4())
    first = await _post(intake, school_form(), key=key, headers=intake.agency_a)
    assert first.status_code == 201
    changed = await _post(
        intake, school_form(given_names="Someone else"), key=key, headers=intake.agency_a
    )
    assert changed.status_code == 422
    assert changed.headers["content-type"] == "application/problem+json"
    assert changed.json()["title"] == "Idempotency key reused"
    assert await intake.count() == 1


async def test_key_order_and_spacing_do_not_make_another_body(intake: Intake) -> None:
    key = str(uuid.uuid4())
    form = school_form()
    reordered = dict(reversed(list(form.items())))
    reordered["person"] = dict(form["person"], given_names=f"  {form['person']['given_names']} ")
    first = await _post(intake, form, key=key, headers=intake.agency_a)
    again = await _post(intake, reordered, key=key, headers=intake.agency_a)
    assert again.status_code == 201 and again.json() == first.json()


async def test_without_a_key_an_identical_body_is_a_retry(intake: Intake) -> None:
    first = await _post(intake, school_form(), key=None, headers=intake.agency_a)
    again = await _post(intake, school_form(), key=None, headers=intake.agency_a)
    other = await _post(intake, school_form(given_names="Robin"), key=None, headers=intake.agency_a)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert other.json()["reference"] != first.json()["reference"]
    assert await intake.count() == 2


async def test_keys_belong_to_their_client(intake: Intake) -> None:
    agency_b = await register_client(intake.pool, "agency-b")
    key = "shared-key"
    mine = await _post(intake, school_form(), key=key, headers=intake.agency_a)
    theirs = await _post(intake, school_form(), key=key, headers=agency_b)
    assert mine.json()["reference"] != theirs.json()["reference"]
    assert "idempotent-replayed" not in theirs.headers


async def test_concurrent_duplicates_make_one_referral_and_one_workflow(
    intake: Intake, temporal_client: Client
) -> None:
    key = str(uuid.uuid4())
    answers = await asyncio.gather(
        *(_post(intake, school_form(), key=key, headers=intake.agency_a) for _ in range(20))
    )
    assert {a.status_code for a in answers} == {201}
    references = {a.json()["reference"] for a in answers}
    assert len(references) == 1
    assert sum(1 for a in answers if "idempotent-replayed" not in a.headers) == 1
    assert await intake.count() == 1
    reference = references.pop()
    await intake.started(reference)
    assert await _workflow_count(temporal_client, reference) == 1


async def test_concurrent_distinct_referrals_get_distinct_references(intake: Intake) -> None:
    answers = await asyncio.gather(
        *(
            _post(intake, school_form(given_names=f"Person{n}"), key=None, headers=intake.agency_a)
            for n in range(20)
        )
    )
    assert len({a.json()["reference"] for a in answers}) == 20
    assert await intake.count() == 20


async def test_the_documented_key_is_a_placeholder_no_one_can_send(intake: Intake) -> None:
    """A client that copied the OpenAPI's example key (once a fixed UUID) had every referral
    after its first refused; the example is now refused at once, and says what to send."""
    openapi = (await intake.http.get("/openapi.json")).json()
    header = next(
        p
        for p in openapi["paths"]["/v1/referrals"]["post"]["parameters"]
        if p["name"] == "Idempotency-Key"
    )
    shown = [example["value"] for example in header["examples"].values()]
    assert shown and "UUID" in header["description"]
    for example in shown:
        answer = await _post(intake, school_form(), key=example, headers=intake.agency_a)
        assert answer.status_code == 422, answer.text
        fields = [e["field"] for e in answer.json()["errors"]]
        assert fields == ["header.Idempotency-Key"], fields
    assert await intake.count() == 0
