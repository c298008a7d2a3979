"""Signing in and out through the organisation's identity provider."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from safeguard.auth.staff import StaffTokenError
from services.web.auth import FormDep, SessionDep, UserDep, signed_in_user
from services.web.oidc import IdentityProviderError, OidcClient, SignInRejectedError, new_login
from services.web.pages import render

router = APIRouter(include_in_schema=False)


def _oidc(request: Request) -> OidcClient:
    client: OidcClient = request.app.state.oidc
    return client


def _local_path(target: str | None) -> str:
    """Only paths on this site: an open redirect would lend our name to a phishing page."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/sign-in")
async def sign_in(request: Request, session: SessionDep, return_to: str | None = None) -> Response:
    """Start the authorization code flow with PKCE."""
    login = new_login(_local_path(return_to))
    try:
        url = await _oidc(request).authorization_url(login)
    except IdentityProviderError:
        return _provider_down(request)
    session.data.login = login
    session.mark()
    return RedirectResponse(url, status_code=303)


@router.get("/auth/callback")
async def callback(
    request: Request,
    session: SessionDep,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Response:
    """The identity provider sends the person back here with a code."""
    login = session.data.login
    if login is None or state != login.state or code is None or error is not None:
        return render(
            request,
            "sign_in/failed.html",
            status_code=400,
            title="Sign-in did not complete",
        )
    try:
        tokens = await _oidc(request).exchange(code, login)
    except SignInRejectedError:
        return render(
            request, "sign_in/failed.html", status_code=400, title="Sign-in did not complete"
        )
    except IdentityProviderError:
        return _provider_down(request)
    try:
        user = signed_in_user(tokens, request.app.state.settings.staff_claims)
    except StaffTokenError:
        return render(
            request,
            "errors/page.html",
            status_code=403,
            title="You cannot use this service yet",
            message="Your account has no role in Safeguard, or more than one. Ask your"
            " organisation's Safeguard administrator to give you one role.",
        )
    await request.app.state.sessions.rotate(session)
    session.data.login = None
    session.data.user = user
    return RedirectResponse(login.return_to, status_code=303)


@router.post("/sign-out")
async def sign_out(request: Request, session: SessionDep, user: UserDep, form: FormDep) -> Response:
    """End our session, then the identity provider's."""
    del form  # checked for its CSRF token only
    base = request.app.state.public_url
    try:
        target = await _oidc(request).end_session_url(user.id_token, f"{base}/signed-out")
    except IdentityProviderError:
        target = None
    if session.id is not None:
        await request.app.state.sessions.end(session.id)
    session.ended = True
    return RedirectResponse(target or "/signed-out", status_code=303)


@router.get("/signed-out")
async def signed_out(request: Request) -> Response:
    """Confirmation that the person is signed out everywhere."""
    return render(request, "sign_in/signed_out.html", title="You have signed out")


def _provider_down(request: Request) -> Response:
    return render(
        request,
        "errors/page.html",
        status_code=503,
        title="Sorry, you cannot sign in at the moment",
        message="The sign-in service is not responding. Try again in a few minutes.",
    )
