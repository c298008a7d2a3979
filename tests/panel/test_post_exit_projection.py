"""The panel's read model keeps every post-exit review the case's policy set, not only 6 and 12."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from safeguard.codes import ExitReason, Role, Stage
from safeguard.db.pool import create_pool
from safeguard.events import contracts as ev
from safeguard.settings import Settings
from services.panel.events import handle_event
from services.panel.models import CaseSummary
from tests.events.factories import envelope_for

EXITED_AT = dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC)


def _ids(referral_id: uuid.UUID, stage: Stage) -> dict[str, Any]:
    return {
        "referral_id": referral_id,
        "reference": f"PRV-2026-{referral_id.int % 1_000_000:06d}",
        "stage": stage,
        "area": "E08000003",
        "actor_role": Role.CHANNEL_CHAIR,
    }


async def _apply(settings: Settings, event: ev.DomainEvent, *, day: int = 0) -> dict[str, Any]:
    """Project one event (sent `day` days after exit); the case's row as it then stands."""
    pool = await create_pool(settings)
    try:
        async with pool.acquire() as conn:
            at = EXITED_AT + dt.timedelta(days=day)
            await handle_event(conn, envelope_for(event, at=at))
            row = await conn.fetchrow(
                "SELECT * FROM panel.cases WHERE referral_id = $1", event.referral_id
            )
    finally:
        await pool.close()
    assert row is not None
    return dict(row)


async def test_reviews_at_the_policys_own_months_are_projected_in_turn(settings: Settings) -> None:
    referral_id = uuid.uuid4()
    due = {months: EXITED_AT + dt.timedelta(days=30 * months) for months in (3, 9)}
    exited = ev.CaseExited(
        **_ids(referral_id, Stage.POST_EXIT_REVIEW),
        exited_at=EXITED_AT,
        reviews=[ev.ReviewDate(months=m, due_at=at) for m, at in due.items()],
    )
    recorded = ev.PostExitReviewRecorded(
        **_ids(referral_id, Stage.POST_EXIT_REVIEW),
        months=3,
        reopened=False,
        next_months=9,
        next_due_at=due[9],
    )
    row = await _apply(settings, exited)
    assert (row["due_kind"], row["due_months"], row["due_at"]) == ("post_exit_review", 3, due[3])
    summary = CaseSummary.model_validate(row)
    assert [(r.months, r.due_at) for r in summary.post_exit_reviews] == list(due.items())
    assert summary.review_6_months_at is None and summary.review_12_months_at is None

    row = await _apply(settings, recorded, day=80)
    assert (row["due_months"], row["due_at"]) == (9, due[9])


async def test_an_exit_recorded_before_the_review_list_still_projects_both_reviews(
    settings: Settings,
) -> None:
    six, twelve = EXITED_AT + dt.timedelta(days=181), EXITED_AT + dt.timedelta(days=365)
    # As producers wrote it before `reviews` existed: the two fixed fields only.
    exited = ev.CaseExited.model_validate(
        _ids(uuid.uuid4(), Stage.POST_EXIT_REVIEW)
        | {"exited_at": EXITED_AT, "review_6_months_at": six, "review_12_months_at": twelve}
    )
    row = await _apply(settings, exited)
    summary = CaseSummary.model_validate(row)
    assert [(r.months, r.due_at) for r in summary.post_exit_reviews] == [(6, six), (12, twelve)]
    assert (row["due_months"], row["due_at"]) == (6, six)


async def test_the_exit_reason_is_kept_and_an_exit_without_one_reads_as_unknown(
    settings: Settings,
) -> None:
    """Before: the read model had no exit reason."""
    coded = ev.CaseExited(
        **_ids(uuid.uuid4(), Stage.POST_EXIT_REVIEW),
        exited_at=EXITED_AT,
        exit_reason=ExitReason.VULNERABILITY_REMOVED,
    )
    row = await _apply(settings, coded)
    assert CaseSummary.model_validate(row).exit_reason == "vulnerability_removed"
    # As producers wrote it before exits had a reason.
    old = ev.CaseExited.model_validate(
        _ids(uuid.uuid4(), Stage.POST_EXIT_REVIEW) | {"exited_at": EXITED_AT}
    )
    row = await _apply(settings, old)
    assert row["exit_reason"] is None
    assert CaseSummary.model_validate(row).exit_reason == "unknown"
