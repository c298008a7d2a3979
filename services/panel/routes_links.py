"""Consent links: issued internally (notifications), used publicly (the consent pages)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request

from safeguard.auth.service_deps import require_permission
from safeguard.auth.service_identity import Permission
from safeguard.errors import PROBLEM_JSON, Problem
from safeguard.errors import documented_problem as problem
from safeguard.web import PoolDep, SettingsDep, TemporalDep
from services.panel import consent_links
from services.panel.consent_links import (
    Acknowledged,
    ConsentLinkCreate,
    ConsentLinkIssued,
    ConsentLinks,
    LinkAnswer,
    LinkDetails,
    LinkView,
)

Responses = dict[int | str, dict[str, Any]]


internal_links_router = APIRouter(
    prefix="/internal/v1/consent-links",
    include_in_schema=False,
    dependencies=[Depends(require_permission(Permission.CONSENT_LINKS_ISSUE))],
)
public_links_router = APIRouter(prefix="/public/v1/consent-links", tags=["consent links"])


def _links(
    request: Request, pool: PoolDep, temporal: TemporalDep, settings: SettingsDep
) -> ConsentLinks:
    return ConsentLinks(
        pool, temporal, request.app.state.referrals, settings.panel, request.app.state.keyring
    )


LinksDep = Annotated[ConsentLinks, Depends(_links)]
Token = Annotated[str, Path(description="The token from the link (the link is the credential).")]


class DetailsMismatch(Problem):
    """Wrong reference or date of birth, and how many tries are left before the link locks."""

    attempts_left: int


_MISMATCH: dict[str, Any] = {
    "model": DetailsMismatch,
    "description": (
        "`Details do not match`: the reference or date of birth is wrong; `attempts_left` "
        "says how many tries remain (the last wrong one locks the link: 423). "
        "`Invalid request`: the body is malformed (each field named in `errors`)."
    ),
    "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/DetailsMismatch"}}},
}
_COMMON: Responses = {
    404: problem("`Link not valid`: never issued, or replaced by a newer link for the case."),
    422: _MISMATCH,
    423: problem("`Link locked`: wrong details too many times; every later call answers 423."),
    503: problem(
        "The details cannot be checked just now; nothing was recorded.",
        {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
    ),
}
VERIFY_RESPONSES: Responses = _COMMON | {
    410: problem("`Link expired`, unless consent given through it may still be withdrawn."),
}
ANSWER_RESPONSES: Responses = _COMMON | {
    409: problem(
        "`Already answered`: the link was used; or the case no longer waits for an answer."
    ),
    410: problem("`Link expired`: answering ends at `expires_at`."),
}
WITHDRAW_RESPONSES: Responses = _COMMON | {
    409: problem(
        "`Nothing to withdraw`: consent was not given through or since the link (`state`); "
        "or the case can no longer withdraw."
    ),
}


@internal_links_router.post("", status_code=201)
async def issue_link(
    body: ConsentLinkCreate, pool: PoolDep, settings: SettingsDep
) -> ConsentLinkIssued:
    """A new single-use link for the case's consent request; older unused ones stop working."""
    return await consent_links.issue(pool, settings.panel, body.referral_id)


@public_links_router.post("/{token}/verify", responses=VERIFY_RESPONSES)
async def verify_link(token: Token, body: LinkDetails, links: LinksDep) -> LinkView:
    """Check the holder's details; the request's route and where consent stands, nothing else."""
    return await links.verify(token, body)


@public_links_router.post("/{token}/answer", responses=ANSWER_RESPONSES)
async def answer_link(token: Token, body: LinkAnswer, links: LinksDep) -> Acknowledged:
    """Give or refuse consent, once per link, as the person or guardian."""
    return await links.answer(token, body)


@public_links_router.post("/{token}/withdrawal", responses=WITHDRAW_RESPONSES)
async def withdraw_through_link(token: Token, body: LinkDetails, links: LinksDep) -> Acknowledged:
    """Withdraw consent given through or since the link; possible after the link expired."""
    return await links.withdraw(token, body)
