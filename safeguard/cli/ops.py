"""`safeguard migrate` and `safeguard events ...`: one-shot operations."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from safeguard.db.migrate import migrate
from safeguard.events.compat import incompatibilities
from safeguard.events.schema_files import committed_schemas, generated_schemas, write_schemas
from safeguard.events.topics import REFERRAL_EVENTS
from safeguard.kafka.admin import create_topics
from safeguard.kafka.replay import ParkedMessage, replay_dead_letters
from safeguard.settings import get_settings

events_app = typer.Typer(help="Kafka topics and event operations.", no_args_is_help=True)


def migrate_command() -> None:
    """Apply pending database migrations."""
    applied = asyncio.run(migrate(get_settings().database_dsn()))
    for migration in applied:
        typer.echo(f"applied {migration.version:04d} {migration.name}")
    typer.echo(f"database is up to date ({len(applied)} applied)")


@events_app.command("create-topics")
def create_topics_command() -> None:
    """Create the project's topics with their partitions and retention."""
    created = asyncio.run(create_topics(get_settings()))
    typer.echo(f"created: {', '.join(created)}" if created else "all topics exist")


@events_app.command("replay-dlq")
def replay_dlq_command(
    topic: Annotated[str, typer.Option(help="The source topic (logical name).")] = REFERRAL_EVENTS,
    dry_run: Annotated[bool, typer.Option(help="List parked messages; re-drive none.")] = False,
) -> None:
    """Re-drive messages parked on a topic's dead-letter topic back onto it."""
    parked = asyncio.run(replay_dead_letters(get_settings(), topic=topic, dry_run=dry_run))
    for message in parked:
        typer.echo(_parked_line(message))
    verb = "parked" if dry_run else "re-driven"
    typer.echo(f"{sum(not m.duplicate for m in parked)} message(s) {verb}")


def _parked_line(message: ParkedMessage) -> str:
    what = f"{message.event_type} {message.event_id}" if message.event_id else "(not an event)"
    copy = " (duplicate, skipped)" if message.duplicate else ""
    return f"offset {message.offset} {what} consumer={message.consumer}{copy}: {message.error}"


@events_app.command("export-schemas")
def export_schemas_command(
    check: Annotated[
        bool, typer.Option(help="Only check that the committed files match the models.")
    ] = False,
    allow_breaking: Annotated[
        bool,
        typer.Option(
            help="Overwrite even incompatible changes (only while no deployment "
            "holds events of the old shape)."
        ),
    ] = False,
) -> None:
    """Write the event JSON Schemas; refuse a change that old events would not satisfy."""
    problems = incompatibilities(committed_schemas(), generated_schemas())
    for problem in problems:
        typer.echo(f"incompatible: {problem}", err=True)
    if problems and not allow_breaking:
        typer.echo("add a new event type or schema_version instead", err=True)
        raise typer.Exit(1)
    if check:
        stale = [n for n, s in generated_schemas().items() if committed_schemas().get(n) != s]
        typer.echo(f"out of date: {', '.join(stale)}" if stale else "schemas are up to date")
        raise typer.Exit(1 if stale else 0)
    changed = write_schemas(prune=allow_breaking)
    typer.echo(f"wrote: {', '.join(changed)}" if changed else "schemas are up to date")
