"""The chair's panels and meetings: members, scheduling, the agenda, publishing, attendance.

Each page reads the panel API with the chair's own token; each form posts back here, is
checked, sent, and answered with the page again (errors, answers kept) or a redirect.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.web.auth import FormDep, SessionDep, UserDep, checked_form
from services.web.clients.base import ApiProblem
from services.web.clients.panel import PanelClient
from services.web.deps import PanelDep
from services.web.forms import FormErrors
from services.web.pages import render

router = APIRouter(include_in_schema=False)

LONDON = ZoneInfo("Europe/London")
PURPOSE = "Channel panel meeting"
# Declared conflicts the attendance form offers rows for (blank rows are ignored).
CONFLICT_ROWS = 3
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})$")
# Cases the chair may put on an agenda: those waiting for the panel or a review.
AGENDA_KINDS = ("panel", "consent", "consent_reassessment", "support_review", "post_exit")


def _problem_errors(problem: ApiProblem, names: dict[str, str] | None = None) -> FormErrors:
    """An API refusal as page errors (field messages on the page's fields where they match)."""
    if problem.status == 401:
        raise problem
    errors = FormErrors()
    for field, message in problem.errors.items():
        name = (names or {}).get(field.split(".")[0], "")
        errors.add(name, f"{message[:1].upper()}{message[1:]}")
    if not errors:
        errors.add("", problem.detail or problem.title)
    return errors


def _done(session: SessionDep, message: str, to: str) -> Response:
    session.data.flash = message
    session.mark()
    return RedirectResponse(to, status_code=303)


# --- panels --------------------------------------------------------------------------------


async def _panels_page(
    request: Request,
    user: UserDep,
    api: PanelClient,
    values: dict[str, str],
    errors: FormErrors,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "panels/list.html",
        status_code=status_code,
        title="Your panels",
        section="panels",
        panels=await api.panels(),
        areas=user.areas,
        values=values,
        errors=errors,
    )


@router.get("/panels")
async def panels(request: Request, user: UserDep, api: PanelDep) -> Response:
    """The chair's panels, and a form to set one up."""
    return await _panels_page(request, user, api, {}, FormErrors())


@router.post("/panels")
async def create_panel(
    request: Request, user: UserDep, session: SessionDep, api: PanelDep, form: FormDep
) -> Response:
    """Set up a panel in one of the chair's areas."""
    values = {k: form.get(k, "").strip() for k in ("name", "area")}
    if len(user.areas) == 1:
        values["area"] = user.areas[0]
    errors = FormErrors()
    if not values["name"]:
        errors.add("name", "Enter a name for the panel")
    elif len(values["name"]) > 200:
        errors.add("name", "Name must be 200 characters or fewer")
    if values["area"] not in user.areas:
        errors.add("area", "Select the area of the panel")
    if errors:
        return await _panels_page(request, user, api, values, errors, 400)
    try:
        created = await api.create_panel({"name": values["name"], "area": values["area"]})
    except ApiProblem as problem:
        errors = _problem_errors(problem, {"name": "name", "area": "area"})
        return await _panels_page(request, user, api, values, errors, 400)
    return _done(session, f"Panel {created['name']} set up", f"/panels/{created['id']}")


async def _panel_page(
    request: Request,
    api: PanelClient,
    panel_id: str,
    values: dict[str, str],
    errors: FormErrors,
    status_code: int = 200,
) -> Response:
    panel = await api.panel(panel_id)
    return render(
        request,
        "panels/panel.html",
        status_code=status_code,
        title=panel["name"],
        section="panels",
        panel=panel,
        meetings=await api.panel_meetings(panel_id),
        values=values,
        errors=errors,
        back_link="/panels",
    )


@router.get("/panels/{panel_id}")
async def panel(request: Request, panel_id: str, user: UserDep, api: PanelDep) -> Response:
    """A panel: its members (add, remove) and its meetings."""
    return await _panel_page(request, api, panel_id, {}, FormErrors())


@router.post("/panels/{panel_id}/members")
async def add_member(
    request: Request,
    panel_id: str,
    user: UserDep,
    session: SessionDep,
    api: PanelDep,
    form: FormDep,
) -> Response:
    """Seat a member and the agency they represent."""
    values = {k: form.get(k, "").strip() for k in ("subject", "agency")}
    errors = FormErrors()
    if not values["subject"]:
        errors.add("subject", "Enter the member's user ID")
    elif not re.fullmatch(r"[A-Za-z0-9._:@-]{1,100}", values["subject"]):
        errors.add("subject", "User ID must be letters, numbers, dots, dashes or @ only")
    if not values["agency"]:
        errors.add("agency", "Enter the agency or role the member represents")
    elif len(values["agency"]) > 100:
        errors.add("agency", "Agency must be 100 characters or fewer")
    if errors:
        return await _panel_page(request, api, panel_id, values, errors, 400)
    try:
        await api.put_member(panel_id, values["subject"], agency=values["agency"])
    except ApiProblem as problem:
        errors = _problem_errors(problem, {"agency": "agency"})
        return await _panel_page(request, api, panel_id, values, errors, 400)
    return _done(session, f"{values['subject']} added to the panel", f"/panels/{panel_id}")


@router.post("/panels/{panel_id}/members/{subject}/remove")
async def remove_member(
    request: Request,
    panel_id: str,
    subject: str,
    user: UserDep,
    session: SessionDep,
    api: PanelDep,
    form: FormDep,
) -> Response:
    """Unseat a member: they stop seeing the panel's agendas at once."""
    try:
        await api.remove_member(panel_id, subject)
    except ApiProblem as problem:
        errors = _problem_errors(problem)
        return await _panel_page(request, api, panel_id, {}, errors, problem.status)
    return _done(session, f"{subject} removed from the panel", f"/panels/{panel_id}")


# --- scheduling a meeting ------------------------------------------------------------------


def meeting_time(values: dict[str, str], now: datetime) -> tuple[datetime | None, FormErrors]:
    """The meeting's moment (UK time) from the date and time inputs, or what is wrong."""
    errors = FormErrors()
    parts = [values.get(f"date-{p}", "") for p in ("day", "month", "year")]
    when: datetime | None = None
    day: date | None = None
    if not any(parts):
        errors.add("date-day", "Enter the date of the meeting")
    else:
        try:
            day = date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            errors.add("date-day", "Date of the meeting must be a real date")
        else:
            if len(parts[2]) != 4:
                errors.add("date-day", "Year must include 4 numbers")
                day = None
    clock = values.get("time", "")
    found = _TIME.match(clock)
    at: time | None = None
    if not clock:
        errors.add("time", "Enter the time of the meeting")
    elif found is None or int(found[1]) > 23 or int(found[2]) > 59:
        errors.add("time", "Enter the time in the 24-hour clock, for example 14:30")
    else:
        at = time(int(found[1]), int(found[2]))
    if day is not None and at is not None:
        when = datetime.combine(day, at, tzinfo=LONDON)
        if when <= now:
            errors.add("date-day", "Date of the meeting must be in the future")
            when = None
    return when, errors


async def _candidates(api: PanelClient, area: str, exclude: set[str]) -> list[dict[str, Any]]:
    """Cases of the chair's queue in `area` that could go on an agenda."""
    page = await api.chair_queue(
        [("limit", 200)] + [("kind", k) for k in AGENDA_KINDS], purpose=PURPOSE
    )
    return [
        item for item in page["items"] if item["area"] == area and item["reference"] not in exclude
    ]


async def _new_meeting_page(
    request: Request,
    api: PanelClient,
    panel_id: str,
    values: dict[str, str],
    chosen: list[str],
    errors: FormErrors,
    status_code: int = 200,
) -> Response:
    panel = await api.panel(panel_id)
    return render(
        request,
        "panels/meeting_new.html",
        status_code=status_code,
        title="Schedule a meeting",
        section="panels",
        panel=panel,
        cases=await _candidates(api, panel["area"], set()),
        values=values,
        chosen=chosen,
        errors=errors,
        back_link=f"/panels/{panel_id}",
    )


@router.get("/panels/{panel_id}/meetings/new")
async def new_meeting(request: Request, panel_id: str, user: UserDep, api: PanelDep) -> Response:
    """The date and time of a meeting, and any cases to put on its agenda now."""
    return await _new_meeting_page(request, api, panel_id, {}, [], FormErrors())


@router.post("/panels/{panel_id}/meetings/new")
async def schedule_meeting(
    request: Request,
    panel_id: str,
    user: UserDep,
    session: SessionDep,
    api: PanelDep,
) -> Response:
    """Schedule the meeting; the panel is told of each case on its agenda."""
    form = await _form_with_lists(request, session)
    values = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
    chosen = form.getlist("agenda")
    when, errors = meeting_time(values, datetime.now(UTC))
    if when is None:
        return await _new_meeting_page(request, api, panel_id, values, chosen, errors, 400)
    try:
        meeting = await api.create_meeting(
            panel_id, {"scheduled_for": when.isoformat(), "agenda": chosen}
        )
    except ApiProblem as problem:
        errors = _problem_errors(problem, {"scheduled_for": "date-day", "agenda": "agenda"})
        return await _new_meeting_page(request, api, panel_id, values, chosen, errors, 400)
    return _done(session, "Meeting scheduled", f"/meetings/{meeting['id']}")


async def _form_with_lists(request: Request, session: SessionDep) -> Any:
    """The posted form with repeated names kept (checkboxes), once its CSRF token matches."""
    await checked_form(request, session)
    return await request.form()


# --- a meeting -----------------------------------------------------------------------------


def _conflict_rows(values: dict[str, str]) -> list[dict[str, str]]:
    return [
        {
            "row": str(n),
            "attendee": values.get(f"conflict-{n}-attendee", ""),
            "reference": values.get(f"conflict-{n}-reference", ""),
            "description": values.get(f"conflict-{n}-description", ""),
        }
        for n in range(1, CONFLICT_ROWS + 1)
    ]


async def _meeting_page(
    request: Request,
    api: PanelClient,
    meeting_id: str,
    *,
    values: dict[str, str] | None = None,
    attended: list[str] | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    meeting = await api.meeting(meeting_id, purpose=PURPOSE)
    panel = await api.panel(str(meeting["panel_id"]))
    on_agenda = {item["reference"] for item in meeting["agenda"]}
    if values is None:
        values = {}
        for n, conflict in enumerate(meeting["conflicts"][:CONFLICT_ROWS], start=1):
            values[f"conflict-{n}-attendee"] = conflict["attendee_id"]
            values[f"conflict-{n}-reference"] = conflict["reference"] or ""
            values[f"conflict-{n}-description"] = conflict["description"] or ""
    if attended is None:
        attended = [a["id"] for a in meeting["attendees"]]
    return render(
        request,
        "panels/meeting.html",
        status_code=status_code,
        title=f"Meeting on {_when(meeting['scheduled_for'])}",
        section="panels",
        meeting=meeting,
        panel=panel,
        cases=await _candidates(api, meeting["area"], on_agenda),
        values=values,
        attended=attended,
        conflicts=_conflict_rows(values),
        errors=errors or FormErrors(),
        back_link=f"/panels/{meeting['panel_id']}",
    )


def _when(value: str) -> str:
    local = datetime.fromisoformat(value).astimezone(LONDON)
    hour = local.hour % 12 or 12
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


@router.get("/meetings/{meeting_id}")
async def meeting(request: Request, meeting_id: str, user: UserDep, api: PanelDep) -> Response:
    """A meeting: its agenda (add cases, publish) and attendance with declared conflicts."""
    return await _meeting_page(request, api, meeting_id)


@router.post("/meetings/{meeting_id}/agenda")
async def add_case(
    request: Request,
    meeting_id: str,
    user: UserDep,
    session: SessionDep,
    api: PanelDep,
    form: FormDep,
) -> Response:
    """Put a case from the chair's queue on the agenda."""
    reference = form.get("reference", "").strip()
    if not reference:
        errors = FormErrors({"reference": "Select a case to put on the agenda"})
        return await _meeting_page(request, api, meeting_id, errors=errors, status_code=400)
    try:
        await api.add_to_agenda(meeting_id, reference)
    except ApiProblem as problem:
        errors = _problem_errors(problem, {"reference": "reference"})
        return await _meeting_page(request, api, meeting_id, errors=errors, status_code=400)
    return _done(session, f"{reference} added to the agenda", f"/meetings/{meeting_id}")


@router.post("/meetings/{meeting_id}/publish")
async def publish(
    request: Request,
    meeting_id: str,
    user: UserDep,
    session: SessionDep,
    api: PanelDep,
    form: FormDep,
) -> Response:
    """Publish the agenda: the panel's members are told."""
    try:
        await api.publish_agenda(meeting_id)
    except ApiProblem as problem:
        errors = _problem_errors(problem)
        return await _meeting_page(request, api, meeting_id, errors=errors, status_code=400)
    return _done(session, "Agenda published: the panel has been told", f"/meetings/{meeting_id}")


def attendance_body(
    values: dict[str, str], attended: list[str], agencies: dict[str, str]
) -> tuple[dict[str, Any], FormErrors]:
    """The API's attendance body from the form, or what is wrong with it."""
    errors = FormErrors()
    if not attended:
        errors.add("attended", "Select who attended the meeting")
    conflicts = []
    for row in _conflict_rows(values):
        n = row["row"]
        if not (row["attendee"] or row["description"]):
            continue
        if row["attendee"] not in attended:
            errors.add(
                f"conflict-{n}-attendee",
                f"Select who declared conflict {n} (they must have attended)",
            )
        if not row["description"]:
            errors.add(f"conflict-{n}-description", f"Describe conflict {n}")
        elif len(row["description"]) > 5000:
            errors.add(f"conflict-{n}-description", "Description must be 5000 characters or fewer")
        conflicts.append(
            {
                "attendee_id": row["attendee"],
                "reference": row["reference"] or None,
                "description": row["description"],
            }
        )
    body = {
        "attendees": [{"id": s, "agency": agencies.get(s, "unknown")} for s in attended],
        "conflicts": conflicts,
    }
    return body, errors


@router.post("/meetings/{meeting_id}/attendance")
async def attendance(
    request: Request,
    meeting_id: str,
    user: UserDep,
    session: SessionDep,
    api: PanelDep,
) -> Response:
    """Record who attended and the conflicts of interest they declared."""
    form = await _form_with_lists(request, session)
    values = {k: v.strip() for k, v in form.items() if isinstance(v, str)}
    attended = [a for a in form.getlist("attended") if isinstance(a, str)]
    meeting = await api.meeting(meeting_id, purpose=PURPOSE)
    panel = await api.panel(str(meeting["panel_id"]))
    agencies = {m["subject"]: m["agency"] for m in panel["members"]}
    body, errors = attendance_body(values, attended, agencies)
    if not errors:
        try:
            await api.record_attendance(meeting_id, body)
        except ApiProblem as problem:
            errors = _problem_errors(problem)
    if errors:
        return await _meeting_page(
            request,
            api,
            meeting_id,
            values=values,
            attended=attended,
            errors=errors,
            status_code=400,
        )
    return _done(session, "Attendance recorded", f"/meetings/{meeting_id}")
