"""Triage: referrals no area owns yet, and setting their area."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.web.auth import FormDep, SessionDep, UserDep
from services.web.clients.base import ApiProblem
from services.web.deps import AssessmentDep
from services.web.forms import FormErrors, api_errors
from services.web.pages import render
from services.web.views.tasks import PAGE_SIZE, _page_number, pagination

router = APIRouter(include_in_schema=False)


@router.get("/triage")
async def triage(request: Request, user: UserDep, api: AssessmentDep) -> Response:
    """Referrals waiting for an area."""
    page = _page_number(dict(request.query_params))
    params = [("limit", PAGE_SIZE), ("offset", (page - 1) * PAGE_SIZE), ("sort", "created_at")]
    result = await api.triage(params, purpose="triage")
    return render(
        request,
        "triage/list.html",
        title="Triage",
        section="triage",
        page=result,
        pagination=pagination(result["total"], page, {}, "/triage")
        if result["total"] > PAGE_SIZE
        else None,
    )


def _area_page(
    request: Request, reference: str, areas: list[str], errors: FormErrors, chosen: str = ""
) -> Response:
    return render(
        request,
        "triage/area.html",
        status_code=400 if errors else 200,
        title=f"Which area is {reference} in?",
        section="triage",
        reference=reference,
        area_options=[(area, area) for area in areas],
        chosen=chosen,
        errors=errors,
        back_link="/triage",
    )


@router.get("/cases/{reference}/area")
async def area_form(request: Request, reference: str, user: UserDep) -> Response:
    """Ask which of the officer's areas the case belongs to."""
    return _area_page(request, reference, user.areas, FormErrors())


@router.post("/cases/{reference}/area")
async def set_area(
    request: Request,
    reference: str,
    session: SessionDep,
    user: UserDep,
    api: AssessmentDep,
    form: FormDep,
) -> Response:
    """Set the area; the case leaves triage and joins that area's inbox."""
    area = form.get("area", "")
    errors = FormErrors()
    if area not in user.areas:
        errors.add("area", "Select the area the case belongs to")
        return _area_page(request, reference, user.areas, errors, area)
    try:
        await api.set_area(reference, area=area)
    except ApiProblem as problem:
        if problem.status == 401:
            raise
        errors = api_errors((), problem.errors, problem.detail or problem.title)
        return _area_page(request, reference, user.areas, errors, area)
    session.data.flash = f"{reference} is now in area {area} and in its officers' tasks"
    session.mark()
    return RedirectResponse("/triage", status_code=303)
