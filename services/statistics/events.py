"""Lifecycle events projected into the statistics read model: one fact row per referral.

Idempotent and order-safe: each outcome date keeps the first time it happened, the gateway
outcome the latest assessment's, and any event of a referral creates its row, so a replay of
the topic (or events of one referral arriving out of order) rebuilds the same rows. Age and
gender are not in the events: `facts.FactsFiller` asks intake for them. The dashboard's
tasks and stages are projected by `work_events`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from safeguard.codes import GatewayOutcome
from safeguard.db.pool import Connection
from safeguard.events import contracts as ev
from safeguard.events.envelope import EventEnvelope
from safeguard.statistics.periods import local_day, period_of
from services.statistics import store
from services.statistics.work_events import project_work

CONSUMER = "statistics"

Projection = Callable[[Connection, Any, EventEnvelope], Awaitable[None]]


async def handle_event(conn: Connection, envelope: EventEnvelope) -> None:
    """Apply one lifecycle event to the fact rows."""
    try:
        event = ev.parse_event(envelope)
    except ev.UnknownEventType:
        return  # A newer producer's event this version does not count.
    project = _PROJECTIONS.get(type(event))
    if project is None and not event.moves_case:
        return
    await store.ensure_row(
        conn, referral_id=event.referral_id, reference=event.reference, area=event.area
    )
    if project is not None:
        await project(conn, event, envelope)
    await project_work(conn, event, envelope)


async def _submitted(
    conn: Connection, event: ev.ReferralSubmitted, envelope: EventEnvelope
) -> None:
    await store.set_received(
        conn,
        referral_id=event.referral_id,
        received_at=envelope.time,
        quarter=period_of(local_day(envelope.time)).code,
        area=event.area,
        sector=event.sector,
        concern_type=event.concern_type,
        assessment_due_at=event.assessment_due_at,
        re_referral=bool(event.linked_referral_ids),
    )


async def _assessed(
    conn: Connection, event: ev.GatewayAssessmentRecorded, envelope: EventEnvelope
) -> None:
    await store.set_gateway_outcome(
        conn, referral_id=event.referral_id, outcome=event.outcome.value, at=envelope.time
    )
    if event.outcome is GatewayOutcome.REFERRED_TO_CHANNEL:
        await _first(conn, event, "referred_to_channel_at", envelope)


async def _decided(
    conn: Connection, event: ev.PanelDecisionRecorded, envelope: EventEnvelope
) -> None:
    await _first(conn, event, "discussed_at", envelope)
    await _first(conn, event, "adopted_at" if event.adopted else "not_adopted_at", envelope)


async def _exited(conn: Connection, event: ev.CaseExited, envelope: EventEnvelope) -> None:
    await store.set_first(
        conn, referral_id=event.referral_id, column="exited_at", at=event.exited_at
    )


async def _closed(conn: Connection, event: ev.CaseClosed, envelope: EventEnvelope) -> None:
    await store.set_closed(
        conn, referral_id=event.referral_id, reason=event.reason.value, at=envelope.time
    )


async def _placed(conn: Connection, event: ev.CaseAreaSet, envelope: EventEnvelope) -> None:
    await store.place(conn, referral_id=event.referral_id, area=event.area)


async def _redacted(conn: Connection, event: ev.CaseRedacted, envelope: EventEnvelope) -> None:
    await store.erase_demographics(conn, referral_id=event.referral_id, at=envelope.time)


async def _first(
    conn: Connection, event: ev.DomainEvent, column: str, envelope: EventEnvelope
) -> None:
    await store.set_first(conn, referral_id=event.referral_id, column=column, at=envelope.time)


_PROJECTIONS: dict[type[ev.DomainEvent], Projection] = {
    ev.ReferralSubmitted: _submitted,
    ev.GatewayAssessmentRecorded: _assessed,
    ev.PanelDecisionRecorded: _decided,
    ev.CaseExited: _exited,
    ev.CaseClosed: _closed,
    ev.CaseAreaSet: _placed,
    ev.CaseRedacted: _redacted,
}
