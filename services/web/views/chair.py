"""The Channel chair's dashboard: the work queue across their panels, post-exit reviews first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.web.auth import UserDep
from services.web.deps import PanelDep
from services.web.pages import render

router = APIRouter(include_in_schema=False)

# The queue's largest page: a chair's areas hold far fewer open Channel cases than this.
QUEUE_LIMIT = 200
# A review due within this long is tagged "Due soon".
DUE_SOON = timedelta(days=7)
# Post-exit reviews lead (a lost 12-month review is the failure this service exists to stop),
# then reviews of active support, then the cases waiting for the panel or for consent.
ORDER = {"post_exit": 0, "support_review": 1, "consent_reassessment": 2, "panel": 3, "consent": 4}
WAITING_FOR = {
    "support_review": "Support plan review",
    "consent_reassessment": "Reassessment (no consent)",
    "panel": "Panel decision",
    "consent": "Consent",
}


def waiting_for(item: dict[str, Any]) -> str:
    """What the case waits for, in words."""
    if item["kind"] == "post_exit":
        months = item.get("due_months")
        return f"{months}-month post-exit review" if months else "Post-exit review"
    return WAITING_FOR.get(item["kind"], str(item["kind"]))


def tag_for(item: dict[str, Any], now: datetime) -> dict[str, str] | None:
    """Overdue (red) or due soon (yellow)."""
    if item.get("overdue"):
        return {"text": "Overdue", "classes": "govuk-tag--red"}
    due = item.get("due_at")
    if due and datetime.fromisoformat(due) - now < DUE_SOON:
        return {"text": "Due soon", "classes": "govuk-tag--yellow"}
    return None


def ordered(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Post-exit reviews first, then by kind; soonest due first within each kind."""
    return sorted(
        items,
        key=lambda i: (ORDER.get(i["kind"], len(ORDER)), i["due_at"] is None, i["due_at"] or ""),
    )


@router.get("/chair")
async def dashboard(request: Request, user: UserDep, api: PanelDep, overdue: str = "") -> Response:
    """The chair's start page: reviews due and overdue, and cases waiting, across their panels."""
    params: list[tuple[str, Any]] = [("limit", QUEUE_LIMIT)]
    if overdue == "yes":
        params.append(("overdue", "true"))
    page = await api.chair_queue(params, purpose="Channel chair's work queue")
    now = datetime.now(UTC)
    items = ordered(page["items"])
    for item in items:
        item["tag"] = tag_for(item, now)
        item["waiting_for"] = waiting_for(item)
    return render(
        request,
        "chair/dashboard.html",
        title="Your Channel work",
        section="chair",
        items=items,
        total=page["total"],
        overdue_only=overdue == "yes",
        late=sum(1 for i in items if i["overdue"]),
        post_exit=sum(1 for i in items if i["kind"] == "post_exit"),
    )
