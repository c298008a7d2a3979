"""What the console script hands the commands: code from above the shared package.

`safeguard` imports neither the workflows nor the services, so the commands that replay
histories take the workflow code's replayer from the context object that `services.cli`, the
console script's entry point, passes in.
"""

from __future__ import annotations

from dataclasses import dataclass

import typer

from safeguard.audit.replaying import BulkReplaying, Replaying


@dataclass(frozen=True)
class Wiring:
    """The pieces of the layers above, for the commands that need them."""

    replaying: Replaying
    replaying_in_bulk: BulkReplaying
    # The names of the workflow inputs' free-text fields (`safeguard.personal`).
    personal: frozenset[str]


def wiring(ctx: typer.Context) -> Wiring:
    """The console script's wiring; without it (an app run bare) say how to get it."""
    found = ctx.find_root().obj
    if not isinstance(found, Wiring):
        typer.echo(
            "error: this command needs the workflow code: run the `safeguard` console script"
            " (services.cli:main)",
            err=True,
        )
        raise typer.Exit(2)
    return found
