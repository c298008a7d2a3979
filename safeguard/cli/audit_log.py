"""`safeguard audit verify | prove | consistency | key | reads`: the audit log, for auditors.

`prove` and `consistency` print JSON that `safeguard/audit/log/proofcheck.py`, a file that
stands alone, checks with nothing but the log's verifier key (`safeguard audit key`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer

from safeguard.access_log import record_read
from safeguard.audit.cases import find_case
from safeguard.audit.log.checkpoints import verifier_key_text
from safeguard.audit.log.legacy import chain_key
from safeguard.audit.log.proofs import ProofUnavailableError, prove_consistency, prove_inclusion
from safeguard.audit.log.setup import verifier_key_for, witness_for
from safeguard.audit.log.verify import Verification, verify
from safeguard.audit.reads import CaseRead, page_of_reads
from safeguard.cli.audit import Purpose, Token, _run, _session
from safeguard.db.pool import Connection
from safeguard.settings import get_settings


def verify_command(token: Token) -> None:
    """Check every entry of the audit log against the signed checkpoints."""

    async def go() -> Verification:
        async with _session(token, temporal=False) as s, s.pool.acquire() as conn:
            return await verify(
                conn,
                key=verifier_key_for(s.settings),
                witness=witness_for(s.settings),
                chain_key=chain_key(s.settings),
            )

    result = _run(go)
    typer.echo(
        f"{result.entries:,} entries checked against {result.checkpoints:,} signed checkpoints;"
        f" the first {result.covered:,} proven, {result.entries - result.covered:,} awaiting the"
        f" next checkpoint, {result.unsequenced:,} not yet numbered"
    )
    for finding in result.findings:
        typer.echo(f"FOUND ({finding.kind}): {finding.explanation}")
    if not result.intact:
        raise typer.Exit(1)
    typer.echo("audit log intact")


def _proof(token: Token, make: Callable[[Connection], Awaitable[dict[str, Any]]]) -> None:
    async def go() -> dict[str, Any]:
        async with _session(token, temporal=False) as s, s.pool.acquire() as conn:
            return await make(conn)

    try:
        typer.echo(json.dumps(_run(go), indent=2, ensure_ascii=False))
    except ProofUnavailableError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


def prove_command(
    entry: Annotated[int, typer.Argument(help="The entry's number.")], token: Token
) -> None:
    """Print the proof that ENTRY is in the log under its newest signed checkpoint."""
    _proof(token, lambda conn: prove_inclusion(conn, entry))


def consistency_command(
    old: Annotated[int, typer.Argument(help="The older checkpoint's size.")],
    new: Annotated[int, typer.Argument(help="The newer checkpoint's size.")],
    token: Token,
) -> None:
    """Print the proof that the log of NEW entries extends the log of OLD entries."""
    _proof(token, lambda conn: prove_consistency(conn, old, new))


def key_command() -> None:
    """Print the verifier key to give auditors, for `proofcheck.py --key`."""
    typer.echo(verifier_key_text(verifier_key_for(get_settings())))


def reads_command(
    reference: str,
    token: Token,
    purpose: Purpose,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
) -> None:
    """List who read the case: when, who, role, through which service, which fields, why."""

    async def go() -> list[CaseRead]:
        async with (
            _session(token, temporal=False) as s,
            s.pool.acquire() as conn,
            conn.transaction(),
        ):
            # References are upper case; one typed in lower case still finds its case.
            case = await find_case(conn, reference.strip().upper())
            if case is None:
                typer.echo(f"error: unknown case {reference}", err=True)
                raise typer.Exit(1)
            _, rows = await page_of_reads(conn, case.referral_id, limit=limit)
            await record_read(
                conn,
                service="audit-cli",
                principal=s.auditor,
                referral_id=case.referral_id,
                fields=["reads"],
                purpose=purpose,
            )
            return rows

    for read in _run(go):
        typer.echo(
            f"{read.at:%Y-%m-%d %H:%M:%S%z}  {read.subject} ({read.role}) via {read.service}:"
            f" {', '.join(read.fields)} \u2014 {_why(read)}"
        )


def _why(read: CaseRead) -> str:
    """The stated purpose, or why it is not shown, and whether the log vouches for it."""
    if read.purpose is None:
        return f"(purpose erased with the case, {read.purpose_erased_at:%Y-%m-%d})"
    if read.purpose_matches_log is False:
        return f"{read.purpose} [DOES NOT MATCH the audit log's digest]"
    return read.purpose
