"""`safeguard audit`: export, replay and explain case histories (the log: `audit_log`).

Every command needs an auditor's staff token (`--token` or `SAFEGUARD_AUDITOR_TOKEN`); each
read of case data is written to the access log and the audit log under that identity.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, TypeVar

import typer
from temporalio.client import Client

from safeguard.access_log import record_read
from safeguard.audit import casebook, window
from safeguard.audit.actions import complete_timeline
from safeguard.auth.staff import StaffPrincipal, StaffTokenError
from safeguard.auth.staff_verifier import verifier_for
from safeguard.cli.progress import progress
from safeguard.cli.wiring import wiring
from safeguard.codes import Role
from safeguard.db.pool import Connection, Pool, create_pool
from safeguard.police_only import sees_police_only
from safeguard.settings import Settings, get_settings
from safeguard.temporal import connect_temporal, data_converter_for

audit_app = typer.Typer(
    help="Auditors: histories, replays, timelines, who read a case, the audit log."
)
T = TypeVar("T")
# One replaying process per CPU this process may run on.
CPUS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1

Token = Annotated[
    str, typer.Option(envvar="SAFEGUARD_AUDITOR_TOKEN", help="An auditor's staff token.")
]
Purpose = Annotated[str, typer.Option(help="Why you read this case (for the access log).")]
Source = Annotated[str, typer.Option(help="archive, temporal, or auto (archive first).")]


@dataclass
class Session:
    """What a command works with."""

    settings: Settings
    auditor: StaffPrincipal
    pool: Pool
    temporal: Client | None


async def _auditor(settings: Settings, token: str) -> StaffPrincipal:
    try:
        principal = await verifier_for(settings).verify(token)
    except StaffTokenError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    if principal.role != Role.AUDITOR:
        typer.echo(f"error: role {principal.role} may not audit", err=True)
        raise typer.Exit(2)
    return principal


@asynccontextmanager
async def _session(token: str, *, temporal: bool) -> AsyncIterator[Session]:
    settings = get_settings()
    auditor = await _auditor(settings, token)
    pool = await create_pool(settings)
    try:
        client = await connect_temporal(settings) if temporal else None
        yield Session(settings, auditor, pool, client)
    finally:
        await pool.close()


def _run(command: Callable[[], Awaitable[T]]) -> T:
    try:
        return asyncio.run(command())  # type: ignore[arg-type]
    except casebook.UnknownCaseError as error:
        typer.echo(f"error: unknown case {error}", err=True)
        raise typer.Exit(1) from None


async def _history(
    session: Session, conn: Connection, reference: str, source: str, purpose: str, what: str
) -> casebook.CaseHistory:
    assert session.temporal is not None  # noqa: S101 - opened for case commands
    async with conn.transaction():
        history = await casebook.case_history(
            conn,
            session.temporal,
            reference,
            source=source,  # type: ignore[arg-type]
        )
        await record_read(
            conn,
            service="audit-cli",
            principal=session.auditor,
            referral_id=history.case.referral_id if history.case else None,
            fields=[what],
            purpose=purpose,
        )
    if history.missing_runs:
        where = (
            "are in neither the archive nor Temporal (deleted by Temporal's retention before"
            " they were archived)"
            if source == "auto"
            else f"are not in the {source} (try --source auto)"
        )
        typer.echo(
            f"WARNING: the history of {reference} is incomplete: runs"
            f" {', '.join(history.missing_runs)} {where}; their steps, and maybe earlier"
            " runs', are missing",
            err=True,
        )
    return history


@audit_app.command("export")
def export_command(reference: str, token: Token, purpose: Purpose, source: Source = "auto") -> None:
    """Print the case's workflow history, decrypted, as Temporal's JSON."""

    async def go() -> bool:
        async with _session(token, temporal=True) as s, s.pool.acquire() as conn:
            history = await _history(s, conn, reference, source, purpose, "history")
            document = await casebook.export(
                history, data_converter_for(s.settings), police_only=sees_police_only(s.auditor)
            )
            typer.echo(json.dumps(document, indent=2))
        return bool(history.missing_runs)

    if _run(go):
        raise typer.Exit(1)  # incomplete: the document names the missing runs


@audit_app.command("replay")
def replay_command(
    ctx: typer.Context, reference: str, token: Token, purpose: Purpose, source: Source = "auto"
) -> None:
    """Replay the case against the current code and say whether it is deterministic."""
    replaying = wiring(ctx).replaying

    async def go() -> bool:
        async with _session(token, temporal=True) as s, s.pool.acquire() as conn:
            history = await _history(s, conn, reference, source, purpose, "replay")
            verdicts = await casebook.replay_case(
                history, replaying(data_converter_for(s.settings))
            )
        if history.source == "erased":
            typer.echo(f"{reference}: history erased with the case; nothing to replay")
            return True
        for v in verdicts:
            verdict = "deterministic" if v.deterministic else f"NOT deterministic: {v.failure}"
            typer.echo(f"{v.workflow_id} run {v.run_id} ({v.events} events): {verdict}")
        ok = all(v.deterministic for v in verdicts)
        typer.echo(f"{reference} from the {history.source}: {'deterministic' if ok else 'FAILED'}")
        return ok and not history.missing_runs

    if not _run(go):
        raise typer.Exit(1)


@audit_app.command("timeline")
def timeline_command(
    ctx: typer.Context, reference: str, token: Token, purpose: Purpose, source: Source = "auto"
) -> None:
    """Print who did what, when and with which reasons: the workflow history and the steps
    the services logged, in time order (`[log]` marks the audit log's)."""

    personal = wiring(ctx).personal

    async def go() -> bool:
        async with _session(token, temporal=True) as s:
            async with s.pool.acquire() as conn:
                history = await _history(s, conn, reference, source, purpose, "timeline")
            entries = await complete_timeline(
                s.pool,
                history,
                data_converter_for(s.settings),
                police_only=sees_police_only(s.auditor),
                personal=personal,
            )
        for e in entries:
            who = f"{e.actor_id} ({e.actor_role})" if e.actor_id else (e.actor_role or "-")
            moved = f" {e.stage_before} -> {e.stage_after}" if e.stage_after else ""
            mark = "[log]" if e.source == "audit_log" else ""
            typer.echo(
                f"{e.at:%Y-%m-%d %H:%M:%S} {mark:<5} {e.kind:<9} {e.action:<28} {who}{moved}"
            )
            for key, value in {**e.detail, **e.reasons}.items():
                if value not in (None, [], {}):
                    typer.echo(f"{'':>30}{key}: {json.dumps(value, default=str)}")
            if e.events:
                typer.echo(f"{'':>30}events: {', '.join(e.events)}")
        return bool(history.missing_runs)

    if _run(go):
        raise typer.Exit(1)  # incomplete (said on stderr)


@audit_app.command("replay-window")
def replay_window_command(
    ctx: typer.Context,
    closed_from: Annotated[datetime, typer.Option("--from", help="Closed at or after.")],
    closed_to: Annotated[datetime, typer.Option("--to", help="Closed before.")],
    token: Token,
    purpose: Purpose,
    workers: Annotated[
        int, typer.Option(min=1, help="Replaying processes (default: one per CPU).")
    ] = CPUS,
) -> None:
    """Replay, from the archive, every case closed in a time window: counts, and each run
    that is not deterministic with the reason; exit code 1 if any (or a history is
    incomplete)."""
    bulk = wiring(ctx).replaying_in_bulk

    async def go() -> window.WindowReplay:
        async with _session(token, temporal=False) as s, s.pool.acquire() as conn:
            async with conn.transaction():
                await record_read(
                    conn,
                    service="audit-cli",
                    principal=s.auditor,
                    referral_id=None,
                    fields=["replay_window"],
                    purpose=purpose,
                )
            with progress("replaying closed cases") as advance:
                return await window.replay_window(
                    conn,
                    bulk(s.settings, workers),
                    closed_from.astimezone(),
                    closed_to.astimezone(),
                    on_progress=lambda done, so_far: advance(
                        done, so_far.cases, f"{len(so_far.failures)} not deterministic"
                    ),
                )

    outcome = _run(go)
    typer.echo(
        f"{outcome.cases} cases closed in the window: {outcome.runs} runs, {outcome.events} events"
        f" replayed; {outcome.erased} erased; {len(outcome.missing)} without an archive;"
        f" {len(outcome.incomplete)} incomplete; {len(outcome.failures)} not deterministic"
    )
    for failure in outcome.failures:
        typer.echo(f"  {failure.workflow_id} run {failure.run_id}: {failure.failure}")
    for reference in outcome.missing:
        typer.echo(f"  {reference}: no archived history")
    for reference in outcome.incomplete:
        typer.echo(f"  {reference}: archived history incomplete (runs lost before archiving)")
    if not outcome.deterministic or outcome.incomplete:
        raise typer.Exit(1)
