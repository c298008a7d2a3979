"""An intervention provider's work: their plan items, and the sessions and contacts they record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.web.auth import FormDep, SessionDep, UserDep
from services.web.clients.base import ApiProblem
from services.web.deps import PanelDep
from services.web.forms import Field, FormErrors, api_errors, validate
from services.web.pages import render

router = APIRouter(include_in_schema=False)

SECTION = "provider"
LIST_PURPOSE = "intervention provider: my plan items"
ITEM_PURPOSE = "intervention provider: recording contacts"
DATE = "held_on"
DATE_PARTS = ("day", "month", "year")

KINDS = (
    ("session", "A session the person attended"),
    ("contact", "Another contact (a call, message or visit)"),
    ("missed", "A missed session (the person did not attend)"),
)
KIND = Field("kind", "What was it?", "radios", "Select what kind of contact it was", options=KINDS)
NOTES = Field(
    "notes",
    "Notes (optional)",
    "textarea",
    "",
    hint="What happened and anything the panel should know. Do not include police information.",
)
FIELDS = (KIND, NOTES)
# Only so an API message about the date lands on the date's first box.
DATE_FIELD = Field(DATE, "Date of the contact", "input", "Enter the date of the contact")
SHORT = {"session": "session", "contact": "contact", "missed": "missed session"}
FREQUENCIES = {
    "weekly": "Weekly",
    "fortnightly": "Fortnightly",
    "monthly": "Monthly",
    "as_needed": "As needed",
}


def status_tag(item: Mapping[str, Any]) -> dict[str, str]:
    """The item's status: support active, replaced by a later plan, or the case's stage."""
    if not item.get("current", True):
        return {"text": "Replaced", "classes": "govuk-tag--grey"}
    if item.get("stage") == "SUPPORT_ACTIVE":
        return {"text": "Support active", "classes": "govuk-tag--green"}
    stage = str(item.get("stage") or "").replace("_", " ").lower()
    return {"text": stage[:1].upper() + stage[1:], "classes": "govuk-tag--grey"}


def _not_yours(request: Request) -> Response:
    return render(
        request,
        "errors/page.html",
        status_code=404,
        title="Intervention not found",
        message="There is no intervention at this address assigned to your organisation."
        " Nothing was recorded.",
        link={"href": "/provider/items", "text": "Go to my interventions"},
    )


async def _item(request: Request, api: PanelDep, item_id: str) -> dict[str, Any] | Response:
    """The item, or the not-found page (another provider's item looks like no item)."""
    try:
        return await api.provider_item(item_id, purpose=ITEM_PURPOSE)
    except ApiProblem as problem:
        # 422: not an item id at all.
        if problem.status in (404, 422):
            return _not_yours(request)
        raise


@router.get("/provider/items")
async def my_items(request: Request, user: UserDep, api: PanelDep) -> Response:
    """The plan items assigned to the provider."""
    items = await api.provider_items(purpose=LIST_PURPOSE)
    for item in items:
        item["tag"] = status_tag(item)
    return render(
        request,
        "provider/items.html",
        title="My interventions",
        section=SECTION,
        items=items,
        frequencies=FREQUENCIES,
    )


@router.get("/provider/items/{item_id}")
async def item_page(request: Request, item_id: str, user: UserDep, api: PanelDep) -> Response:
    """One item: what was planned, and every contact recorded against it."""
    item = await _item(request, api, item_id)
    if isinstance(item, Response):
        return item
    item["tag"] = status_tag(item)
    return render(
        request,
        "provider/item.html",
        title=f"Intervention for case {item['reference']}",
        section=SECTION,
        item=item,
        kinds=dict(KINDS),
        frequencies=FREQUENCIES,
        back_link="/provider/items",
        can_record=item.get("current") and item.get("stage") == "SUPPORT_ACTIVE",
    )


def _form_page(
    request: Request,
    item: dict[str, Any],
    values: Mapping[str, str],
    errors: FormErrors,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "provider/contact.html",
        status_code=status_code,
        title=f"Record a contact: {item['reference']}",
        section=SECTION,
        item=item,
        fields=FIELDS,
        values=dict(values),
        errors=errors,
        date_field=DATE,
        action=f"/provider/items/{item['item_id']}/contacts",
        back_link=f"/provider/items/{item['item_id']}",
    )


@router.get("/provider/items/{item_id}/contacts")
async def contact_form(request: Request, item_id: str, user: UserDep, api: PanelDep) -> Response:
    """The form to record a session, contact or missed session."""
    item = await _item(request, api, item_id)
    if isinstance(item, Response):
        return item
    return _form_page(request, item, {}, FormErrors())


def held_on(values: Mapping[str, str], today: dt.date) -> tuple[dt.date | None, FormErrors]:
    """The date from its three boxes, or the GOV.UK message for what is wrong with it."""
    errors = FormErrors()
    parts = {p: values.get(f"{DATE}-{p}", "").strip() for p in DATE_PARTS}
    missing = [p for p in DATE_PARTS if not parts[p]]
    if len(missing) == len(DATE_PARTS):
        errors.add(f"{DATE}-day", "Enter the date of the contact")
        return None, errors
    if missing:
        errors.add(
            f"{DATE}-{missing[0]}",
            f"Date of the contact must include a {' and '.join(missing)}",
        )
        return None, errors
    try:
        day = dt.date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        errors.add(f"{DATE}-day", "Date of the contact must be a real date")
        return None, errors
    if day > today:
        errors.add(f"{DATE}-day", "Date of the contact must be today or in the past")
        return None, errors
    if day.year < 2000:
        errors.add(f"{DATE}-year", "Year must be 4 numbers, for example 2026")
        return None, errors
    return day, errors


def contact_body(values: Mapping[str, str], today: dt.date) -> tuple[dict[str, Any], FormErrors]:
    """The API's contact body, or the page's errors (date first, as on the page)."""
    day, errors = held_on(values, today)
    for name, message in validate((KIND,), values).messages.items():
        errors.add(name, message)
    notes = values.get(NOTES.name, "").strip()
    if len(notes) > NOTES.max_length:
        errors.add(NOTES.name, f"Notes must be {NOTES.max_length} characters or fewer")
    if errors or day is None:
        return {}, errors
    kind = values[KIND.name].strip()
    body: dict[str, Any] = {
        "held_on": day.isoformat(),
        "kind": kind,
        "attended": kind != "missed",
    }
    if notes:
        body["notes"] = notes
    return body, errors


@router.post("/provider/items/{item_id}/contacts")
async def record_contact(
    request: Request, item_id: str, session: SessionDep, api: PanelDep, form: FormDep
) -> Response:
    """Record the contact; a refusal comes back on the form with the answers kept."""
    item = await _item(request, api, item_id)
    if isinstance(item, Response):
        return item
    body, errors = contact_body(form, dt.datetime.now(dt.UTC).date())
    if errors:
        return _form_page(request, item, form, errors, 400)
    try:
        await api.record_contact(item_id, body)
    except ApiProblem as problem:
        if problem.status == 401:
            raise
        if problem.status == 404:
            return _not_yours(request)
        found = api_errors((DATE_FIELD, *FIELDS), problem.errors, problem.detail or problem.title)
        if DATE in found.messages:
            found.messages[f"{DATE}-day"] = found.messages.pop(DATE)
        code = problem.status if problem.status in (403, 409, 422, 503) else 400
        return _form_page(request, item, form, found, code)
    session.data.flash = f"The {SHORT[body['kind']]} on {_day_text(body['held_on'])} is recorded"
    session.mark()
    return RedirectResponse(f"/provider/items/{item_id}", status_code=303)


def _day_text(iso: str) -> str:
    day = dt.date.fromisoformat(iso)
    return f"{day.day} {day:%B %Y}"
