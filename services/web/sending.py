"""Sending a checked draft to its API: one flow for every decision form, officer's or chair's.

The draft stays in the session until the API accepts it, so a refusal comes back on the form
with every answer kept; on success the draft goes and the confirmation page follows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from fastapi.responses import RedirectResponse, Response

from services.web.clients.base import ApiProblem
from services.web.decisions import Decision
from services.web.forms import FormErrors, answers, api_errors, validate
from services.web.sessions import Session

# Refusals shown with their own status; anything else is a bad request from the page's view.
_KEPT_STATUSES = frozenset({403, 404, 409, 422, 503})

Send = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
FormPage = Callable[[dict[str, str], FormErrors, int], Response]


async def send_draft(
    session: Session, *, key: str, decision: Decision, base: str, send: Send, form_page: FormPage
) -> Response:
    """Send the draft under `key`; the confirmation on success, the form again on a refusal."""
    draft = session.data.drafts.get(key)
    if draft is None or validate(decision.fields, draft):
        return RedirectResponse(base, status_code=303)
    try:
        status = await send(decision.body(answers(decision.fields, draft)))
    except ApiProblem as problem:
        if problem.status == 401:
            raise
        errors = api_errors(decision.fields, problem.errors, problem.detail or problem.title)
        code = problem.status if problem.status in _KEPT_STATUSES else 400
        return form_page(draft, errors, code)
    del session.data.drafts[key]
    session.mark()
    done = {"stage": status.get("stage", "")}
    # A transfer waits for the receiving area: the confirmation says which one.
    pending = status.get("pending_transfer")
    if decision.action == "transfer_case" and pending:
        done["waiting_for"] = pending["to_area"]
    return RedirectResponse(f"{base}/done?{urlencode(done)}", status_code=303)
