"""A panel member's work: the open cases on their panels' agendas, read as the panel shows them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.web.auth import UserDep
from services.web.clients.base import ApiProblem
from services.web.deps import PanelDep
from services.web.pages import render
from services.web.views.cases import _referral_sections, _text
from services.web.views.tasks import PAGE_SIZE, pagination

router = APIRouter(include_in_schema=False)

SECTION = "member"
LIST_PURPOSE = "panel member: cases on my panels' agendas"
CASE_PURPOSE = "panel member: preparing for the Channel panel"
# Never shown to a panel member, even if an answer ever carried them.
POLICE_ONLY = frozenset({"deconfliction", "database_checks"})
WAITING_FOR = {
    "consent": "Consent",
    "consent_reassessment": "Reassessment after consent refused",
    "panel": "Panel decision",
    "support_review": "Support review",
    "post_exit": "Review after exit",
}
# What a decision's detail keys mean, where the code alone reads badly.
DETAIL_NAMES = {
    "votes_for": "Votes for",
    "votes_against": "Votes against",
    "health_or_social_care_considered": "Health or social care considered",
    "signposted_to": "Signposted to",
}


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or "1"))
    except ValueError:
        return 1


@router.get("/member/cases")
async def agenda_cases(request: Request, user: UserDep, api: PanelDep) -> Response:
    """The open cases on the agendas of the member's panels, soonest due first."""
    page = _page_number(request.query_params.get("page"))
    params: list[tuple[str, Any]] = [("limit", PAGE_SIZE), ("offset", (page - 1) * PAGE_SIZE)]
    result = await api.member_queue(params, purpose=LIST_PURPOSE)
    return render(
        request,
        "member/cases.html",
        title="Panel cases",
        section=SECTION,
        page=result,
        waiting_for=WAITING_FOR,
        pagination=pagination(result["total"], page, {}, "/member/cases")
        if result["total"] > PAGE_SIZE
        else None,
    )


def decision_rows(detail: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A decision's detail as summary list rows, police-only parts left out."""
    rows = []
    for name, value in detail.items():
        if name in POLICE_ONLY or value in (None, "", [], {}):
            continue
        key = DETAIL_NAMES.get(name) or name.replace("_", " ").capitalize()
        text = _text(value)
        if isinstance(value, str) and value.isupper():
            text = text.capitalize()
        rows.append({"key": {"text": key}, "value": {"text": text}})
    return rows


@router.get("/member/cases/{reference}")
async def agenda_case(request: Request, reference: str, user: UserDep, api: PanelDep) -> Response:
    """The case as the panel shows a member: never the police-only fields."""
    try:
        view = await api.member_case(reference, purpose=CASE_PURPOSE)
    except ApiProblem as problem:
        if problem.status != 404:
            raise
        return render(
            request,
            "errors/page.html",
            status_code=404,
            title="Case not found",
            message=f"There is no case {reference} on the agenda of a panel you sit on."
            " You can only open cases on your panels' agendas.",
            link={"href": "/member/cases", "text": "Go to panel cases"},
        )
    decisions = [
        {
            "title": str(d["action"]).replace("_", " ").capitalize(),
            "at": d["at"],
            "by": d["actor_id"],
            "role": str(d["actor_role"]).replace("_", " "),
            "rows": decision_rows(d.get("detail") or {}),
        }
        for d in view.get("decisions") or []
    ]
    return render(
        request,
        "member/case.html",
        title=f"Case {reference}",
        section=SECTION,
        view=view,
        reference=reference,
        sections=_referral_sections(view.get("referral")),
        decisions=decisions,
        back_link="/member/cases",
    )
