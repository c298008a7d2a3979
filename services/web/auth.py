"""Who is signed in: the session middleware and the dependencies pages use."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from safeguard.auth.claims import StaffClaimNames, principal_from
from safeguard.auth.staff import StaffTokenError
from services.web.oidc import IdentityProviderError, OidcClient, SignInRejectedError, TokenSet
from services.web.sessions import COOKIE, Session, SessionData, SessionStore, SignedIn
from services.web.unavailable import outage_answer

# Refresh a little before expiry, so an API call never carries a token that lapses in flight.
_REFRESH_MARGIN = timedelta(seconds=30)


class SignInRequiredError(Exception):
    """No live session: send the person to sign in (GET) or explain (POST)."""

    def __init__(self, return_to: str) -> None:
        super().__init__(return_to)
        self.return_to = return_to


class CsrfError(Exception):
    """A form arrived without this session's token."""


class SessionMiddleware(BaseHTTPMiddleware):
    """Loads the session before the page and saves it after, setting the cookie when new."""

    def __init__(self, app: object, *, secure: bool) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.secure = secure

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        store: SessionStore = request.app.state.sessions
        if request.url.path.startswith(("/static/", "/assets/", "/health/")):
            return await call_next(request)
        try:
            found = await store.load(request.cookies.get(COOKIE))
        except Exception as error:
            return _unavailable_or_raise(request, error)
        session = found or Session(id=None, data=SessionData())
        request.state.session = session
        response = await call_next(request)
        if session.ended:
            response.delete_cookie(COOKIE, path="/")
        elif session.changed:
            try:
                session_id = await store.save(session)
            except Exception as error:
                # What the page did to the session is lost, so the page is not shown either.
                return _unavailable_or_raise(request, error)
            response.set_cookie(
                COOKIE,
                session_id,
                httponly=True,
                secure=self.secure,
                samesite="lax",
                path="/",
            )
        return response


def _unavailable_or_raise(request: Request, error: Exception) -> Response:
    """The unavailable page while the sessions' database is down; any other error goes on."""
    answer = outage_answer(request, error)
    if answer is None:
        raise error
    return answer


def session_of(request: Request) -> Session:
    """This request's session."""
    session: Session = request.state.session
    return session


SessionDep = Annotated[Session, Depends(session_of)]


def signed_in_user(tokens: TokenSet, names: StaffClaimNames) -> SignedIn:
    """The session's record of a person, from verified ID token claims mapped as the APIs map
    access tokens (`StaffTokenError` when they name no single role)."""
    principal = principal_from(tokens.claims, names)
    claims = tokens.claims
    return SignedIn(
        subject=principal.subject,
        name=str(claims.get("name") or claims.get("preferred_username") or principal.subject),
        role=principal.role.value,
        areas=list(principal.areas),
        access_token=tokens.access_token,
        access_expires_at=datetime.now(UTC) + timedelta(seconds=tokens.expires_in),
        refresh_token=tokens.refresh_token,
        id_token=tokens.id_token,
    )


def _return_to(request: Request) -> str:
    path = request.url.path
    return path + (f"?{request.url.query}" if request.url.query else "")


async def current_user(request: Request, session: SessionDep) -> SignedIn:
    """The signed-in person with a fresh access token; otherwise sign in first."""
    user = session.data.user
    if user is None:
        raise SignInRequiredError(_return_to(request))
    if user.access_expires_at - _REFRESH_MARGIN > datetime.now(UTC):
        return user
    oidc: OidcClient = request.app.state.oidc
    if user.refresh_token is None:
        raise SignInRequiredError(_return_to(request))
    try:
        tokens = await oidc.refresh(user.refresh_token, user.id_token)
    except (SignInRejectedError, IdentityProviderError):
        session.data.user = None
        session.mark()
        raise SignInRequiredError(_return_to(request)) from None
    try:
        session.data.user = signed_in_user(tokens, request.app.state.settings.staff_claims)
    except StaffTokenError:
        session.data.user = None
        session.mark()
        raise SignInRequiredError(_return_to(request)) from None
    session.mark()
    return session.data.user


UserDep = Annotated[SignedIn, Depends(current_user)]


async def checked_form(request: Request, session: SessionDep) -> dict[str, str]:
    """The posted form, once its CSRF token matches the session's (raises CsrfError)."""
    form = await request.form()
    sent = form.get("csrf_token")
    if not isinstance(sent, str) or not secrets.compare_digest(sent, session.data.csrf_token):
        await form.close()  # a refused form's files are never read
        raise CsrfError
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}


async def _checked_form_closed_after(
    request: Request, session: SessionDep
) -> AsyncIterator[dict[str, str]]:
    """The checked form; its files closed once the page is done, whether it read them or not
    (each waits in a temporary file until closed)."""
    form = await request.form()
    try:
        yield await checked_form(request, session)  # the same form: Starlette keeps it
    finally:
        await form.close()


FormDep = Annotated[dict[str, str], Depends(_checked_form_closed_after)]


def sign_in_url(return_to: str) -> str:
    """The sign-in route that comes back to `return_to`."""
    return f"/sign-in?return_to={quote(return_to, safe='')}"
