"""Auditor routes: thin, each read of case data recorded in the access log and the chain."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from safeguard.access_log import record_read, stated_purpose
from safeguard.audit import casebook
from safeguard.audit.chain import chain_key
from safeguard.audit.timeline import TimelineEntry
from safeguard.audit.verify import verify
from safeguard.auth.staff import StaffPrincipal
from safeguard.auth.staff_deps import require_roles
from safeguard.codes import Role
from safeguard.errors import ProblemError
from safeguard.temporal import data_converter_for
from safeguard.web import PoolDep, SettingsDep, TemporalDep

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
    history = await _history(
        pool, temporal, reference, source, auditor=auditor, purpose=purpose, fields=["history"]
    )
    return await casebook.export(history, data_converter_for(settings))


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
    verdicts = await casebook.replay_case(history, data_converter_for(settings))
    return {
        "reference": reference,
        "source": history.source,
        "deterministic": all(v.deterministic for v in verdicts),
        "runs": [asdict(v) for v in verdicts],
    }


@router.get("/cases/{reference}/timeline")
async def case_timeline(
    reference: str,
    pool: PoolDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    auditor: Auditor,
    purpose: Purpose,
    source: SourceQuery = "auto",
) -> list[TimelineEntry]:
    """Who decided what, when and with which reasons, from the history alone."""
    history = await _history(
        pool, temporal, reference, source, auditor=auditor, purpose=purpose, fields=["timeline"]
    )
    return await casebook.case_timeline(history, data_converter_for(settings))


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
        outcome = await casebook.replay_window(
            conn, data_converter_for(settings), closed_from, closed_to
        )
    return {**asdict(outcome), "deterministic": outcome.deterministic}


@router.get("/chain/verification")
async def verify_chain(pool: PoolDep, settings: SettingsDep, auditor: Auditor) -> dict[str, Any]:
    """Check the audit chain; name the first edited, inserted or deleted row."""
    async with pool.acquire() as conn:
        result = await verify(conn, key=chain_key(settings))
    return {
        "rows": result.rows,
        "head": result.head_seq,
        "intact": result.intact,
        "finding": asdict(result.finding) if result.finding else None,
    }
