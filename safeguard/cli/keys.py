"""`safeguard keys status | rotate | retire`: the key-encryption key of personal fields."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import asyncpg
import typer

from safeguard.db.pool import Connection
from safeguard.fieldcrypt import rotation
from safeguard.fieldcrypt.keys import KeyProvider, KeyProviderError
from safeguard.fieldcrypt.setup import key_provider
from safeguard.settings import get_settings

T = TypeVar("T")

keys_app = typer.Typer(
    help="Key-encryption key of personal fields: rotate, re-wrap data keys, retire old versions.",
    no_args_is_help=True,
)


def _run(operation: Callable[[Connection, KeyProvider], Awaitable[T]]) -> T:
    async def main() -> T:
        settings = get_settings()
        conn = await asyncpg.connect(settings.database_dsn())
        try:
            async with key_provider(settings) as provider:
                return await operation(conn, provider)
        finally:
            await conn.close()

    try:
        return asyncio.run(main())
    except KeyProviderError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


@keys_app.command("status")
def status_command() -> None:
    """How many data keys each KEK version wraps."""
    found = _run(rotation.status)
    typer.echo(f"newest KEK version: {found.latest}")
    for version, count in sorted(found.by_version.items()):
        typer.echo(f"v{version}: {count} data key(s)")
    typer.echo(f"destroyed (erased cases): {found.destroyed}")


@keys_app.command("rotate")
def rotate_command(
    retire: Annotated[
        bool, typer.Option(help="Then destroy the older KEK versions (see `retire`).")
    ] = False,
) -> None:
    """Make a new KEK version and re-wrap every data key under it; no field is re-encrypted."""
    version, moved = _run(rotation.rotate)
    typer.echo(f"KEK version {version}: {moved} data key(s) re-wrapped")
    if retire:
        retire_command()


@keys_app.command("retire")
def retire_command() -> None:
    """Destroy KEK versions older than the newest: erased cases' keys in backups die with them.

    Refused while a data key is still wrapped under an older version. A database backup
    taken before this can no longer be opened either: that is how erasure reaches backups,
    so backups are kept for one rotation period, and the schedule says how soon erasure
    reaches them (README, "Personal data at rest").
    """
    kept = _run(rotation.retire)
    typer.echo(f"KEK versions below {kept} destroyed")


def rewrap_command() -> None:
    """Re-wrap data keys still under older versions (after a rotation raced new cases)."""
    moved = _run(rotation.rewrap_older)
    typer.echo(f"{moved} data key(s) re-wrapped")


keys_app.command("rewrap")(rewrap_command)
