"""A transfer between areas, on the case page: the receiving area accepts or declines it, the
sending area may withdraw it. The request itself is a decision like any other (`decide`).

Each answer is one button on the case page, so a refusal or a missing reason comes back there
in the error summary, as the task buttons' do.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.web.auth import FormDep, SessionDep
from services.web.clients.base import ApiProblem
from services.web.decisions import TRANSFER_ANSWER
from services.web.deps import AssessmentDep
from services.web.forms import validate
from services.web.sessions import Session

router = APIRouter(include_in_schema=False)


def _case_page(reference: str) -> str:
    return f"/cases/{reference}?{urlencode({'purpose': 'transfer'})}"


def _back(form: dict[str, str], reference: str) -> str:
    back = form.get("return_to") or _case_page(reference)
    return back if back.startswith("/") and not back.startswith("//") else _case_page(reference)


def _refused(session: Session, message: str, back: str) -> Response:
    session.data.flash_error = message
    session.mark()
    return RedirectResponse(back, status_code=303)


@router.post("/cases/{reference}/transfer/answer")
async def answer_transfer(
    request: Request, reference: str, session: SessionDep, api: AssessmentDep, form: FormDep
) -> Response:
    """Accept the case into your area, or decline it with a reason."""
    back = _back(form, reference)
    errors = validate(TRANSFER_ANSWER, form)
    if errors:
        return _refused(session, next(iter(errors.messages.values())), back)
    accepting = form["answer"] == "accept"
    body = {} if accepting else {"reason": form["reason"].strip()}
    try:
        status = await api.answer_transfer(reference, form["answer"], body)
    except ApiProblem as problem:
        if problem.status == 401:
            raise
        return _refused(session, problem.detail or problem.title, back)
    if accepting:
        session.data.flash = f"Transfer accepted: {reference} and its history are now in your area"
        target = _case_page(reference)
    else:
        session.data.flash = f"Transfer declined: {reference} stays with {status['area']}"
        target = "/tasks"
    session.mark()
    return RedirectResponse(target, status_code=303)


@router.post("/cases/{reference}/transfer/withdraw")
async def withdraw_transfer(
    request: Request, reference: str, session: SessionDep, api: AssessmentDep, form: FormDep
) -> Response:
    """Withdraw your area's request to transfer the case."""
    back = _back(form, reference)
    try:
        await api.answer_transfer(reference, "withdraw", {})
    except ApiProblem as problem:
        if problem.status == 401:
            raise
        return _refused(session, problem.detail or problem.title, back)
    session.data.flash = f"Transfer request withdrawn: {reference} stays in your area"
    session.mark()
    return RedirectResponse(back, status_code=303)
