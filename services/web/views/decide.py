"""An officer's decision: the form, check your answers, send, confirmation.

What the officer types is kept in their session as a draft from the first post until the
decision is accepted, so a refusal, a back link or a lapsed token never loses it.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from services.web.auth import FormDep, SessionDep, UserDep
from services.web.decisions import DECISIONS, Decision
from services.web.deps import AssessmentDep
from services.web.forms import FormErrors, answers, validate
from services.web.pages import render
from services.web.sending import send_draft

router = APIRouter(include_in_schema=False)


def _decision(slug: str) -> Decision:
    decision = DECISIONS.get(slug)
    if decision is None:
        raise HTTPException(404)
    return decision


def _base(reference: str, slug: str) -> str:
    return f"/cases/{reference}/decisions/{slug}"


def _form_page(
    request: Request,
    reference: str,
    decision: Decision,
    values: dict[str, str],
    errors: FormErrors,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "decisions/form.html",
        status_code=status_code,
        title=f"{decision.title}: {reference}",
        section="tasks",
        reference=reference,
        decision=decision,
        values=values,
        errors=errors,
        action=_base(reference, decision.slug),
        back_link=f"/cases/{reference}/reason",
    )


@router.get("/cases/{reference}/decisions/{slug}")
async def decision_form(
    request: Request, reference: str, slug: str, session: SessionDep, user: UserDep
) -> Response:
    """The decision's questions, filled in with any draft."""
    decision = _decision(slug)
    draft = session.data.drafts.get(f"{reference}/{slug}", {})
    return _form_page(request, reference, decision, draft, FormErrors())


@router.post("/cases/{reference}/decisions/{slug}")
async def decision_answers(
    request: Request, reference: str, slug: str, session: SessionDep, user: UserDep, form: FormDep
) -> Response:
    """Keep the answers; on to check them, or back with what is missing."""
    decision = _decision(slug)
    session.data.drafts[f"{reference}/{slug}"] = dict(form)
    session.mark()
    errors = validate(decision.fields, form)
    if errors:
        return _form_page(request, reference, decision, dict(form), errors, 400)
    return RedirectResponse(f"{_base(reference, slug)}/check", status_code=303)


@router.get("/cases/{reference}/decisions/{slug}/check")
async def check_answers(
    request: Request, reference: str, slug: str, session: SessionDep, user: UserDep
) -> Response:
    """Check your answers before the decision is sent."""
    decision = _decision(slug)
    draft = session.data.drafts.get(f"{reference}/{slug}")
    if draft is None or validate(decision.fields, draft):
        return RedirectResponse(_base(reference, slug), status_code=303)
    return render(
        request,
        "decisions/check.html",
        title=f"Check your answers: {decision.title}",
        section="tasks",
        reference=reference,
        decision=decision,
        values=answers(decision.fields, draft),
        action=f"{_base(reference, slug)}/check",
        change=_base(reference, slug),
        back_link=_base(reference, slug),
    )


@router.post("/cases/{reference}/decisions/{slug}/check")
async def send_decision(
    request: Request,
    reference: str,
    slug: str,
    session: SessionDep,
    api: AssessmentDep,
    form: FormDep,
) -> Response:
    """Send the decision; a refusal comes back on the form with the answers kept."""
    decision = _decision(slug)
    return await send_draft(
        session,
        key=f"{reference}/{slug}",
        decision=decision,
        base=_base(reference, slug),
        send=lambda body: api.decide(reference, slug, body),
        form_page=lambda draft, errors, code: _form_page(
            request, reference, decision, draft, errors, code
        ),
    )


@router.get("/cases/{reference}/decisions/{slug}/done")
async def decision_done(
    request: Request,
    reference: str,
    slug: str,
    user: UserDep,
    stage: str = "",
    waiting_for: str = "",
) -> Response:
    """The confirmation page (a transfer's names the area it waits for)."""
    decision = _decision(slug)
    return render(
        request,
        "decisions/done.html",
        title=decision.done,
        section="tasks",
        reference=reference,
        decision=decision,
        stage=stage,
        waiting_for=waiting_for,
    )
