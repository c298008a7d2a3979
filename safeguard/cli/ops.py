"""`safeguard migrate` and `safeguard events ...`: one-shot operations."""

from __future__ import annotations

import asyncio

import typer

from safeguard.db.migrate import migrate
from safeguard.kafka.admin import create_topics
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
