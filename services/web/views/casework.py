"""The Channel chair's case page and casework: form, check your answers, send, confirmation.

Everything goes through the panel API with the chair's own token. As with the officer's
decisions, what the chair types is kept in the session as a draft from the first post until
the API accepts it, so a refusal (a decision before consent, say) never loses it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from services.web import casework_choices as choices
from services.web.auth import FormDep, SessionDep, UserDep
from services.web.casework_choices import CaseForm
from services.web.casework_forms import (
    ASSESSMENT_SLUG,
    CASEWORK,
    DIMENSIONS,
    INTERVENTION_FIELD,
    PANEL_DECISION,
    POST_EXIT_REVIEW,
    REASSESSMENT_PERIOD,
    RECORD_STAGES,
    assessment,
    exit_reason_words,
    with_providers,
)
from services.web.clients.base import ApiProblem
from services.web.decisions import Decision
from services.web.deps import PanelDep
from services.web.forms import FormErrors, answers, posted, validate
from services.web.pages import render
from services.web.sending import send_draft

router = APIRouter(include_in_schema=False)

PURPOSE = "Channel panel casework"
SECTION = "chair"
REVIEW_ACTIONS = ("record_support_review", "record_post_exit_review")


async def _decision(slug: str, api: PanelDep) -> Decision:
    if slug == ASSESSMENT_SLUG:
        return assessment(await api.factors())
    if (found := CASEWORK.get(slug)) is not None:
        return found
    raise HTTPException(404)


async def _form(request: Request, slug: str, api: PanelDep, reference: str) -> CaseForm:
    """The form with this case's choices: its meetings, its reviews, its reassessment date."""
    decision = await _decision(slug, api)
    if any(f.name == INTERVENTION_FIELD.name for f in decision.fields):
        providers = await api.case_providers(reference)
        decision = with_providers(decision, [_provider_option(p) for p in providers])
    now = datetime.now(UTC)
    if any(f.name == choices.MEETING_FIELD for f in decision.fields):
        meetings = await api.case_meetings(reference, purpose=PURPOSE)
        held_only = decision.slug == PANEL_DECISION.slug
        return choices.with_meetings(decision, meetings, now=now, held_only=held_only)
    if decision.slug == POST_EXIT_REVIEW.slug:
        view = await api.chair_case(reference, purpose=PURPOSE)
        return choices.with_reviews(decision, view.get("status"), now)
    if decision.slug == REASSESSMENT_PERIOD.slug:
        view = await api.chair_case(reference, purpose=PURPOSE)
        return choices.with_reassessment(
            decision,
            default_days=request.app.state.settings.lifecycle.consent_reassessment_days,
            due_at=((view.get("status") or {}).get("due") or {}).get("consent_reassessment_due"),
        )
    return CaseForm(decision, decision)


def _provider_option(provider: dict[str, Any]) -> tuple[str, str]:
    """A register entry as a choice: its name, and the id its own staff know it by."""
    return provider["id"], f"{provider['name']} ({provider['id']})"


def _base(reference: str, slug: str) -> str:
    return f"/chair/cases/{reference}/{slug}"


def _not_found(request: Request, reference: str) -> Response:
    return render(
        request,
        "errors/page.html",
        status_code=404,
        title="Case not found",
        message=f"There is no case {reference} in your areas.",
    )


@router.get("/chair/cases")
async def find_case(user: UserDep, reference: str = "") -> Response:
    """A case found by its reference (the dashboard's search)."""
    reference = reference.strip().upper()
    if not reference or "/" in reference:
        return RedirectResponse("/chair", status_code=303)
    return RedirectResponse(f"/chair/cases/{quote(reference, safe='')}", status_code=303)


@router.get("/chair/cases/{reference}")
async def chair_case(
    request: Request, reference: str, session: SessionDep, user: UserDep, api: PanelDep
) -> Response:
    """The case as the panel shows the chair, and what can be done now."""
    try:
        view = await api.chair_case(reference, purpose=PURPOSE)
    except ApiProblem as problem:
        if problem.status != 404:
            raise
        return _not_found(request, reference)
    decisions = view.get("decisions") or []
    return render(
        request,
        "casework/case.html",
        title=f"Case {reference}",
        section=SECTION,
        view=view,
        reference=reference,
        next_steps=_next_steps(view, session.data.drafts),
        review_notes=choices.review_notes(view.get("status"), datetime.now(UTC)),
        dimensions=DIMENSIONS,
        exit_reason=exit_reason_words(view["case"].get("exit_reason")),
        decisions=[d for d in decisions if d["action"] not in REVIEW_ACTIONS],
        reviews=[d for d in decisions if d["action"] in REVIEW_ACTIONS],
    )


def _next_steps(view: dict[str, Any], drafts: dict[str, Any]) -> list[dict[str, Any]]:
    """The GOV.UK task list of what the chair can do now, drafts marked in progress."""
    reference = view["case"]["reference"]
    status = view.get("status")
    allowed = set((status or {}).get("allowed_actions") or [])
    if choices.reviews_open(status, datetime.now(UTC)):
        # The case's allowed actions are as of its last activity; a review's window may have
        # opened since (the API takes it).
        allowed.add(POST_EXIT_REVIEW.action)
    records = view["case"]["stage"] in RECORD_STAGES
    titles = [(d.slug, d.title, d.action) for d in CASEWORK.values()]
    after_requests = [slug for slug, _, _ in titles].index("information-request") + 1
    titles.insert(after_requests, (ASSESSMENT_SLUG, "Vulnerability assessment", ""))
    steps = []
    for slug, title, action in titles:
        if (action in allowed) if action else records:
            steps.append(_step(title, _base(reference, slug), f"{reference}/{slug}" in drafts))
    return steps


def _step(title: str, href: str, in_progress: bool) -> dict[str, Any]:
    tag = (
        {"text": "In progress", "classes": "govuk-tag--light-blue"}
        if in_progress
        else {"text": "Not yet started", "classes": "govuk-tag--blue"}
    )
    return {"title": {"text": title}, "href": href, "status": {"tag": tag}}


def _form_page(
    request: Request,
    reference: str,
    form: CaseForm,
    values: dict[str, str],
    errors: FormErrors,
    status_code: int = 200,
) -> Response:
    decision = form.offered
    return render(
        request,
        "casework/form.html",
        status_code=status_code,
        title=f"{decision.title}: {reference}",
        section=SECTION,
        reference=reference,
        decision=decision,
        unavailable=form.unavailable,
        values=values,
        errors=errors,
        dimensions=DIMENSIONS,
        action=_base(reference, decision.slug),
        back_link=f"/chair/cases/{reference}",
    )


@router.get("/chair/cases/{reference}/{slug}")
async def casework_form(
    request: Request,
    reference: str,
    slug: str,
    session: SessionDep,
    user: UserDep,
    api: PanelDep,
    meeting: str = "",
) -> Response:
    """The questions, filled in with any draft (a meeting's page may name the meeting); or,
    when the case offers nothing to choose (no meeting held yet), why, and where to go."""
    form = await _form(request, slug, api, reference)
    draft = session.data.drafts.get(f"{reference}/{slug}")
    if draft is None:
        draft = {"meeting_id": meeting} if meeting else {}
    return _form_page(request, reference, form, draft, FormErrors())


@router.post("/chair/cases/{reference}/{slug}")
async def casework_answers(
    request: Request,
    reference: str,
    slug: str,
    session: SessionDep,
    user: UserDep,
    api: PanelDep,
    form: FormDep,
) -> Response:
    """Keep the answers; on to check them, or back with what is missing."""
    case_form = await _form(request, slug, api, reference)
    decision = case_form.offered
    ticked = (await request.form()).getlist
    draft = posted(decision.fields, form, ticked)
    session.data.drafts[f"{reference}/{slug}"] = draft
    session.mark()
    if case_form.unavailable is not None:
        # Posted from a page that offered more than the case does now: say why, keep the draft.
        return _form_page(request, reference, case_form, draft, FormErrors(), 409)
    errors = validate(decision.fields, draft)
    if errors:
        return _form_page(request, reference, case_form, draft, errors, 400)
    return RedirectResponse(f"{_base(reference, slug)}/check", status_code=303)


@router.get("/chair/cases/{reference}/{slug}/check")
async def casework_check(
    request: Request, reference: str, slug: str, session: SessionDep, user: UserDep, api: PanelDep
) -> Response:
    """Check your answers before they are sent."""
    form = await _form(request, slug, api, reference)
    decision = form.offered
    draft = session.data.drafts.get(f"{reference}/{slug}")
    if draft is None or form.unavailable or validate(decision.fields, draft):
        return RedirectResponse(_base(reference, slug), status_code=303)
    meeting = None
    if "meeting_id" in draft and draft["meeting_id"].strip():
        try:
            meeting = await api.meeting(draft["meeting_id"].strip(), purpose=PURPOSE)
        except ApiProblem as problem:
            if problem.status not in (404, 422):
                raise
            errors = FormErrors({"meeting_id": "There is no meeting with that ID in your areas"})
            return _form_page(request, reference, form, draft, errors, 400)
    return render(
        request,
        "casework/check.html",
        meeting=meeting,
        title=f"Check your answers: {decision.title}",
        section=SECTION,
        reference=reference,
        decision=decision,
        values=answers(decision.fields, draft),
        action=f"{_base(reference, slug)}/check",
        change=_base(reference, slug),
        back_link=_base(reference, slug),
    )


@router.post("/chair/cases/{reference}/{slug}/check")
async def casework_send(
    request: Request,
    reference: str,
    slug: str,
    session: SessionDep,
    api: PanelDep,
    form: FormDep,
) -> Response:
    """Send it; a refusal comes back on the form with the answers kept. The answers are
    checked against all the case has (every meeting, every review to come), not only what the
    form offered: what changed since, the API refuses in its own words."""
    case_form = await _form(request, slug, api, reference)
    decision = case_form.sent
    return await send_draft(
        session,
        key=f"{reference}/{slug}",
        decision=decision,
        base=_base(reference, slug),
        send=lambda body: api.casework(reference, decision.api_path or slug, body),
        form_page=lambda draft, errors, code: _form_page(
            request, reference, case_form, draft, errors, code
        ),
    )


@router.get("/chair/cases/{reference}/{slug}/done")
async def casework_done(
    request: Request, reference: str, slug: str, user: UserDep, api: PanelDep, stage: str = ""
) -> Response:
    """The confirmation page."""
    decision = await _decision(slug, api)
    return render(
        request,
        "casework/done.html",
        title=decision.done,
        section=SECTION,
        reference=reference,
        decision=decision,
        stage=stage,
    )
