"""Rows of the panel's records turned into what the API shows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from safeguard.auth.staff import StaffPrincipal
from safeguard.db.pool import Connection
from safeguard.fieldcrypt.keyring import Keyring
from safeguard.police_only import POLICE_ONLY_FIELDS, sees_police_only
from services.panel import records
from services.panel.factors import FACTORS, Dimension
from services.panel.models import (
    AssessmentRead,
    ConsentRecordRead,
    FactorRatingRead,
    InformationRequestRead,
    PlanItemRead,
    PlanRevisionRead,
)
from workflows.referral.state import DecisionRecord

CONSENT_ACTIONS = ("request_consent", "record_consent", "withdraw_consent")
# A stored row, or one with its sealed free text opened (services/panel/records.py).
Row = Mapping[str, Any] | asyncpg.Record

PLAN_ACTIONS = ("record_panel_decision", "revise_support_plan", "record_support_review")


def decision_for(principal: StaffPrincipal, record: DecisionRecord) -> dict[str, Any]:
    """A decision as `principal` may see it: police-only detail removed unless police."""
    if sees_police_only(principal):
        return record.model_dump()
    detail = {k: v for k, v in record.detail.items() if k not in POLICE_ONLY_FIELDS}
    return record.model_dump() | {"detail": detail}


def consent_records(rows: Sequence[Row]) -> list[ConsentRecordRead]:
    """Consent steps in order; an answer or withdrawal names the route last requested."""
    route = None
    found = []
    for row in rows:
        detail = row["detail"]
        if row["action"] == "request_consent":
            route = detail.get("route")
            event = "requested"
        elif row["action"] == "record_consent":
            event = detail.get("decision", "given")
        else:
            event = "withdrawn"
        found.append(
            ConsentRecordRead(
                event=event,
                route=route,
                method=detail.get("method"),
                answered_by=detail.get("answered_by"),
                scope=detail.get("scope"),
                best_interests_reason=detail.get("best_interests_reason"),
                notes=detail.get("notes"),
                recorded_by=row["actor"],
                recorded_role=row["role"],
                at=row["at"],
            )
        )
    return found


def plan_revisions(items: Sequence[Row], actions: Sequence[Row]) -> list[PlanRevisionRead]:
    """Revisions as the workflow numbered them, with what the chair submitted for each."""
    submitted = {row["plan_revision"]: row for row in actions if row["detail"].get("plan")}
    by_revision: dict[int, list[PlanItemRead]] = {}
    for row in items:
        by_revision.setdefault(row["revision"], []).append(plan_item(row, submitted))
    return [
        PlanRevisionRead(
            revision=revision,
            agreed_at=submitted[revision]["at"] if revision in submitted else None,
            agreed_by=submitted[revision]["actor"] if revision in submitted else None,
            consent_arrangements=_plan(submitted.get(revision)).get("consent_arrangements"),
            items=found,
        )
        for revision, found in sorted(by_revision.items())
    ]


def plan_item(row: Row, submitted: Mapping[int, Row]) -> PlanItemRead:
    """A plan item with its frequency and dates, where the panel submitted the plan."""
    interventions = _plan(submitted.get(row["revision"])).get("interventions", [])
    planned = interventions[row["position"]] if row["position"] < len(interventions) else {}
    return PlanItemRead(
        item_id=row["item_id"],
        referral_id=row["referral_id"],
        reference=row["reference"],
        revision=row["revision"],
        position=row["position"],
        intervention=row["intervention"],
        provider_id=row["provider_id"],
        frequency=planned.get("frequency"),
        start=planned.get("start"),
        end=planned.get("end"),
        current=row["current"],
    )


def _plan(action: Row | None) -> dict[str, Any]:
    plan: dict[str, Any] = (action["detail"].get("plan") or {}) if action else {}
    return plan


def information_requests(rows: Sequence[Row]) -> list[InformationRequestRead]:
    """Requests as stored."""
    return [InformationRequestRead.model_validate(dict(row)) for row in rows]


def assessments(
    found: Sequence[tuple[Row, Sequence[Row]]],
) -> list[AssessmentRead]:
    """Assessments with their ratings grouped by dimension, in the framework's order."""
    order = list(FACTORS)
    views = []
    for head, ratings in found:
        dimensions: dict[Dimension, list[FactorRatingRead]] = {d: [] for d in Dimension}
        for rating in sorted(ratings, key=lambda r: order.index(r["factor"])):
            dimension, label = FACTORS[rating["factor"]]
            dimensions[dimension].append(
                FactorRatingRead(
                    factor=rating["factor"],
                    dimension=dimension,
                    label=label,
                    rating=rating["rating"],
                    notes=rating["notes"],
                )
            )
        views.append(
            AssessmentRead(
                id=head["id"],
                referral_id=head["referral_id"],
                meeting_id=head["meeting_id"],
                summary=head["summary"],
                assessed_by=head["assessed_by"],
                assessed_at=head["assessed_at"],
                dimensions=dimensions,
            )
        )
    return views


async def plan_of_case(
    conn: Connection, keyring: Keyring, referral_id: Any
) -> list[PlanRevisionRead]:
    """Every revision of a case's support plan."""
    items = await records.items_for_case(conn, referral_id)
    actions = await records.actions_for_case(conn, keyring, referral_id, PLAN_ACTIONS)
    return plan_revisions(items, actions)
