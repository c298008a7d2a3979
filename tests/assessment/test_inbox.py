"""The inbox: area scoping, filters, stable sorting and paging over projected events."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from safeguard.codes import GatewayOutcome, Role, Stage
from safeguard.events import contracts as ev
from tests.assessment.conftest import AREA, OTHER_AREA, ReadModel, project

NOW = datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Case:
    """A projected case's ids."""

    referral_id: uuid.UUID
    reference: str
    area: str


async def _case(
    model: ReadModel, n: int, *, area: str = AREA, due_in_days: float | None, at: datetime
) -> Case:
    case = Case(uuid.uuid4(), f"PRV-2026-9{n:05d}", area)
    await project(
        model.pool,
        ev.ReferralSubmitted(
            **_ids(case, Stage.GATEWAY_ASSESSMENT),
            sector="education",
            concern_type="extreme_right_wing",
            assessment_due_at=None if due_in_days is None else NOW + timedelta(days=due_in_days),
        ),
        at=at,
    )
    return case


def _ids(case: Case, stage: Stage) -> dict[str, Any]:
    return {
        "referral_id": case.referral_id,
        "reference": case.reference,
        "stage": stage,
        "area": case.area,
    }


async def _fill(model: ReadModel) -> dict[str, Case]:
    """Eight cases in our area, two elsewhere, in assorted states."""
    cases: dict[str, Case] = {}
    # Same due date for b and c: the order falls back to creation time, then id.
    plan = {"a": 3, "b": 5, "c": 5, "d": 8, "e": None, "late": -2, "pol": 1, "shut": 2}
    for n, (name, due) in enumerate(plan.items()):
        cases[name] = await _case(model, n, due_in_days=due, at=NOW + timedelta(seconds=n))
    for n, name in enumerate(["x1", "x2"], start=50):
        cases[name] = await _case(model, n, area=OTHER_AREA, due_in_days=1, at=NOW)
    later = NOW + timedelta(minutes=5)
    pol = cases["pol"]
    await project(
        model.pool,
        ev.GatewayAssessmentRecorded(
            **_ids(pol, Stage.POLICE_LED),
            actor_role=Role.PREVENT_OFFICER,
            outcome=GatewayOutcome.POLICE_LED,
        ),
        at=later,
    )
    await project(
        model.pool,
        ev.PoliceReviewDue(**_ids(pol, Stage.POLICE_LED), due_at=NOW + timedelta(days=4)),
        at=later + timedelta(minutes=1),
    )
    await project(
        model.pool,
        ev.AssessmentOverdue(**_ids(cases["d"], Stage.GATEWAY_ASSESSMENT), due_at=NOW),
        at=later,
    )
    shut = cases["shut"]
    await project(
        model.pool,
        ev.GatewayAssessmentRecorded(
            **_ids(shut, Stage.CLOSED),
            actor_role=Role.PREVENT_OFFICER,
            outcome=GatewayOutcome.NO_FURTHER_ACTION,
        ),
        at=later,
    )
    return cases


async def _inbox(model: ReadModel, headers: dict[str, str] | None = None, **params: Any) -> Any:
    answer = await model.http.get(
        "/v1/tasks", params=params, headers=headers or model.staff.officer()
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _refs(page: Any) -> list[str]:
    return [item["reference"] for item in page["items"]]


async def test_default_inbox_is_open_tasks_of_my_areas_soonest_due_first(
    read_model: ReadModel,
) -> None:
    cases = await _fill(read_model)
    page = await _inbox(read_model)
    order = ["late", "a", "pol", "b", "c", "d", "e"]
    assert _refs(page) == [cases[name].reference for name in order]
    assert page["total"] == 7 and page["next_offset"] is None
    by_ref = {item["reference"]: item for item in page["items"]}
    assert by_ref[cases["pol"].reference]["kind"] == "police_review"
    assert by_ref[cases["pol"].reference]["stage"] == "POLICE_LED"
    assert by_ref[cases["late"].reference]["overdue"] is True
    assert by_ref[cases["d"].reference]["overdue"] is True  # escalated before its due date
    assert by_ref[cases["d"].reference]["escalated_at"] is not None
    assert by_ref[cases["a"].reference]["overdue"] is False


async def test_pages_are_stable_and_cover_every_row_once(read_model: ReadModel) -> None:
    await _fill(read_model)
    for sort in ("due_at", "-due_at", "created_at", "-created_at", "reference", "-reference"):
        whole = _refs(await _inbox(read_model, sort=sort, limit=200))
        walked: list[str] = []
        offset: int | None = 0
        while offset is not None:
            page = await _inbox(read_model, sort=sort, limit=3, offset=offset)
            assert page["total"] == 7
            walked += _refs(page)
            offset = page["next_offset"]
        assert walked == whole, sort
        assert len(set(walked)) == 7
    assert _refs(await _inbox(read_model, sort="reference")) == sorted(whole)
    assert _refs(await _inbox(read_model, sort="-reference")) == sorted(whole, reverse=True)


async def test_filters(read_model: ReadModel) -> None:
    cases = await _fill(read_model)

    def refs(*names: str) -> list[str]:
        return [cases[name].reference for name in names]

    assert _refs(await _inbox(read_model, stage="POLICE_LED")) == refs("pol")
    assert _refs(await _inbox(read_model, kind="police_review")) == refs("pol")
    assert _refs(await _inbox(read_model, overdue="true")) == refs("late", "d")
    assert _refs(await _inbox(read_model, overdue="false")) == refs("a", "pol", "b", "c", "e")
    window = await _inbox(
        read_model,
        due_after=(NOW + timedelta(days=3)).isoformat(),
        due_before=(NOW + timedelta(days=6)).isoformat(),
    )
    assert _refs(window) == refs("a", "pol", "b", "c")
    done = await _inbox(read_model, status="done")
    assert _refs(done) == refs("pol", "shut")  # due in 1 and 2 days
    both = await _inbox(read_model, status=["done", "cancelled"], sort="reference")
    assert sorted(_refs(both)) == sorted(refs("shut", "pol"))

    officer = read_model.staff.officer()
    claimed = await read_model.http.post(
        f"/v1/tasks/{(await _inbox(read_model))['items'][1]['id']}/claim", headers=officer
    )
    assert claimed.status_code == 200
    assert _refs(await _inbox(read_model, assignee="me")) == refs("a")
    assert _refs(await _inbox(read_model, assignee="officer-17")) == refs("a")
    assert refs("a")[0] not in _refs(await _inbox(read_model, assignee="none"))
    assert (await _inbox(read_model, assignee="none"))["total"] == 6


async def test_areas_come_from_the_token(read_model: ReadModel) -> None:
    cases = await _fill(read_model)
    staff = read_model.staff
    theirs = await _inbox(read_model, staff.officer("officer-40", areas=(OTHER_AREA,)))
    assert sorted(_refs(theirs)) == sorted([cases["x1"].reference, cases["x2"].reference])
    both = staff.officer("officer-41", areas=(AREA, OTHER_AREA))
    assert (await _inbox(read_model, both))["total"] == 9
    assert (await _inbox(read_model, both, area=OTHER_AREA))["total"] == 2
    nowhere = await _inbox(read_model, staff.officer("officer-42", areas=()))
    assert nowhere["total"] == 0

    refused = await read_model.http.get(
        "/v1/tasks", params={"area": OTHER_AREA}, headers=staff.officer()
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"

    national = staff.headers(Role.AUDITOR, "auditor-1", areas=())
    assert (await _inbox(read_model, national))["total"] == 9
    regional = staff.headers(Role.AUDITOR, "auditor-2", areas=(OTHER_AREA,))
    assert (await _inbox(read_model, regional))["total"] == 2

    hidden = (await _inbox(read_model, national, area=OTHER_AREA))["items"][0]["id"]
    unknown = await read_model.http.get(f"/v1/tasks/{hidden}", headers=staff.officer())
    assert unknown.status_code == 404  # another area's task looks exactly like no task


async def test_an_officer_seen_lately_reads_without_waiting_on_their_own_row(
    read_model: ReadModel,
) -> None:
    officer = read_model.staff.officer()
    await _inbox(read_model, officer)  # the first sighting writes the row
    async with read_model.pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "SELECT FROM assessment.officers WHERE subject = 'officer-17' FOR UPDATE"
        )
        # The officer's other requests at this moment (another tab, a page of the web front
        # end) do not queue behind whoever holds the row.
        page = await asyncio.wait_for(_inbox(read_model, officer), timeout=10)
    assert page["total"] == 0
    moved = read_model.staff.officer(areas=(OTHER_AREA,))
    await _inbox(read_model, moved)  # new areas: the row follows the token
    areas = await read_model.pool.fetchval(
        "SELECT areas FROM assessment.officers WHERE subject = 'officer-17'"
    )
    assert areas == [OTHER_AREA]


async def test_bad_queries_are_problem_documents(read_model: ReadModel) -> None:
    officer = read_model.staff.officer()
    for params in ({"sort": "name"}, {"limit": 0}, {"stage": "NOWHERE"}, {"overdue": "maybe"}):
        answer = await read_model.http.get("/v1/tasks", params=params, headers=officer)
        assert answer.status_code == 422, params
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["errors"]


async def test_metrics_count_without_case_content(read_model: ReadModel) -> None:
    await _fill(read_model)
    operator = read_model.staff.headers(Role.OPERATOR, "operator-1", areas=())
    answer = await read_model.http.get("/v1/metrics", headers=operator)
    assert answer.status_code == 200
    counts = answer.json()
    assert counts["open_tasks"] == 9 and counts["overdue"] == 2 and counts["escalated"] == 1
    assert counts["open_by_kind"] == {"gateway_assessment": 8, "police_review": 1}
    assert counts["cases"] == 10
    assert "PRV-" not in answer.text
    mine = (await read_model.http.get("/v1/metrics", headers=read_model.staff.officer())).json()
    assert mine["open_tasks"] == 7
