"""`safeguard stack up|down|status|fetch`: the embedded stack (PostgreSQL to clamd)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from safeguard.settings import get_settings
from safeguard.stack import ALL_COMPONENTS, ComponentStatus, Stack, StackError
from safeguard.stack.kafka import fetch_kafka_classpath
from safeguard.stack.keycloak_dist import fetch_keycloak_zip
from safeguard.stack.manager import UP_TIMEOUT

stack_app = typer.Typer(
    help="Run PostgreSQL, Kafka, Temporal, Keycloak and clamd as local processes (no Docker).",
    no_args_is_help=True,
)

T = TypeVar("T")

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Where data, logs and pid files live [default: settings]."),
]
Components = Annotated[
    list[str] | None,
    typer.Argument(help=f"Components to act on [default: all of {', '.join(ALL_COMPONENTS)}]."),
]


def _data_dir(data_dir: Path | None) -> Path:
    return data_dir if data_dir is not None else get_settings().data_dir


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro`; a StackError becomes its message on stderr and exit status 1, no traceback."""
    try:
        return asyncio.run(coro)
    except StackError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        typer.secho(
            "interrupted: processes already started keep running; "
            "`safeguard stack down` stops them",
            err=True,
        )
        raise typer.Exit(130) from None


def _stack(data_dir: Path | None, components: list[str] | None) -> Stack:
    try:
        return Stack(
            data_dir=_data_dir(data_dir),
            ports=get_settings().stack,
            components=components or ALL_COMPONENTS,
            settings=get_settings(),
        )
    except StackError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(2) from None


@stack_app.command()
def up(
    components: Components = None,
    data_dir: DataDir = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for health.")] = UP_TIMEOUT,
) -> None:
    """Start the stack (what already runs is left alone) and wait until it is healthy."""
    stack = _stack(data_dir, components)
    for status in _run(stack.up(timeout=timeout)):
        detail = f"  {status.detail}" if status.detail else ""
        typer.echo(
            f"{status.name:<9} {status.endpoint:<16} pid {status.pid!s:<8} "
            f"log {status.log_path}{detail}"
        )


@stack_app.command()
def down(
    components: Components = None,
    data_dir: DataDir = None,
    timeout: Annotated[float, typer.Option(help="Seconds before SIGKILL.")] = 60.0,
) -> None:
    """Stop the stack's processes; the data stays for the next `up`."""
    stopped = _run(_stack(data_dir, components).down(timeout=timeout))
    typer.echo(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")


@stack_app.command()
def status(components: Components = None, data_dir: DataDir = None) -> None:
    """Show each component's state, pid, endpoint and log."""
    rows = _run(_stack(data_dir, components).status())
    typer.echo(_table(rows))


@stack_app.command()
def fetch(data_dir: DataDir = None) -> None:
    """Download Kafka's jars and Keycloak's zip with Maven (once; later runs reuse ~/.m2)."""
    try:
        cp_file = fetch_kafka_classpath(data_dir=_data_dir(data_dir).resolve())
        keycloak_zip = fetch_keycloak_zip()
    except StackError as exc:
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from None
    jars = len(cp_file.read_text().strip().split(":"))
    typer.echo(f"kafka classpath ({jars} jars): {cp_file}")
    typer.echo(f"keycloak distribution: {keycloak_zip}")


def _state(status: ComponentStatus) -> str:
    if status.healthy:
        return "healthy"
    return "unhealthy" if status.running else "stopped"


def _table(rows: list[ComponentStatus]) -> str:
    """A plain aligned table, readable in any terminal and in CI logs."""
    header = ("NAME", "STATE", "PID", "ENDPOINT", "LOG", "DETAIL")
    body = [
        (s.name, _state(s), str(s.pid or "-"), s.endpoint, str(s.log_path), s.detail) for s in rows
    ]
    widths = [max(len(row[i]) for row in (header, *body)) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *body)
    )
