"""`safeguard agencies register | list | rotate | revoke`: partner clients and their API keys."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, TypeVar

import asyncpg
import typer

from safeguard.auth import agencies
from safeguard.auth.agencies import (
    DEFAULT_LIMITS,
    DEFAULT_READ_LIMITS,
    AgencyError,
    AgencyKind,
    AlreadyRegistered,
    RateLimit,
)
from safeguard.auth.keys import ApiKey
from safeguard.db.pool import Connection
from safeguard.settings import get_settings

T = TypeVar("T")

agencies_app = typer.Typer(
    help="Partner agencies and the public client: register, list, rotate, revoke.",
    no_args_is_help=True,
)


def _run(operation: Callable[[Connection], Awaitable[T]]) -> T:
    async def main() -> T:
        conn = await asyncpg.connect(get_settings().database_dsn())
        try:
            return await operation(conn)
        finally:
            await conn.close()

    try:
        return asyncio.run(main())
    except AgencyError as error:
        typer.echo(f"error: {error}{_what_next(error)}", err=True)
        raise typer.Exit(1) from None


def _what_next(error: AgencyError) -> str:
    """A re-run of the quick start's register line must not look like it gave a key."""
    if isinstance(error, AlreadyRegistered):
        return (
            ", so no key was issued (a key is shown only once, when it is made)."
            "\nFor a new key (the old one keeps working for 24 hours):"
            f" safeguard agencies rotate {error.client_id}"
        )
    return ""


def _print_key(client_id: str, key: ApiKey, lifetime_days: int) -> None:
    # The key alone on stdout, so `KEY=$(safeguard agencies register ...)` holds the key and
    # nothing else; the note about it goes to the terminal.
    typer.echo(
        f"client {client_id}: new API key (valid {lifetime_days} days; shown only once)",
        err=True,
    )
    typer.echo(key.token)


@agencies_app.command("register")
def register_command(
    client_id: Annotated[str, typer.Argument(help="Short id, e.g. riverside-academy.")],
    name: Annotated[str, typer.Option(help="The agency's name.")],
    kind: Annotated[AgencyKind, typer.Option(help="partner, or public for the web form.")] = (
        AgencyKind.PARTNER
    ),
    area: Annotated[str | None, typer.Option(help="Its local authority area code.")] = None,
    rate_per_minute: Annotated[int | None, typer.Option(min=1)] = None,
    burst: Annotated[int | None, typer.Option(min=1)] = None,
    read_rate_per_minute: Annotated[
        int | None, typer.Option(min=1, help="Status reads' own budget.")
    ] = None,
    read_burst: Annotated[int | None, typer.Option(min=1)] = None,
    key_days: Annotated[int, typer.Option(min=1, help="Lifetime of the key.")] = 365,
) -> None:
    """Register a client and print its first API key."""
    default = DEFAULT_LIMITS[kind]
    limit = RateLimit(
        per_minute=rate_per_minute or default.per_minute, burst=burst or default.burst
    )
    reads = DEFAULT_READ_LIMITS[kind]
    read_limit = RateLimit(
        per_minute=read_rate_per_minute or reads.per_minute, burst=read_burst or reads.burst
    )
    key = _run(
        lambda conn: agencies.register(
            conn,
            client_id=client_id,
            name=name,
            kind=kind,
            area=area,
            limit=limit,
            key_lifetime=timedelta(days=key_days),
            read_limit=read_limit,
        )
    )
    _print_key(client_id, key, key_days)


@agencies_app.command("list")
def list_command() -> None:
    """Every registered client, its limits and how many live keys it holds."""
    found = _run(agencies.list_agencies)
    typer.echo(
        f"{'client':<28} {'kind':<8} {'area':<10} {'limit':<12} {'reads':<12} {'keys':>4}  state"
    )
    for agency in found:
        limit = f"{agency.limit.per_minute}/min+{agency.limit.burst}"
        reads = f"{agency.read_limit.per_minute}/min+{agency.read_limit.burst}"
        state = f"revoked {agency.revoked_at:%Y-%m-%d}" if agency.revoked_at else "active"
        typer.echo(
            f"{agency.client_id:<28} {agency.kind.value:<8} {agency.area or '-':<10}"
            f" {limit:<12} {reads:<12} {agency.live_keys:>4}  {state}"
        )


@agencies_app.command("rotate")
def rotate_command(
    client_id: str,
    grace_hours: Annotated[
        float, typer.Option(min=0, help="How long the older keys keep working.")
    ] = 24.0,
    key_days: Annotated[int, typer.Option(min=1, help="Lifetime of the new key.")] = 365,
) -> None:
    """Issue a new key; older keys expire after the grace period."""
    key = _run(
        lambda conn: agencies.rotate(
            conn,
            client_id=client_id,
            grace=timedelta(hours=grace_hours),
            key_lifetime=timedelta(days=key_days),
        )
    )
    _print_key(client_id, key, key_days)


@agencies_app.command("revoke")
def revoke_command(client_id: str) -> None:
    """Revoke the client and all its keys immediately."""
    _run(lambda conn: agencies.revoke(conn, client_id=client_id))
    typer.echo(f"client {client_id} revoked")
