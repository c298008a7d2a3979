"""Claiming, assigning and releasing tasks, with optimistic concurrency."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from safeguard.codes import ClosureReason, Role, Stage
from safeguard.events import contracts as ev
from tests.assessment.conftest import AREA, OTHER_AREA, ReadModel, project


async def _task(model: ReadModel, *, area: str = AREA) -> tuple[str, dict[str, Any]]:
    """Project one new referral; return its task id and the event's case ids."""
    ids: dict[str, Any] = {
        "referral_id": uuid.uuid4(),
        "reference": f"PRV-2026-8{uuid.uuid4().int % 100_000:05d}",
        "stage": Stage.GATEWAY_ASSESSMENT,
        "area": area,
    }
    await project(
        model.pool,
        ev.ReferralSubmitted(
            **ids,
            sector="health",
            concern_type="islamist",
            assessment_due_at=datetime.now(UTC) + timedelta(days=5),
        ),
    )
    async with model.pool.acquire() as conn:
        task_id = await conn.fetchval(
            "SELECT id FROM assessment.tasks WHERE referral_id = $1", ids["referral_id"]
        )
    return str(task_id), ids


async def _post(
    model: ReadModel, task_id: str, action: str, headers: dict[str, str], **kwargs: Any
) -> Any:
    return await model.http.post(f"/v1/tasks/{task_id}/{action}", headers=headers, **kwargs)


async def test_claim_then_a_second_claim_conflicts(read_model: ReadModel) -> None:
    task_id, _ = await _task(read_model)
    mine, theirs = read_model.staff.officer("officer-1"), read_model.staff.officer("officer-2")

    claimed = await _post(read_model, task_id, "claim", mine)
    assert claimed.status_code == 200
    assert claimed.json()["assignee"] == "officer-1"
    assert claimed.headers["etag"] == f'"{claimed.json()["version"]}"'
    again = await _post(read_model, task_id, "claim", mine)
    assert again.status_code == 200 and again.json()["version"] == claimed.json()["version"]

    conflict = await _post(read_model, task_id, "claim", theirs)
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"
    assert conflict.json()["assignee"] == "officer-1"


async def test_concurrent_claims_give_the_task_to_exactly_one(read_model: ReadModel) -> None:
    task_id, _ = await _task(read_model)
    officers = [read_model.staff.officer(f"officer-{n}") for n in range(8)]
    answers = await asyncio.gather(*(_post(read_model, task_id, "claim", o) for o in officers))
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [200] + [409] * 7
    winner = next(a.json()["assignee"] for a in answers if a.status_code == 200)
    async with read_model.pool.acquire() as conn:
        held = await conn.fetchval("SELECT assignee FROM assessment.tasks WHERE id = $1", task_id)
        history = await conn.fetch("SELECT action, actor FROM assessment.task_history")
    assert held == winner
    assert [(h["action"], h["actor"]) for h in history] == [("claim", winner)]


async def _signs_in(model: ReadModel, subject: str, area: str = AREA) -> None:
    """An officer uses the service once (their inbox): the service knows them from then on."""
    headers = model.staff.headers(Role.PREVENT_OFFICER, subject, areas=(area,))
    assert (await model.http.get("/v1/tasks", headers=headers)).status_code == 200


async def test_assign_needs_a_current_if_match(read_model: ReadModel) -> None:
    task_id, _ = await _task(read_model)
    for subject in ("officer-5", "officer-6"):
        await _signs_in(read_model, subject)
    boss = read_model.staff.officer("officer-sgt")
    read = await read_model.http.get(f"/v1/tasks/{task_id}", headers=boss)
    etag = read.headers["etag"]
    body = {"assignee": "officer-5"}

    blind = await _post(read_model, task_id, "assign", boss, json=body)
    assert blind.status_code == 428
    assigned = await _post(read_model, task_id, "assign", boss | {"If-Match": etag}, json=body)
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["assignee"] == "officer-5"

    stale = await _post(
        read_model, task_id, "assign", boss | {"If-Match": etag}, json={"assignee": "officer-6"}
    )
    assert stale.status_code == 412
    assert stale.json()["version"] == assigned.json()["version"]
    assert stale.json()["assignee"] == "officer-5"
    malformed = await _post(read_model, task_id, "assign", boss | {"If-Match": "x"}, json=body)
    assert malformed.status_code == 400


async def test_release_is_for_the_holder_or_a_deliberate_override(read_model: ReadModel) -> None:
    task_id, _ = await _task(read_model)
    holder, other = read_model.staff.officer("officer-1"), read_model.staff.officer("officer-2")
    claimed = (await _post(read_model, task_id, "claim", holder)).json()

    refused = await _post(read_model, task_id, "release", other)
    assert refused.status_code == 409
    overridden = await _post(
        read_model, task_id, "release", other | {"If-Match": f'"{claimed["version"]}"'}
    )
    assert overridden.status_code == 200 and overridden.json()["assignee"] is None

    claimed = (await _post(read_model, task_id, "claim", holder)).json()
    released = await _post(read_model, task_id, "release", holder)
    assert released.status_code == 200 and released.json()["assignee"] is None
    now_free = await _post(read_model, task_id, "claim", other)
    assert now_free.status_code == 200
    async with read_model.pool.acquire() as conn:
        history = await conn.fetch(
            "SELECT action, actor, assignee FROM assessment.task_history ORDER BY id"
        )
    assert [tuple(h.values()) for h in history] == [
        ("claim", "officer-1", "officer-1"),
        ("release", "officer-2", None),
        ("claim", "officer-1", "officer-1"),
        ("release", "officer-1", None),
        ("claim", "officer-2", "officer-2"),
    ]


async def test_closed_and_foreign_tasks_cannot_be_taken(read_model: ReadModel) -> None:
    task_id, ids = await _task(read_model)
    officer = read_model.staff.officer()
    await project(
        read_model.pool,
        ev.CaseClosed(
            **(ids | {"stage": Stage.CLOSED}),
            reason=ClosureReason.NO_FURTHER_ACTION,
            retain_until=datetime.now(UTC) + timedelta(days=1000),
        ),
        at=datetime.now(UTC) + timedelta(seconds=1),
    )
    closed = await _post(read_model, task_id, "claim", officer)
    assert closed.status_code == 409
    assert closed.json()["task_status"] == "cancelled"

    foreign_id, _ = await _task(read_model, area=OTHER_AREA)
    unknown = await _post(read_model, foreign_id, "claim", officer)
    assert unknown.status_code == 404
    nothing = await _post(read_model, str(uuid.uuid4()), "claim", officer)
    assert nothing.status_code == 404
    assert unknown.json()["title"] == nothing.json()["title"]


async def test_a_task_goes_only_to_a_known_officer_of_its_area(read_model: ReadModel) -> None:
    task_id, _ = await _task(read_model)
    boss = read_model.staff.officer("officer-sgt")
    await _signs_in(read_model, "officer-far", area=OTHER_AREA)

    for stranger in ("officer-never-seen", "officer-far"):
        etag = (await read_model.http.get(f"/v1/tasks/{task_id}", headers=boss)).headers["etag"]
        refused = await _post(
            read_model, task_id, "assign", boss | {"If-Match": etag}, json={"assignee": stranger}
        )
        assert refused.status_code == 422, (stranger, refused.text)
        assert refused.json()["title"] == "Unknown officer"

    await _signs_in(read_model, "officer-near")
    etag = (await read_model.http.get(f"/v1/tasks/{task_id}", headers=boss)).headers["etag"]
    given = await _post(
        read_model, task_id, "assign", boss | {"If-Match": etag}, json={"assignee": "officer-near"}
    )
    assert given.status_code == 200 and given.json()["assignee"] == "officer-near"


async def test_taking_over_another_officers_task_is_recorded(read_model: ReadModel) -> None:
    task_id, _ = await _task(read_model)
    holder, other = read_model.staff.officer("officer-1"), read_model.staff.officer("officer-2")
    claimed = (await _post(read_model, task_id, "claim", holder)).json()
    await _signs_in(read_model, "officer-2")

    taken = await _post(
        read_model,
        task_id,
        "assign",
        other | {"If-Match": f'"{claimed["version"]}"'},
        json={"assignee": "officer-2"},
    )
    assert taken.status_code == 200 and taken.json()["assignee"] == "officer-2"
    async with read_model.pool.acquire() as conn:
        history = await conn.fetch(
            "SELECT action, actor, assignee, previous FROM assessment.task_history ORDER BY id"
        )
    assert [tuple(h.values()) for h in history] == [
        ("claim", "officer-1", "officer-1", None),
        ("take_over", "officer-2", "officer-2", "officer-1"),
    ]
