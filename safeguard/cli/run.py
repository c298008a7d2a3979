"""`safeguard run`: the local stack, every service and the worker, from one terminal."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Annotated

import httpx
import typer

from safeguard.cli.dev_seed import seed_development_directory, seed_development_providers
from safeguard.cli.supervisor import Child, Supervisor, say
from safeguard.cli.watchdog import StackWatchdog
from safeguard.db.migrate import migrate
from safeguard.kafka.admin import create_topics
from safeguard.settings import Settings, get_settings
from safeguard.stack import Stack, StackError
from safeguard.stack.keycloak import ADMIN_USERNAME, DEV_ADMIN_PASSWORD
from safeguard.stack.keycloak_realm import DEV_PASSWORD, REALM, development_users

SERVICES = (
    "intake",
    "assessment",
    "panel",
    "notifications",
    "audit",
    "codec",
    "statistics",
    "web",
)
# Where each service's people start: the APIs document themselves, the web front end is a site.
_START_PAGE = {"web": "/"}


def _children(settings: Settings) -> list[Child]:
    python = sys.executable
    services = [
        Child(
            name,
            [
                python,
                "-m",
                "uvicorn",
                f"services.{name}.app:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(getattr(settings.services, name)),
                "--no-access-log",
            ],
        )
        for name in SERVICES
    ]
    return [*services, Child("worker", [python, "-m", "workflows.referral.worker"])]


def _embedded_components(settings: Settings) -> tuple[str, ...]:
    """The stack components to start: those not pointed at an external endpoint."""
    external = {
        "postgres": settings.database_url is not None,
        "kafka": settings.kafka_bootstrap_servers is not None,
        "temporal": settings.temporal_address is not None,
        "keycloak": settings.staff_oidc_issuer is not None,
        "clamd": settings.attachments.clamd_host is not None,
    }
    return tuple(name for name, is_external in external.items() if not is_external)


async def _wait_until_live(settings: Settings, supervisor: Supervisor, *, within: float) -> None:
    """Poll each service's liveness route so the URLs are printed only once they answer."""
    deadline = asyncio.get_running_loop().time() + within
    async with httpx.AsyncClient(timeout=2.0) as http:
        for name in SERVICES:
            url = f"http://127.0.0.1:{getattr(settings.services, name)}/health/live"
            while not supervisor.gave_up.is_set():
                try:
                    if (await http.get(url)).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    typer.echo(f"{name} did not answer on {url}", err=True)
                    return
                await asyncio.sleep(0.2)


def _print_urls(settings: Settings) -> None:
    typer.echo("\nSafeguard is running. Ctrl-C stops everything.")
    for name in SERVICES:
        page = _START_PAGE.get(name, "/docs")
        typer.echo(f"  {name:<14} http://127.0.0.1:{getattr(settings.services, name)}{page}")
    if settings.temporal_address is None:
        typer.echo(f"  {'temporal ui':<14} http://127.0.0.1:{settings.stack.temporal_ui}")
    typer.echo("")


def _print_sign_in(settings: Settings) -> None:
    """How to sign in through the embedded Keycloak (development users, public password)."""
    keycloak = f"http://127.0.0.1:{settings.stack.keycloak}"
    web = f"http://127.0.0.1:{settings.services.web}/"
    typer.echo(f"Open {web} and sign in as officer-17 (a Prevent officer) with {DEV_PASSWORD}.")
    # A newcomer's first sight is otherwise an empty inbox with no word of why.
    typer.echo(
        "My tasks stays empty until a referral arrives: submit one as docs/quick-start.md"
        " shows, then find it under Triage."
    )
    typer.echo("Sign in (the embedded Keycloak, development users only):")
    typer.echo(f"  {'realm':<14} {keycloak}/realms/{REALM}")
    typer.echo(
        f"  {'admin console':<14} {keycloak}/admin/  ({ADMIN_USERNAME} / {DEV_ADMIN_PASSWORD})"
    )
    typer.echo(f"  {'password':<14} {DEV_PASSWORD} (every user below)")
    for user in development_users():
        typer.echo(f"  {user.username:<14} {', '.join(user.roles):<22} {user.name}")
    typer.echo("")


async def _wait_for_stop(supervisor: Supervisor, watchdog: StackWatchdog) -> str | None:
    """Until Ctrl-C (or SIGTERM), or until a process or component keeps dying: then why."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    waits = {
        asyncio.create_task(stop.wait()),
        asyncio.create_task(supervisor.gave_up.wait()),
        asyncio.create_task(watchdog.gave_up.wait()),
    }
    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for wait in waits:
        wait.cancel()
    failed = supervisor.failed or watchdog.failed
    if failed is None or stop.is_set():
        return None
    say(f"{failed}; stopping everything")
    return failed


async def _run(settings: Settings) -> str | None:
    wanted = _embedded_components(settings)
    stack = Stack(
        data_dir=settings.data_dir, ports=settings.stack, components=wanted, settings=settings
    )
    already = {status.name for status in await stack.status() if status.running}
    # Stop only what this run starts: a stack brought up before it stays up.
    ours = Stack(
        data_dir=settings.data_dir,
        ports=settings.stack,
        components=tuple(name for name in wanted if name not in already),
        settings=settings,
    )
    await stack.up()
    try:
        await migrate(settings.database_dsn())
        await create_topics(settings)
        if settings.environment == "development":
            await seed_development_directory(settings.database_dsn())
            await seed_development_providers(settings.database_dsn())
        return await _supervise(settings, stack, keycloak="keycloak" in wanted)
    finally:
        typer.echo("stopping the stack ...")
        await ours.down()


async def _supervise(settings: Settings, stack: Stack, *, keycloak: bool) -> str | None:
    """Run the services and the worker, restarting what dies, until told to stop; return why
    it gave up, if it did."""
    supervisor = Supervisor(
        _children(settings), env=_child_env(settings), pid_dir=settings.data_dir / "run"
    )
    watchdog = StackWatchdog(stack, report=say)
    watching = asyncio.create_task(watchdog.run())
    await supervisor.start()
    try:
        await _wait_until_live(settings, supervisor, within=60)
        _print_urls(settings)
        if keycloak:
            _print_sign_in(settings)
        return await _wait_for_stop(supervisor, watchdog)
    finally:
        watching.cancel()
        typer.echo("stopping services ...")
        await supervisor.stop()
        await asyncio.gather(watching, return_exceptions=True)


def _child_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["SAFEGUARD_DATA_DIR"] = str(settings.data_dir.resolve())
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def run_command(
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the embedded stack keeps data and logs.")
    ] = None,
) -> None:
    """Start the stack, every service and the worker; Ctrl-C stops them all."""
    settings = get_settings()
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    try:
        failed = asyncio.run(_run(settings))
    except StackError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    if failed is not None:
        raise typer.Exit(1)
