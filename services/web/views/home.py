"""The start page: each role goes to where its work is."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.web.auth import UserDep
from services.web.navigation import start_page
from services.web.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/")
async def start(request: Request, user: UserDep) -> Response:
    """Send the person to their work; roles without pages yet see the start page."""
    target = start_page(user.role)
    if target is not None:
        return RedirectResponse(target, status_code=303)
    return render(request, "home.html", title="Safeguard")
