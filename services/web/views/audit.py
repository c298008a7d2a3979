"""Auditors' pages: find a case (saying why), its decision timeline, its replay, who read it.

The audit API decides everything: who may see these pages (auditors), what a timeline holds,
and it logs every read with the purpose asked here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from services.web.auth import FormDep, UserDep
from services.web.clients.base import ApiProblem
from services.web.deps import AuditDep
from services.web.forms import Field, FormErrors, validate
from services.web.pages import render
from services.web.views.tasks import PAGE_SIZE, pagination

router = APIRouter(include_in_schema=False)

SECTION = "audit"
OTHER = "other"
# Why an auditor reads a case: sent as X-Purpose, so the access log says why.
AUDIT_PURPOSES = {
    "scheduled-audit": "scheduled audit",
    "complaint": "complaint investigation",
    "oversight": "oversight review",
}
FIND_FIELDS = (
    Field(
        "reference",
        "Case reference",
        "input",
        "Enter a case reference",
        hint="For example, PRV-2026-000123",
        max_length=40,
    ),
    Field(
        "purpose",
        "Why are you reading this case?",
        "radios",
        "Select why you are reading this case",
        hint="Your reason is recorded in the access log with every page you open.",
        options=(*((k, t.capitalize()) for k, t in AUDIT_PURPOSES.items()), (OTHER, "Other")),
    ),
    Field(
        "other_reason",
        "Give the reason",
        "input",
        "Enter the reason you are reading this case",
        only_when=("purpose", OTHER),
        max_length=180,
    ),
)
HISTORY_SOURCES = {
    "archive": "The archive (kept when the case closed)",
    "temporal": "The case engine (the case's live history)",
    "archive+temporal": "The archive (runs that have ended) and the case engine (the current run)",
    "erased": "The record kept when the case was erased (no free text)",
}


def stated_purpose(purpose: str | None, reason: str | None) -> str | None:
    """The X-Purpose for a known purpose, or for "other" with the reason given."""
    if purpose in AUDIT_PURPOSES:
        return f"audit: {AUDIT_PURPOSES[purpose]}"
    if purpose == OTHER and reason and reason.strip():
        return f"audit: other: {reason.strip()[:180]}"
    return None


def _path(reference: str) -> str:
    """The reference as one URL path segment."""
    return quote(reference, safe="")


def purpose_query(purpose: str | None, reason: str | None) -> str:
    """The purpose the auditor gave, for the links between a case's audit pages."""
    return urlencode({"purpose": purpose, **({"reason": reason} if purpose == OTHER else {})})


async def _log(api: AuditDep) -> dict[str, Any]:
    """The log's state (raises the API's refusal, so only auditors get the page)."""
    return await api.log_state()


@router.get("/audit/log")
async def check_log(request: Request, user: UserDep, api: AuditDep) -> Response:
    """Check every entry of the audit log against its signed checkpoints (this takes seconds
    per million entries, so it runs when asked, not on every visit)."""
    return render(
        request,
        "audit/log.html",
        title="Audit log check",
        section=SECTION,
        check=await api.log_check(),
    )


@router.get("/audit")
async def start(request: Request, user: UserDep, api: AuditDep, reference: str = "") -> Response:
    """Find a case by reference and say why; and the state of the audit log."""
    log = await _log(api)
    return _start_page(request, log, {"reference": reference}, FormErrors())


@router.post("/audit")
async def find(request: Request, user: UserDep, api: AuditDep, form: FormDep) -> Response:
    """Open the case's timeline with the stated purpose, or show what is missing."""
    errors = validate(FIND_FIELDS, form)
    if errors:
        return _start_page(request, await _log(api), form, errors, status_code=400)
    reference = quote(form["reference"].strip().upper(), safe="")
    query = purpose_query(form["purpose"], form.get("other_reason", "").strip())
    return RedirectResponse(f"/audit/cases/{reference}?{query}", status_code=303)


def _start_page(
    request: Request,
    log: dict[str, Any],
    values: dict[str, str],
    errors: FormErrors,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "audit/start.html",
        status_code=status_code,
        title="Audit",
        section=SECTION,
        log=log,
        fields={q.name: q for q in FIND_FIELDS},
        values=values,
        errors=errors,
    )


def _not_found(request: Request, reference: str) -> Response:
    return render(
        request,
        "errors/page.html",
        status_code=404,
        title="Case not found",
        section=SECTION,
        message=f"There is no case {reference}. Check the reference and try again.",
        link={"href": "/audit", "text": "Find another case"},
    )


def _needs_purpose(reference: str) -> Response:
    return RedirectResponse(f"/audit?{urlencode({'reference': reference})}", status_code=303)


@router.get("/audit/cases/{reference}")
async def timeline(
    request: Request,
    reference: str,
    user: UserDep,
    api: AuditDep,
    purpose: str | None = None,
    reason: str | None = None,
) -> Response:
    """The case's decision timeline: who decided what, in which role, when."""
    stated = stated_purpose(purpose, reason)
    if stated is None:
        return _needs_purpose(reference)
    try:
        found = await api.timeline(reference, purpose=stated)
    except ApiProblem as problem:
        if problem.status != 404:
            raise
        return _not_found(request, reference)
    return render(
        request,
        "audit/timeline.html",
        title=f"Case {reference}",
        section=SECTION,
        reference=reference,
        ref_path=_path(reference),
        purpose_query=purpose_query(purpose, reason),
        stated=stated,
        entries=found.entries,
        summary=_summary(found.entries),
        source=HISTORY_SOURCES.get(found.source, found.source or "Not given"),
        missing_runs=found.missing_runs,
        back_link="/audit",
    )


def _summary(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """What the timeline says of the case as a whole."""
    opened = next((e for e in entries if e["kind"] == "opened"), None)
    decisions = [e for e in entries if e["kind"] == "decision"]
    stages = [e["stage_after"] for e in entries if e.get("stage_after")]
    return {
        "received": opened["at"] if opened else None,
        "opened": (opened or {}).get("detail") or {},
        "stage": stages[-1] if stages else None,
        "decisions": len(decisions),
        "rejected": sum(1 for e in entries if e["kind"] == "rejected"),
        "last": decisions[-1] if decisions else None,
    }


@router.get("/audit/cases/{reference}/replay")
async def replay(
    request: Request,
    reference: str,
    user: UserDep,
    api: AuditDep,
    purpose: str | None = None,
    reason: str | None = None,
) -> Response:
    """The case's history replayed on the current code: are its decisions reproduced?"""
    stated = stated_purpose(purpose, reason)
    if stated is None:
        return _needs_purpose(reference)
    try:
        result = await api.replay(reference, purpose=stated)
    except ApiProblem as problem:
        if problem.status != 404:
            raise
        return _not_found(request, reference)
    return render(
        request,
        "audit/replay.html",
        title=f"Replay of {reference}",
        section=SECTION,
        reference=reference,
        ref_path=_path(reference),
        purpose_query=purpose_query(purpose, reason),
        result=result,
        source=HISTORY_SOURCES.get(result.get("source", ""), result.get("source")),
        missing_runs=result.get("missing_runs", []),
        back_link=f"/audit/cases/{_path(reference)}?{purpose_query(purpose, reason)}",
    )


@router.get("/audit/cases/{reference}/reads")
async def reads(
    request: Request,
    reference: str,
    user: UserDep,
    api: AuditDep,
    purpose: str | None = None,
    reason: str | None = None,
    page: str = "1",
) -> Response:
    """Who read the case, when, in which role, which parts and why: newest first, paged."""
    stated = stated_purpose(purpose, reason)
    if stated is None:
        return _needs_purpose(reference)
    number = max(1, int(page)) if page.isdigit() else 1
    try:
        result = await api.reads(
            reference, purpose=stated, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
        )
    except ApiProblem as problem:
        if problem.status != 404:
            raise
        return _not_found(request, reference)
    query = {"purpose": purpose or "", **({"reason": reason or ""} if purpose == OTHER else {})}
    path = f"/audit/cases/{_path(reference)}/reads"
    return render(
        request,
        "audit/reads.html",
        title=f"Who read {reference}",
        section=SECTION,
        reference=reference,
        ref_path=_path(reference),
        purpose_query=purpose_query(purpose, reason),
        result=result,
        pagination=pagination(result["total"], number, query, path)
        if result["total"] > PAGE_SIZE
        else None,
        back_link=f"/audit/cases/{_path(reference)}?{purpose_query(purpose, reason)}",
    )
