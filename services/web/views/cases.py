"""The case page, and the question of why a case is being opened."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from safeguard.codes import UNASSIGNED_AREA
from safeguard.control_chars import first_forbidden
from services.web.auth import FormDep, SessionDep, UserDep
from services.web.clients.base import ApiProblem
from services.web.decisions import DECISIONS, TRANSFER_ANSWER
from services.web.deps import PURPOSES, AssessmentDep
from services.web.forms import Field, FormErrors, validate
from services.web.pages import render
from services.web.views.tasks import tag_for

router = APIRouter(include_in_schema=False)

OTHER = "other"
REASON_FIELDS = (
    Field(
        "purpose",
        "Why are you opening this case?",
        "radios",
        "Select why you are opening this case",
        hint="Opening a case outside your own work is recorded with the reason you give.",
        options=(*((key, text.capitalize()) for key, text in PURPOSES.items()), (OTHER, "Other")),
    ),
    Field(
        "other_reason",
        "Give the reason",
        "input",
        "Enter the reason you are opening this case",
        only_when=("purpose", OTHER),
        max_length=200,
    ),
)


def purpose_header(key: str | None, other: str | None) -> str | None:
    """The X-Purpose a page sends, from a known purpose or a reason the person gave."""
    if key in PURPOSES:
        return PURPOSES[key]
    if key == OTHER and other and other.strip() and first_forbidden(other) is None:
        return f"other: {other.strip()[:200]}"
    return None  # asked again: a reason with control characters could not be sent as a header


@router.get("/cases")
async def find_case(request: Request, user: UserDep, reference: str = "") -> Response:
    """Find a case by its reference: always asks why first."""
    reference = reference.strip().upper()
    if not reference:
        return RedirectResponse("/tasks", status_code=303)
    return RedirectResponse(f"/cases/{reference}/reason", status_code=303)


@router.get("/cases/{reference}/reason")
async def reason_form(request: Request, reference: str, user: UserDep) -> Response:
    """Ask the purpose of opening a case that is not in the person's own work."""
    return _reason_page(request, reference, {}, FormErrors())


@router.post("/cases/{reference}/reason")
async def give_reason(request: Request, reference: str, user: UserDep, form: FormDep) -> Response:
    """Open the case with the stated purpose."""
    errors = validate(REASON_FIELDS, form)
    if errors:
        return _reason_page(request, reference, form, errors)
    query = {"purpose": form["purpose"]}
    if form["purpose"] == OTHER:
        query["reason"] = form["other_reason"].strip()
    return RedirectResponse(f"/cases/{reference}?{urlencode(query)}", status_code=303)


def _reason_page(
    request: Request, reference: str, values: dict[str, str], errors: FormErrors
) -> Response:
    return render(
        request,
        "cases/reason.html",
        status_code=400 if errors else 200,
        title=f"Why are you opening {reference}?",
        reference=reference,
        fields=REASON_FIELDS,
        values=values,
        errors=errors,
        back_link="/tasks",
    )


@router.get("/cases/{reference}")
async def case_page(
    request: Request,
    reference: str,
    session: SessionDep,
    user: UserDep,
    api: AssessmentDep,
    purpose: str | None = None,
    reason: str | None = None,
) -> Response:
    """Everything about the case the officer may see, and what can be done next."""
    stated = purpose_header(purpose, reason)
    if stated is None:
        return RedirectResponse(f"/cases/{reference}/reason", status_code=303)
    try:
        view = await api.case(reference, purpose=stated)
    except ApiProblem as problem:
        if problem.status != 404:
            raise
        return render(
            request,
            "errors/page.html",
            status_code=404,
            title="Case not found",
            message=f"There is no case {reference} in your areas.",
            link={"href": "/tasks", "text": "Go to my tasks"},
        )
    for task in view["tasks"]:
        task["tag"] = tag_for(task)
        task["purpose"] = purpose
    transfer = _transfer(view, user.areas)
    return render(
        request,
        "cases/case.html",
        title=f"Case {reference}",
        section="tasks",
        view=view,
        reference=reference,
        purpose_query=urlencode({"purpose": purpose, **({"reason": reason} if reason else {})}),
        next_steps=[]
        if transfer and transfer["receiving_only"]
        else _next_steps(view, session.data.drafts),
        transfer=transfer,
        transfer_answer=TRANSFER_ANSWER,
        unassigned=UNASSIGNED_AREA,
        sections=_referral_sections(view.get("referral")),
    )


def _transfer(view: dict[str, Any], areas: list[str]) -> dict[str, Any] | None:
    """A transfer waiting for an answer, and which side of it the officer is on: the
    receiving area answers it, the case's own area may withdraw it."""
    pending = (view.get("status") or {}).get("pending_transfer")
    if not pending:
        return None
    receiving, sending = pending["to_area"] in areas, view["case"]["area"] in areas
    sides: dict[str, Any] = {
        "receiving": receiving,
        "sending": sending,
        # Not yet theirs: the case's other steps are the sending area's to take.
        "receiving_only": receiving and not sending,
    }
    return {**pending, **sides}


def _next_steps(view: dict[str, Any], drafts: dict[str, Any]) -> list[dict[str, Any]]:
    """The GOV.UK task list of what the officer can do now, with drafts in progress."""
    reference = view["case"]["reference"]
    allowed = set((view.get("status") or {}).get("allowed_actions") or [])
    steps: list[dict[str, Any]] = []
    if view["case"]["area"] == UNASSIGNED_AREA:
        steps.append(_step("Set the area", f"/cases/{reference}/area", in_progress=False))
    for d in DECISIONS.values():
        if d.action in allowed:
            href = f"/cases/{reference}/decisions/{d.slug}"
            steps.append(_step(d.title, href, in_progress=f"{reference}/{d.slug}" in drafts))
    return steps


def _step(title: str, href: str, *, in_progress: bool) -> dict[str, Any]:
    tag = (
        {"text": "In progress", "classes": "govuk-tag--light-blue"}
        if in_progress
        else {"text": "Not yet started", "classes": "govuk-tag--blue"}
    )
    return {"title": {"text": title}, "href": href, "status": {"tag": tag}}


SECTION_TITLES = {
    "person": "Person referred",
    "concern": "Concern",
    "referrer": "Referrer",
    "household_members": "Household",
    "other_agencies": "Other agencies involved",
}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict):
        return ", ".join(_text(v) for v in value.values() if v not in (None, ""))
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    return str(value).replace("_", " ") if value is not None else ""


def _referral_sections(form: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The referral form as summary lists, one per part of the national form."""
    if not form:
        return []
    sections = []
    for key, title in SECTION_TITLES.items():
        value = form.get(key)
        if not value:
            continue
        items = value if isinstance(value, list) else [value]
        rows = [
            {"key": {"text": name.replace("_", " ").capitalize()}, "value": {"text": _text(v)}}
            for item in items
            for name, v in (item.items() if isinstance(item, dict) else [("", item)])
            if v not in (None, "", [])
        ]
        sections.append({"title": title, "rows": rows})
    return sections
