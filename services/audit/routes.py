"""Auditor routes: thin, each read of case data recorded in the access log and the audit log."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from safeguard.access_log import record_read, stated_purpose
from safeguard.audit import casebook, window
from safeguard.audit.actions import complete_timeline
from safeguard.audit.cases import find_case
from safeguard.audit.log.legacy import chain_key
from safeguard.audit.log.setup import verifier_key_for, witness_for
from safeguard.audit.log.verify import verify
from safeguard.audit.reads import CaseRead, page_of_reads
from safeguard.audit.timeline import TimelineEntry
from safeguard.auth.staff import StaffPrincipal
from safeguard.auth.staff_deps import require_roles
from safeguard.codes import Role
from safeguard.errors import ProblemError
from safeguard.errors import documented_problem as problem
from safeguard.police_only import POLICE_ONLY_FIELDS, sees_police_only
from safeguard.temporal import data_converter_for
from safeguard.web import PoolDep, SettingsDep, TemporalDep
from workflows.referral.actions import PERSONAL_FIELDS
from workflows.referral.replay import replaying
from workflows.referral.replay_bulk import replaying_in_bulk

router = APIRouter(prefix="/v1", tags=["audit"])
Auditor = Annotated[StaffPrincipal, Depends(require_roles(Role.AUDITOR))]
Purpose = Annotated[str, Depends(stated_purpose)]
SourceQuery = Annotated[casebook.Source, Query(description="archive, temporal, or auto")]


async def _history(
    pool: PoolDep,
    temporal: TemporalDep,
    reference: str,
    source: casebook.Source,
    *,
    auditor: StaffPrincipal,
    purpose: str,
    fields: list[str],
) -> casebook.CaseHistory:
    async with pool.acquire() as conn, conn.transaction():
        try:
            history = await casebook.case_history(conn, temporal, reference, source=source)
        except casebook.UnknownCaseError:
            raise ProblemError(404, "Unknown case", "No case has that reference.") from None
        await record_read(
            conn,
            service="audit",
            principal=auditor,
            referral_id=history.case.referral_id if history.case else None,
            fields=fields,
            purpose=purpose,
        )
    return history


def _shown(what: str, police: bool) -> list[str]:
    """What a read shows, as the access log records it: police-only fields named when shown."""
    return [what] + (sorted(f"{what}.{name}" for name in POLICE_ONLY_FIELDS) if police else [])


@router.get("/cases/{reference}/history")
async def export_history(
    reference: str,
    pool: PoolDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    auditor: Auditor,
    purpose: Purpose,
    source: SourceQuery = "auto",
) -> dict[str, Any]:
    """The case's workflow history, every payload decrypted, as Temporal's JSON."""
    police = sees_police_only(auditor)
    history = await _history(
        pool,
        temporal,
        reference,
        source,
        auditor=auditor,
        purpose=purpose,
        fields=_shown("history", police),
    )
    return await casebook.export(history, data_converter_for(settings), police_only=police)


@router.get("/cases/{reference}/replay")
async def replay_case(
    reference: str,
    pool: PoolDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    auditor: Auditor,
    purpose: Purpose,
    source: SourceQuery = "auto",
) -> dict[str, Any]:
    """Replay each run against the current code: is every decision reproduced?"""
    history = await _history(
        pool, temporal, reference, source, auditor=auditor, purpose=purpose, fields=["replay"]
    )
    verdicts = await casebook.replay_case(history, replaying(data_converter_for(settings)))
    return {
        "reference": reference,
        "source": history.source,
        "deterministic": all(v.deterministic for v in verdicts),
        "missing_runs": history.missing_runs,
        "runs": [asdict(v) for v in verdicts],
    }


SOURCE_HEADER = {
    "X-History-Source": {
        "schema": {
            "type": "string",
            "enum": ["archive", "temporal", "archive+temporal", "erased"],
        },
        "description": "Where the history came from (`archive+temporal`: the runs that ended"
        " from the archive, the newer ones from Temporal; `erased`: the record kept at"
        " erasure).",
    },
    "X-History-Missing-Runs": {
        "schema": {"type": "string"},
        "description": "Only when the history is incomplete: the ids (comma-separated) of runs"
        " it refers to but does not hold. With `source=auto`, neither the archive nor Temporal"
        " holds them any more (Temporal deleted them before they were archived); with"
        " `archive` or `temporal`, the other may. Entries of those runs, and maybe of runs"
        " before them, are not in the timeline.",
    },
}


@router.get(
    "/cases/{reference}/timeline",
    responses={
        200: {
            "description": "The timeline, oldest first: the workflow history's entries"
            " (`source` `history`) and the audit log's (`audit_log`).",
            "headers": SOURCE_HEADER,
        }
    },
)
async def case_timeline(
    reference: str,
    response: Response,
    pool: PoolDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    auditor: Auditor,
    purpose: Purpose,
    source: SourceQuery = "auto",
) -> list[TimelineEntry]:
    """Who did what, when and with which reasons: the workflow history merged in time order
    with the steps the services logged (tasks, panels, meetings, casework, provider contacts).

    The case's logged steps show once the audit store has heard of the case (its first event).
    """
    police = sees_police_only(auditor)
    history = await _history(
        pool,
        temporal,
        reference,
        source,
        auditor=auditor,
        purpose=purpose,
        fields=_shown("timeline", police),
    )
    response.headers["x-history-source"] = history.source
    if history.missing_runs:
        response.headers["x-history-missing-runs"] = ",".join(history.missing_runs)
    return await complete_timeline(
        pool, history, data_converter_for(settings), police_only=police, personal=PERSONAL_FIELDS
    )


@router.get("/replays")
async def replay_window(
    pool: PoolDep,
    settings: SettingsDep,
    auditor: Auditor,
    purpose: Purpose,
    closed_from: datetime,
    closed_to: datetime,
) -> dict[str, Any]:
    """Replay every case closed in [closed_from, closed_to) from the archive."""
    async with pool.acquire() as conn:
        async with conn.transaction():
            await record_read(
                conn,
                service="audit",
                principal=auditor,
                referral_id=None,
                fields=["replay_window"],
                purpose=purpose,
            )
        outcome = await window.replay_window(
            conn, replaying_in_bulk(settings), closed_from, closed_to
        )
    return {**asdict(outcome), "deterministic": outcome.deterministic}


class LogFinding(BaseModel):
    """Something wrong with the log, and where."""

    kind: str
    seq: int | None
    explanation: str


class LogVerification(BaseModel):
    """The audit log checked against its signed checkpoints."""

    intact: bool
    entries: int
    checkpoints: int
    covered: int
    unsequenced: int
    findings: list[LogFinding]


@router.get(
    "/log/verification",
    responses={
        401: problem("No staff bearer token, or one that is invalid or expired."),
        403: problem("The role is not `auditor`."),
    },
)
async def verify_log(pool: PoolDep, settings: SettingsDep, auditor: Auditor) -> LogVerification:
    """Check every entry of the audit log against the signed checkpoints (those in the
    write-once store win over the database's); name what was edited, inserted, deleted or
    moved. `covered` entries are proven; those after it await the next checkpoint."""
    async with pool.acquire() as conn:
        result = await verify(
            conn,
            key=verifier_key_for(settings),
            witness=witness_for(settings),
            chain_key=chain_key(settings),
        )
    return LogVerification(
        intact=result.intact,
        entries=result.entries,
        checkpoints=result.checkpoints,
        covered=result.covered,
        unsequenced=result.unsequenced,
        findings=[LogFinding(**asdict(finding)) for finding in result.findings],
    )


class CaseReads(BaseModel):
    """A page of the case's access log, newest first, with the total."""

    reference: str
    items: list[CaseRead]
    total: int
    offset: int
    limit: int
    next_offset: int | None


READS_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: problem("No `X-Purpose`: every read of case data states why (it is logged)."),
    401: problem("No staff bearer token, or one that is invalid or expired."),
    403: problem("The role is not `auditor`."),
    404: problem("The audit store knows no case with that reference (yet)."),
    422: problem("`limit` or `offset` is invalid (each named in `errors`)."),
}


@router.get("/cases/{reference}/reads", responses=READS_RESPONSES)
async def case_reads(
    reference: str,
    pool: PoolDep,
    auditor: Auditor,
    purpose: Purpose,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CaseReads:
    """Who read the case and why, newest first: every access-log row of the case, paged.

    This read is itself logged (after the page is taken, so it shows from the next read on).
    """
    async with pool.acquire() as conn, conn.transaction():
        case = await find_case(conn, reference)
        if case is None:
            raise ProblemError(404, "Unknown case", "No case has that reference.")
        total, items = await page_of_reads(conn, case.referral_id, limit=limit, offset=offset)
        await record_read(
            conn,
            service="audit",
            principal=auditor,
            referral_id=case.referral_id,
            fields=["reads"],
            purpose=purpose,
        )
    return CaseReads(
        reference=reference,
        items=items,
        total=total,
        offset=offset,
        limit=limit,
        next_offset=offset + limit if offset + limit < total else None,
    )
