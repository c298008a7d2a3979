"""My tasks: the officer's inbox, with filters, sorting, paging and claims."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.web.auth import FormDep, SessionDep, UserDep
from services.web.clients.base import ApiProblem
from services.web.deps import PURPOSE_OF_KIND, AssessmentDep
from services.web.pages import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
SORTS = {
    "due_at": "Due soonest",
    "-due_at": "Due latest",
    "created_at": "Oldest first",
    "-created_at": "Newest first",
    "reference": "Reference",
}
# A task due within this long is tagged "Due soon".
DUE_SOON = timedelta(days=2)


def inbox_params(query: dict[str, str], page: int) -> list[tuple[str, Any]]:
    """The API's query for the page's filters."""
    params: list[tuple[str, Any]] = [("limit", PAGE_SIZE), ("offset", (page - 1) * PAGE_SIZE)]
    for name in ("stage", "area", "kind"):
        if query.get(name):
            params.append((name, query[name]))
    if query.get("overdue") == "yes":
        params.append(("overdue", "true"))
    if query.get("assignee") in ("me", "none"):
        params.append(("assignee", query["assignee"]))
    if query.get("due") == "week":
        params.append(("due_before", (datetime.now(UTC) + timedelta(days=7)).isoformat()))
    params.append(("sort", query.get("sort") if query.get("sort") in SORTS else "due_at"))
    return params


def tag_for(task: dict[str, Any]) -> dict[str, str] | None:
    """Overdue (red) or due soon (yellow), for the task's row."""
    if task.get("overdue"):
        return {"text": "Overdue", "classes": "govuk-tag--red"}
    due = task.get("due_at")
    if due and datetime.fromisoformat(due) - datetime.now(UTC) < DUE_SOON:
        return {"text": "Due soon", "classes": "govuk-tag--yellow"}
    return None


def pagination(total: int, page: int, query: dict[str, str], path: str) -> dict[str, Any]:
    """GOV.UK pagination parameters."""
    pages = max(1, -(-total // PAGE_SIZE))

    def href(number: int) -> str:
        return f"{path}?{urlencode({**query, 'page': number})}"

    params: dict[str, Any] = {
        "items": [{"number": n, "href": href(n), "current": n == page} for n in range(1, pages + 1)]
    }
    if page > 1:
        params["previous"] = {"href": href(page - 1)}
    if page < pages:
        params["next"] = {"href": href(page + 1)}
    return params


def _page_number(query: dict[str, str]) -> int:
    try:
        return max(1, int(query.get("page", "1")))
    except ValueError:
        return 1


@router.get("/tasks")
async def inbox(request: Request, user: UserDep, api: AssessmentDep) -> Response:
    """The officer's open tasks."""
    query = {k: v for k, v in request.query_params.items() if v and k != "page"}
    page = _page_number(dict(request.query_params))
    result = await api.tasks(inbox_params(query, page), purpose="task inbox")
    # Cases other areas ask yours to take: opened to decide, so not yet tasks of yours.
    incoming = await api.transfers(purpose="task inbox")
    for task in result["items"]:
        task["tag"] = tag_for(task)
        task["purpose"] = PURPOSE_OF_KIND.get(task["kind"], "gateway-assessment")
    return render(
        request,
        "tasks/inbox.html",
        title="My tasks",
        section="tasks",
        page=result,
        query=query,
        sorts=SORTS,
        areas=user.areas,
        incoming=incoming,
        pagination=pagination(result["total"], page, query, "/tasks")
        if result["total"] > PAGE_SIZE
        else None,
    )


async def _task_action(
    session: SessionDep, form: dict[str, str], action: Any, done: str
) -> Response:
    """Change a task, then go back to the page the button was on, saying how it went."""
    back = form.get("return_to") or "/tasks"
    back = back if back.startswith("/") and not back.startswith("//") else "/tasks"
    try:
        task = await action()
    except ApiProblem as problem:
        if problem.status == 401:
            raise
        session.data.flash_error = _refusal(problem)
    else:
        session.data.flash = done.format(reference=task["reference"])
    session.mark()
    return RedirectResponse(back, status_code=303)


def _refusal(problem: ApiProblem) -> str:
    """A task refusal in plain words for the error summary."""
    if problem.status == 412:
        return "Someone changed the task since you opened the page. Check it and try again"
    if problem.errors:
        return "; ".join(f"{name}: {text}" for name, text in problem.errors.items())
    return problem.detail or problem.title


@router.post("/tasks/{task_id}/claim")
async def claim(
    request: Request, task_id: str, session: SessionDep, api: AssessmentDep, form: FormDep
) -> Response:
    """Take a task."""
    return await _task_action(
        session, form, lambda: api.claim(task_id), "You took the task for {reference}"
    )


@router.post("/tasks/{task_id}/release")
async def release(
    request: Request, task_id: str, session: SessionDep, api: AssessmentDep, form: FormDep
) -> Response:
    """Put a task back."""
    version = form.get("version", "")
    return await _task_action(
        session,
        form,
        lambda: api.release(task_id, version=version),
        "You put back the task for {reference}",
    )


@router.post("/tasks/{task_id}/assign")
async def assign(
    request: Request, task_id: str, session: SessionDep, api: AssessmentDep, form: FormDep
) -> Response:
    """Give a task to another officer, or take over one another officer holds."""
    assignee, version = form.get("assignee", "").strip(), form.get("version", "")
    me = session.data.user is not None and session.data.user.subject == assignee
    done = "You took over the task for {reference}" if me else "You gave the task for {reference}"
    return await _task_action(
        session,
        form,
        lambda: api.assign(task_id, assignee=assignee, version=version),
        done if me else f"{done} to {assignee}",
    )
