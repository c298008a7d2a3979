"""Sessions put in place directly, for page tests that need no identity provider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from safeguard.auth.staff import StaffPrincipal, development_signing_key, mint
from safeguard.codes import Role
from services.web.sessions import COOKIE, Session, SessionData, SessionStore, SignedIn
from tests.web.conftest import Site


@dataclass
class Visitor:
    """A signed-in person's cookie jar and CSRF token, on an httpx client."""

    http: httpx.AsyncClient
    csrf: str
    session_id: str

    async def get(self, path: str) -> httpx.Response:
        """A page, as a browser would ask for it (redirects not followed)."""
        return await self.http.get(path)

    async def post(self, path: str, form: dict[str, str], *, csrf: bool = True) -> httpx.Response:
        """A form, with this session's CSRF token unless told otherwise."""
        data = form | ({"csrf_token": self.csrf} if csrf else {})
        return await self.http.post(path, data=data)


async def visitor(
    site: Site,
    subject: str,
    role: Role,
    areas: tuple[str, ...] = (),
    *,
    provider_id: str | None = None,
    agency: str | None = None,
) -> Visitor:
    """A session for `subject` holding a development-key access token the APIs accept
    (naming the provider or agency the person works for, when given)."""
    settings = site.settings
    token = mint(
        development_signing_key(settings.data_dir),
        principal=StaffPrincipal(
            subject=subject, role=role, areas=areas, provider_id=provider_id, agency=agency
        ),
        issuer=settings.staff_token_issuer,
        audience=settings.staff_token_audience,
        ttl_seconds=3600,
    )
    user = SignedIn(
        subject=subject,
        name=subject.replace("-", " ").title(),
        role=role.value,
        areas=list(areas),
        access_token=token,
        access_expires_at=datetime.now(UTC) + timedelta(hours=1),
        id_token="not-used-by-page-tests",
    )
    session = Session(id=None, data=SessionData(user=user))
    session_id = await SessionStore(site.pool, settings.web).save(session)
    http = httpx.AsyncClient(base_url=site.url, cookies={COOKIE: session_id}, timeout=30)
    return Visitor(http=http, csrf=session.data.csrf_token, session_id=session_id)
